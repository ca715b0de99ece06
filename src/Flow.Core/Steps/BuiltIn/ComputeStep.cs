using Flow.Batches;
using Flow.Expressions;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>
/// Step <c>Compute</c>: sets fields from expressions (<c>Set</c>: field name to expression), in the
/// order given, so a later expression sees the fields set before it.
/// </summary>
internal sealed class ComputeStep : RecordStep
{
    private readonly (string Field, CompiledExpression Expression)[] _set;

    public ComputeStep(NodeParameters parameters)
    {
        var set = parameters.GetMap("Set");
        if (set.Count == 0)
        {
            throw parameters.Error("Set", "is required: field names to expressions");
        }

        _set = set.Select(s => (s.Key, ExpressionParameter.Compile(parameters, $"Set:{s.Key}", s.Value))).ToArray();
    }

    protected override Record? Process(Record record)
    {
        foreach (var (field, expression) in _set)
        {
            record.Set(field, expression.Evaluate(record));
        }

        return record;
    }
}

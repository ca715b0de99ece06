using Flow.Batches;
using Flow.Expressions;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>
/// Step <c>Compute</c>: sets fields from expressions (<c>Set</c>: field name to expression). An
/// expression that reads another field of the same <c>Set</c> runs after it, whatever the order
/// the fields are written in (configuration hands them over sorted by name); otherwise fields are
/// set in that order. A cycle (<c>a</c> from <c>b</c> and <c>b</c> from <c>a</c>) is a configuration error.
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

        var compiled = set.Select(s => (Field: s.Key, Expression: ExpressionParameter.Compile(parameters, $"Set:{s.Key}", s.Value))).ToList();
        _set = InDependencyOrder(parameters, compiled);
    }

    private static (string Field, CompiledExpression Expression)[] InDependencyOrder(
        NodeParameters parameters, List<(string Field, CompiledExpression Expression)> set)
    {
        var ordered = new List<(string Field, CompiledExpression Expression)>(set.Count);
        var pending = set.ToList();
        while (pending.Count > 0)
        {
            // The first pending field none of whose inputs is still pending (a field may read its own old value).
            var next = pending.FindIndex(candidate => !pending.Any(other =>
                other.Field != candidate.Field && candidate.Expression.Fields.Contains(other.Field)));
            if (next < 0)
            {
                throw parameters.Error("Set", $"the fields {string.Join(", ", pending.Select(p => p.Field))} are computed from each other (a cycle)");
            }

            ordered.Add(pending[next]);
            pending.RemoveAt(next);
        }

        return ordered.ToArray();
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

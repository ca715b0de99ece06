using Flow.Batches;
using Flow.Expressions;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>Step <c>Filter</c>: keeps the records for which <c>Where</c> is true (null counts as false).</summary>
internal sealed class FilterStep : RecordStep
{
    private readonly CompiledExpression _where;

    public FilterStep(NodeParameters parameters) => _where = ExpressionParameter.Compile(parameters, "Where");

    protected override Record? Process(Record record) => _where.IsTrue(record) ? record : null;
}

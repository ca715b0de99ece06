using Flow.Batches;

namespace Flow.Expressions;

/// <summary>
/// An expression of the <c>Filter</c> (<c>Where</c>) and <c>Compute</c> (<c>Set</c>) steps, parsed
/// once and compiled to a delegate, so evaluating it per record is a direct call, not a tree walk.
/// Instances are immutable and safe to share across threads.
/// </summary>
/// <remarks>
/// Fields are variables (<c>delay</c>, <c>this["Field Name"]</c>, <c>a.b</c>); a missing field is
/// null. Arithmetic with null gives null and comparisons with null are false, except against the
/// literal <c>null</c> (<c>x == null</c>, <c>x != null</c>). See <see cref="Functions"/> for the
/// built-in functions.
/// </remarks>
internal sealed class CompiledExpression
{
    /// <summary>
    /// The version of the language's meaning: operators, null rules, functions, number semantics.
    /// It joins the cache signature of every step that evaluates expressions, so bump it in any
    /// release that changes what some expression evaluates to (<c>round</c> rounding otherwise, a
    /// new null rule), and results computed by the old language are never replayed.
    /// </summary>
    public const int BehaviourVersion = 1;

    private readonly Func<Record, object?> _evaluate;

    private CompiledExpression(string source, Func<Record, object?> evaluate, IReadOnlySet<string> fields)
    {
        Source = source;
        _evaluate = evaluate;
        Fields = fields;
    }

    public string Source { get; }

    /// <summary>The record fields the expression reads.</summary>
    public IReadOnlySet<string> Fields { get; }

    /// <summary>Parses and compiles <paramref name="source"/>; throws <see cref="ExpressionException"/> on any syntax or name error.</summary>
    public static CompiledExpression Compile(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var lambda = Parser.Parse(source);
        return new CompiledExpression(source, lambda.Compile(), FieldReferences.Of(lambda));
    }

    /// <summary>The value: null, bool, long, double, string, <see cref="Record"/> or <see cref="List{T}"/>.</summary>
    public object? Evaluate(Record record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _evaluate(record);
    }

    /// <summary>Whether the record passes a filter: only a boolean true does; null does not.</summary>
    public bool IsTrue(Record record) => Evaluate(record) is true;

    public override string ToString() => Source;
}

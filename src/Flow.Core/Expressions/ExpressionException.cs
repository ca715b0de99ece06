namespace Flow.Expressions;

/// <summary>
/// A syntax or name error in an expression, found when it is compiled (never while records flow).
/// <see cref="Position"/> is the 0-based character offset in the source, so a configuration
/// error can point at the exact spot.
/// </summary>
internal sealed class ExpressionException : Exception
{
    public ExpressionException(string message, int position)
        : base($"{message} at position {position}")
    {
        Position = position;
    }

    public int Position { get; }
}

namespace Flow.Expressions;

internal enum TokenKind
{
    End,
    Number,
    String,
    Identifier,

    /// <summary>An operator or punctuation; its text says which.</summary>
    Symbol,
}

namespace Flow.Expressions;

/// <summary>One token: <see cref="Value"/> holds the parsed literal for numbers and strings.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Position, object? Value = null)
{
    public bool Is(string symbol) => Kind == TokenKind.Symbol && Text == symbol;

    /// <summary>Keywords are plain identifiers to the tokenizer; the parser gives them meaning.</summary>
    public bool IsKeyword(string word) => Kind == TokenKind.Identifier && Text == word;

    /// <summary>How the token reads in an error message.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of expression",
        TokenKind.Number => $"number {Text}",
        TokenKind.String => $"string {Text}",
        TokenKind.Identifier => $"'{Text}'",
        _ => $"'{Text}'",
    };
}

using System.Globalization;
using System.Text;

namespace Flow.Expressions;

/// <summary>Turns expression source into tokens, all at once: expressions are short and parsed once.</summary>
internal static class Tokenizer
{
    // Longest first, so "<=" wins over "<".
    private static readonly string[] Symbols =
    [
        "==", "!=", "<=", ">=", "&&", "||", "??",
        "<", ">", "!", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", ".", "?", ":",
    ];

    public static List<Token> Tokenize(string source)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < source.Length && char.IsWhiteSpace(source[i]))
            {
                i++;
            }

            if (i >= source.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", source.Length));
                return tokens;
            }

            var c = source[i];
            if (char.IsAsciiDigit(c))
            {
                tokens.Add(ReadNumber(source, ref i));
            }
            else if (c is '\'' or '"')
            {
                tokens.Add(ReadString(source, ref i));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, source[start..i], start));
            }
            else
            {
                var symbol = Array.Find(Symbols, s => string.CompareOrdinal(source, i, s, 0, s.Length) == 0)
                    ?? throw new ExpressionException(
                        c == '=' ? "unexpected '=' (use '==' to compare)" : $"unexpected character '{c}'", i);
                tokens.Add(new Token(TokenKind.Symbol, symbol, i));
                i += symbol.Length;
            }
        }
    }

    private static Token ReadNumber(string source, ref int i)
    {
        var start = i;
        var isDecimal = false;
        SkipDigits(source, ref i);

        // A '.' belongs to the number only when a digit follows it.
        if (i + 1 < source.Length && source[i] == '.' && char.IsAsciiDigit(source[i + 1]))
        {
            isDecimal = true;
            i++;
            SkipDigits(source, ref i);
        }

        if (i < source.Length && source[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < source.Length && source[j] is '+' or '-')
            {
                j++;
            }

            if (j < source.Length && char.IsAsciiDigit(source[j]))
            {
                isDecimal = true;
                i = j;
                SkipDigits(source, ref i);
            }
        }

        var text = source[start..i];

        // Integers too large for a long become doubles rather than an error.
        object value = !isDecimal && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var l)
            ? l
            : (object)double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return new Token(TokenKind.Number, text, start, value);
    }

    private static void SkipDigits(string source, ref int i)
    {
        while (i < source.Length && char.IsAsciiDigit(source[i]))
        {
            i++;
        }
    }

    private static Token ReadString(string source, ref int i)
    {
        var start = i;
        var quote = source[i++];
        var text = new StringBuilder();
        while (true)
        {
            if (i >= source.Length)
            {
                throw new ExpressionException($"unterminated string (expected a closing {quote}) starting", start);
            }

            var c = source[i++];
            if (c == quote)
            {
                return new Token(TokenKind.String, source[start..i], start, text.ToString());
            }

            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            if (i >= source.Length)
            {
                throw new ExpressionException($"unterminated string (expected a closing {quote}) starting", start);
            }

            var escape = source[i++];
            switch (escape)
            {
                case '\\' or '\'' or '"':
                    text.Append(escape);
                    break;
                case 'n':
                    text.Append('\n');
                    break;
                case 't':
                    text.Append('\t');
                    break;
                case 'r':
                    text.Append('\r');
                    break;
                case '0':
                    text.Append('\0');
                    break;
                case 'u' when i + 4 <= source.Length
                    && ushort.TryParse(source.AsSpan(i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    text.Append((char)code);
                    i += 4;
                    break;
                default:
                    throw new ExpressionException(
                        $"unknown escape '\\{escape}' (expected one of \\\\ \\' \\\" \\n \\t \\r \\0 \\uXXXX)", i - 2);
            }
        }
    }
}

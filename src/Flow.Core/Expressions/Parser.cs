using System.Linq.Expressions;
using Flow.Batches;

namespace Flow.Expressions;

/// <summary>
/// A precedence-climbing parser that builds a System.Linq.Expressions tree directly (no
/// intermediate AST): values are dynamically typed, so every node is typed <see cref="object"/>,
/// except boolean-valued nodes (comparisons, logic, predicates), typed <see cref="bool"/> so that
/// conditions compile to plain branches without boxing.
/// </summary>
internal sealed class Parser
{
    // Binding powers, loosest first. "not" sits between "and" and the comparisons, as in SQL and
    // Python, so "not origin == 'SFO'" means "not (origin == 'SFO')"; "!" binds tightly, as in C.
    private const int CoalescePrecedence = 1;
    private const int EqualityPrecedence = 5;

    private static readonly Expression NullConstant = Expression.Constant(null);

    private readonly List<Token> _tokens;
    private readonly ParameterExpression _record = Expression.Parameter(typeof(Record), "record");
    private readonly Expression _this;
    private int _index;

    private Parser(string source)
    {
        _tokens = Tokenizer.Tokenize(source);
        _this = Expression.Convert(_record, typeof(object));
    }

    private Token Current => _tokens[_index];

    public static Expression<Func<Record, object?>> Parse(string source)
    {
        var parser = new Parser(source);
        var body = parser.ParseTernary();
        if (parser.Current.Kind != TokenKind.End)
        {
            throw new ExpressionException($"expected an operator or the end of the expression but found {parser.Current.Describe()}", parser.Current.Position);
        }

        return Expression.Lambda<Func<Record, object?>>(AsObject(body), parser._record);
    }

    public static Expression AsObject(Expression e) =>
        e.Type == typeof(object) ? e
        : e is ConstantExpression constant ? Expression.Constant(constant.Value, typeof(object))
        : e.Type == typeof(bool) ? Expression.Call(typeof(Ops), nameof(Ops.Box), null, e)
        : Expression.Convert(e, typeof(object));

    public static Expression AsBool(Expression e) =>
        e.Type == typeof(bool) ? e : Expression.Call(typeof(Ops), nameof(Ops.Truthy), null, e);

    /// <summary>Both branches stay bool when both are; otherwise both become objects.</summary>
    public static Expression Conditional(Expression condition, Expression whenTrue, Expression whenFalse) =>
        whenTrue.Type == typeof(bool) && whenFalse.Type == typeof(bool)
            ? Expression.Condition(AsBool(condition), whenTrue, whenFalse)
            : Expression.Condition(AsBool(condition), AsObject(whenTrue), AsObject(whenFalse), typeof(object));

    private static bool IsNullLiteral(Expression e) => e is ConstantExpression { Value: null };

    private static Expression CallOps(string method, params Expression[] args) =>
        Expression.Call(typeof(Ops), method, null, [.. args.Select(AsObject)]);

    private static (string? Op, int Precedence) BinaryOperator(Token token, Token next) => token.Kind switch
    {
        TokenKind.Symbol => token.Text switch
        {
            "??" => ("??", CoalescePrecedence),
            "||" => ("||", 2),
            "&&" => ("&&", 3),
            "==" or "!=" => (token.Text, EqualityPrecedence),
            "<" or "<=" or ">" or ">=" => (token.Text, 6),
            "+" or "-" => (token.Text, 7),
            "*" or "/" or "%" => (token.Text, 8),
            _ => (null, 0),
        },
        TokenKind.Identifier => token.Text switch
        {
            "or" => ("||", 2),
            "and" => ("&&", 3),
            "in" => ("in", 6),
            "not" when next.IsKeyword("in") => ("not in", 6),
            _ => (null, 0),
        },
        _ => (null, 0),
    };

    private Token Advance() => _tokens[_index++];

    private void Expect(string symbol, string context)
    {
        if (!Current.Is(symbol))
        {
            throw new ExpressionException($"expected '{symbol}' {context} but found {Current.Describe()}", Current.Position);
        }

        _index++;
    }

    private Expression ParseTernary()
    {
        var condition = ParseBinary(0);
        if (!Current.Is("?"))
        {
            return condition;
        }

        var question = Advance();
        var whenTrue = ParseTernary();
        Expect(":", $"for the '?' at position {question.Position}");
        var whenFalse = ParseTernary();
        return Conditional(condition, whenTrue, whenFalse);
    }

    private Expression ParseBinary(int minPrecedence)
    {
        var left = ParseUnary();
        while (true)
        {
            var (op, precedence) = BinaryOperator(Current, _tokens[Math.Min(_index + 1, _tokens.Count - 1)]);
            if (op is null || precedence < minPrecedence)
            {
                return left;
            }

            _index += op == "not in" ? 2 : 1;

            // "??" is right-associative; the rest are left-associative.
            var right = ParseBinary(op == "??" ? precedence : precedence + 1);
            left = Binary(op, left, right);
        }
    }

    private static Expression Binary(string op, Expression left, Expression right)
    {
        switch (op)
        {
            case "&&":
                return Expression.AndAlso(AsBool(left), AsBool(right));
            case "||":
                return Expression.OrElse(AsBool(left), AsBool(right));
            case "??":
                return Expression.Coalesce(AsObject(left), AsObject(right));
            case "in":
                return In(left, right);
            case "not in":
                return Expression.Not(In(left, right));
            case "==" or "!=" when IsNullLiteral(left) || IsNullLiteral(right):
                // Only a literal null tests null-ness; any other null operand makes a comparison false.
                var test = Expression.ReferenceEqual(AsObject(left), AsObject(right));
                return op == "==" ? test : Expression.Not(test);
        }

        return CallOps(
            op switch
            {
                "==" => nameof(Ops.Equal),
                "!=" => nameof(Ops.NotEqual),
                "<" => nameof(Ops.Less),
                "<=" => nameof(Ops.LessOrEqual),
                ">" => nameof(Ops.Greater),
                ">=" => nameof(Ops.GreaterOrEqual),
                "+" => nameof(Ops.Add),
                "-" => nameof(Ops.Subtract),
                "*" => nameof(Ops.Multiply),
                "/" => nameof(Ops.Divide),
                _ => nameof(Ops.Modulo),
            },
            left,
            right);
    }

    /// <summary>A list literal on the right becomes an array (a constant one when all items are literals).</summary>
    private static Expression In(Expression value, Expression list)
    {
        if (list is MethodCallExpression { Method.Name: nameof(Ops.MakeList), Arguments: [NewArrayExpression items] })
        {
            Expression array = items.Expressions.All(e => e is ConstantExpression)
                ? Expression.Constant(items.Expressions.Select(e => ((ConstantExpression)e).Value).ToArray())
                : items;
            return Expression.Call(typeof(Ops), nameof(Ops.In), null, AsObject(value), array);
        }

        return CallOps(nameof(Ops.InValue), value, list);
    }

    private Expression ParseUnary()
    {
        // Every nesting (parentheses, calls, unary operators) passes here: a hostile or generated
        // expression must give an error, not a process-killing stack overflow.
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new ExpressionException("expression is nested too deeply", Current.Position);
        }

        if (Current.Is("-"))
        {
            _index++;
            var operand = ParseUnary();
            return operand is ConstantExpression { Value: long l and not long.MinValue }
                ? Expression.Constant(-l, typeof(object))
                : CallOps(nameof(Ops.Negate), operand);
        }

        if (Current.Is("!"))
        {
            _index++;
            return Expression.Not(AsBool(ParseUnary()));
        }

        if (Current.IsKeyword("not"))
        {
            _index++;
            return Expression.Not(AsBool(ParseBinary(EqualityPrecedence)));
        }

        return ParsePostfix(ParsePrimary());
    }

    private Expression ParsePostfix(Expression target)
    {
        while (true)
        {
            if (Current.Is("."))
            {
                _index++;
                if (Current.Kind != TokenKind.Identifier)
                {
                    throw new ExpressionException($"expected a field name after '.' but found {Current.Describe()}", Current.Position);
                }

                target = Member(target, Expression.Constant(Advance().Text, typeof(object)));
            }
            else if (Current.Is("["))
            {
                var open = Advance();
                var key = ParseTernary();
                Expect("]", $"to close the '[' at position {open.Position}");
                target = Member(target, key);
            }
            else
            {
                return target;
            }
        }
    }

    /// <summary><c>this.x</c> and <c>this["x"]</c> read the field directly; anything else goes through <see cref="Ops.Index"/>.</summary>
    private Expression Member(Expression target, Expression key) =>
        target == _this && key is ConstantExpression { Value: string name }
            ? Field(name)
            : CallOps(nameof(Ops.Index), target, key);

    private Expression Field(string name) =>
        Expression.Call(typeof(Ops), nameof(Ops.Field), null, _record, Expression.Constant(name));

    private Expression ParsePrimary()
    {
        var token = Advance();
        switch (token.Kind)
        {
            case TokenKind.Number or TokenKind.String:
                return Expression.Constant(token.Value, typeof(object));
            case TokenKind.Symbol when token.Text == "(":
                var inner = ParseTernary();
                Expect(")", $"to close the '(' at position {token.Position}");
                return inner;
            case TokenKind.Symbol when token.Text == "[":
                var items = ParseList("]", token);
                return Expression.Call(typeof(Ops), nameof(Ops.MakeList), null, Expression.NewArrayInit(typeof(object), items.Select(AsObject)));
            case TokenKind.Identifier:
                switch (token.Text)
                {
                    case "true":
                        return Expression.Constant(true);
                    case "false":
                        return Expression.Constant(false);
                    case "null":
                        return NullConstant;
                    case "this":
                        return _this;
                    case "and" or "or" or "not" or "in":
                        break;
                    default:
                        if (Current.Is("("))
                        {
                            var open = Advance();
                            return Functions.Build(token.Text, ParseList(")", open), token.Position);
                        }

                        return Field(token.Text);
                }

                break;
        }

        throw new ExpressionException($"expected a value (a field, literal, function call or '(') but found {token.Describe()}", token.Position);
    }

    /// <summary>Comma-separated expressions up to <paramref name="close"/>; the opening token is already consumed.</summary>
    private List<Expression> ParseList(string close, Token open)
    {
        var items = new List<Expression>();
        if (Current.Is(close))
        {
            _index++;
            return items;
        }

        while (true)
        {
            items.Add(ParseTernary());
            if (Current.Is(","))
            {
                _index++;
                continue;
            }

            Expect(close, $"or ',' to close the '{open.Text}' at position {open.Position}");
            return items;
        }
    }
}

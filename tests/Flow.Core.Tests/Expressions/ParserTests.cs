using Flow.Expressions;

namespace Flow.Tests.Expressions;

/// <summary>Compile errors: each names what was expected and points at where.</summary>
public class ParserTests
{
    private static ExpressionException CompileError(string source) =>
        Assert.Throws<ExpressionException>(() => CompiledExpression.Compile(source));

    [Fact]
    public void Compile_UnknownFunction_ReportsNameAndPosition()
    {
        var error = CompileError("1 + lowr(origin)");
        Assert.Equal(4, error.Position);
        Assert.Equal("unknown function 'lowr' (did you mean 'lower'?) at position 4", error.Message);
    }

    [Fact]
    public void Compile_UnknownFunctionNothingLike_ListsTheFunctions()
    {
        var error = CompileError("1 + frobnicate(origin)");
        Assert.StartsWith("unknown function 'frobnicate' (expected one of: abs, acos, asin, atan2, ceil,", error.Message);
        Assert.EndsWith("at position 4", error.Message);
    }

    [Theory]
    [InlineData("substring(origin)", 0, "function 'substring' expects 2 to 3 arguments but got 1 at position 0")]
    [InlineData("x + lower()", 4, "function 'lower' expects 1 argument but got 0 at position 4")]
    [InlineData("lower(a, b)", 0, "function 'lower' expects 1 argument but got 2 at position 0")]
    [InlineData("if(a, b)", 0, "function 'if' expects 3 arguments but got 2 at position 0")]
    [InlineData("coalesce()", 0, "function 'coalesce' expects at least 1 argument but got 0 at position 0")]
    public void Compile_WrongArity_ReportsExpectedCount(string source, int position, string message)
    {
        var error = CompileError(source);
        Assert.Equal(position, error.Position);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("(delay > 1", 10, "expected ')' to close the '(' at position 0 but found end of expression at position 10")]
    [InlineData("(a + (b * 2) > 1", 16, "expected ')' to close the '(' at position 0 but found end of expression at position 16")]
    [InlineData("lower(a", 7, "expected ')' or ',' to close the '(' at position 5 but found end of expression at position 7")]
    [InlineData("[1, 2", 5, "expected ']' or ',' to close the '[' at position 0 but found end of expression at position 5")]
    [InlineData("this['a'", 8, "expected ']' to close the '[' at position 4 but found end of expression at position 8")]
    [InlineData("a > 1)", 5, "expected an operator or the end of the expression but found ')' at position 5")]
    [InlineData("a ? 1", 5, "expected ':' for the '?' at position 2 but found end of expression at position 5")]
    public void Compile_UnbalancedBrackets_ReportPosition(string source, int position, string message)
    {
        var error = CompileError(source);
        Assert.Equal(position, error.Position);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("delay # 3", 6, "unexpected character '#' at position 6")]
    [InlineData("a & b", 2, "unexpected character '&' at position 2")]
    [InlineData("origin = 'SFO'", 7, "unexpected '=' (use '==' to compare) at position 7")]
    [InlineData("'abc", 0, "unterminated string (expected a closing ') starting at position 0")]
    [InlineData("x == \"a\\q\"", 7, "unknown escape '\\q' (expected one of \\\\ \\' \\\" \\n \\t \\r \\0 \\uXXXX) at position 7")]
    [InlineData("a.1", 2, "expected a field name after '.' but found number 1 at position 2")]
    [InlineData("1 + and", 4, "expected a value (a field, literal, function call or '(') but found 'and' at position 4")]
    [InlineData("", 0, "expected a value (a field, literal, function call or '(') but found end of expression at position 0")]
    [InlineData("a > ", 4, "expected a value (a field, literal, function call or '(') but found end of expression at position 4")]
    public void Compile_BadToken_ReportsPosition(string source, int position, string message)
    {
        var error = CompileError(source);
        Assert.Equal(position, error.Position);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("delay > 15 origin", 11, "expected an operator or the end of the expression but found 'origin' at position 11")]
    [InlineData("1 2", 2, "expected an operator or the end of the expression but found number 2 at position 2")]
    [InlineData("a == 'x' 'y'", 9, "expected an operator or the end of the expression but found string 'y' at position 9")]
    public void Compile_TrailingGarbage_ReportsPosition(string source, int position, string message)
    {
        var error = CompileError(source);
        Assert.Equal(position, error.Position);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Compile_FieldsWithKeywordNames_AreReachableThroughThis()
    {
        var record = new Record { ["in"] = 1L, ["not"] = 2L };
        Assert.Equal(3L, CompiledExpression.Compile("this['in'] + this.not").Evaluate(record));
    }

    [Fact]
    public void Compile_DeepNesting_IsAnErrorNotACrash()
    {
        var error = CompileError(new string('(', 200_000) + "1" + new string(')', 200_000));
        Assert.StartsWith("expression is nested too deeply", error.Message);
    }

    [Fact]
    public void Compile_LongChain_Evaluates()
    {
        var source = string.Join(" + ", Enumerable.Repeat("1", 5_000));
        Assert.Equal(5_000L, CompiledExpression.Compile(source).Evaluate(new Record()));
    }
}

using Flow.Expressions;

namespace Flow.Tests.Expressions;

public class FunctionsTests
{
    private static Record Row() => new()
    {
        ["name"] = "  San Francisco  ",
        ["code"] = "SFO",
        ["n"] = -7L,
        ["x"] = 2.345,
        ["date"] = "2001/01/02 00:47",
        ["iso"] = "2003-04-05T06:07:08Z",
        ["tags"] = new List<object?> { "a", "b" },
        ["nested"] = new Record { ["a"] = 1L, ["b"] = 2L },
        ["empty"] = null,
    };

    private static object? Eval(string source) => CompiledExpression.Compile(source).Evaluate(Row());

    [Theory]
    [InlineData("lower(code)", "sfo")]
    [InlineData("upper('sfo')", "SFO")]
    [InlineData("trim(name)", "San Francisco")]
    [InlineData("upper(12)", "12")]
    [InlineData("LOWER(code)", "sfo")]
    [InlineData("Upper(code)", "SFO")]
    public void Evaluate_CaseAndTrim_TransformString(string source, string expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("len(code)", 3L)]
    [InlineData("len(tags)", 2L)]
    [InlineData("len(nested)", 2L)]
    [InlineData("len('')", 0L)]
    public void Evaluate_Len_CountsCharactersOrItems(string source, long expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("contains(code, 'F')", true)]
    [InlineData("contains(code, 'f')", false)]
    [InlineData("contains(tags, 'b')", true)]
    [InlineData("contains(tags, 'z')", false)]
    [InlineData("contains(empty, 'a')", false)]
    [InlineData("startsWith(code, 'SF')", true)]
    [InlineData("startsWith(code, 'FO')", false)]
    [InlineData("endsWith(code, 'FO')", true)]
    [InlineData("endsWith(empty, '')", false)]
    [InlineData("startswith(n, '-')", true)]
    public void Evaluate_Predicates_GiveBool(string source, bool expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("substring(code, 1)", "FO")]
    [InlineData("substring(code, 0, 2)", "SF")]
    [InlineData("substring(code, 1, 100)", "FO")]
    [InlineData("substring(code, -5, 2)", "SF")]
    [InlineData("substring(code, 10)", "")]
    [InlineData("substring(code, 1, -3)", "")]
    [InlineData("substring(code, 1.9, 1)", "F")]
    public void Evaluate_Substring_ClampsToString(string source, string expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("replace(code, 'F', 'f')", "SfO")]
    [InlineData("replace('a-b-c', '-', '')", "abc")]
    [InlineData("replace(code, '', 'x')", "SFO")]
    [InlineData("replace(code, 'S', empty)", "FO")]
    [InlineData("concat(code, '-', 1, '-', empty, 2.5, true)", "SFO-1-2.5true")]
    [InlineData("concat()", "")]
    public void Evaluate_ReplaceAndConcat_BuildString(string source, string expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("abs(n)", 7L)]
    [InlineData("abs(-2.5)", 2.5)]
    [InlineData("abs('-3')", 3L)]
    [InlineData("round(x)", 2.0)]
    [InlineData("round(x, 2)", 2.35)]
    [InlineData("round(2.5)", 3.0)]
    [InlineData("round(-2.5)", -3.0)]
    [InlineData("round(n)", -7L)]
    [InlineData("round(1234, -2)", 1200L)]
    [InlineData("floor(x)", 2.0)]
    [InlineData("floor(-2.5)", -3.0)]
    [InlineData("floor(n)", -7L)]
    [InlineData("ceil(x)", 3.0)]
    [InlineData("ceil(n)", -7L)]
    [InlineData("min(3, 1, 2)", 1L)]
    [InlineData("max(3, 1.5, 2)", 3L)]
    [InlineData("min(3, empty, 2.5)", 2.5)]
    [InlineData("max(tags)", "b")]
    [InlineData("min('b', 'a')", "a")]
    public void Evaluate_NumericFunctions_Compute(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("sqrt(16)", 4.0)]
    [InlineData("sqrt('2.25')", 1.5)]
    [InlineData("pow(2, 10)", 1024.0)]
    [InlineData("round(sin(radians(30)), 6)", 0.5)]
    [InlineData("round(cos(radians(60)), 6)", 0.5)]
    [InlineData("round(tan(radians(45)), 6)", 1.0)]
    [InlineData("round(degrees(asin(1)), 6)", 90.0)]
    [InlineData("round(degrees(acos(0)), 6)", 90.0)]
    [InlineData("round(degrees(atan2(1, 1)), 6)", 45.0)]
    [InlineData("radians(180) == 3.141592653589793", true)]
    public void Evaluate_MathFunctions_ComputeInDoublesAndRadians(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("sqrt(-1)")]
    [InlineData("asin(2)")]
    [InlineData("acos(-1.5)")]
    [InlineData("pow(10, 400)")]
    [InlineData("sqrt(code)")]
    [InlineData("sin(empty)")]
    [InlineData("atan2(1, missing)")]
    public void Evaluate_MathOutsideItsDomainOrOnNonNumbers_IsNull_NeverNaN(string source) =>
        Assert.Null(Eval(source));

    [Theory]
    [InlineData("abs(code)")]
    [InlineData("round(empty)")]
    [InlineData("min(empty, missing)")]
    [InlineData("min(1, 'a')")]
    [InlineData("num('abc')")]
    [InlineData("num('NaN')")]
    [InlineData("num(true)")]
    [InlineData("int('x')")]
    [InlineData("int(1e300)")]
    [InlineData("str(empty)")]
    [InlineData("lower(empty)")]
    [InlineData("substring(empty, 1)")]
    [InlineData("len(n)")]
    [InlineData("year('not a date')")]
    [InlineData("coalesce(empty, missing)")]
    public void Evaluate_FunctionOfUnusableValue_IsNull(string source) =>
        Assert.Null(Eval(source));

    [Theory]
    [InlineData("str(n)", "-7")]
    [InlineData("str(x)", "2.345")]
    [InlineData("str(0.1 + 0.2)", "0.30000000000000004")]
    [InlineData("str(1.0)", "1")]
    [InlineData("str(true)", "true")]
    [InlineData("str(code)", "SFO")]
    [InlineData("str(tags)", "[\"a\",\"b\"]")]
    [InlineData("str(nested)", "{\"a\":1,\"b\":2}")]
    public void Evaluate_Str_FormatsInvariant(string source, string expected) =>
        Assert.Equal(expected, Eval(source));

    [Fact]
    public void Evaluate_Str_IgnoresCurrentCulture()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("fr-FR");
            Assert.Equal("2.345", Eval("str(x)"));
            Assert.Equal(1.5, Eval("num('1.5')"));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData("num('42')", 42L)]
    [InlineData("num(' -1.5 ')", -1.5)]
    [InlineData("num('1e3')", 1000.0)]
    [InlineData("num(n)", -7L)]
    [InlineData("int(x)", 2L)]
    [InlineData("int(-2.9)", -2L)]
    [InlineData("int('7.9')", 7L)]
    [InlineData("int(n)", -7L)]
    public void Evaluate_NumAndInt_Convert(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("coalesce(empty, missing, code, 'x')", "SFO")]
    [InlineData("coalesce(n)", -7L)]
    [InlineData("if(n < 0, 'neg', 'pos')", "neg")]
    [InlineData("if(empty, 'yes', 'no')", "no")]
    [InlineData("if(true, 1 / 0, 2)", null)]
    [InlineData("if(false, 1 / 0, 2)", 2L)]
    [InlineData("isNull(empty)", true)]
    [InlineData("isNull(missing)", true)]
    [InlineData("isNull(code)", false)]
    [InlineData("isnull(code) == false", true)]
    public void Evaluate_ConditionalFunctions_Choose(string source, object? expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("year(date)", 2001L)]
    [InlineData("month(date)", 1L)]
    [InlineData("day(date)", 2L)]
    [InlineData("year(iso)", 2003L)]
    [InlineData("month(iso)", 4L)]
    [InlineData("day(iso)", 5L)]
    [InlineData("day('2003-04-05')", 5L)]
    [InlineData("day('2003-04-05T23:30:00-05:00')", 5L)]
    public void Evaluate_DateParts_ParseDates(string source, long expected) =>
        Assert.Equal(expected, Eval(source));
}

using Flow.Expressions;

namespace Flow.Tests.Expressions;

public class CompiledExpressionTests
{
    private static Record Flight() => new()
    {
        ["date"] = "2001/01/01 00:47",
        ["delay"] = 66L,
        ["distance"] = 1750L,
        ["origin"] = "DTW",
        ["destination"] = "LAS",
        ["ratio"] = 2.5,
        ["note"] = null,
        ["Field Name"] = "spaced",
        ["text"] = "  Hello World  ",
        ["numeric"] = "42",
        ["tags"] = new List<object?> { "a", "b", 3L },
        ["plane"] = new Record { ["model"] = "A320", ["seats"] = 180L, ["engine"] = new Record { ["count"] = 2L } },
    };

    private static object? Eval(string source, Record? record = null) =>
        CompiledExpression.Compile(source).Evaluate(record ?? Flight());

    [Theory]
    [InlineData("1 + 2", 3L)]
    [InlineData("7 - 10", -3L)]
    [InlineData("6 * 7", 42L)]
    [InlineData("7 / 2", 3.5)]
    [InlineData("6 / 3", 2.0)]
    [InlineData("7 % 3", 1L)]
    [InlineData("7.5 % 2", 1.5)]
    [InlineData("1 + 0.5", 1.5)]
    [InlineData("-delay", -66L)]
    [InlineData("--3", 3L)]
    [InlineData("delay * 2 + distance", 1882L)]
    [InlineData("ratio * 2", 5.0)]
    [InlineData("1.5e2", 150.0)]
    [InlineData("numeric * 2", 84L)]
    public void Evaluate_Arithmetic_GivesNumber(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("1 + 2 * 3", 7L)]
    [InlineData("(1 + 2) * 3", 9L)]
    [InlineData("10 - 4 - 3", 3L)]
    [InlineData("2 * 3 % 4", 2L)]
    [InlineData("-2 * 3", -6L)]
    [InlineData("1 + 2 > 2 && 3 < 4", true)]
    [InlineData("true || false && false", true)]
    [InlineData("!true || true", true)]
    [InlineData("not 1 == 2", true)]
    [InlineData("not false and false", false)]
    [InlineData("false ? 1 : true ? 2 : 3", 2L)]
    [InlineData("note ?? 'x' + 'y'", "xy")]
    public void Evaluate_Precedence_FollowsUsualRules(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Fact]
    public void Evaluate_LongOverflow_FallsBackToDouble()
    {
        Assert.Equal(9223372036854775807.0 + 1, Eval("9223372036854775807 + 1"));
        Assert.Equal(-9223372036854775808.0 - 1, Eval("-9223372036854775807 - 2"));
        Assert.Equal(9223372036854775807.0 * 2, Eval("9223372036854775807 * 2"));
        Assert.Equal(9223372036854775808.0, Eval("9223372036854775808"));
    }

    [Theory]
    [InlineData("1 / 0")]
    [InlineData("1.5 / 0.0")]
    [InlineData("5 % 0")]
    [InlineData("delay + note")]
    [InlineData("missing * 2")]
    [InlineData("-missing")]
    [InlineData("'abc' * 2")]
    [InlineData("true + 1")]
    [InlineData("origin + missing")]
    public void Evaluate_ArithmeticWithNullOrZeroDivisor_IsNull(string source) =>
        Assert.Null(Eval(source));

    [Theory]
    [InlineData("origin + '-' + destination", "DTW-LAS")]
    [InlineData("'delay: ' + delay", "delay: 66")]
    [InlineData("ratio + 'x'", "2.5x")]
    [InlineData("'it\\'s' + \"\\\"q\\\"\"", "it's\"q\"")]
    [InlineData("'a\\tb\\n\\u0041\\\\'", "a\tb\nA\\")]
    [InlineData("true + 'x'", "truex")]
    public void Evaluate_PlusWithString_Concatenates(string source, string expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("delay > 15", true)]
    [InlineData("delay >= 66", true)]
    [InlineData("delay < 66", false)]
    [InlineData("delay <= 66.0", true)]
    [InlineData("delay == 66.0", true)]
    [InlineData("ratio > 2", true)]
    [InlineData("origin == 'DTW'", true)]
    [InlineData("origin != 'DTW'", false)]
    [InlineData("origin < 'LAS'", true)]
    [InlineData("'a' < 'B'", false)]
    [InlineData("numeric == 42", true)]
    [InlineData("numeric > 41.5", true)]
    [InlineData("'4.2e1' == 42", true)]
    [InlineData("origin == 1", false)]
    [InlineData("origin != 1", false)]
    [InlineData("origin > 1", false)]
    [InlineData("'42' == '42.0'", false)]
    [InlineData("true == true", true)]
    [InlineData("true == 1", false)]
    public void Evaluate_Comparison_ComparesByKind(string source, bool expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("note > 1")]
    [InlineData("note < 1")]
    [InlineData("note == 1")]
    [InlineData("note != 1")]
    [InlineData("missing == origin")]
    [InlineData("missing != origin")]
    [InlineData("missing == missing")]
    [InlineData("1 >= missing")]
    [InlineData("delay + note > 0")]
    public void Evaluate_NullComparison_IsFalse(string source) =>
        Assert.Equal(false, Eval(source));

    [Theory]
    [InlineData("note == null", true)]
    [InlineData("missing == null", true)]
    [InlineData("null == missing", true)]
    [InlineData("origin == null", false)]
    [InlineData("note != null", false)]
    [InlineData("origin != null", true)]
    [InlineData("null == null", true)]
    [InlineData("(delay > 1) == null", false)]
    public void Evaluate_ComparisonWithNullLiteral_TestsNullness(string source, bool expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("note && true", false)]
    [InlineData("note || true", true)]
    [InlineData("!note", true)]
    [InlineData("not missing", true)]
    [InlineData("note ? 1 : 2", 2L)]
    [InlineData("'yes' ? 1 : 2", 2L)]
    [InlineData("delay > 1 and origin == 'DTW'", true)]
    [InlineData("delay > 100 or origin == 'DTW'", true)]
    public void Evaluate_Logic_TreatsNullAsFalse(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Fact]
    public void Evaluate_AndOr_ShortCircuit()
    {
        var record = new Record { ["x"] = null };
        Assert.Equal(false, Eval("x != null && x.y > 1", record));
        Assert.Equal(true, Eval("x == null || x.y > 1", record));
        record["x"] = new Record { ["y"] = 2L };
        Assert.Equal(true, Eval("x != null && x.y > 1", record));
    }

    [Fact]
    public void Evaluate_ShortCircuit_SkipsRightSide()
    {
        // Evaluation has no side effects to observe, so these check the value the chosen side gives.
        Assert.Equal("DTW", Eval("origin ?? 1 / 0"));
        Assert.Equal(1L, Eval("true ? 1 : missing.x"));
        Assert.Equal(false, Eval("false && (1 / 0 > 1)"));
    }

    [Theory]
    [InlineData("this[\"Field Name\"]", "spaced")]
    [InlineData("this['origin']", "DTW")]
    [InlineData("this.origin", "DTW")]
    [InlineData("plane.model", "A320")]
    [InlineData("plane.engine.count", 2L)]
    [InlineData("this[\"plane\"][\"seats\"]", 180L)]
    [InlineData("plane['engine'].count + 1", 3L)]
    [InlineData("this['orig' + 'in']", "DTW")]
    [InlineData("tags[1]", "b")]
    [InlineData("tags[2] * 2", 6L)]
    [InlineData("origin[0]", "D")]
    public void Evaluate_FieldAccess_ReadsNestedValues(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("this['No Such Field']")]
    [InlineData("missing.x.y")]
    [InlineData("origin.x")]
    [InlineData("plane.wings")]
    [InlineData("tags[3]")]
    [InlineData("tags[-1]")]
    [InlineData("tags['a']")]
    public void Evaluate_MissingField_IsNull(string source) =>
        Assert.Null(Eval(source));

    [Fact]
    public void Evaluate_This_IsTheRecord()
    {
        var record = Flight();
        Assert.Same(record, CompiledExpression.Compile("this").Evaluate(record));
    }

    [Theory]
    [InlineData("origin in ['SFO', 'LAX', 'DTW']", true)]
    [InlineData("origin in ['SFO', 'LAX']", false)]
    [InlineData("origin not in ['SFO', 'LAX']", true)]
    [InlineData("delay in [1, 66.0]", true)]
    [InlineData("numeric in [42]", true)]
    [InlineData("origin in [destination, 'DTW']", true)]
    [InlineData("origin in []", false)]
    [InlineData("note in [null, 1]", false)]
    [InlineData("'b' in tags", true)]
    [InlineData("'z' in tags", false)]
    [InlineData("1 in origin", false)]
    [InlineData("delay > 1 && origin in ['DTW'] == true", true)]
    public void Evaluate_In_TestsMembership(string source, bool expected) =>
        Assert.Equal(expected, Eval(source));

    [Fact]
    public void Evaluate_ListLiteral_GivesNewList()
    {
        var expression = CompiledExpression.Compile("[1, 'a', null, delay]");
        var first = Assert.IsType<List<object?>>(expression.Evaluate(Flight()));
        Assert.Equal(new object?[] { 1L, "a", null, 66L }, first);
        Assert.NotSame(first, expression.Evaluate(Flight()));
    }

    [Theory]
    [InlineData("delay > 15 ? 'late' : 'on time'", "late")]
    [InlineData("delay > 100 ? 'late' : 'on time'", "on time")]
    [InlineData("delay > 100 ? 1 : delay > 50 ? 2 : 3", 2L)]
    [InlineData("(delay > 1 ? true : false) == true", true)]
    public void Evaluate_Ternary_PicksBranch(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("note ?? missing ?? 'c'", "c")]
    [InlineData("origin ?? 'x'", "DTW")]
    [InlineData("note ?? 0", 0L)]
    public void Evaluate_Coalesce_TakesFirstNonNull(string source, object expected) =>
        Assert.Equal(expected, Eval(source));

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("null", null)]
    [InlineData("12", 12L)]
    [InlineData("1.25", 1.25)]
    [InlineData("\"dq\"", "dq")]
    [InlineData("''", "")]
    public void Evaluate_Literal_GivesValue(string source, object? expected) =>
        Assert.Equal(expected, Eval(source));

    [Fact]
    public void Evaluate_BooleanResult_IsBool()
    {
        Assert.IsType<bool>(Eval("delay > 1"));
        Assert.IsType<bool>(Eval("contains(origin, 'T')"));
        Assert.IsType<bool>(Eval("isNull(note)"));
    }

    [Fact]
    public void IsTrue_OnlyBooleanTrue()
    {
        var record = Flight();
        Assert.True(CompiledExpression.Compile("delay > 15").IsTrue(record));
        Assert.False(CompiledExpression.Compile("delay > 100").IsTrue(record));
        Assert.False(CompiledExpression.Compile("note").IsTrue(record));
        Assert.False(CompiledExpression.Compile("1").IsTrue(record));
        Assert.False(CompiledExpression.Compile("'true'").IsTrue(record));
    }

    [Fact]
    public void Compile_KeepsSource()
    {
        Assert.Equal("delay > 15", CompiledExpression.Compile("delay > 15").Source);
    }

    [Fact]
    public void IsTrue_DelayOverFlights_MatchesDirectCheck()
    {
        var origins = new[] { "SFO", "LAX", "DTW", "LAS" };
        var flights = Enumerable.Range(0, 2_000).Select(i => new Record
        {
            ["date"] = $"2001/01/{1 + (i % 28):00} 00:47",
            ["delay"] = i % 7 == 0 ? null : (object)((long)(i * 37 % 120) - 30),
            ["distance"] = (long)(i * 13 % 2500),
            ["origin"] = origins[i % origins.Length],
            ["destination"] = "LAS",
        }).ToList();
        flights.Add(new Record { ["origin"] = "SFO" });
        flights.Add(new Record { ["delay"] = "16", ["origin"] = "SFO" });
        flights.Add(new Record { ["delay"] = 15.5, ["origin"] = "SFO" });

        var late = CompiledExpression.Compile("delay > 15");
        var lateFromSfo = CompiledExpression.Compile("delay > 15 && origin == 'SFO'");

        static bool IsLate(Record r) => r["delay"] switch
        {
            long l => l > 15,
            double d => d > 15,
            string s => long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) > 15,
            _ => false,
        };

        Assert.Equal(flights.Count(IsLate), flights.Count(late.IsTrue));
        Assert.Equal(flights.Count(r => IsLate(r) && (string?)r["origin"] == "SFO"), flights.Count(lateFromSfo.IsTrue));
        Assert.True(flights.Count(lateFromSfo.IsTrue) > 0);
    }

    [Fact]
    public void Evaluate_ConcurrentCalls_AreIndependent()
    {
        var expression = CompiledExpression.Compile("delay * 2");
        var results = Enumerable.Range(0, 1000).AsParallel()
            .Select(i => expression.Evaluate(new Record { ["delay"] = (long)i }))
            .ToList();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * 2L), results.Cast<long>().Order());
    }
}

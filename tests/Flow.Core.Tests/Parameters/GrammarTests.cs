using Flow.Parameters;

namespace Flow.Core.Tests.Parameters;

/// <summary>One grammar each for durations, sizes and whole numbers, used by every setting.</summary>
public sealed class GrammarTests
{
    [Theory]
    [InlineData("00:00:00.001", 10_000L)]
    [InlineData("7.00:00:00", 6_048_000_000_000L)]
    [InlineData("7d", 6_048_000_000_000L)]
    [InlineData("250us", 2_500L)]
    [InlineData("1.5s", 15_000_000L)]
    [InlineData(" 2m ", 1_200_000_000L)]
    [InlineData("1h", 36_000_000_000L)]
    [InlineData("0ms", 0L)]
    public void Duration_ValidText_ParsesToItsTicks(string text, long ticks)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(ticks, value.Ticks);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1ms")]
    [InlineData("1e3ms")]
    [InlineData("ms")]
    [InlineData("5 parsecs")]
    [InlineData("-00:00:01")]
    [InlineData("")]
    [InlineData("99999999999d")]
    public void Duration_BadText_IsRejected(string text) => Assert.False(Duration.TryParse(text, out _));

    [Theory]
    [InlineData("2GB", 2L << 30)]
    [InlineData("500MB", 500L << 20)]
    [InlineData("1.5 GB", 3L << 29)]
    [InlineData("64k", 64L << 10)]
    [InlineData("1048576", 1L << 20)]
    public void ByteSize_ValidText_ParsesToBytes(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var value));
        Assert.Equal(bytes, value);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5MB")]
    [InlineData("lots")]
    [InlineData("MB")]
    [InlineData("99999999TB")]
    public void ByteSize_BadText_IsRejected(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Theory]
    [InlineData("42", 42L)]
    [InlineData("-7", -7L)]
    [InlineData("1e6", 1_000_000L)]
    [InlineData("1000.0", 1000L)]
    [InlineData("2.5e1", 25L)]
    public void WholeNumber_WholeValues_Parse(string text, long expected)
    {
        Assert.Equal(WholeNumber.Result.Ok, WholeNumber.TryParse(text, long.MinValue, long.MaxValue, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("1.5", "NotWhole")]
    [InlineData("abc", "NotWhole")]
    [InlineData("NaN", "NotWhole")]
    [InlineData("1e12", "OutOfRange")]
    [InlineData("99999999999999999999", "OutOfRange")]
    [InlineData("1e400", "OutOfRange")]
    [InlineData("0", "OutOfRange")]
    public void WholeNumber_OtherValues_SayWhyNot(string text, string expected) =>
        Assert.Equal(expected, WholeNumber.TryParse(text, 1, 1_000_000, out _).ToString());

    [Theory]
    [InlineData("Wher", "Where")]
    [InlineData("Delimeter", "Delimiter")]
    [InlineData("enabld", "Enabled")]
    [InlineData("Stor", "Store")]
    public void Suggestions_Typos_FindTheMeantName(string typo, string meant) =>
        Assert.Equal(meant, Suggestions.Nearest(typo, ["Where", "Delimiter", "Enabled", "Store", "Path"]));

    [Fact]
    public void Suggestions_UnrelatedName_SuggestsNothing() =>
        Assert.Null(Suggestions.Nearest("Frobnicate", ["Where", "Path"]));
}

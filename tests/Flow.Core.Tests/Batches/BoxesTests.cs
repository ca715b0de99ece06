using Flow.Batches;

namespace Flow.Core.Tests.Batches;

public sealed class BoxesTests
{
    [Theory]
    [InlineData(-128L)]
    [InlineData(0L)]
    [InlineData(1023L)]
    public void Of_SmallLong_IsOneSharedBoxOfThatValue(long value)
    {
        Assert.Same(Boxes.Of(value), Boxes.Of(value));
        Assert.Equal(value, Assert.IsType<long>(Boxes.Of(value)));
    }

    [Theory]
    [InlineData(-129L)]
    [InlineData(1024L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Of_OtherLong_IsANewBoxOfThatValue(long value)
    {
        Assert.NotSame(Boxes.Of(value), Boxes.Of(value));
        Assert.Equal(value, Assert.IsType<long>(Boxes.Of(value)));
    }

    [Fact]
    public void Of_Bool_IsTheSharedBoxOfThatValue()
    {
        Assert.Same(Boxes.True, Boxes.Of(true));
        Assert.Same(Boxes.False, Boxes.Of(false));
        Assert.Equal(true, Boxes.True);
        Assert.Equal(false, Boxes.False);
    }
}

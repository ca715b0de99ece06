using Flow.Serialization;

namespace Flow.Core.Tests.Serialization;

public sealed class BufferSizeHintTests
{
    [Fact]
    public void Rent_BeforeAnyUse_IsAtLeastTheMinimum()
    {
        var hint = new BufferSizeHint(16 * 1024);

        Assert.InRange(hint.Rent().Length, 16 * 1024, int.MaxValue);
    }

    [Fact]
    public void Rent_AfterALargerUse_HasRoomForItAndAnEighthMore()
    {
        var hint = new BufferSizeHint(16 * 1024);

        hint.Used(100_000);

        Assert.InRange(hint.Rent().Length, 112_500, int.MaxValue);
    }

    [Fact]
    public void Rent_AfterAHugeUse_IsCappedAt4MB()
    {
        var hint = new BufferSizeHint(16 * 1024);

        hint.Used(int.MaxValue);

        Assert.InRange(hint.Rent().Length, 4 << 20, 4 << 20);
    }

    [Fact]
    public void Rent_AfterASmallerUse_FallsBackToTheMinimum()
    {
        var hint = new BufferSizeHint(64 * 1024);
        hint.Used(1_000_000);

        hint.Used(10);

        Assert.InRange(hint.Rent().Length, 64 * 1024, 128 * 1024 - 1);
    }
}

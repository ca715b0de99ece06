using System.Diagnostics;
using Flow.Caching;

namespace Flow.Tests.Caching;

/// <summary>
/// A lease names its holder, so that a worker can tell a holder of its own machine that is gone from a
/// live one; every holder it cannot judge for sure counts as live.
/// </summary>
public sealed class LeaseHolderTests
{
    [Fact]
    public void Current_NamesThisProcess_WhichIsNotGone()
    {
        Assert.EndsWith($"/{Environment.ProcessId}/{TestLeaseHolders.StartOf(Environment.ProcessId)}", LeaseHolder.Current);
        Assert.False(LeaseHolder.IsGone(LeaseHolder.Current));
    }

    [Fact]
    public void IsGone_AProcessIdNoProcessHas_IsGone() => Assert.True(LeaseHolder.IsGone(TestLeaseHolders.Gone()));

    [Fact]
    public void IsGone_ThisProcessIdWithAnotherStart_IsGone() =>
        // An earlier process that had this id (a restarted container's pid 1).
        Assert.True(LeaseHolder.IsGone(TestLeaseHolders.Of(Environment.ProcessId, TestLeaseHolders.StartOf(Environment.ProcessId) - 1)));

    [Fact]
    public void IsGone_ALiveProcess_IsNotGone_UntilItExits()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        var holder = TestLeaseHolders.Of(child.Id, TestLeaseHolders.StartOf(child.Id));
        try
        {
            Assert.False(LeaseHolder.IsGone(holder));
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }

        Assert.True(LeaseHolder.IsGone(holder));
    }

    [Theory]
    [InlineData(0)] // another machine
    [InlineData(1)] // another boot of this machine
    [InlineData(2)] // another process-id namespace (another container)
    public void IsGone_AHolderElsewhere_IsNeverJudged(int part)
    {
        var parts = TestLeaseHolders.Gone().Split('/');
        parts[part] = "elsewhere";

        Assert.False(LeaseHolder.IsGone(string.Join('/', parts)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("a/b/c/d")]
    [InlineData("a/b/c/d/e/f")]
    public void IsGone_NotAHolder_IsNotGone(string holder) => Assert.False(LeaseHolder.IsGone(holder));

    [Fact]
    public void IsGone_AHolderWithAnUnreadableIdOrStart_IsNotGone()
    {
        var parts = TestLeaseHolders.Gone().Split('/');

        Assert.False(LeaseHolder.IsGone(string.Join('/', parts[0], parts[1], parts[2], "-1", parts[4])));
        Assert.False(LeaseHolder.IsGone(string.Join('/', parts[0], parts[1], parts[2], parts[3], "-")));
    }
}

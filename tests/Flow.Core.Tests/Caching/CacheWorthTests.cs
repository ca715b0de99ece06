using Flow.Caching;
using Flow.Pipelines;

namespace Flow.Core.Tests.Caching;

public sealed class CacheWorthTests
{
    private static readonly NodeDefinition Step = new() { Kind = NodeKind.Step, Name = "late", Type = "Filter", ConfigPath = "Flow:Pipelines:p:Steps:0" };

    [Theory]
    [InlineData(0.05, 0.4, true)]    // cheaper to compute: uncached
    [InlineData(0.4, 0.4, false)]    // as dear: cached
    [InlineData(12.0, 0.4, false)]   // dearer: cached
    [InlineData(0.05, 0.0, false)]   // replay never measured: cached
    [InlineData(0.0, 0.4, false)]    // compute never measured: cached
    public void NotWorthIt_ComparesTheLastRunsComputeAndReplayTimes(double computeMs, double replayMs, bool uncached)
    {
        var last = new PipelineSignatures.StepRecord("h", "{}", TimeSpan.FromMilliseconds(computeMs), TimeSpan.FromMilliseconds(replayMs));

        var reason = CacheWorth.NotWorthIt(Step, last);

        Assert.Equal(uncached, reason is not null);
        if (uncached)
        {
            Assert.Equal("not worth caching: in the last run a batch took 0.05 ms to compute and 0.4 ms to replay from the cache, so it computes (UseCache: true caches it anyway)", reason);
        }
    }

    [Fact]
    public void NotWorthIt_NoRecord_ForcedOrUseCacheFalse_LeavesTheStepAsConfigured()
    {
        var cheap = new PipelineSignatures.StepRecord("h", "{}", TimeSpan.FromMilliseconds(0.01), TimeSpan.FromMilliseconds(5));

        Assert.Null(CacheWorth.NotWorthIt(Step, null));
        Assert.Null(CacheWorth.NotWorthIt(Step with { CacheForced = true }, cheap));
        Assert.Null(CacheWorth.NotWorthIt(Step with { UseCache = false }, cheap));
    }

    [Fact]
    public void Signatures_KeepTheReplayTime_AndADocumentWithoutItReadsAsUnknown()
    {
        var steps = new Dictionary<string, PipelineSignatures.StepRecord>(StringComparer.Ordinal)
        {
            ["late"] = new("h", """{"type":"Filter"}""", TimeSpan.FromMilliseconds(0.25), TimeSpan.FromMilliseconds(1.5)),
        };
        var back = PipelineSignatures.TryRead(new PipelineSignatures("p", DateTimeOffset.UnixEpoch, steps).ToBytes())!;
        Assert.Equal(TimeSpan.FromMilliseconds(1.5), back.Steps["late"].AverageReplayTime);
        Assert.Equal(TimeSpan.FromMilliseconds(0.25), back.Steps["late"].AverageBatchTime);

        var older = """{"version":1,"pipeline":"p","savedAt":"2026-11-01T00:00:00.0000000+00:00","steps":{"late":{"hash":"h","signature":{},"averageBatchMs":0.25}}}""";
        Assert.Equal(TimeSpan.Zero, PipelineSignatures.TryRead(System.Text.Encoding.UTF8.GetBytes(older))!.Steps["late"].AverageReplayTime);
    }
}

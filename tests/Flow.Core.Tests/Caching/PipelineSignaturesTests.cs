using System.Text;
using Flow.Caching;

namespace Flow.Tests.Caching;

public sealed class PipelineSignaturesTests
{
    [Theory]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[1, 2]")]
    [InlineData("{\"version\": \"1\"}")]
    [InlineData("{\"version\": 1, \"steps\": [], \"pipeline\": \"p\", \"savedAt\": \"2024-01-01T00:00:00Z\"}")]
    [InlineData("{\"version\": 1, \"steps\": {\"a\": {\"hash\": 5, \"signature\": {}}}, \"pipeline\": \"p\", \"savedAt\": \"2024-01-01T00:00:00Z\"}")]
    [InlineData("{\"version\": 1, \"steps\": {}, \"steps\": {}, \"pipeline\": \"p\", \"savedAt\": \"2024-01-01T00:00:00Z\"}")]
    [InlineData("{\"version\": 1, \"steps\": {}, \"pipeline\": \"p\", \"savedAt\": \"yesterday\"}")]
    [InlineData("{\"version\": 1, \"steps\": {\"a\": {\"hash\": \"x\", \"signature\": \"s\"}}, \"pipeline\": \"p\", \"savedAt\": \"2024-01-01T00:00:00Z\"}")]
    public void TryRead_DocumentThatIsNotARunRecord_ReturnsNullWithAProblem(string text)
    {
        var last = PipelineSignatures.TryRead(Encoding.UTF8.GetBytes(text), out var problem);

        Assert.Null(last);
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void TryRead_AverageOutOfRange_ReadsTheRecordWithNoAverage()
    {
        var text = "{\"version\": 1, \"steps\": {\"a\": {\"hash\": \"x\", \"signature\": {}, \"averageBatchMs\": 1e300}}, \"pipeline\": \"p\", \"savedAt\": \"2024-01-01T00:00:00Z\"}";

        var last = PipelineSignatures.TryRead(Encoding.UTF8.GetBytes(text), out var problem);

        Assert.Null(problem);
        Assert.Equal(TimeSpan.Zero, last!.Steps["a"].AverageBatchTime);
    }

    [Fact]
    public void TryRead_Missing_ReturnsNullWithoutAProblem()
    {
        Assert.Null(PipelineSignatures.TryRead(null, out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void TryRead_WhatToBytesWrote_ReadsItBack()
    {
        var saved = new PipelineSignatures("p", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new Dictionary<string, PipelineSignatures.StepRecord> { ["a"] = new("ab12", "{\"type\":\"Filter\"}", TimeSpan.FromMilliseconds(3)) });

        var read = PipelineSignatures.TryRead(saved.ToBytes(), out var problem);

        Assert.Null(problem);
        Assert.Equal("ab12", read!.Steps["a"].Hash);
        Assert.Equal(TimeSpan.FromMilliseconds(3), read.Steps["a"].AverageBatchTime);
    }
}

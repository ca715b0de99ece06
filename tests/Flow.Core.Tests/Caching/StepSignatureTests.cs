using Flow.Caching;
using Flow.Pipelines;

namespace Flow.Core.Tests.Caching;

public sealed class StepSignatureTests : IDisposable
{
    private readonly PipelineHarness _harness = new();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Signature_OfLookup_ChangesWhenItsFileChanges_AndExplainSaysSo()
    {
        var table = _temp.File("codes.csv");
        await File.WriteAllTextAsync(table, "code,name\nDTW,Detroit\n");
        var before = await PlanAsync(table);

        await File.WriteAllTextAsync(table, "code,name\nDTW,Motor City\n");
        var after = await PlanAsync(table);
        var unchanged = await PlanAsync(table);

        Assert.NotEqual(Signature(before).Hash, Signature(after).Hash);
        Assert.Equal(Signature(after).Hash, Signature(unchanged).Hash);

        var last = new PipelineSignatures("p", DateTimeOffset.UnixEpoch, new Dictionary<string, PipelineSignatures.StepRecord>
        {
            ["join"] = new(Signature(before).Hash, Signature(before).Json, TimeSpan.Zero),
        });
        var explained = string.Join("\n", SignatureExplainer.Explain(after, last));
        Assert.Contains("join: signature changed: contents of Params:File changed", explained);
    }

    private Task<PipelinePlan> PlanAsync(string table) => _harness.PlanAsync($$"""
        {
          "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
          "Steps": [ { "Name": "join", "Type": "Lookup", "Params": { "File": {{TestData.Quote(table)}}, "Key": "origin", "On": "code" } } ],
          "Sinks": [ { "Name": "out", "Type": "Collect" } ]
        }
        """);

    private static StepSignature Signature(PipelinePlan plan) => StepSignature.For(plan.Validated["join"]);
}

using System.Text.Json.Nodes;
using Flow.Caching;
using static Flow.Hosting.Tests.Caching.CacheHarness;

namespace Flow.Hosting.Tests.Caching;

/// <summary>Signature properties that need no store.</summary>
public sealed class StepSignatureTests
{
    private readonly CacheHarness _harness = new();

    [Fact]
    public async Task Signature_OfStringParametersThatOnlyLookNumeric_DiffersWhenTheTextDiffers()
    {
        var one = Pipeline("p", Step("rename", "Rename", JsonNode.Parse("""{ "Map": { "delay": "1" } }""")));
        var onePointZero = Pipeline("p", Step("rename", "Rename", JsonNode.Parse("""{ "Map": { "delay": "1.0" } }""")));

        // The outputs differ (a field named "1" against one named "1.0"), so the signatures must too.
        Assert.NotEqual((await RunWithoutCacheAsync(one)).Output, (await RunWithoutCacheAsync(onePointZero)).Output);
        Assert.NotEqual(SignatureOf(one), SignatureOf(onePointZero));
    }

    private string SignatureOf(Pipelines.PipelineDefinition definition) =>
        StepSignature.For(_harness.PlanAsync(definition).GetAwaiter().GetResult().Validated["rename"]).Hash;
}

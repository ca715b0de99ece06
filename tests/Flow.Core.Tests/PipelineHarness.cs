using System.Text;
using Flow.Execution;
using Flow.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Core.Tests;

/// <summary>
/// Plans and runs one pipeline in-process, from the JSON a user would write under
/// <c>Flow:Pipelines:NAME</c>. Sinks of type <c>Collect</c> keep their batches in memory.
/// Relative paths resolve against the repository root, so <c>samples/data/...</c> works as in appsettings.json.
/// </summary>
internal sealed class PipelineHarness
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, CollectSink> _collected = new(StringComparer.Ordinal);

    public PipelineHarness()
    {
        Registry = BuiltInNodes.CreateRegistry();
        Registry.Register(NodeKind.Sink, "Collect", context =>
        {
            var sink = new CollectSink();
            lock (_collected)
            {
                _collected[context.NodeName] = sink;
            }

            return sink;
        });
    }

    /// <summary>The node types; tests register their own steps here.</summary>
    public NodeTypeRegistry Registry { get; }

    /// <summary>The Collect sink named <paramref name="sink"/> of the last plan.</summary>
    public CollectSink Collected(string sink = "out")
    {
        lock (_collected)
        {
            return _collected[sink];
        }
    }

    /// <summary>Reads one pipeline definition from its JSON, through Microsoft.Extensions.Configuration.</summary>
    public static PipelineDefinition Read(string pipelineJson, string name = "p")
    {
        var json = $$"""{ "Flow": { "Pipelines": { "{{name}}": {{pipelineJson}} } } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return Assert.Single(PipelineConfigurationReader.Read(configuration));
    }

    public Task<PipelinePlan> PlanAsync(string pipelineJson, string name = "p") =>
        new PipelinePlanner(Registry, EmptyServices.Instance, baseDirectory: TestData.RepoRoot).PlanAsync(Read(pipelineJson, name)).WaitAsync(RunTimeout);

    /// <summary>
    /// Tries to run the pipeline and returns the configuration errors that stopped it before
    /// anything ran (fails the test when there are none).
    /// </summary>
    public async Task<IReadOnlyList<ConfigurationError>> ConfigurationErrorsAsync(string pipelineJson, string name = "p")
    {
        var exception = await Assert.ThrowsAsync<FlowConfigurationException>(() => PlanAsync(pipelineJson, name));
        return exception.Errors;
    }

    /// <summary>A pipeline reading the 20,000 flights through <paramref name="stepsJson"/> (a JSON list) into a Collect sink named out.</summary>
    public static string OverFlights(string stepsJson, int batchSize = 500) => $$"""
        {
          "BatchSize": {{batchSize}},
          "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } } ],
          "Steps": {{stepsJson}},
          "Sinks": [ { "Name": "out", "Type": "Collect" } ]
        }
        """;

    public async Task<PipelineResult> RunAsync(string pipelineJson, CancellationToken stop = default) =>
        await RunAsync(await PlanAsync(pipelineJson), stop);

    public static Task<PipelineResult> RunAsync(PipelinePlan plan, CancellationToken stop = default) =>
        new PipelineRunner(NullLogger.Instance).RunAsync(plan, stop).WaitAsync(RunTimeout);
}

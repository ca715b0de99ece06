using System.Text.Json;
using Flow.Execution;
using Flow.Pipelines;

namespace Flow.Worker.Status;

/// <summary>
/// What <c>/api/status</c> answers and <c>/readyz</c> decides, from the live runs: per pipeline its
/// status and nodes, in the plan's order (the order <c>flow graph</c> draws), each with its inputs,
/// its layer (longest path from a source: the page's column) and its counts so far.
/// </summary>
internal static class StatusModel
{
    /// <summary>Null when ready; else why not, in one line.</summary>
    public static string? Readiness(LiveRuns live)
    {
        var runs = live.Runs;
        if (runs.Count == 0)
        {
            return "not ready: no pipeline is running yet";
        }

        if (runs.FirstOrDefault(r => r.Status is not null) is { } ended)
        {
            return $"not ready: pipeline '{ended.Plan.Name}' ended ({ended.Status.ToString()!.ToLowerInvariant()})";
        }

        if (runs.FirstOrDefault(r => r.RequiredStoreUnavailable()) is { } cut)
        {
            return $"not ready: pipeline '{cut.Plan.Name}' requires its cache store (Flow:Cache:Required), which is unavailable";
        }

        return live.IsReady ? null : "not ready";
    }

    public static byte[] Json(LiveRuns live)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteBoolean("ready", Readiness(live) is null);
            json.WriteStartArray("pipelines");
            foreach (var run in live.Runs)
            {
                Write(json, run);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter json, LiveRun run)
    {
        var layers = Layers(run.Plan);
        var stats = run.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        json.WriteStartObject();
        json.WriteString("name", run.Plan.Name);
        json.WriteString("status", run.Status is { } status ? status.ToString().ToLowerInvariant() : "running");
        json.WriteNumber("elapsedMs", (long)run.Elapsed.TotalMilliseconds);
        json.WriteStartArray("nodes");
        foreach (var node in run.Plan.Nodes)
        {
            var s = stats[node.Name];
            json.WriteStartObject();
            json.WriteString("name", node.Name);
            Hosting.Running.RunSummary.WriteCounts(json, s);
            json.WriteNumber("layer", layers[node.Name]);
            json.WriteStartArray("inputs");
            foreach (var input in node.Inputs)
            {
                json.WriteStringValue(input.Name);
            }

            json.WriteEndArray();
            json.WriteStartArray("errorsFrom");
            foreach (var producer in node.ErrorProducers)
            {
                json.WriteStringValue(producer.Name);
            }

            json.WriteEndArray();
            json.WriteNumber("cacheErrors", s.CacheErrors);
            json.WriteNumber("failedBatches", s.FailedBatches);
            json.WriteNumber("inFlight", s.InFlight);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Each node's column: 0 for a source, else one more than its furthest input (for an error sink, or the node it gets failures from).</summary>
    internal static IReadOnlyDictionary<string, int> Layers(PipelinePlan plan)
    {
        var layers = new Dictionary<string, int>(StringComparer.Ordinal);
        int LayerOf(PlannedNode node)
        {
            if (!layers.TryGetValue(node.Name, out var layer))
            {
                var feeds = node.Inputs.Concat(node.ErrorProducers).ToList();
                layer = feeds.Count == 0 ? 0 : feeds.Max(LayerOf) + 1;
                layers[node.Name] = layer;
            }

            return layer;
        }

        foreach (var node in plan.Nodes)
        {
            LayerOf(node);
        }

        return layers;
    }
}

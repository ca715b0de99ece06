using System.Globalization;
using Flow.Caching;
using Flow.Hosting.Caching;
using Flow.Hosting.Running;
using Flow.Pipelines;
using Flow.Hosting.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flow.Worker;

/// <summary><c>flow cache stats|clear|gc|explain [--pipeline NAME]</c>: look after the step cache of this configuration.</summary>
internal static class CacheCommands
{
    public static async Task<int> RunAsync(IServiceProvider services, string command, TextWriter output, CancellationToken cancellationToken)
    {
        var stores = services.GetRequiredService<CacheStoreProvider>();
        var store = await stores.GetAsync(cancellationToken).ConfigureAwait(false);
        var plans = services.GetRequiredService<FlowPlans>().Get().Plans;
        var selected = !string.IsNullOrEmpty(services.GetRequiredService<IOptions<FlowOptions>>().Value.Run.Pipeline);
        switch (command)
        {
            case "stats":
                var stats = await store.GetStatsAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"store: {store.Description}").ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"entries: {stats.Entries:N0}, {Size(stats.Bytes)}, {stats.Signatures:N0} step signature(s)")).ConfigureAwait(false);
                foreach (var plan in plans)
                {
                    var last = PipelineSignatures.TryRead(await store.GetMetadataAsync(PipelineSignatures.MetadataName(plan.Name), cancellationToken).ConfigureAwait(false));
                    await output.WriteLineAsync(last is null
                        ? $"pipeline {plan.Name}: no run recorded"
                        : $"pipeline {plan.Name}: last run {last.SavedAt:yyyy-MM-dd HH:mm:ss} UTC, {last.Steps.Count} cached step(s)").ConfigureAwait(false);
                }

                return FlowExitCode.Success;

            case "clear":
                if (!selected)
                {
                    var all = await store.ClearAsync(null, cancellationToken).ConfigureAwait(false);
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"cleared {all:N0} entries from {store.Description}")).ConfigureAwait(false);
                    return FlowExitCode.Success;
                }

                var plan1 = plans[0]; // --pipeline NAME selects exactly one plan
                var previous = PipelineSignatures.TryRead(await store.GetMetadataAsync(PipelineSignatures.MetadataName(plan1.Name), cancellationToken).ConfigureAwait(false));
                var signatures = plan1.Nodes.Where(n => n.Kind == NodeKind.Step).Select(n => StepSignature.For(n).Hash)
                    .Concat(previous?.Steps.Values.Select(s => s.Hash) ?? Enumerable.Empty<string>())
                    .ToHashSet(StringComparer.Ordinal);
                var cleared = await store.ClearAsync(signatures, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"cleared {cleared:N0} entries of pipeline {plan1.Name} from {store.Description}")).ConfigureAwait(false);
                return FlowExitCode.Success;

            case "gc":
                var result = await store.CollectGarbageAsync(stores.MaxBytes, cancellationToken).ConfigureAwait(false);
                var bound = stores.MaxBytes is null ? " (no Flow:Cache:MaxSize set: nothing evicted for size)" : string.Empty;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"removed {result.Expired:N0} expired and {result.Evicted:N0} least recently used entries; {result.RemainingEntries:N0} entries, {Size(result.RemainingBytes)} left{bound}")).ConfigureAwait(false);
                return FlowExitCode.Success;

            default: // explain
                foreach (var plan in plans)
                {
                    var last = PipelineSignatures.TryRead(await store.GetMetadataAsync(PipelineSignatures.MetadataName(plan.Name), cancellationToken).ConfigureAwait(false));
                    foreach (var line in SignatureExplainer.Explain(plan, last))
                    {
                        await output.WriteLineAsync(line).ConfigureAwait(false);
                    }
                }

                return FlowExitCode.Success;
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
    };
}

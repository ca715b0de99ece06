using System.Globalization;
using Flow.Caching;
using Flow.Hosting.Running;
using Flow.Pipelines;
using Flow.Hosting.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flow.Hosting.Running;

/// <summary>
/// <c>flow cache stats|clear|gc|explain [--pipeline NAME]</c>: look after the step cache of this
/// configuration. A store that fails (down, credentials refused, a folder that may not be read or
/// written) is one line on stderr that says what is wrong, and exit code 1; the exception and its
/// stack trace go to the log at Debug only.
/// </summary>
internal static partial class CacheCommands
{
    /// <summary>The commands and what each does, in the order help lists them.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> Descriptions =
    [
        ("stats", "Entries, size and step signatures in the store, and the last run of each pipeline."),
        ("clear", "Deletes every entry, or with --pipeline those of one pipeline's steps."),
        ("gc", "Deletes expired entries, then least recently used ones down to Flow:Cache:MaxSize."),
        ("explain", "For each step: unchanged, or which part of its signature changed since the last run."),
    ];

    public static async Task<int> RunAsync(IServiceProvider services, string command, TextWriter output, CancellationToken cancellationToken)
    {
        var stores = services.GetRequiredService<CacheStoreProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Flow.Worker.CacheCommands");
        ICacheStore? store = null;
        if (stores.IsNone)
        {
            await Console.Error.WriteLineAsync($"flow: Flow:Cache:Store is {CacheStoreProvider.None}: this configuration runs without a cache, so there is nothing for 'cache {command}' to look at").ConfigureAwait(false);
            return FlowExitCode.ConfigurationError;
        }

        try
        {
            store = (await stores.GetAsync(cancellationToken).ConfigureAwait(false)).Store;
            return await RunAsync(services, stores, store, command, output, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheStoreException ex)
        {
            LogFailed(logger, ex, command);
            await Console.Error.WriteLineAsync("flow: " + ex.Message).ConfigureAwait(false);
            return FlowExitCode.Failed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A store that throws plain I/O errors (a custom one): still one line.
            LogFailed(logger, ex, command);
            var name = store?.Description ?? stores.Options.Store;
            await Console.Error.WriteLineAsync($"flow: cache store {name} failed: {ex.Message}").ConfigureAwait(false);
            return FlowExitCode.Failed;
        }
    }

    private static async Task<int> RunAsync(IServiceProvider services, CacheStoreProvider stores, ICacheStore store, string command, TextWriter output, CancellationToken cancellationToken)
    {
        var pipeline = services.GetRequiredService<IOptions<FlowOptions>>().Value.Run.Pipeline;
        var plans = (await services.GetRequiredService<FlowCatalog>().PlanAsync(pipeline, cancellationToken).ConfigureAwait(false)).Plans;
        var selected = !string.IsNullOrEmpty(pipeline);
        switch (command)
        {
            case "stats":
                var stats = await store.GetStatsAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"store: {store.Description}").ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"entries: {stats.Entries:N0}, {Size(stats.Bytes)}, {stats.Signatures:N0} step signature(s)")).ConfigureAwait(false);
                foreach (var plan in plans)
                {
                    var (last, problem) = await ReadRunRecordAsync(store, plan.Name, cancellationToken).ConfigureAwait(false);
                    await output.WriteLineAsync(last is not null
                        ? $"pipeline {plan.Name}: last run {last.SavedAt:yyyy-MM-dd HH:mm:ss} UTC, {last.Steps.Count} cached step(s)"
                        : problem is null
                            ? $"pipeline {plan.Name}: no run recorded"
                            : $"pipeline {plan.Name}: the record of its last run is unusable ({problem}); the next run writes it again").ConfigureAwait(false);
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
                var (previous, _) = await ReadRunRecordAsync(store, plan1.Name, cancellationToken).ConfigureAwait(false);
                var signatures = plan1.Nodes.Where(n => n.Kind == NodeKind.Step).Select(n => StepSignature.For(plan1.Validated[n.Name]).Hash)
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
                    var (last, problem) = await ReadRunRecordAsync(store, plan.Name, cancellationToken).ConfigureAwait(false);
                    if (last is null && problem is not null)
                    {
                        await output.WriteLineAsync($"pipeline {plan.Name}: the record of its last run in this cache store is unusable ({problem}); nothing can be compared").ConfigureAwait(false);
                        continue;
                    }

                    foreach (var line in SignatureExplainer.Explain(plan, last))
                    {
                        await output.WriteLineAsync(line).ConfigureAwait(false);
                    }
                }

                return FlowExitCode.Success;
        }
    }

    // The last run's signatures, or why they cannot be read (an unusable or invalid document); a
    // store failure is thrown.
    private static async Task<(PipelineSignatures? Last, string? Problem)> ReadRunRecordAsync(ICacheStore store, string pipeline, CancellationToken cancellationToken)
    {
        byte[]? bytes;
        try
        {
            bytes = await store.GetMetadataAsync(PipelineSignatures.MetadataName(pipeline), cancellationToken).ConfigureAwait(false);
        }
        catch (CacheEntryUnusableException ex)
        {
            return (null, ex.Reason);
        }

        var last = PipelineSignatures.TryRead(bytes, out var problem);
        return (last, problem);
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
    };

    [LoggerMessage(EventId = 300, Level = LogLevel.Debug, Message = "flow cache {Command} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string command);
}

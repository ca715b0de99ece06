using Microsoft.Extensions.Logging;

namespace Flow.Caching;

internal static partial class CacheLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "{Pipeline}/{Step} batch {BatchIndex}: hit {Key}")]
    public static partial void Hit(ILogger logger, string pipeline, string step, long batchIndex, string key);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "{Pipeline}/{Step} batch {BatchIndex}: miss {Key}")]
    public static partial void Miss(ILogger logger, string pipeline, string step, long batchIndex, string key);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "{Pipeline}/{Step} batch {BatchIndex}: cache entry {Key} is unusable ({Reason}); computing it again")]
    public static partial void BadEntry(ILogger logger, string pipeline, string step, long batchIndex, string key, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "{Calls} {Store} fail ({Reason}); batches run without the cache while it fails. Further failures are counted, not logged")]
    public static partial void StoreFailed(ILogger logger, string calls, string store, string reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Cache store {Store} answers again after {Failures} failed call(s); caching resumes")]
    public static partial void StoreRecovered(ILogger logger, string store, long failures);

    [LoggerMessage(EventId = 205, Level = LogLevel.Debug, Message = "{Pipeline}/{Step} batch {BatchIndex}: entry {Key} is older than the step's CacheTtl; computing it again")]
    public static partial void Stale(ILogger logger, string pipeline, string step, long batchIndex, string key);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "{Pipeline}/{Step} batch {BatchIndex} cannot be cached ({Reason}); it runs without the cache")]
    public static partial void Uncacheable(ILogger logger, string pipeline, string step, long batchIndex, string reason);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "Pipeline {Pipeline}: {Failures} cache store call(s) to {Store} failed in this run ({Kinds}); the output is complete, those batches ran without the cache")]
    public static partial void StoreFailures(ILogger logger, string pipeline, string store, long failures, string kinds);

    [LoggerMessage(EventId = 208, Level = LogLevel.Information, Message = "Pipeline {Pipeline}: {Failures} cache store call(s) to {Store} failed in this run ({Kinds})")]
    public static partial void StoreFailuresInUnfinishedRun(ILogger logger, string pipeline, string store, long failures, string kinds);

    [LoggerMessage(EventId = 209, Level = LogLevel.Debug, Message = "Cache store {Store} call failed")]
    public static partial void StoreFailureDetail(ILogger logger, string store, Exception exception);

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: the record of its last run in cache store {Store} is unusable ({Reason}); it is written again after this run")]
    public static partial void BadRunRecord(ILogger logger, string pipeline, string store, string reason);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Cache store {Store}: skipped {Skipped} files under {Folder} that are not cache entries; they were left alone")]
    public static partial void SkippedFiles(ILogger logger, string store, long skipped, string folder);

    [LoggerMessage(EventId = 212, Level = LogLevel.Debug, Message = "Details of the cache store failure")]
    public static partial void FailureDetail(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "Cache store {Store} {Reason}; Flow runs without the cache and tries the store again every {ProbeSeconds} s")]
    public static partial void StoreCutOff(ILogger logger, string store, string reason, long probeSeconds);

    [LoggerMessage(EventId = 214, Level = LogLevel.Information, Message = "Cache store {Store} answers again (probe {Attempts}); caching resumes. {Skipped} call(s) ran without the cache meanwhile")]
    public static partial void StoreBack(ILogger logger, string store, long attempts, long skipped);

    [LoggerMessage(EventId = 215, Level = LogLevel.Debug, Message = "{Pipeline}/{Step} batch {BatchIndex}: another worker holds the lease of {Key}; waiting for its result")]
    public static partial void Waiting(ILogger logger, string pipeline, string step, long batchIndex, string key);

    [LoggerMessage(EventId = 216, Level = LogLevel.Debug, Message = "{Pipeline}/{Step} batch {BatchIndex}: replayed {Key}, which another worker computed")]
    public static partial void WaitedFor(ILogger logger, string pipeline, string step, long batchIndex, string key);

    [LoggerMessage(EventId = 217, Level = LogLevel.Information, Message = "{Pipeline}/{Step} batch {BatchIndex}: the lease of {Key} ended without a result (released by a worker whose step failed or was aborted, or lapsed after its worker died); computing it here")]
    public static partial void TookOver(ILogger logger, string pipeline, string step, long batchIndex, string key);

    [LoggerMessage(EventId = 218, Level = LogLevel.Warning, Message = "{Pipeline}/{Step} batch {BatchIndex}: waited {Seconds} s for the worker holding its lease, which keeps it but writes no result; computing it here")]
    public static partial void GaveUpWaiting(ILogger logger, string pipeline, string step, long batchIndex, long seconds);

    [LoggerMessage(EventId = 221, Level = LogLevel.Information, Message = "{Pipeline}/{Step}: {Reason}")]
    public static partial void NotWorthCaching(ILogger logger, string pipeline, string step, string reason);

    [LoggerMessage(EventId = 220, Level = LogLevel.Debug, Message = "{Pipeline}/{Step} batch {BatchIndex}: not cached, {Failed} of its records failed and went to the error sink (a replay would lose them); the next run computes it again")]
    public static partial void NotCachedFailures(ILogger logger, string pipeline, string step, long batchIndex, int failed);

    [LoggerMessage(EventId = 219, Level = LogLevel.Debug, Message = "Lease of {Key} was lost (it lapsed or was taken over) while its batch was computed; the computation goes on")]
    public static partial void LeaseLost(ILogger logger, string key);
}

using Microsoft.Extensions.Logging;

namespace Flow.Redis.Streams;

/// <summary>The stream nodes' log lines.</summary>
internal static partial class StreamLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Pipeline {Pipeline} sink {Sink}: batch {Batch} was already added to the stream (a replay); skipped")]
    public static partial void BatchSkipped(ILogger logger, string pipeline, string sink, string batch);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Pipeline {Pipeline} source {Source}: reading stream {Stream} as consumer {Consumer} of group {Group}")]
    public static partial void Reading(ILogger logger, string pipeline, string source, string stream, string group, string consumer);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Pipeline {Pipeline} source {Source}: consumer group {Group} of stream {Stream} is gone (NOGROUP: was Redis restarted without its data?); creating it again from {Start}")]
    public static partial void GroupGone(ILogger logger, string pipeline, string source, string stream, string group, string start);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Pipeline {Pipeline} source {Source}: entry {Entry} of stream {Stream} goes to dead-letter stream {DeadLetter}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string pipeline, string source, string entry, string stream, string deadLetter, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Pipeline {Pipeline} source {Source}: {Entries} pending entries taken up again ({Batches} batches re-formed as they were, {New} new)")]
    public static partial void Recovered(ILogger logger, string pipeline, string source, int entries, int batches, int @new);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Pipeline {Pipeline} source {Source}: claimed {Entries} entries idle longer than {ClaimIdleMs} ms from other consumers")]
    public static partial void Claimed(ILogger logger, string pipeline, string source, long entries, long claimIdleMs);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Pipeline {Pipeline} source {Source}: batch {Batch} failed ({Entries} entries, delivered {Deliveries} times); delivered again in {DelayMs} ms{Split}")]
    public static partial void Redelivering(ILogger logger, string pipeline, string source, string batch, int entries, long deliveries, long delayMs, string split);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Pipeline {Pipeline} source {Source}: {Count} acknowledgements could not be sent before the end ({Problem}); their entries will be delivered again")]
    public static partial void AcksLost(ILogger logger, string pipeline, string source, int count, string problem);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Pipeline {Pipeline} source {Source}: batch {Batch} comes back without {Missing} of its {Entries} entries (deleted from the stream, or taken by another consumer); its other entries form a new batch")]
    public static partial void PartialBatch(ILogger logger, string pipeline, string source, string batch, int missing, int entries);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Pipeline {Pipeline} source {Source}: drained, waiting for {Entries} entries pending with other consumers (they finish them, or they are claimed once idle for {ClaimIdleMs} ms)")]
    public static partial void WaitingForOthers(ILogger logger, string pipeline, string source, long entries, long claimIdleMs);
}

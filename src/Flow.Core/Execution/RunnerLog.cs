using Microsoft.Extensions.Logging;

namespace Flow.Execution;

internal static partial class RunnerLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Pipeline {Pipeline} started: {Sources} source(s), {Steps} step(s), {Sinks} sink(s), batch size {BatchSize}")]
    public static partial void PipelineStarted(ILogger logger, string pipeline, int sources, int steps, int sinks, int batchSize);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Pipeline {Pipeline} {Status} in {ElapsedMs} ms")]
    public static partial void PipelineEnded(ILogger logger, string pipeline, string status, long elapsedMs);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Pipeline {Pipeline} failed at node {Step}, batch {BatchIndex}: {Reason}")]
    public static partial void NodeFailed(ILogger logger, Exception exception, string pipeline, string step, long batchIndex, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Pipeline {Pipeline} failed: {Reason}")]
    public static partial void PipelineFailed(ILogger logger, Exception exception, string pipeline, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Debug, Message = "{Pipeline}/{Step} batch {BatchIndex} of {Source}: {RecordsIn} in, {RecordsOut} out")]
    public static partial void BatchDone(ILogger logger, string pipeline, string step, long batchIndex, string source, int recordsIn, int recordsOut);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Pipeline {Pipeline}: stop requested; no new input, draining in-flight batches for up to {DrainMs} ms")]
    public static partial void Draining(ILogger logger, string pipeline, long drainMs);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: in-flight batches did not drain within {DrainMs} ms; abandoning them")]
    public static partial void DrainTimedOut(ILogger logger, string pipeline, long drainMs);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Pipeline {Pipeline}: {Records} records read, {Rate} records/s")]
    public static partial void Progress(ILogger logger, string pipeline, long records, long rate);
}

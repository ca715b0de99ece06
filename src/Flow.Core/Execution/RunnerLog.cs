using Microsoft.Extensions.Logging;

namespace Flow.Execution;

internal static partial class RunnerLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Pipeline {Pipeline} started: {Sources} source(s), {Steps} step(s), {Sinks} sink(s), batch size {BatchSize}")]
    public static partial void PipelineStarted(ILogger logger, string pipeline, int sources, int steps, int sinks, int batchSize);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Pipeline {Pipeline} {Status} in {ElapsedMs} ms")]
    public static partial void PipelineEnded(ILogger logger, string pipeline, string status, long elapsedMs);

    // One line at Error per failure; the exception with its stack trace goes to FailureDetail, at Debug.
    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Pipeline {Pipeline} failed at node {Step}, batch {BatchIndex}: {Reason}")]
    public static partial void NodeFailed(ILogger logger, string pipeline, string step, long batchIndex, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Pipeline {Pipeline} failed: {Reason}")]
    public static partial void PipelineFailed(ILogger logger, string pipeline, string reason);

    [LoggerMessage(EventId = 108, Level = LogLevel.Debug, Message = "Pipeline {Pipeline}: details of the failure")]
    public static partial void FailureDetail(ILogger logger, Exception exception, string pipeline);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: {Abandoned} did not stop within {GraceMs} ms of the abort (they ignore cancellation or block on input); abandoned")]
    public static partial void Abandoned(ILogger logger, string pipeline, string abandoned, long graceMs);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: the previous run was killed while publishing its outputs; finished publishing them: {Outputs}")]
    public static partial void PublishCompleted(ILogger logger, string pipeline, string outputs);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: the publish journal {Journal} is unreadable ({Reason}); it is deleted, the outputs stay as they are")]
    public static partial void PublishJournalUnreadable(ILogger logger, string pipeline, string journal, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Debug, Message = "{Pipeline}/{Step} batch {BatchIndex} of {Source}: {RecordsIn} in, {RecordsOut} out")]
    public static partial void BatchDone(ILogger logger, string pipeline, string step, long batchIndex, string source, int recordsIn, int recordsOut);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Pipeline {Pipeline}: stop requested; no new input, draining in-flight batches for up to {DrainMs} ms")]
    public static partial void Draining(ILogger logger, string pipeline, long drainMs);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: in-flight batches did not drain within {DrainMs} ms; abandoning them")]
    public static partial void DrainTimedOut(ILogger logger, string pipeline, long drainMs);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Pipeline {Pipeline}: {Records} records read ({Rate} records/s), {Batches} batches; step batches: {Hits} hits, {Misses} computed")]
    public static partial void Progress(ILogger logger, string pipeline, long records, long rate, long batches, long hits, long misses);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: batch {BatchIndex} failed at {Step} ({Reason}); its source delivers it again")]
    public static partial void BatchFailed(ILogger logger, string pipeline, string step, long batchIndex, string reason);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}, node {Step}, batch {BatchIndex} of {Source}: {Failed} of {Records} record(s) failed and went to error sink {ErrorSink}; the first, record {RecordIndex}: {Reason}")]
    public static partial void RecordsRouted(ILogger logger, string pipeline, string step, long batchIndex, string source, int failed, int records, string errorSink, int recordIndex, string reason);

    [LoggerMessage(EventId = 114, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: {Failed} record(s) failed and went to error sinks ({Where}); everything else went on")]
    public static partial void ErrorsRoutedInRun(ILogger logger, string pipeline, long failed, string where);
}

using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using Flow.Batches;
using Flow.Pipelines;
using Flow.Sinks;
using Flow.Sources;
using Flow.Steps;
using Microsoft.Extensions.Logging;

namespace Flow.Execution;

/// <summary>
/// One run of a pipeline: the plan compiled into a TPL Dataflow graph, run to its end.
/// </summary>
/// <remarks>
/// The shape, per node: sources are producer tasks that cut records into batches and
/// <c>await SendAsync</c> them; a step is a bounded, ordered <see cref="TransformBlock{TInput,TOutput}"/>
/// (after a lookahead block when its cache lookups run ahead), linked straight to its one consumer
/// or to an emitter that sends each output batch to every consumer (a copy each: Dataflow's own
/// linking is not a broadcast); a sink is a bounded <see cref="ActionBlock{TInput}"/>. A node with
/// several inputs gets one bounded buffer per input and a merger that takes one batch from each
/// input in turn, so its order is deterministic and no input completes it early. Every block comes
/// from one <see cref="BlockFactory"/> and shares one abort token; the first fault anywhere cancels
/// it, which ends every block, producer and merger. Whatever has not ended <see cref="RunnerOptions.AbortGrace"/>
/// after the abort (a source blocked on a pipe, a step ignoring its token) is abandoned and logged:
/// a run always ends.
/// </remarks>
internal sealed class PipelineRun
{
    private readonly PipelinePlan _plan;
    private readonly ILogger _logger;
    private readonly RunnerOptions _options;
    private readonly RunNodes _nodes;
    private readonly Caching.StepCacheRun? _cache;
    private readonly CancellationToken _stop;
    private readonly CancellationTokenSource _abort = new();
    private readonly BlockFactory _blocks;
    private readonly Dictionary<string, NodeStats> _stats = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Producer, string Consumer), ITargetBlock<Batch>> _ports = new();
    private readonly Dictionary<string, ITargetBlock<Batch>> _heads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ISourceBlock<Batch>> _outputs = new(StringComparer.Ordinal);

    // Where a node with an error sink sends its failures: the sink's head, or its buffer for this node.
    private readonly Dictionary<string, ITargetBlock<Batch>> _errorPorts = new(StringComparer.Ordinal);
    private readonly List<(string Owner, string? Node, Task Task)> _watched = new();
    private readonly bool _unbounded;
    private readonly BatchTracker _tracker;
    private readonly Dictionary<string, int> _sinksReached = new(StringComparer.Ordinal);
    private Exception? _fault;
    private int _interrupted;
    private int _ended;

    public PipelineRun(PipelinePlan plan, RunNodes nodes, ILogger logger, RunnerOptions options, Caching.StepCacheRun? cache, CancellationToken stop)
    {
        _plan = plan;
        _nodes = nodes;
        _logger = logger;
        _options = options;
        _cache = cache;
        _stop = stop;
        _blocks = new BlockFactory(_abort.Token, (node, owner, completion) => Watch(owner, node, completion));
        foreach (var node in plan.Nodes)
        {
            _stats[node.Name] = new NodeStats(plan.Name, node.Name, node.Kind, node.Definition.Type);
        }

        // A stream has no end to publish at: its file outputs append, a stop is its normal end, and
        // its batches are acknowledged once every sink reached from their source has written them.
        _unbounded = plan.Nodes.Any(n => n.Kind == NodeKind.Source && nodes[n.Name].Instance is IBatchSource { IsUnbounded: true });
        var sinkInstances = plan.Nodes.Where(n => n.Kind == NodeKind.Sink).Select(n => nodes[n.Name].Instance).ToList();
        if (_unbounded)
        {
            foreach (var file in sinkInstances.OfType<Sinks.IFileOutput>())
            {
                file.AppendToTarget();
            }
        }

        _tracker = new BatchTracker(holdUntilPublished: sinkInstances.OfType<Sinks.IFileOutput>().Any(f => !f.Appends));
        foreach (var source in plan.Nodes.Where(n => n.Kind == NodeKind.Source))
        {
            _sinksReached[source.Name] = SinkWritesFrom(source);
        }
    }

    /// <summary>
    /// How many sink writes complete a batch of <paramref name="node"/>: one per path to a sink (a
    /// sink fed twice from it writes the batch twice), and one more per path through a step with an
    /// error sink, which gets that step's failures of the batch (an empty batch when there are none).
    /// A sink with an error sink still counts once: the batch is written there, or its failure is.
    /// </summary>
    private static int SinkWritesFrom(PlannedNode node)
    {
        var writes = 0;
        foreach (var consumer in node.Consumers)
        {
            writes += consumer.Kind == NodeKind.Sink ? 1 : SinkWritesFrom(consumer) + (consumer.ErrorSink is null ? 0 : 1);
        }

        return writes;
    }

    private CancellationToken Abort => _abort.Token;

    /// <summary>The live counters of every node, in plan order (what the status page shows while the run goes on).</summary>
    public IReadOnlyList<NodeStats> Stats => _plan.Nodes.Select(n => _stats[n.Name]).ToList();

    public async Task<PipelineResult> RunAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var nodes = _plan.Nodes;
        RunnerLog.PipelineStarted(_logger, _plan.Name, nodes.Count(n => n.Kind == NodeKind.Source),
            nodes.Count(n => n.Kind == NodeKind.Step), nodes.Count(n => n.Kind == NodeKind.Sink), _plan.BatchSize);

        var sinks = nodes.Where(n => n.Kind == NodeKind.Sink).Select(n => (n.Name, Sink: (ISink)_nodes[n.Name].Instance)).ToList();
        var publisher = new OutputPublisher(_plan.Name, _options.PublishJournalDirectory, _logger);
        using var stopRegistration = _stop.Register(OnStopRequested);
        using var progress = new CancellationTokenSource();
        IReadOnlyCollection<string> abandoned = [];
        try
        {
            await RunNodeAsync(null, () =>
            {
                publisher.CompleteInterruptedPublish();
                return Task.CompletedTask;
            }).ConfigureAwait(false);

            foreach (var (name, sink) in sinks)
            {
                if (_fault is null)
                {
                    await RunNodeAsync(name, () => sink.OpenAsync(Abort).AsTask()).ConfigureAwait(false);
                }
            }

            if (_fault is null)
            {
                Compile();

                // A block that was completed keeps its buffered output until a target takes it, even
                // after its cancellation token fires: on abort every block is faulted, which drops what it holds.
                using var abortBlocks = Abort.Register(_blocks.FaultAll);
                var progressTask = ReportProgressAsync(progress.Token);
                abandoned = await WaitForEndAsync().ConfigureAwait(false);
                await progress.CancelAsync().ConfigureAwait(false);
                await Quietly(progressTask).ConfigureAwait(false);
            }

            // A stop is the normal end of an unbounded pipeline (once it drained); a bounded one was cut short.
            var status = _fault is not null ? RunStatus.Failed
                : _abort.IsCancellationRequested ? RunStatus.Interrupted
                : Volatile.Read(ref _interrupted) != 0 && !_unbounded ? RunStatus.Interrupted
                : RunStatus.Completed;

            if (status == RunStatus.Completed && _cache is not null)
            {
                // Entries still being written: a required store that failed in one fails the run before anything is published.
                await RunNodeAsync(null, _cache.FlushAsync).ConfigureAwait(false);
                status = _fault is null ? RunStatus.Completed : RunStatus.Failed;
            }

            if (status == RunStatus.Completed)
            {
                await RunNodeAsync(null, () => publisher.PublishAsync(sinks, CancellationToken.None)).ConfigureAwait(false);
                status = _fault is null ? RunStatus.Completed : RunStatus.Failed;
                if (status == RunStatus.Completed)
                {
                    _tracker.Published(); // batches whose outputs waited for the publish are done now
                }
            }

            return Finish(status, started);
        }
        finally
        {
            Volatile.Write(ref _ended, 1);

            // A node still busy in abandoned work is not disposed: closing a sink's file under a write would tear it.
            await _nodes.DisposeAsync(abandoned, (name, ex) =>
            {
                RunnerLog.PipelineFailed(_logger, _plan.Name, $"node '{name}' could not be disposed: {ex.Message}");
                RunnerLog.FailureDetail(_logger, ex, _plan.Name);
            }).ConfigureAwait(false);

            if (abandoned.Count == 0)
            {
                _abort.Dispose(); // abandoned work may still look at the token
            }
        }
    }

    /// <summary>
    /// Waits until every block, producer and merger has ended; once the run is aborted, at most
    /// <see cref="RunnerOptions.AbortGrace"/> more. Returns the nodes whose work was abandoned.
    /// </summary>
    private async Task<IReadOnlyCollection<string>> WaitForEndAsync()
    {
        var all = Task.WhenAll(_watched.Select(w => Quietly(w.Task)));
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (Abort.Register(() => aborted.TrySetResult()))
        {
            await Task.WhenAny(all, aborted.Task).ConfigureAwait(false);
        }

        if (!all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(_options.AbortGrace)).ConfigureAwait(false);
        }

        if (all.IsCompleted)
        {
            return [];
        }

        var abandoned = _watched.Where(w => !w.Task.IsCompleted).ToList();
        RunnerLog.Abandoned(_logger, _plan.Name, string.Join(", ", abandoned.Select(w => w.Owner).Distinct()), (long)_options.AbortGrace.TotalMilliseconds);
        return abandoned.Where(w => w.Node is not null).Select(w => w.Node!).Distinct().ToList();
    }

    private PipelineResult Finish(RunStatus status, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        var routing = _plan.Nodes.Where(n => _stats[n.Name].ErrorsRouted > 0).ToList();
        if (routing.Count > 0)
        {
            RunnerLog.ErrorsRoutedInRun(_logger, _plan.Name, routing.Sum(n => _stats[n.Name].ErrorsRouted),
                string.Join(", ", routing.Select(n => $"{_stats[n.Name].ErrorsRouted} from '{n.Name}' to '{n.ErrorSink!.Name}'")));
        }

        RunnerLog.PipelineEnded(_logger, _plan.Name, status.ToString().ToLowerInvariant(), (long)elapsed.TotalMilliseconds);
        return new PipelineResult(_plan.Name, status, elapsed, _plan.Nodes.Select(n => _stats[n.Name]).ToList(), _fault, _cache is not null);
    }

    private static string StepOwner(string name) => $"step '{name}'";

    private static string SinkOwner(string name) => $"sink '{name}'";

    private void Compile()
    {
        foreach (var node in _plan.Nodes)
        {
            switch (node.Kind)
            {
                case NodeKind.Step:
                    _heads[node.Name] = CreateStepBlocks(node);
                    break;
                case NodeKind.Sink:
                    _heads[node.Name] = CreateSinkBlock(node);
                    break;
            }
        }

        // An error sink's feeds are its inputs (if any) and the nodes that send it their failures.
        foreach (var node in _plan.Nodes.Where(n => n.Inputs.Count + n.ErrorProducers.Count > 0))
        {
            if (node.Inputs.Count + node.ErrorProducers.Count == 1)
            {
                if (node.Inputs.Count == 1)
                {
                    _ports[(node.Inputs[0].Name, node.Name)] = _heads[node.Name];
                }
                else
                {
                    _errorPorts[node.ErrorProducers[0].Name] = _heads[node.Name];
                }

                continue;
            }

            var buffers = node.Inputs.Select(input =>
            {
                var buffer = _blocks.Buffer<Batch>(node.Name, $"input '{input.Name}' of '{node.Name}'", 2);
                _ports[(input.Name, node.Name)] = buffer;
                return buffer;
            }).ToList();
            foreach (var producer in node.ErrorProducers)
            {
                var buffer = _blocks.Buffer<Batch>(node.Name, $"failures of '{producer.Name}' into '{node.Name}'", 2);
                _errorPorts[producer.Name] = buffer;
                buffers.Add(buffer);
            }

            // Failures come when they come, not one batch per turn: taken as they arrive (each feed keeps its order).
            Watch($"merge into '{node.Name}'", null, MergeAsync(buffers, _heads[node.Name], asAvailable: _unbounded || node.ErrorProducers.Count > 0));
        }

        // A step's output goes straight to its one consumer; several consumers (or an error sink) need an emitter.
        foreach (var node in _plan.Nodes.Where(n => n.Kind == NodeKind.Step))
        {
            var output = _outputs[node.Name];
            if (node.Consumers.Count == 1 && node.ErrorSink is null)
            {
                output.LinkTo(_ports[(node.Name, node.Consumers[0].Name)], new DataflowLinkOptions { PropagateCompletion = true });
                continue;
            }

            var emitter = _blocks.Action<Batch>(node.Name, StepOwner(node.Name), batch => EmitAsync(node, batch), capacity: 1);
            output.LinkTo(emitter, new DataflowLinkOptions { PropagateCompletion = true });
            Watch(StepOwner(node.Name), node.Name, CompleteConsumersWhenDone(node, emitter.Completion));
        }

        // A sink that sends its failures on completes its error sink's feed when it is done.
        foreach (var node in _plan.Nodes.Where(n => n.Kind == NodeKind.Sink && n.ErrorSink is not null))
        {
            Watch(SinkOwner(node.Name), node.Name, CompleteConsumersWhenDone(node, _heads[node.Name].Completion));
        }

        // Producers start last, once every port exists.
        foreach (var node in _plan.Nodes.Where(n => n.Kind == NodeKind.Source))
        {
            Watch($"source '{node.Name}'", node.Name, Task.Run(() => ProduceAsync(node, (ISource)_nodes[node.Name].Instance)));
        }
    }

    /// <summary>The step's blocks: its head (the target its inputs send to) and, in <see cref="_outputs"/>, its ordered output.</summary>
    private ITargetBlock<Batch> CreateStepBlocks(PlannedNode node)
    {
        var stats = _stats[node.Name];
        var owner = StepOwner(node.Name);
        var instance = _nodes[node.Name];
        var stepProcessor = new StepProcessor(_plan.Name, node.Name, (IStep)instance.Instance, instance.ReadsBatchPosition, routesErrors: node.ErrorSink is not null);
        var processor = _cache?.Decorate(instance, stepProcessor, stats) ?? (IBatchProcessor)stepProcessor;
        var parallelism = node.Definition.Parallelism;

        // At least twice the parallelism, or ordered output holds fast batches behind a slow one and stalls the workers.
        var capacity = Math.Max(2, 2 * parallelism);
        if (processor is not ILookaheadProcessor { Lookahead: > 0 } lookahead)
        {
            var step = _blocks.Transform<Batch, Batch>(node.Name, owner, batch => RunStepAsync(node, stats, batch, () => processor.ProcessAsync(batch, Abort)), parallelism, capacity);
            _outputs[node.Name] = step;
            return step;
        }

        // Cache lookups (hash, fetch, decode) run ahead of the step, several at once and in order,
        // so a replay is not one store round trip at a time; the step block then only computes misses.
        // A batch waiting for another worker's result (a lease held elsewhere) takes no compute slot:
        // the processor bounds the step's own calls to its parallelism, so the waiting batches get
        // extra places in the block, and this worker computes later batches meanwhile.
        var prepare = _blocks.Transform<Batch, PreparedBatch>(node.Name, owner, batch => NotDropped(node, batch, lookahead.PrepareAsync(batch, Abort)), lookahead.Lookahead, lookahead.Lookahead);
        var finishing = parallelism + lookahead.Waiting;
        var finish = _blocks.Transform<PreparedBatch, Batch>(node.Name, owner, prepared => RunStepAsync(node, stats, prepared.Input, () => lookahead.FinishAsync(prepared, Abort)), finishing, Math.Max(2, 2 * finishing));
        prepare.LinkTo(finish, new DataflowLinkOptions { PropagateCompletion = true });
        _outputs[node.Name] = finish;
        return prepare;
    }

    /// <summary>Runs one batch through the step's processor; the one place that counts hits and computed batches.</summary>
    private async Task<Batch> RunStepAsync(PlannedNode node, NodeStats stats, Batch batch, Func<ValueTask<StepOutput>> work)
    {
        if (batch.IsFailed)
        {
            return batch; // failed upstream: passes untouched, in its place
        }

        var started = Stopwatch.GetTimestamp();
        var recordsIn = batch.Count;
        StepOutput output;
        stats.ChangeInFlight(+1);
        try
        {
            output = await NotDropped(node, batch, work()).ConfigureAwait(false);
        }
        catch (StepFailedException ex) when (_tracker.HandlesFailures(batch.Identity) && !Abort.IsCancellationRequested)
        {
            // The source delivers the batch's entries again (and sets them aside after too many
            // deliveries): the batch fails, the run goes on.
            RunnerLog.BatchFailed(_logger, _plan.Name, node.Name, batch.Identity.Index, ex.Message);
            stats.AddFailedBatch();
            _tracker.Failed(batch.Identity, ex);
            return batch.AsFailed();
        }
        finally
        {
            stats.ChangeInFlight(-1);
        }

        stats.AddStepDuration(Stopwatch.GetTimestamp() - started);

        if (output.Waited)
        {
            stats.AddWaited();
        }
        else if (output.Replayed)
        {
            stats.AddHit(output.ReplayTicks);
        }
        else
        {
            stats.AddComputed(output.ComputeTicks);
        }

        stats.AddBatch(recordsIn, output.Batch.Count, Stopwatch.GetTimestamp() - started - output.IdleTicks);
        RunnerLog.BatchDone(_logger, _plan.Name, node.Name, batch.Id.Index, batch.Id.Source, recordsIn, output.Batch.Count);
        if (output.Failures is not { Count: > 0 } failures)
        {
            return output.Batch;
        }

        // The failures travel with the output, in order, to the emitter that sends them to the error sink.
        return output.Batch.WithErrors(Routed(node, stats, batch, failures));
    }

    /// <summary>Counts and logs what a node failed on, and makes the error sink's records of it.</summary>
    private List<Record> Routed(PlannedNode node, NodeStats stats, Batch batch, IReadOnlyList<RecordFailure> failures)
    {
        if (failures.Count > 0)
        {
            stats.AddErrorsRouted(failures.Count);
            RunnerLog.RecordsRouted(_logger, _plan.Name, node.Name, batch.Identity.Index, batch.Identity.Source, failures.Count, batch.Count,
                node.ErrorSink!.Name, failures[0].Index, failures[0].Error.GetBaseException().Message);
        }

        return ErrorRecords.Of(_plan.Name, node.Name, batch.Identity, failures);
    }

    /// <summary>Sends a step's output on: its failures to its error sink first, then the batch to every consumer.</summary>
    private async Task EmitAsync(PlannedNode node, Batch batch)
    {
        if (node.ErrorSink is not null)
        {
            await SendErrorsAsync(node, batch.Identity, batch.Errors ?? []).ConfigureAwait(false);
        }

        await SendToConsumersAsync(node, batch.WithoutErrors()).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends what a node failed on to its error sink. Nothing is sent for a batch without failures,
    /// except one that its source tracks until every sink wrote it: there the error sink's write of
    /// the empty batch is one of those it waits for.
    /// </summary>
    private async Task SendErrorsAsync(PlannedNode node, BatchId id, IReadOnlyList<Record> errors)
    {
        if (errors.Count == 0 && !_tracker.Tracks(id))
        {
            return;
        }

        var port = _errorPorts[node.Name];
        if (!await port.SendAsync(new Batch(id, errors), Abort).ConfigureAwait(false))
        {
            await AwaitDeclinedAsync(port).ConfigureAwait(false);
            throw new InvalidOperationException($"error sink '{node.ErrorSink!.Name}' stopped accepting the failures of '{node.Name}'");
        }
    }

    /// <summary>
    /// Dataflow drops an item whose delegate ends cancelled, without faulting the block: a batch
    /// would vanish from the output. Only the run's abort may cancel; any other cancellation fails the batch.
    /// </summary>
    private async Task<T> NotDropped<T>(PlannedNode node, Batch batch, ValueTask<T> work)
    {
        try
        {
            return await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!Abort.IsCancellationRequested)
        {
            throw new StepFailedException(_plan.Name, node.Name, batch, ex);
        }
    }

    private ITargetBlock<Batch> CreateSinkBlock(PlannedNode node)
    {
        var stats = _stats[node.Name];
        var sink = (ISink)_nodes[node.Name].Instance;
        return _blocks.Action<Batch>(
            node.Name,
            SinkOwner(node.Name),
            async batch =>
            {
                if (batch.IsFailed)
                {
                    return; // its source hears of the failure, and delivers it again
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    await sink.WriteAsync(batch, Abort).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && Abort.IsCancellationRequested))
                {
                    if (node.ErrorSink is null)
                    {
                        throw new StepFailedException(_plan.Name, node.Name, batch, ex);
                    }

                    // The batch it could not write goes to the error sink, whose write then stands for this one.
                    await RouteSinkFailureAsync(node, stats, batch, ex).ConfigureAwait(false);
                    return;
                }

                stats.AddBatch(batch.Count, batch.Count, Stopwatch.GetTimestamp() - started);
                _tracker.SinkWrote(batch.Identity);
            },
            capacity: 2);
    }

    private Task RouteSinkFailureAsync(PlannedNode node, NodeStats stats, Batch batch, Exception error) =>
        SendErrorsAsync(node, batch.Identity, Routed(node, stats, batch, ErrorRecords.All(batch.Records, error)));

    private Task ProduceAsync(PlannedNode node, ISource source) =>
        source is IBatchSource batches ? ProduceBatchesAsync(node, batches) : ProduceRecordsAsync(node, source);

    /// <summary>Sends the batches a batch source forms, each tracked until every sink it reaches has written it.</summary>
    private async Task ProduceBatchesAsync(PlannedNode node, IBatchSource source)
    {
        var stats = _stats[node.Name];
        var sinks = _sinksReached[node.Name];
        var count = 0L;
        try
        {
            var busy = Stopwatch.GetTimestamp();
            await foreach (var formed in source.ReadBatchesAsync(_plan.BatchSize, _stop, Abort).WithCancellation(Abort).ConfigureAwait(false))
            {
                stats.AddElapsed(Stopwatch.GetTimestamp() - busy);
                var batch = new Batch(formed.Id, formed.Records);
                if (formed.Receipt is { } receipt)
                {
                    _tracker.Register(formed.Id, receipt, sinks);
                }

                count += batch.Count;
                stats.AddBatch(0, batch.Count, 0);
                await SendToConsumersAsync(node, batch).ConfigureAwait(false);
                busy = Stopwatch.GetTimestamp();
            }

            if (_stop.IsCancellationRequested)
            {
                Interlocked.Exchange(ref _interrupted, 1);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested && !Abort.IsCancellationRequested)
        {
            Interlocked.Exchange(ref _interrupted, 1);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Abort.IsCancellationRequested)
        {
            throw new InvalidOperationException($"pipeline '{_plan.Name}', source '{node.Name}' failed after {count} records: {ex.Message}", ex);
        }

        CompleteConsumers(node);
    }

    private async Task ProduceRecordsAsync(PlannedNode node, ISource source)
    {
        var stats = _stats[node.Name];
        using var read = CancellationTokenSource.CreateLinkedTokenSource(_stop, Abort);
        var batchSize = _plan.BatchSize;
        var buffer = new List<Record>(batchSize);
        long index = 0, offset = 0;
        var busy = Stopwatch.GetTimestamp();
        try
        {
            if (source is IChunkedSource chunked)
            {
                await foreach (var chunk in chunked.ReadChunksAsync(read.Token).WithCancellation(read.Token).ConfigureAwait(false))
                {
                    for (var i = 0; i < chunk.Count && !_stop.IsCancellationRequested; i++)
                    {
                        if (Add(chunk[i]))
                        {
                            busy = await EmitAsync().ConfigureAwait(false);
                        }
                    }

                    if (_stop.IsCancellationRequested)
                    {
                        break;
                    }
                }
            }
            else
            {
                await foreach (var record in source.ReadAsync(read.Token).WithCancellation(read.Token).ConfigureAwait(false))
                {
                    if (Add(record))
                    {
                        busy = await EmitAsync().ConfigureAwait(false);
                        if (_stop.IsCancellationRequested)
                        {
                            break;
                        }
                    }
                }
            }

            if (_stop.IsCancellationRequested)
            {
                // Records of a partial batch are not sent: a batch cut short would be cached under a key
                // that a full replay never asks for. The next run reads them again.
                Interlocked.Exchange(ref _interrupted, 1);
            }
            else if (buffer.Count > 0)
            {
                await EmitAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested && !Abort.IsCancellationRequested)
        {
            Interlocked.Exchange(ref _interrupted, 1);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Abort.IsCancellationRequested)
        {
            throw new InvalidOperationException($"pipeline '{_plan.Name}', source '{node.Name}' failed after {offset + buffer.Count} records: {ex.Message}", ex);
        }

        CompleteConsumers(node);

        // Adds a record to the batch being formed; true when the batch is full.
        bool Add(Record? record)
        {
            buffer.Add(record ?? throw new InvalidOperationException($"source '{node.Name}' produced a null record at offset {offset + buffer.Count}"));
            return buffer.Count == batchSize;
        }

        // Sends the batch formed so far and starts the next; returns when it was sent.
        async Task<long> EmitAsync()
        {
            var records = buffer;
            buffer = new List<Record>(batchSize);
            stats.AddElapsed(Stopwatch.GetTimestamp() - busy);
            var batch = new Batch(new BatchId(node.Name, index++, offset), records);
            offset += records.Count;
            stats.AddBatch(0, records.Count, 0);
            await SendToConsumersAsync(node, batch).ConfigureAwait(false);
            return Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Sends a batch to every consumer, each its own copy, waiting for room (backpressure).</summary>
    private async Task SendToConsumersAsync(PlannedNode node, Batch batch)
    {
        var consumers = node.Consumers;
        for (var i = 0; i < consumers.Count; i++)
        {
            // Copies are made before the original is handed over: a consumer owns what it gets and may change it.
            var item = i == consumers.Count - 1 ? batch : batch.Clone();
            var port = _ports[(node.Name, consumers[i].Name)];
            if (!await port.SendAsync(item, Abort).ConfigureAwait(false))
            {
                await AwaitDeclinedAsync(port).ConfigureAwait(false);
                throw new InvalidOperationException($"'{consumers[i].Name}' stopped accepting batches from '{node.Name}'");
            }
        }
    }

    /// <summary>Takes one batch from each input in turn until all are done, then completes the target.</summary>
    private async Task MergeAsync(IReadOnlyList<BufferBlock<Batch>> inputs, ITargetBlock<Batch> target, bool asAvailable)
    {
        if (asAvailable)
        {
            await MergeAsAvailableAsync(inputs, target).ConfigureAwait(false);
            return;
        }

        var active = inputs.ToList();
        while (active.Count > 0)
        {
            for (var i = 0; i < active.Count; i++)
            {
                if (!await active[i].OutputAvailableAsync(Abort).ConfigureAwait(false))
                {
                    active.RemoveAt(i--);
                    continue;
                }

                var batch = await active[i].ReceiveAsync(Abort).ConfigureAwait(false);
                if (!await target.SendAsync(batch, Abort).ConfigureAwait(false))
                {
                    await AwaitDeclinedAsync(target).ConfigureAwait(false);
                    throw new InvalidOperationException("a merged node stopped accepting batches");
                }
            }
        }

        // An input that ended because the run aborted must not look like a clean end.
        Abort.ThrowIfCancellationRequested();
        target.Complete();
    }

    /// <summary>
    /// The merge of an unbounded pipeline: an input that is idle (a quiet stream) must not hold up the
    /// others, so batches are taken from whichever input has one, in turn among those that do. Order
    /// across inputs is then the order of arrival; a stream has no other.
    /// </summary>
    private async Task MergeAsAvailableAsync(IReadOnlyList<BufferBlock<Batch>> inputs, ITargetBlock<Batch> target)
    {
        var active = inputs.ToList();
        var waiting = new Task<bool>?[active.Count];
        var next = 0;
        while (active.Count > 0)
        {
            Batch? batch = null;
            for (var k = 0; k < active.Count && batch is null; k++)
            {
                var i = (next + k) % active.Count;
                if (active[i].TryReceive(out var received))
                {
                    batch = received;
                    next = i + 1;
                }
            }

            if (batch is not null)
            {
                if (!await target.SendAsync(batch, Abort).ConfigureAwait(false))
                {
                    await AwaitDeclinedAsync(target).ConfigureAwait(false);
                    throw new InvalidOperationException("a merged node stopped accepting batches");
                }

                continue;
            }

            // Nothing waiting anywhere: sleep until some input has a batch or ends. One wait per input
            // at a time, so an input that stays quiet does not pile up waits.
            for (var i = 0; i < active.Count; i++)
            {
                waiting[i] ??= active[i].OutputAvailableAsync(Abort);
            }

            await Task.WhenAny(waiting.Take(active.Count).Select(w => w!)).ConfigureAwait(false);
            for (var i = active.Count - 1; i >= 0; i--)
            {
                if (waiting[i]!.IsCompleted)
                {
                    var available = await waiting[i]!.ConfigureAwait(false);
                    waiting[i] = null;
                    if (!available)
                    {
                        active.RemoveAt(i);
                        Array.Copy(waiting, i + 1, waiting, i, waiting.Length - i - 1);
                        waiting[^1] = null;
                    }
                }
            }
        }

        Abort.ThrowIfCancellationRequested();
        target.Complete();
    }

    /// <summary>
    /// A block that faulted declines at once but reports the fault through its Completion a moment
    /// later. Wait for that (or the abort) and report the block's own fault first, so the run's error
    /// is the cause (the step, its batch, its first record) and not this refusal; then end as aborted.
    /// </summary>
    private async Task AwaitDeclinedAsync(IDataflowBlock target)
    {
        await Task.WhenAny(target.Completion, Task.Delay(Timeout.Infinite, Abort)).ConfigureAwait(false);
        if (target.Completion.IsFaulted)
        {
            Fail(target.Completion.Exception!);
        }

        Abort.ThrowIfCancellationRequested();
    }

    private void CompleteConsumers(PlannedNode node)
    {
        foreach (var consumer in node.Consumers)
        {
            _ports[(node.Name, consumer.Name)].Complete();
        }

        if (node.ErrorSink is not null)
        {
            _errorPorts[node.Name].Complete();
        }
    }

    private async Task CompleteConsumersWhenDone(PlannedNode node, Task completion)
    {
        await completion.ConfigureAwait(false);
        CompleteConsumers(node);
    }

    /// <summary>Runs a part of the run outside the graph (opening a sink, publishing); a failure fails the run.</summary>
    /// <param name="node">The node it belongs to, or null for the run's own work.</param>
    /// <param name="action">The work.</param>
    private async Task RunNodeAsync(string? node, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var where = node is null ? $"pipeline '{_plan.Name}'" : $"pipeline '{_plan.Name}', node '{node}'";
            Fail(new InvalidOperationException($"{where}: {ex.Message}", ex));
        }
    }

    private void Watch(string owner, string? node, Task task)
    {
        _watched.Add((owner, node, task));
        task.ContinueWith(
            t => Fail(t.Exception!),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Fail(Exception exception)
    {
        // Of batches that failed side by side (a step's block runs several at once: its parallelism,
        // and with leases the batches waiting for another worker), the earliest batch is the cause.
        var cause = exception is AggregateException aggregate
            ? aggregate.Flatten().InnerExceptions.OfType<StepFailedException>().OrderBy(e => e.BatchId.Index).FirstOrDefault()
              ?? aggregate.Flatten().InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) ?? aggregate.Flatten().InnerExceptions[0]
            : exception;
        if (cause is OperationCanceledException && _abort.IsCancellationRequested)
        {
            return; // a consequence of the abort, not a cause
        }

        if (Volatile.Read(ref _ended) != 0)
        {
            RunnerLog.FailureDetail(_logger, cause, _plan.Name); // abandoned work failing late: the outcome is already told
            return;
        }

        if (Interlocked.CompareExchange(ref _fault, cause, null) is null)
        {
            if (cause is StepFailedException step)
            {
                RunnerLog.NodeFailed(_logger, _plan.Name, step.Node, step.BatchId.Index, cause.Message);
            }
            else
            {
                RunnerLog.PipelineFailed(_logger, _plan.Name, cause.Message);
            }

            RunnerLog.FailureDetail(_logger, cause, _plan.Name);

            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // A late fault after the run ended: nothing left to stop.
            }
        }
    }

    private void OnStopRequested()
    {
        RunnerLog.Draining(_logger, _plan.Name, (long)_options.DrainTimeout.TotalMilliseconds);
        try
        {
            _abort.CancelAfter(_options.DrainTimeout);
        }
        catch (ObjectDisposedException)
        {
            // The run already ended.
        }
    }

    private async Task ReportProgressAsync(CancellationToken cancellationToken)
    {
        var sources = _plan.Nodes.Where(n => n.Kind == NodeKind.Source).Select(n => _stats[n.Name]).ToList();
        var steps = _plan.Nodes.Where(n => n.Kind == NodeKind.Step).Select(n => _stats[n.Name]).ToList();
        using var timer = new PeriodicTimer(_options.ProgressInterval);
        var last = 0L;
        var lastTime = Stopwatch.GetTimestamp();
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            // The rate over the time that really passed: a tick can come late on a busy machine.
            var now = Stopwatch.GetTimestamp();
            var records = sources.Sum(s => s.RecordsOut);
            var seconds = Math.Max(Stopwatch.GetElapsedTime(lastTime, now).TotalSeconds, 0.001);
            RunnerLog.Progress(_logger, _plan.Name, records, (long)((records - last) / seconds),
                sources.Sum(s => s.Batches), steps.Sum(s => s.Hits), steps.Sum(s => s.Misses));
            (last, lastTime) = (records, now);
        }
    }

    private static Task Quietly(Task task) =>
        task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}

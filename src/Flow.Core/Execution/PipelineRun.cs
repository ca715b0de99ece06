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
/// followed by an emitter that sends each output batch to every consumer (a copy each: Dataflow's
/// own linking is not a broadcast); a sink is a bounded <see cref="ActionBlock{TInput}"/>. A node
/// with several inputs gets one bounded buffer per input and a merger that takes one batch from
/// each input in turn, so its order is deterministic and no input completes it early.
/// Every block shares one abort token; the first fault anywhere cancels it, which ends every
/// block, producer and merger, so nothing waits forever on a dead consumer.
/// </remarks>
internal sealed class PipelineRun
{
    private readonly PipelinePlan _plan;
    private readonly ILogger _logger;
    private readonly RunnerOptions _options;
    private readonly Func<PlannedNode, StepProcessor, NodeStats, IBatchProcessor>? _decorate;
    private readonly CancellationToken _stop;
    private readonly CancellationTokenSource _abort = new();
    private readonly Dictionary<string, NodeStats> _stats = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Producer, string Consumer), ITargetBlock<Batch>> _ports = new();
    private readonly Dictionary<string, ITargetBlock<Batch>> _heads = new(StringComparer.Ordinal);
    private readonly List<Task> _watched = new();
    private readonly List<IDataflowBlock> _blocks = new();
    private Exception? _fault;
    private int _interrupted;

    public PipelineRun(PipelinePlan plan, ILogger logger, RunnerOptions options, Func<PlannedNode, StepProcessor, NodeStats, IBatchProcessor>? decorate, CancellationToken stop)
    {
        _plan = plan;
        _logger = logger;
        _options = options;
        _decorate = decorate;
        _stop = stop;
        foreach (var node in plan.Nodes)
        {
            _stats[node.Name] = new NodeStats(plan.Name, node.Name, node.Kind, node.Definition.Type);
        }
    }

    private CancellationToken Abort => _abort.Token;

    public async Task<PipelineResult> RunAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var nodes = _plan.Nodes;
        RunnerLog.PipelineStarted(_logger, _plan.Name, nodes.Count(n => n.Kind == NodeKind.Source),
            nodes.Count(n => n.Kind == NodeKind.Step), nodes.Count(n => n.Kind == NodeKind.Sink), _plan.BatchSize);

        var sinks = nodes.Where(n => n.Kind == NodeKind.Sink).Select(n => (Node: n, Sink: (ISink)n.Instance)).ToList();
        using var stopRegistration = _stop.Register(OnStopRequested);
        using var progress = new CancellationTokenSource();
        try
        {
            foreach (var (node, sink) in sinks)
            {
                await RunNodeAsync(node.Name, () => sink.OpenAsync(Abort).AsTask()).ConfigureAwait(false);
            }

            if (_fault is null)
            {
                Compile();

                // A source block that was completed keeps its buffered output until a target takes it,
                // even after its cancellation token fires: a head whose tail faulted would never end.
                // On abort every block is faulted, which drops what it holds and ends it at once.
                using var abortBlocks = _abort.Token.Register(() =>
                {
                    foreach (var block in _blocks)
                    {
                        block.Fault(new OperationCanceledException(Abort));
                    }
                });
                var progressTask = ReportProgressAsync(progress.Token);
                await Task.WhenAll(_watched.Select(Quietly)).ConfigureAwait(false);
                await progress.CancelAsync().ConfigureAwait(false);
                await Quietly(progressTask).ConfigureAwait(false);
            }

            var status = _fault is not null ? RunStatus.Failed
                : _abort.IsCancellationRequested || Volatile.Read(ref _interrupted) != 0 ? RunStatus.Interrupted
                : RunStatus.Completed;

            if (status == RunStatus.Completed)
            {
                foreach (var (node, sink) in sinks)
                {
                    await RunNodeAsync(node.Name, () => sink.CommitAsync(CancellationToken.None).AsTask()).ConfigureAwait(false);
                }

                status = _fault is null ? RunStatus.Completed : RunStatus.Failed;
            }

            return Finish(status, started);
        }
        finally
        {
            foreach (var (node, sink) in sinks)
            {
                try
                {
                    await sink.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    RunnerLog.PipelineFailed(_logger, ex, _plan.Name, $"sink '{node.Name}' could not flush its output: {ex.Message}");
                }
            }

            _abort.Dispose();
        }
    }

    private PipelineResult Finish(RunStatus status, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        RunnerLog.PipelineEnded(_logger, _plan.Name, status.ToString().ToLowerInvariant(), (long)elapsed.TotalMilliseconds);
        return new PipelineResult(_plan.Name, status, elapsed, _plan.Nodes.Select(n => _stats[n.Name]).ToList(), _fault);
    }

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

        foreach (var node in _plan.Nodes.Where(n => n.Inputs.Count > 0))
        {
            if (node.Inputs.Count == 1)
            {
                _ports[(node.Inputs[0].Name, node.Name)] = _heads[node.Name];
                continue;
            }

            var buffers = node.Inputs.Select(input =>
            {
                var buffer = Track(new BufferBlock<Batch>(new DataflowBlockOptions { BoundedCapacity = 2, CancellationToken = Abort }));
                _ports[(input.Name, node.Name)] = buffer;
                return buffer;
            }).ToList();
            Watch(MergeAsync(buffers, _heads[node.Name]));
        }

        // Producers start last, once every port exists.
        foreach (var node in _plan.Nodes.Where(n => n.Kind == NodeKind.Source))
        {
            Watch(Task.Run(() => ProduceAsync(node, (ISource)node.Instance)));
        }
    }

    private ITargetBlock<Batch> CreateStepBlocks(PlannedNode node)
    {
        var stats = _stats[node.Name];
        var stepProcessor = new StepProcessor(_plan.Name, node.Name, (IStep)node.Instance, stats);
        var processor = _decorate?.Invoke(node, stepProcessor, stats) ?? stepProcessor;
        var parallelism = node.Definition.Parallelism;
        var lookahead = processor is ILookaheadProcessor { Lookahead: > 0 } ahead ? ahead : null;

        // The step's block. With a lookahead, each batch arrives with its lookup already started
        // (see below), so the block's queue is also how far lookups run ahead of the step.
        var transform = Track(new TransformBlock<Pending, Batch>(
            async pending =>
            {
                var batch = pending.Batch;
                var started = Stopwatch.GetTimestamp();
                var recordsIn = batch.Count;
                var output = await NotDropped(node, batch, pending.Prepared is null
                    ? processor.ProcessAsync(batch, Abort)
                    : FinishAsync(lookahead!, pending.Prepared)).ConfigureAwait(false);
                stats.AddBatch(recordsIn, output.Count, Stopwatch.GetTimestamp() - started);
                RunnerLog.BatchDone(_logger, _plan.Name, node.Name, batch.Id.Index, batch.Id.Source, recordsIn, output.Count);
                return output;
            },
            new ExecutionDataflowBlockOptions
            {
                MaxDegreeOfParallelism = parallelism,
                // At least twice the parallelism, or ordered output holds fast batches behind a slow one and stalls the workers.
                BoundedCapacity = Math.Max(2, 2 * parallelism) + (lookahead?.Lookahead ?? 0),
                EnsureOrdered = true,
                SingleProducerConstrained = true,
                CancellationToken = Abort,
            }));

        var emitter = Track(new ActionBlock<Batch>(
            batch => SendToConsumersAsync(node, batch),
            new ExecutionDataflowBlockOptions { BoundedCapacity = 1, CancellationToken = Abort }));
        transform.LinkTo(emitter);
        Watch(transform.Completion);
        Watch(CompleteWhenDone(transform.Completion, emitter));
        Watch(emitter.Completion);
        Watch(CompleteConsumersWhenDone(node, emitter.Completion));

        // The head takes batches one at a time, in order; it has no output buffer of its own, so a
        // fault or an abort ends it at once (a source block holding output for a dead target would not).
        var head = Track(new ActionBlock<Batch>(
            async batch =>
            {
                var prepared = lookahead is null ? null : Task.Run(() => lookahead.PrepareAsync(batch, Abort).AsTask());
                if (!await transform.SendAsync(new Pending(batch, prepared), Abort).ConfigureAwait(false))
                {
                    await AwaitDeclinedAsync(transform).ConfigureAwait(false);
                    throw new InvalidOperationException($"step '{node.Name}' stopped accepting batches");
                }
            },
            new ExecutionDataflowBlockOptions { BoundedCapacity = 1, CancellationToken = Abort }));
        Watch(head.Completion);
        Watch(CompleteWhenDone(head.Completion, transform));
        return head;
    }

    private async ValueTask<Batch> FinishAsync(ILookaheadProcessor lookahead, Task<PreparedBatch> prepared) =>
        await lookahead.FinishAsync(await prepared.ConfigureAwait(false), Abort).ConfigureAwait(false);

    /// <summary>A batch on its way into a step's block, with its cache lookup already under way (or none).</summary>
    private sealed record Pending(Batch Batch, Task<PreparedBatch>? Prepared);

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
        var sink = (ISink)node.Instance;
        var block = Track(new ActionBlock<Batch>(
            async batch =>
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await sink.WriteAsync(batch, Abort).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && Abort.IsCancellationRequested))
                {
                    throw new StepFailedException(_plan.Name, node.Name, batch, ex);
                }

                stats.AddBatch(batch.Count, batch.Count, Stopwatch.GetTimestamp() - started);
            },
            new ExecutionDataflowBlockOptions { BoundedCapacity = 2, CancellationToken = Abort }));
        Watch(block.Completion);
        return block;
    }

    private async Task ProduceAsync(PlannedNode node, ISource source)
    {
        var stats = _stats[node.Name];
        using var read = CancellationTokenSource.CreateLinkedTokenSource(_stop, Abort);
        var batchSize = _plan.BatchSize;
        var buffer = new List<Record>(batchSize);
        long index = 0, offset = 0;
        var busy = Stopwatch.GetTimestamp();
        try
        {
            await foreach (var record in source.ReadAsync(read.Token).WithCancellation(read.Token).ConfigureAwait(false))
            {
                buffer.Add(record ?? throw new InvalidOperationException($"source '{node.Name}' produced a null record at offset {offset + buffer.Count}"));
                if (buffer.Count < batchSize)
                {
                    continue;
                }

                busy = await EmitAsync(buffer).ConfigureAwait(false);
                buffer = new List<Record>(batchSize);
                if (_stop.IsCancellationRequested)
                {
                    break;
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
                await EmitAsync(buffer).ConfigureAwait(false);
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

        async Task<long> EmitAsync(List<Record> records)
        {
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
    private async Task MergeAsync(IReadOnlyList<BufferBlock<Batch>> inputs, ITargetBlock<Batch> target)
    {
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
    }

    private async Task CompleteConsumersWhenDone(PlannedNode node, Task completion)
    {
        await completion.ConfigureAwait(false);
        CompleteConsumers(node);
    }

    private static async Task CompleteWhenDone(Task completion, IDataflowBlock target)
    {
        await completion.ConfigureAwait(false);
        target.Complete();
    }

    private async Task RunNodeAsync(string node, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail(new InvalidOperationException($"pipeline '{_plan.Name}', node '{node}': {ex.Message}", ex));
        }
    }

    private T Track<T>(T block)
        where T : IDataflowBlock
    {
        _blocks.Add(block);
        return block;
    }

    private void Watch(Task task)
    {
        _watched.Add(task);
        task.ContinueWith(
            t => Fail(t.Exception!),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Fail(Exception exception)
    {
        var cause = exception is AggregateException aggregate
            ? aggregate.Flatten().InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) ?? aggregate.Flatten().InnerExceptions[0]
            : exception;
        if (cause is OperationCanceledException && Abort.IsCancellationRequested)
        {
            return; // a consequence of the abort, not a cause
        }

        if (Interlocked.CompareExchange(ref _fault, cause, null) is null)
        {
            if (cause is StepFailedException step)
            {
                RunnerLog.NodeFailed(_logger, cause, _plan.Name, step.Node, step.BatchId.Index, cause.Message);
            }
            else
            {
                RunnerLog.PipelineFailed(_logger, cause, _plan.Name, cause.Message);
            }

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
        using var timer = new PeriodicTimer(_options.ProgressInterval);
        var last = 0L;
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var records = sources.Sum(s => s.RecordsOut);
            RunnerLog.Progress(_logger, _plan.Name, records, (long)((records - last) / _options.ProgressInterval.TotalSeconds));
            last = records;
        }
    }

    private static Task Quietly(Task task) =>
        task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}

using System.Threading.Tasks.Dataflow;

namespace Flow.Execution;

/// <summary>
/// Makes every Dataflow block of one run, so that each gets the same treatment: the run's abort
/// token, a bounded capacity, a watched completion (a fault anywhere aborts the run), and a fault
/// when the run aborts (a block holding buffered output for a dead target would otherwise never end).
/// </summary>
internal sealed class BlockFactory
{
    private readonly CancellationToken _abort;
    private readonly Action<string, string, Task> _watch;
    private readonly List<IDataflowBlock> _blocks = new();

    /// <param name="abort">The run's abort token.</param>
    /// <param name="watch">Called with each block's node, its owner for messages (e.g. <c>step 'late'</c>) and its completion.</param>
    public BlockFactory(CancellationToken abort, Action<string, string, Task> watch)
    {
        _abort = abort;
        _watch = watch;
    }

    /// <summary>An ordered transform running up to <paramref name="parallelism"/> items at once.</summary>
    public TransformBlock<TInput, TOutput> Transform<TInput, TOutput>(string node, string owner, Func<TInput, Task<TOutput>> transform, int parallelism, int capacity) =>
        Track(node, owner, new TransformBlock<TInput, TOutput>(transform, new ExecutionDataflowBlockOptions
        {
            MaxDegreeOfParallelism = parallelism,
            BoundedCapacity = capacity,
            EnsureOrdered = true,
            CancellationToken = _abort,

            // Not SingleProducerConstrained: an abort faults blocks from another thread while a producer may still be sending.
        }));

    /// <summary>An action block taking one item at a time.</summary>
    public ActionBlock<T> Action<T>(string node, string owner, Func<T, Task> action, int capacity) =>
        Track(node, owner, new ActionBlock<T>(action, new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = capacity,
            CancellationToken = _abort,
        }));

    /// <summary>A bounded buffer (the inputs of a fan-in).</summary>
    public BufferBlock<T> Buffer<T>(string node, string owner, int capacity) =>
        Track(node, owner, new BufferBlock<T>(new DataflowBlockOptions { BoundedCapacity = capacity, CancellationToken = _abort }));

    /// <summary>Faults every block made so far, dropping what they hold: called once, when the run aborts.</summary>
    public void FaultAll()
    {
        foreach (var block in _blocks)
        {
            block.Fault(new OperationCanceledException(_abort));
        }
    }

    private T Track<T>(string node, string owner, T block)
        where T : IDataflowBlock
    {
        _blocks.Add(block);
        _watch(node, owner, block.Completion);
        return block;
    }
}

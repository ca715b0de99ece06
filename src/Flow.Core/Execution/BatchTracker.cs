namespace Flow.Execution;

/// <summary>
/// Counts, for each batch of a batch source, the sinks that still have to write what came of it,
/// and tells the source's receipt once all have (or once the batch failed). When the run's outputs
/// are published only at its end, completions are held until the publish succeeded, and dropped
/// if it did not: a batch is acknowledged only once its output is where readers look for it.
/// </summary>
internal sealed class BatchTracker
{
    private readonly object _gate = new();
    private readonly Dictionary<BatchId, (IBatchReceipt Receipt, int Pending)> _open = new();
    private readonly List<IBatchReceipt> _held = new();
    private readonly bool _holdUntilPublished;

    /// <param name="holdUntilPublished">True when some sink publishes its output only at the end of the run.</param>
    public BatchTracker(bool holdUntilPublished) => _holdUntilPublished = holdUntilPublished;

    /// <summary>Starts tracking a batch that <paramref name="sinks"/> sinks will write.</summary>
    public void Register(BatchId id, IBatchReceipt receipt, int sinks)
    {
        IBatchReceipt? now = null;
        var held = false;
        lock (_gate)
        {
            if (sinks == 0)
            {
                now = Complete(receipt);
                held = now is null;
            }
            else
            {
                _open[id] = (receipt, sinks);
            }
        }

        now?.Completed();
        if (held)
        {
            receipt.Written();
        }
    }

    /// <summary>Whether the batch is tracked (its source waits for every sink's write) and still open.</summary>
    public bool Tracks(BatchId id)
    {
        lock (_gate)
        {
            return _open.ContainsKey(id);
        }
    }

    /// <summary>Whether the batch's source takes its failures upon itself.</summary>
    public bool HandlesFailures(BatchId id)
    {
        lock (_gate)
        {
            return _open.TryGetValue(id, out var open) && open.Receipt.HandlesFailures;
        }
    }

    /// <summary>One sink wrote what came of the batch.</summary>
    public void SinkWrote(BatchId id)
    {
        IBatchReceipt? now;
        IBatchReceipt written;
        lock (_gate)
        {
            if (!_open.TryGetValue(id, out var open))
            {
                return; // not a tracked batch (an ordinary source's), or already failed
            }

            if (open.Pending > 1)
            {
                _open[id] = (open.Receipt, open.Pending - 1);
                return;
            }

            _open.Remove(id);
            written = open.Receipt;
            now = Complete(open.Receipt);
        }

        // Outside the lock: a receipt may do work of its own (queue an acknowledgement).
        if (now is null)
        {
            written.Written(); // held until the publish
        }

        now?.Completed();
    }

    /// <summary>The batch failed: its receipt hears it once, and no later write completes it.</summary>
    public void Failed(BatchId id, Exception error)
    {
        IBatchReceipt? receipt = null;
        lock (_gate)
        {
            if (_open.Remove(id, out var open))
            {
                receipt = open.Receipt;
            }
        }

        receipt?.Failed(error);
    }

    /// <summary>The outputs were published: the held completions go through.</summary>
    public void Published()
    {
        List<IBatchReceipt> held;
        lock (_gate)
        {
            held = [.. _held];
            _held.Clear();
        }

        foreach (var receipt in held)
        {
            receipt.Completed();
        }
    }

    // Called under the lock: the receipt to tell now, or null when it waits for the publish.
    private IBatchReceipt? Complete(IBatchReceipt receipt)
    {
        if (!_holdUntilPublished)
        {
            return receipt;
        }

        _held.Add(receipt);
        return null;
    }
}

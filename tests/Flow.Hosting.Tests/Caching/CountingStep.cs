using System.Collections.Concurrent;
using System.Globalization;
using Flow.Batches;
using Flow.Parameters;
using Flow.Steps;

namespace Flow.Hosting.Tests.Caching;

/// <summary>
/// What one <see cref="CountingStep"/> node did: how often it computed, which batches, and hooks to
/// fail a batch or act before one. Shared by every run of a test, so a later run can be compared.
/// </summary>
internal sealed class StepProbe
{
    private readonly ConcurrentQueue<long> _batches = new();
    private int _calls;

    /// <summary>ProcessAsync calls (computed batches, a failing one included).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Indexes of the batches the step was called for.</summary>
    public IReadOnlyCollection<long> Batches => _batches.ToArray();

    /// <summary>When set, the step throws on the batch with this index.</summary>
    public long? FailOnBatch { get; set; }

    /// <summary>When set, runs before the step processes a batch (given the batch index).</summary>
    public Func<long, Task>? BeforeBatch { get; set; }

    public void Reset()
    {
        Interlocked.Exchange(ref _calls, 0);
        _batches.Clear();
    }

    public async Task EnterAsync(long batchIndex)
    {
        Interlocked.Increment(ref _calls);
        _batches.Enqueue(batchIndex);
        if (BeforeBatch is { } before)
        {
            await before(batchIndex).ConfigureAwait(false);
        }

        if (FailOnBatch == batchIndex)
        {
            throw new InvalidOperationException($"probe fault on batch {batchIndex}");
        }
    }
}

/// <summary>The probes of a test, one per step node name (the name is not part of a step's signature).</summary>
internal sealed class StepProbes
{
    private readonly ConcurrentDictionary<string, StepProbe> _probes = new(StringComparer.Ordinal);

    public StepProbe this[string node] => _probes.GetOrAdd(node, _ => new StepProbe());

    public void ResetAll()
    {
        foreach (var probe in _probes.Values)
        {
            probe.Reset();
        }
    }
}

/// <summary>
/// Step type <c>Counting</c>: counts its calls in a <see cref="StepProbe"/> and passes records
/// through; with <c>Field</c>, sets that field to the number <c>Value</c> (default 1) on every record.
/// </summary>
[ReadsBatchPosition]
internal sealed class CountingStep : IStep
{
    private readonly StepProbe _probe;
    private readonly string? _field;
    private readonly double _value;

    public CountingStep(StepProbe probe, NodeParameters parameters)
    {
        _probe = probe;
        _field = parameters.GetString("Field");
        _value = parameters.GetDouble("Value", 1);

        // A free-form section the step accepts without reading: it still signs, by its text.
        parameters.Accept("Note");
    }

    public async ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        await _probe.EnterAsync(batch.Id.Index).ConfigureAwait(false);
        if (_field is not null)
        {
            foreach (var record in batch.Records)
            {
                record[_field] = _value;
            }
        }

        return batch.Records;
    }
}

namespace Flow.Batches;

/// <summary>
/// A batch of records flowing between nodes. Every step turns one batch into exactly one batch
/// (possibly empty), so a batch's identity travels from its source to the sinks.
/// </summary>
/// <remarks>
/// A node owns the batch it receives: it may change its records in place. When a node feeds
/// several others, each gets its own copy.
/// </remarks>
public sealed class Batch
{
    /// <summary>Creates a batch.</summary>
    public Batch(BatchId id, IReadOnlyList<Record> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        Id = id;
        Records = records;
    }

    /// <summary>The batch's deterministic identity.</summary>
    public BatchId Id { get; }

    /// <summary>The records, in source order.</summary>
    public IReadOnlyList<Record> Records { get; }

    /// <summary>
    /// The records' serialized bytes, when the caching decorator already has them (it produced or
    /// replayed this batch), so the next step's cache key does not serialize the same records again.
    /// Null when unknown. Only set on a batch nobody has changed since.
    /// </summary>
    internal ReadOnlyMemory<byte>? Encoded { get; private init; }

    /// <summary>Number of records.</summary>
    public int Count => Records.Count;

    /// <summary>A new batch with the same identity and other records.</summary>
    public Batch With(IReadOnlyList<Record> records) => new(Id, records);

    /// <summary>A new batch with the same identity, other records, and those records' serialized bytes.</summary>
    internal Batch With(IReadOnlyList<Record> records, ReadOnlyMemory<byte> encoded) => new(Id, records) { Encoded = encoded };

    /// <summary>A deep copy (records copied too).</summary>
    public Batch Clone()
    {
        var copy = new Record[Records.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Records[i].Clone();
        }

        return new Batch(Id, copy) { Encoded = Encoded };
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({Count} records)";
}

using Flow.Batches;

namespace Flow;

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
    private readonly BatchId _id;

    // Set on the view a step gets when it has not declared [ReadsBatchPosition]: its cache key
    // covers only the records, so reading the position would let a replay serve another position's output.
    private readonly bool _positionHidden;

    /// <summary>Creates a batch.</summary>
    public Batch(BatchId id, IReadOnlyList<Record> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        _id = id;
        Records = records;
    }

    private Batch(Batch batch, bool positionHidden)
    {
        _id = batch._id;
        Records = batch.Records;
        Encoded = batch.Encoded;
        _positionHidden = positionHidden;
    }

    /// <summary>
    /// The batch's deterministic identity: source, index and offset. A step may read it only when its
    /// class is marked <see cref="ReadsBatchPositionAttribute"/> (then the position joins its cache key);
    /// otherwise reading it throws, since a cached result would be replayed at other positions.
    /// </summary>
    /// <exception cref="InvalidOperationException">A step that did not declare <see cref="ReadsBatchPositionAttribute"/> reads it.</exception>
    public BatchId Id => _positionHidden
        ? throw new InvalidOperationException(
            "this step reads the batch's position (Batch.Id) without declaring it: mark the step's class [ReadsBatchPosition], "
            + "so that the position joins its cache key and a cached result is never replayed at another position")
        : _id;

    /// <summary>The identity, for the framework (logs, keys, sinks), whatever a step may see.</summary>
    internal BatchId Identity => _id;

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
    public Batch With(IReadOnlyList<Record> records) => new(_id, records);

    /// <summary>A new batch with the same identity, other records, and those records' serialized bytes.</summary>
    internal Batch With(IReadOnlyList<Record> records, ReadOnlyMemory<byte> encoded) => new(_id, records) { Encoded = encoded };

    /// <summary>
    /// True for the stand-in of a batch that failed in a step whose source takes failures upon itself
    /// (a stream delivers its entries again): it carries no records, passes the later nodes untouched,
    /// and no sink writes it, so the order of the others is kept.
    /// </summary>
    internal bool IsFailed { get; private init; }

    /// <summary>
    /// The error records of the records a step failed on (see <c>ErrorRecords</c>), on its output
    /// on the way to the emitter that sends them to the step's error sink; null when none failed.
    /// </summary>
    internal IReadOnlyList<Record>? Errors { get; private init; }

    /// <summary>This batch carrying <paramref name="errors"/> for the error sink.</summary>
    internal Batch WithErrors(IReadOnlyList<Record> errors) => new(_id, Records) { Encoded = Encoded, Errors = errors };

    /// <summary>This batch without its <see cref="Errors"/> (once they went to the error sink).</summary>
    internal Batch WithoutErrors() => Errors is null ? this : new(_id, Records) { Encoded = Encoded, IsFailed = IsFailed };

    /// <summary>The stand-in of this batch after it failed (see <see cref="IsFailed"/>).</summary>
    internal Batch AsFailed() => new(_id, Array.Empty<Record>()) { IsFailed = true };

    /// <summary>The view of this batch a step gets: the same records, the position hidden unless the step reads it.</summary>
    internal Batch ForStep(bool readsPosition) => readsPosition ? this : new Batch(this, positionHidden: true);

    /// <summary>A deep copy (records copied too).</summary>
    public Batch Clone()
    {
        var copy = new Record[Records.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Records[i].Clone();
        }

        return new Batch(_id, copy) { Encoded = Encoded };
    }

    /// <inheritdoc />
    public override string ToString() => $"{_id} ({Count} records)";
}

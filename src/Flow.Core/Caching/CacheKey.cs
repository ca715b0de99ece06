using Flow.Caching;

namespace Flow;

/// <summary>
/// The key of one step's output for one input batch: the step signature hash and the input batch
/// hash, both lowercase hex. Together they are the content address of the entry.
/// </summary>
/// <param name="Signature">Hash of the step's signature (type, version, canonical parameters, format version).</param>
/// <param name="Input">Hash of the input batch's serialized bytes.</param>
public readonly record struct CacheKey(string Signature, string Input)
{
    /// <inheritdoc />
    public override string ToString() => Signature + "/" + Input;
}

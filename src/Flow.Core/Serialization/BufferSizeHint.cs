using System.Buffers;

namespace Flow.Serialization;

/// <summary>
/// How large the last buffer of one writer kind grew, so that the next one is rented that large at once:
/// the batches of a run are alike, and a buffer that starts too small is copied at every doubling
/// (a 34 KB cache payload grew from 16 KB twice per batch). Shared by threads without a lock: a lost
/// update only costs one growth.
/// </summary>
internal sealed class BufferSizeHint
{
    // A batch far larger than the rest does not make every later buffer that large.
    private const int Maximum = 4 << 20;

    private readonly int _minimum;
    private int _size;

    public BufferSizeHint(int minimum)
    {
        _minimum = minimum;
        _size = minimum;
    }

    /// <summary>A pooled buffer of the hinted size (at least the minimum it was made with).</summary>
    public byte[] Rent() => ArrayPool<byte>.Shared.Rent(Volatile.Read(ref _size));

    /// <summary>Notes that a buffer held <paramref name="length"/> bytes; the next is rented an eighth larger.</summary>
    public void Used(int length) => Volatile.Write(ref _size, (int)Math.Clamp(length + (long)length / 8, _minimum, Maximum));
}

using System.Buffers;

namespace Flow.Serialization;

/// <summary>Growing a byte buffer rented from the shared pool, for the writers that build a batch's bytes in one buffer.</summary>
internal static class PooledBuffer
{
    /// <summary>
    /// Replaces <paramref name="buffer"/> with a pooled one at least twice as large that has room for
    /// <paramref name="size"/> bytes after its first <paramref name="used"/> bytes, which it keeps; the
    /// old buffer goes back to the pool. False when that would exceed the largest array.
    /// </summary>
    public static bool TryGrow(ref byte[] buffer, int used, int size)
    {
        var needed = (long)used + size;
        if (needed > Array.MaxLength)
        {
            return false;
        }

        var next = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(needed, (long)buffer.Length * 2), Array.MaxLength));
        buffer.AsSpan(0, used).CopyTo(next);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = next;
        return true;
    }
}

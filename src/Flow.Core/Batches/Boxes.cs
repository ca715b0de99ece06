namespace Flow.Batches;

/// <summary>
/// Shared boxes for record values: the two booleans and the small longs (counts, flags, small codes,
/// most of the longs in real batches). Boxes are immutable, so every reader hands out the same ones
/// instead of allocating a box per value.
/// </summary>
internal static class Boxes
{
    private const int SmallLongMin = -128;
    private const int SmallLongMax = 1023;
    private static readonly object[] SmallLongs = CreateSmallLongs();

    /// <summary>The boxed <see langword="true"/>.</summary>
    public static readonly object True = true;

    /// <summary>The boxed <see langword="false"/>.</summary>
    public static readonly object False = false;

    /// <summary><paramref name="value"/> boxed: one of the two shared boxes.</summary>
    public static object Of(bool value) => value ? True : False;

    /// <summary><paramref name="value"/> boxed: a shared box for a small value, a new one otherwise.</summary>
    public static object Of(long value) => value is >= SmallLongMin and <= SmallLongMax ? SmallLongs[value - SmallLongMin] : value;

    private static object[] CreateSmallLongs()
    {
        var boxes = new object[SmallLongMax - SmallLongMin + 1];
        for (var i = 0; i < boxes.Length; i++)
        {
            boxes[i] = (long)(i + SmallLongMin);
        }

        return boxes;
    }
}

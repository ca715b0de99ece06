using System.Runtime.CompilerServices;

namespace Flow.Batches;

/// <summary>
/// The names arrays that records sharing one layout grow into when a step adds a field: a Compute
/// setting <c>route</c> on every record read with the layout <c>[date, delay, ...]</c> moves each of
/// them to one shared <c>[date, delay, ..., route]</c> instead of giving each record its own copy of
/// the names. Shared arrays are never written (a record that changes its names in any other way
/// copies them first), so one array serves every record and every thread.
/// </summary>
/// <remarks>
/// Each thread remembers its last growths in a small direct-mapped table keyed by the identity of
/// the layout, the field count and the name; a miss (a new layout, or two growths that collide)
/// only costs the array a record would have copied anyway.
/// </remarks>
internal static class SharedLayouts
{
    private const int Slots = 64;

    [ThreadStatic]
    private static Growth[]? t_growths;

    /// <summary>The first <paramref name="count"/> names of <paramref name="layout"/> followed by <paramref name="name"/>, as a shared array.</summary>
    public static string[] Grow(string[] layout, int count, string name)
    {
        var growths = t_growths ??= new Growth[Slots];
        ref var slot = ref growths[(RuntimeHelpers.GetHashCode(layout) ^ RuntimeHelpers.GetHashCode(name) ^ count) & (Slots - 1)];
        if (ReferenceEquals(slot.From, layout) && slot.Count == count && ReferenceEquals(slot.Name, name))
        {
            return slot.To;
        }

        var grown = new string[count + 1];
        Array.Copy(layout, grown, count);
        grown[count] = name;
        slot = new Growth(layout, count, name, grown);
        return grown;
    }

    private readonly record struct Growth(string[] From, int Count, string Name, string[] To);
}

using System.Runtime.ExceptionServices;

namespace Flow.Serialization;

/// <summary>
/// A parse whose <see cref="FormatException"/> is returned rather than thrown, so that the records
/// read before the fault are handed on first and the fault after them, as the readers promise.
/// </summary>
internal static class FormatErrors
{
    /// <summary>Runs <paramref name="parse"/> over <paramref name="state"/>; its format error, or null.</summary>
    public static ExceptionDispatchInfo? Catch<TState>(TState state, Action<TState> parse)
    {
        try
        {
            parse(state);
            return null;
        }
        catch (FormatException ex)
        {
            return ExceptionDispatchInfo.Capture(ex);
        }
    }
}

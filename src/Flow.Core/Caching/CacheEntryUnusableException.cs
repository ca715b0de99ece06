using Flow.Caching;

namespace Flow;

/// <summary>
/// One entry (or metadata document) exists in the store but cannot be used: a folder or a hash
/// sits where it should be, its file cannot be opened, it is too short to hold its header. This is
/// the entry's problem, not the store's: the caller treats it as a logged miss and the next write
/// of that key replaces it. It never counts as a store failure and never fails a run.
/// </summary>
public sealed class CacheEntryUnusableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">What is wrong with the entry, e.g. <c>a folder is in the entry's place</c>.</param>
    /// <param name="innerException">The original exception, if any.</param>
    public CacheEntryUnusableException(string reason, Exception? innerException = null)
        : base(reason, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        Reason = reason;
    }

    /// <summary>What is wrong with the entry.</summary>
    public string Reason { get; }
}

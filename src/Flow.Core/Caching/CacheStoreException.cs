using Flow.Caching;

namespace Flow;

/// <summary>
/// A cache store call failed for a reason of the store's own (it is down, it refuses the
/// credentials, its folder may not be written), as opposed to one entry being unusable
/// (<see cref="CacheEntryUnusableException"/>). Stores throw it so that a log line and
/// <c>flow cache</c> can say exactly what is wrong in one sentence, with no stack trace and no
/// secret: the message never holds a password or a connection string.
/// </summary>
/// <remarks>
/// The message reads <c>cache store {Store} {Problem}[: {Detail}][; {Hint}]</c>, e.g.
/// <c>cache store Redis 127.0.0.1:6379 cannot be reached: socket failure; is redis-server running?</c>.
/// </remarks>
public sealed class CacheStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="store">The store as named in the sentence, e.g. <c>Redis 127.0.0.1:6379</c> or <c>File .flow/cache</c>.</param>
    /// <param name="failure">The kind of failure.</param>
    /// <param name="problem">What is wrong, as a verb phrase: <c>cannot be reached</c>, <c>cannot be written</c>.</param>
    /// <param name="detail">Optional cause: <c>socket failure</c>, <c>permission denied on '/x'</c>.</param>
    /// <param name="hint">Optional advice: <c>is redis-server running?</c>.</param>
    /// <param name="innerException">The original exception (logged at Debug only).</param>
    public CacheStoreException(string store, CacheStoreFailure failure, string problem, string? detail = null, string? hint = null, Exception? innerException = null)
        : base(Compose("cache store " + store, problem, null, detail, hint), innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(store);
        ArgumentException.ThrowIfNullOrEmpty(problem);
        Store = store;
        Failure = failure;
        Problem = problem;
        Detail = detail;
        Hint = hint;
    }

    private CacheStoreException(string message, CacheStoreException cause)
        : base(message, cause)
    {
        Store = cause.Store;
        Failure = cause.Failure;
        Problem = cause.Problem;
        Detail = cause.Detail;
        Hint = cause.Hint;
        IsRequiredFailure = true;
    }

    /// <summary>The store as named in the message.</summary>
    public string Store { get; }

    /// <summary>The kind of failure.</summary>
    public CacheStoreFailure Failure { get; }

    /// <summary>What is wrong, as a verb phrase (<c>cannot be reached</c>).</summary>
    public string Problem { get; }

    /// <summary>The cause, when known (<c>socket failure</c>).</summary>
    public string? Detail { get; }

    /// <summary>Advice, when there is some (<c>is redis-server running?</c>).</summary>
    public string? Hint { get; }

    /// <summary>The failure in a few words without the store's name, for a log line that names it already.</summary>
    public string Reason => Compose(null, Problem, null, Detail, Hint);

    /// <summary>
    /// The cause alone, for a log line that already says which calls fail (<c>writes to File
    /// .flow/cache fail (permission denied on '...')</c>): the detail when there is one.
    /// </summary>
    public string Cause => Compose(null, Detail ?? Problem, null, null, Hint);

    /// <summary>Whether the whole store fails (down, credentials refused, no answer), not one kind of call.</summary>
    public bool IsWholeStore => Failure is CacheStoreFailure.Unreachable or CacheStoreFailure.CredentialsRejected or CacheStoreFailure.TimedOut;

    /// <summary>True for the exception that ends a run because <c>Flow:Cache:Required</c> is true.</summary>
    internal bool IsRequiredFailure { get; }

    /// <summary>The same failure, worded as the end of a run whose cache is required.</summary>
    internal CacheStoreException AsRequired() =>
        IsRequiredFailure ? this : new(Compose("the cache store " + Store, Problem, "and Flow:Cache:Required is true", Detail, Hint), this);

    /// <summary>
    /// <paramref name="exception"/> as a store failure: itself when it is one, else a
    /// <see cref="CacheStoreFailure.Failed"/> naming its base message (for stores that throw
    /// plain exceptions).
    /// </summary>
    internal static CacheStoreException From(string store, Exception exception) => exception as CacheStoreException
        ?? new CacheStoreException(store, CacheStoreFailure.Failed, "failed", exception.GetBaseException().Message, innerException: exception);

    private static string Compose(string? subject, string problem, string? condition, string? detail, string? hint)
    {
        var text = subject is null ? problem : subject + " " + problem;
        if (condition is not null)
        {
            text += " " + condition;
        }

        if (detail is not null)
        {
            text += ": " + detail;
        }

        if (hint is not null)
        {
            text += (detail is null ? ": " : "; ") + hint;
        }

        return text;
    }
}

using Flow.Caching;

namespace Flow;

/// <summary>What kind of trouble a <see cref="CacheStoreException"/> reports.</summary>
public enum CacheStoreFailure
{
    /// <summary>Something else went wrong; the message says what.</summary>
    Failed = 0,

    /// <summary>The store cannot be reached at all (a server that is down, a network that is cut).</summary>
    Unreachable,

    /// <summary>The store was reached but refused the credentials (a wrong password).</summary>
    CredentialsRejected,

    /// <summary>The store did not answer within its bound.</summary>
    TimedOut,

    /// <summary>The store's files or folders may not be read or written (permissions, a read-only folder).</summary>
    AccessDenied,

    /// <summary>A file is where the store's folder should be.</summary>
    NotAFolder,
}

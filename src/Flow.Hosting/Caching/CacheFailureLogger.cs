using Flow.Caching;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Caching;

/// <summary>
/// Wraps the runner's logger so that a pipeline failed by its required cache store is one line:
/// an event at Warning or above whose exception is a <see cref="CacheStoreException"/> is logged
/// without the exception (its message already names the store and the failure), and the
/// exception, stack trace included, goes to Debug. Every other event passes through unchanged.
/// </summary>
internal sealed partial class CacheFailureLogger : ILogger
{
    private readonly ILogger _inner;

    public CacheFailureLogger(ILogger inner)
    {
        _inner = inner;
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (exception is null || logLevel < LogLevel.Warning || !IsStoreFailure(exception))
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }

        _inner.Log(logLevel, eventId, state, null, formatter);
        LogDetail(_inner, exception);
    }

    internal static bool IsStoreFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is CacheStoreException)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 212, Level = LogLevel.Debug, Message = "Details of the cache store failure")]
    private static partial void LogDetail(ILogger logger, Exception exception);
}

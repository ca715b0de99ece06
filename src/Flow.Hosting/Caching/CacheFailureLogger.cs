using Flow.Caching;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Caching;

/// <summary>
/// Wraps the runner's logger so that a pipeline failed by its required cache store is one line:
/// an event at Warning or above whose exception is a <see cref="CacheStoreException"/> is logged
/// without the exception (its message already names the store and the failure), and the
/// exception, stack trace included, goes to Debug. Every other event passes through unchanged.
/// </summary>
/// <typeparam name="T">The category, as for <see cref="ILogger{TCategoryName}"/>.</typeparam>
internal sealed class CacheFailureLogger<T> : ILogger<T>
{
    private readonly ILogger _inner;

    public CacheFailureLogger(ILogger<T> inner)
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
        CacheLog.FailureDetail(_inner, exception);
    }

    private static bool IsStoreFailure(Exception exception)
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
}

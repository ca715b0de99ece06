using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Flow.Redis.Streams;

/// <summary>
/// How a stream node lives through Redis trouble: a call that failed for a passing reason (no
/// connection, no answer, a server still loading) is retried after a pause that doubles up to
/// <see cref="MaxDelay"/>, never in a hot loop; the outage is logged once when it starts, then at most
/// once a minute while it lasts, and once when Redis answers again. Messages name the endpoints and
/// what failed, never the connection string (which can hold the password).
/// </summary>
internal sealed partial class RedisOutage
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RepeatEvery = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger;
    private readonly string _who;
    private readonly string _endpoints;
    private readonly object _gate = new();
    private DateTime _since;
    private DateTime _lastLogged;
    private TimeSpan _delay = FirstDelay;
    private long _failures;

    /// <param name="logger">Where the lines go.</param>
    /// <param name="who">The node, for messages: <c>source 'in' of pipeline 'p'</c>.</param>
    /// <param name="endpoints">The server's endpoints (never the connection string).</param>
    public RedisOutage(ILogger logger, string who, string endpoints)
    {
        _logger = logger;
        _who = who;
        _endpoints = endpoints;
    }

    /// <summary>Whether an outage is going on (some call failed and none succeeded since).</summary>
    public bool Active
    {
        get
        {
            lock (_gate)
            {
                return _failures > 0;
            }
        }
    }

    /// <summary>Whether <paramref name="exception"/> is Redis trouble that passes: retry the call.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        _ when IsAuthenticationFailure(exception) || IsTlsFailure(exception) => false,
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                       || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("BUSY ", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>True for a NOGROUP reply: the consumer group (or the stream) is gone, as after a Redis restart without persistence.</summary>
    public static bool IsNoGroup(Exception exception) =>
        exception is RedisServerException server && server.Message.StartsWith("NOGROUP", StringComparison.Ordinal);

    /// <summary>What went wrong, in words that hold no secret.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        _ when IsTlsFailure(exception) => "failed the TLS handshake (certificate not trusted, or no TLS)",
        _ when IsAuthenticationFailure(exception) => "rejected the credentials (AUTH failed)",
        RedisTimeoutException or TimeoutException => "did not answer in time",
        RedisConnectionException connection => "cannot be reached (" + connection.FailureType + ")",
        RedisServerException server => "refused the command: " + FirstLine(server.Message),
        RedisException other => "failed (" + other.GetType().Name + ")",
        _ => exception.GetType().Name + ": " + FirstLine(exception.Message),
    };

    /// <summary>
    /// The exception a node throws for a failure it does not retry, worded without secrets (the
    /// client's own message is not kept: only the type of the cause).
    /// </summary>
    public Exception Fatal(Exception exception, string doing) =>
        new InvalidOperationException($"{_who}: Redis at {_endpoints} {Describe(exception)} while {doing}"
                                      + (IsAuthenticationFailure(exception) ? ": check the password in the connection string" : ""));

    /// <summary>Logs the failure (once, then once a minute) and waits before the next attempt.</summary>
    public async Task PauseAsync(Exception exception, string doing, CancellationToken cancellationToken)
    {
        TimeSpan delay;
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            if (_failures++ == 0)
            {
                _since = now;
                _lastLogged = now;
                Log.Outage(_logger, _who, _endpoints, Describe(exception), doing);
            }
            else if (now - _lastLogged >= RepeatEvery)
            {
                _lastLogged = now;
                Log.OutageGoesOn(_logger, _who, _endpoints, Describe(exception), (long)(now - _since).TotalSeconds);
            }

            delay = _delay;
            _delay = TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, MaxDelay.Ticks));
        }

        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A call succeeded: ends an outage (and says so).</summary>
    public void Succeeded()
    {
        // Called after every call: without an outage it reads one field and takes no lock (the
        // source's reading loop, its maintenance and the sink would contend for it on every call).
        if (Volatile.Read(ref _failures) == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_failures == 0)
            {
                return;
            }

            Log.Recovered(_logger, _who, _endpoints, (long)(DateTime.UtcNow - _since).TotalSeconds, _failures);
            _failures = 0;
            _delay = FirstDelay;
        }
    }

    private static bool IsAuthenticationFailure(Exception exception) => Caching.RedisCacheStore.IsAuthenticationFailure(exception);

    private static bool IsTlsFailure(Exception exception) => Caching.RedisCacheStore.IsTlsFailure(exception);

    private static string FirstLine(string text)
    {
        var end = text.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? text : text[..end];
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "{Who}: Redis at {Endpoints} {Problem} while {Doing}; waiting and retrying (logged again every minute while it lasts)")]
        public static partial void Outage(ILogger logger, string who, string endpoints, string problem, string doing);

        [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "{Who}: Redis at {Endpoints} still {Problem}, for {Seconds} s now; still retrying")]
        public static partial void OutageGoesOn(ILogger logger, string who, string endpoints, string problem, long seconds);

        [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "{Who}: Redis at {Endpoints} answers again, after {Seconds} s and {Failures} failed calls")]
        public static partial void Recovered(ILogger logger, string who, string endpoints, long seconds, long failures);
    }
}

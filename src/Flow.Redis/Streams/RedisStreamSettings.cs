using Flow.Redis.Caching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Redis.Streams;

/// <summary>Settings the stream source and sink share.</summary>
internal static class RedisStreamSettings
{
    /// <summary>Used when neither the node's <c>Redis</c> nor <c>Flow:Cache:Redis</c> is set.</summary>
    public const string DefaultConnection = "127.0.0.1:6379";

    /// <summary>
    /// The node's connection string: its <c>Redis</c> parameter, else <c>Flow:Cache:Redis</c> (so one
    /// setting serves a Redis cache and the streams), else 127.0.0.1:6379. A password or TLS settings
    /// go in the string, which may come from an environment variable like any setting; it is never logged.
    /// </summary>
    public static string Connection(NodeContext context, NodeParameters parameters)
    {
        var configuration = parameters.GetString("Redis")
                            ?? context.Services.GetService<IConfiguration>()?["Flow:Cache:Redis"]
                            ?? DefaultConnection;
        if (!RedisCacheStoreFactory.IsValidConfiguration(configuration))
        {
            // Not the text itself: it may hold a password.
            throw parameters.Error("Redis", "is not a StackExchange.Redis connection string (host:port[,password=...][,ssl=true])");
        }

        return configuration;
    }

    /// <summary>The node's <c>Stream</c>: required, and a name whose derived keys hash to its slot (<see cref="StreamKeys"/>).</summary>
    public static string Stream(NodeParameters parameters)
    {
        var stream = parameters.GetRequiredString("Stream");
        if (StreamKeys.Problem(stream) is { } problem)
        {
            throw parameters.Error("Stream", problem);
        }

        return stream;
    }

    /// <summary>The node's <c>Field</c>: the entry field that holds a record (default <c>data</c>).</summary>
    public static string Field(NodeParameters parameters)
    {
        var field = parameters.GetString("Field", "data")!;
        if (field.Length == 0)
        {
            throw parameters.Error("Field", "must not be empty");
        }

        return field;
    }
}

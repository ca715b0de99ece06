using Flow;
using Flow.Redis.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis cache store.</summary>
public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Redis cache store (<c>Flow:Cache:Store=Redis</c>): <c>Flow:Cache:Redis</c> is a
    /// StackExchange.Redis connection string (password and TLS go there, never in logs), keys live
    /// under <c>Flow:Cache:KeyPrefix</c>, and <c>Flow:Cache:ConnectTimeout</c> and
    /// <c>Flow:Cache:OperationTimeout</c> bound every wait. One connection per process.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddRedisCacheStore(this IServiceCollection services) =>
        services.AddCacheStore(
            "Redis",
            async (provider, options, cancellationToken) => await RedisCacheStoreFactory.ConnectAsync(
                new RedisCacheStoreOptions
                {
                    Configuration = options.Redis,
                    KeyPrefix = options.KeyPrefix,
                    ConnectTimeout = options.ConnectTimeout,
                    OperationTimeout = options.OperationTimeout,
                    ConfigurationName = "Flow:Cache:Redis",
                },
                (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("Flow.Redis"),
                cancellationToken).ConfigureAwait(false),
            options => RedisCacheStoreFactory.IsValidConfiguration(options.Redis)
                ? []
                : [new ConfigurationError("Flow:Cache:Redis", "is not a StackExchange.Redis connection string (host:port[,password=...][,ssl=true]); Flow:Cache:Store is Redis")]);
}

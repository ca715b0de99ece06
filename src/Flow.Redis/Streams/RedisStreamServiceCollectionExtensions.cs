using Flow;
using Flow.Pipelines;
using Flow.Redis.Streams;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis Streams source and sink.</summary>
public static class RedisStreamServiceCollectionExtensions
{
    /// <summary>
    /// Registers node type <c>RedisStream</c> as a source (a consumer of a consumer group; its batches
    /// keep their identity across crashes and are acknowledged once every sink wrote them) and as a sink
    /// (adds a batch's records once within its <c>DedupWindow</c>). Both connect with their <c>Redis</c>
    /// parameter, else <c>Flow:Cache:Redis</c>; one connection per connection string per process.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddRedisStreams(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<RedisStreamConnections>();
        services.AddSingleton(new NodeTypeRegistration(registry =>
        {
            registry.Register(
                NodeKind.Source,
                "RedisStream",
                c => new RedisStreamSource(c, c.Services.GetRequiredService<RedisStreamConnections>()),
                parameters: RedisStreamSource.Parameters);
            registry.Register(
                NodeKind.Sink,
                "RedisStream",
                c => new RedisStreamSink(c, c.Services.GetRequiredService<RedisStreamConnections>()),
                parameters: RedisStreamSink.Parameters);
        }));
        return services;
    }
}

using Flow.Hosting.Building;
using Flow.Hosting.Caching;
using Flow.Hosting.Options;
using Flow.Hosting.Running;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Flow.Redis.Caching;

namespace Flow.Hosting;

/// <summary>Adds Flow to a .NET generic host.</summary>
public static class FlowServiceCollectionExtensions
{
    /// <summary>
    /// Adds Flow: the pipelines of the host configuration's <c>Flow</c> section, plus those written in
    /// <paramref name="configure"/>, run by a hosted worker that stops the host when they finish.
    /// Resolve <see cref="FlowExitCode"/> after the host stops to get the process exit code.
    /// </summary>
    public static FlowBuilder AddFlow(this IServiceCollection services, Action<FlowBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<FlowOptions>()
            .BindConfiguration(FlowOptions.SectionName)
            .Validate(o => o.DrainTimeout > TimeSpan.Zero, "Flow:DrainTimeout must be above zero")
            .Validate(o => o.ProgressInterval > TimeSpan.Zero, "Flow:ProgressInterval must be above zero")
            .Validate(o => o.Cache.Store.ToLowerInvariant() is "file" or "redis" or "memory", "Flow:Cache:Store must be File, Redis or Memory")
            .Validate(o => o.Cache.Ttl > TimeSpan.Zero, "Flow:Cache:Ttl must be above zero")
            .Validate(o => o.Cache.MaxSize is null || ByteSize.TryParse(o.Cache.MaxSize, out _), "Flow:Cache:MaxSize must be a size such as 2GB, 500MB or a number of bytes")
            .Validate(o => !string.Equals(o.Cache.Store, "redis", StringComparison.OrdinalIgnoreCase) || RedisCacheStoreFactory.IsValidConfiguration(o.Cache.Redis), "Flow:Cache:Redis must be a StackExchange.Redis connection string (host:port[,password=...][,ssl=true]) when Flow:Cache:Store is Redis")
            .ValidateOnStart();
        // The drain after SIGTERM must end inside the host's shutdown window, or the host stops
        // waiting for the run and the process exits with no outcome recorded.
        services.AddOptions<HostOptions>().PostConfigure<IOptions<FlowOptions>>((host, flow) =>
        {
            var needed = flow.Value.DrainTimeout + TimeSpan.FromSeconds(10);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
        services.TryAddSingleton<FlowExitCode>();
        services.TryAddSingleton<FlowPlans>();
        services.TryAddSingleton<CacheStoreProvider>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepDecorator, StepCache>());
        services.AddHostedService<FlowWorker>();

        var builder = new FlowBuilder(services);
        configure?.Invoke(builder);
        return builder;
    }
}

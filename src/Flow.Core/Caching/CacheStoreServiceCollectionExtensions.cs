using Flow;
using Flow.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers cache stores; <c>Flow:Cache:Store</c> chooses one of them by name.</summary>
public static class CacheStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers a cache store under <paramref name="name"/> (a later registration of the same name
    /// replaces an earlier one). <paramref name="create"/> runs once per process, when a pipeline
    /// first needs the cache, with the <c>Flow:Cache</c> settings; <paramref name="validate"/>, when
    /// given, checks those settings before anything runs (a connection string, say).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The name <c>Flow:Cache:Store</c> gives (compared ignoring case).</param>
    /// <param name="create">Makes the store.</param>
    /// <param name="validate">Returns the problems of the settings, each with its configuration path; may be null.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddCacheStore(
        this IServiceCollection services,
        string name,
        Func<IServiceProvider, FlowCacheOptions, CancellationToken, ValueTask<ICacheStore>> create,
        Func<FlowCacheOptions, IEnumerable<ConfigurationError>>? validate = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        services.AddSingleton(new CacheStoreRegistration(name, create, validate));
        return services;
    }

    /// <summary>Registers a cache store made synchronously; see the other overload.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The name <c>Flow:Cache:Store</c> gives (compared ignoring case).</param>
    /// <param name="create">Makes the store.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddCacheStore(this IServiceCollection services, string name, Func<IServiceProvider, FlowCacheOptions, ICacheStore> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        return services.AddCacheStore(name, (provider, options, _) => ValueTask.FromResult(create(provider, options)));
    }

    /// <summary>The stores every host has (File and Memory), under any the application registers itself.</summary>
    internal static IServiceCollection AddDefaultCacheStores(this IServiceCollection services)
    {
        services.AddSingleton(new CacheStoreRegistration("File", (provider, options, _) => ValueTask.FromResult(CreateFileStore(provider, options)), null, IsDefault: true));
        services.AddSingleton(new CacheStoreRegistration("Memory", (_, _, _) => ValueTask.FromResult<ICacheStore>(new MemoryCacheStore()), null, IsDefault: true));
        return services;
    }

    /// <summary>Registers the embedded File store (<c>Flow:Cache:Store=File</c>, the default): a folder at <c>Flow:Cache:Path</c>.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFileCacheStore(this IServiceCollection services) =>
        services.AddCacheStore("File", CreateFileStore);

    /// <summary>Registers the in-process Memory store (<c>Flow:Cache:Store=Memory</c>), for tests: entries live as long as the process.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMemoryCacheStore(this IServiceCollection services) =>
        services.AddCacheStore("Memory", (_, _) => new MemoryCacheStore());

    private static ICacheStore CreateFileStore(IServiceProvider provider, FlowCacheOptions options) =>
        new FileCacheStore(options.Path, logger: (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("Flow.Caching"));
}

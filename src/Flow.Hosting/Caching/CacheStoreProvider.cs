using Flow.Caching;
using Flow.Parameters;
using Flow.Hosting.Options;
using Flow.Redis.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flow.Hosting.Caching;

/// <summary>
/// The one cache store of this process, made from <c>Flow:Cache</c> on first use: one Redis
/// connection (or one File store) shared by every pipeline, disposed with the host.
/// </summary>
internal sealed class CacheStoreProvider : IAsyncDisposable
{
    private readonly FlowCacheOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ICacheStore? _store;

    public CacheStoreProvider(IOptions<FlowOptions> options, ILoggerFactory loggerFactory)
    {
        _options = options.Value.Cache;
        _loggerFactory = loggerFactory;
    }

    public FlowCacheOptions Options => _options;

    /// <summary>The File store's size bound, or null.</summary>
    public long? MaxBytes => ByteSize.TryParse(_options.MaxSize, out var bytes) ? bytes : null;

    public async Task<ICacheStore> GetAsync(CancellationToken cancellationToken)
    {
        if (_store is not null)
        {
            return _store;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _store ??= await CreateAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public CacheEntryCodec CreateCodec() =>
        new(string.IsNullOrEmpty(_options.SigningKey) ? null : System.Text.Encoding.UTF8.GetBytes(_options.SigningKey));

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private async Task<ICacheStore> CreateAsync(CancellationToken cancellationToken)
    {
        switch (_options.Store.ToLowerInvariant())
        {
            case "redis":
                return await RedisCacheStoreFactory.ConnectAsync(
                    new RedisCacheStoreOptions { Configuration = _options.Redis, KeyPrefix = _options.KeyPrefix, ConfigurationName = "Flow:Cache:Redis" },
                    _loggerFactory.CreateLogger("Flow.Redis"),
                    cancellationToken).ConfigureAwait(false);
            case "memory":
                return new MemoryCacheStore();
            default:
                return new FileCacheStore(_options.Path, logger: _loggerFactory.CreateLogger("Flow.Caching"));
        }
    }
}

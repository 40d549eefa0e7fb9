using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Layers;

/// <summary>
/// Rendered responses and feature counts, keyed by layer version: a new import gives the layer a new version,
/// so nothing here ever needs invalidating; stale entries simply stop being asked for and age out. Memory is
/// bounded by <see cref="SpatialRegionOptions.ResponseCacheMegabytes"/>.
/// </summary>
public sealed class ResponseCache : IDisposable
{
    private readonly MemoryCache _cache;
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(10);

    public ResponseCache(IOptions<SpatialRegionOptions> options)
    {
        _cache = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = (long)options.Value.ResponseCacheMegabytes * 1024 * 1024,
            CompactionPercentage = 0.25,
        });
        MaxEntryBytes = (long)options.Value.ResponseCacheMaxEntryMegabytes * 1024 * 1024;
    }

    public long MaxEntryBytes { get; }

    public bool TryGetBody(string key, out byte[] body) => _cache.TryGetValue(key, out body!);

    public void SetBody(string key, byte[] body) =>
        _cache.Set(key, body, new MemoryCacheEntryOptions { Size = body.Length + 256, SlidingExpiration = Idle });

    public bool TryGetCount(string key, out long count) => _cache.TryGetValue("count:" + key, out count);

    public void SetCount(string key, long count) =>
        _cache.Set("count:" + key, count, new MemoryCacheEntryOptions { Size = 64, SlidingExpiration = Idle });

    public void Dispose() => _cache.Dispose();
}

using System.Collections.Concurrent;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// How many invalid geometries each layer holds, as of its latest version seen. Imports make every geometry
/// valid, but a layer may come from elsewhere; checking costs as much as a small overlay (0.15 s for the 290
/// municipalities), so it is done once per layer version. A new version replaces the layer's entry.
/// </summary>
public sealed class LayerValidity
{
    private readonly ConcurrentDictionary<string, (long Version, int Invalid)> _invalidCounts = new(StringComparer.Ordinal);

    /// <summary>The count for this version of the layer: remembered, or counted now by <paramref name="count"/>.</summary>
    public async Task<int> InvalidCountAsync(string layerId, long version, Func<Task<int>> count)
    {
        if (_invalidCounts.TryGetValue(layerId, out var known) && known.Version == version)
        {
            return known.Invalid;
        }
        var invalid = await count();
        _invalidCounts[layerId] = (version, invalid);
        return invalid;
    }
}

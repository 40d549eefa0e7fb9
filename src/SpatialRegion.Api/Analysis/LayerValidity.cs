using System.Collections.Concurrent;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Which layer versions are known to hold only valid geometries. Imports make every geometry valid, but a
/// layer may come from elsewhere; checking costs as much as a small overlay (0.15 s for the 290 municipalities),
/// so it is done once per layer version. A new version is a new key; old ones are never asked for again.
/// </summary>
public sealed class LayerValidity
{
    private readonly ConcurrentDictionary<(string Id, long Version), int> _invalidCounts = new();

    public bool TryGet(string layerId, long version, out int invalid) => _invalidCounts.TryGetValue((layerId, version), out invalid);

    public void Set(string layerId, long version, int invalid) => _invalidCounts[(layerId, version)] = invalid;
}

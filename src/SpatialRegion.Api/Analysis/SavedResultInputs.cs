using System.Text.Json.Nodes;
using Npgsql;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Whether a saved result still describes its inputs: each layer and network it read carries a version that a new
/// import replaces, and the provenance keeps the versions the result was computed from. A result whose inputs moved on
/// (a boundary layer re-imported, a network rebuilt) or went away is listed with those inputs, so that an analyst
/// knows to compute it again; it is not changed by itself.
/// </summary>
public static class SavedResultInputs
{
    /// <summary>An input that changed: its name in the request, whether a layer or a network, its id, the version the
    /// result used and the current one (null when it no longer exists).</summary>
    public sealed record Change(string Input, string Kind, string Id, long VersionUsed, long? VersionNow);

    public sealed record Versions(IReadOnlyDictionary<string, long> Layers, IReadOnlyDictionary<string, long> Networks);

    public static async Task<Versions> CurrentAsync(LayerCatalog catalog, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var layers = (await catalog.AllAsync(ct)).ToDictionary(l => l.Id, l => l.Version, StringComparer.Ordinal);
        var networks = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var cmd = dataSource.CreateCommand("SELECT id, version FROM road_networks");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            networks[reader.GetString(0)] = reader.GetInt64(1);
        }
        return new Versions(layers, networks);
    }

    public static IReadOnlyList<Change> Changed(Layer result, Versions now)
    {
        var changes = new List<Change>();
        if (result.ProvenanceJson is null || JsonNode.Parse(result.ProvenanceJson) is not JsonObject provenance)
        {
            return changes;
        }
        foreach (var (name, input) in provenance["inputs"] as JsonObject ?? [])
        {
            if (input?["layer"] is JsonValue id && input["version"] is JsonValue version)
            {
                Compare(name, "layer", id.GetValue<string>(), version.GetValue<long>(), now.Layers, changes);
            }
        }
        if (provenance["parameters"] is JsonObject parameters && parameters["network"] is JsonValue network && parameters["network_version"] is JsonValue networkVersion)
        {
            Compare("network", "network", network.GetValue<string>(), networkVersion.GetValue<long>(), now.Networks, changes);
        }
        return changes;
    }

    private static void Compare(string input, string kind, string id, long used, IReadOnlyDictionary<string, long> current, List<Change> changes)
    {
        long? version = current.TryGetValue(id, out var v) ? v : null;
        if (version != used)
        {
            changes.Add(new Change(input, kind, id, used, version));
        }
    }
}

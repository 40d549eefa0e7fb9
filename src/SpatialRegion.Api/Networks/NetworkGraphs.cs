using System.Collections.Concurrent;
using Npgsql;

namespace SpatialRegion.Api.Networks;

/// <summary>A network as the analyses see it: its version, speed table, and where it is detailed.</summary>
public sealed record NetworkInfo(string Id, long Version, string SpeedTable, bool HasDetailedArea);

/// <summary>
/// The in-memory graphs, one per network, loaded on first use and again when the network's version changes (an
/// import elsewhere). The version is read in the caller's transaction, so a result and its provenance agree.
/// </summary>
public sealed class NetworkGraphs
{
    private readonly ConcurrentDictionary<string, Lazy<Task<NetworkGraph>>> _graphs = new(StringComparer.Ordinal);

    public static async Task<NetworkInfo?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT version, speed_table, detailed_area IS NOT NULL FROM road_networks WHERE id = $1", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new NetworkInfo(id, reader.GetInt64(0), reader.GetString(1), reader.GetBoolean(2)) : null;
    }

    public async Task<NetworkGraph> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, NetworkInfo network, CancellationToken ct)
    {
        var key = $"{network.Id}@{network.Version}";
        var lazy = _graphs.GetOrAdd(key, _ => new Lazy<Task<NetworkGraph>>(
            () => NetworkGraph.LoadAsync(connection, tx, network.Id, network.Version, network.SpeedTable, CancellationToken.None)));
        try
        {
            var graph = await lazy.Value.WaitAsync(ct);
            foreach (var stale in _graphs.Keys.Where(k => k.StartsWith(network.Id + "@", StringComparison.Ordinal) && k != key))
            {
                _graphs.TryRemove(stale, out _);
            }
            return graph;
        }
        catch
        {
            _graphs.TryRemove(key, out _);
            throw;
        }
    }

    public void Forget(string id)
    {
        foreach (var key in _graphs.Keys.Where(k => k.StartsWith(id + "@", StringComparison.Ordinal)))
        {
            _graphs.TryRemove(key, out _);
        }
    }
}

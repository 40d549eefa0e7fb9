using System.Text.Json;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Networks;

public sealed record DefaultNetworkSource(string File, string ClassProperty, double JoinTolerance, bool NodeCrossings, bool OutsideDetailedArea);

public sealed record DefaultNetwork(
    string Id, string Title, string SpeedTable, string? DetailedArea, string Source, string Licence, IReadOnlyList<DefaultNetworkSource> Sources);

/// <summary>The networks the service ships with (data/networks.json), imported by setup when missing.</summary>
public sealed class DefaultNetworks(NetworkImporter importer, Npgsql.NpgsqlDataSource dataSource, IOptions<SpatialRegionOptions> options, IHostEnvironment environment)
{
    public static IReadOnlyList<DefaultNetwork> All { get; } =
        JsonSerializer.Deserialize<List<DefaultNetwork>>(EmbeddedResources.Read("networks.json"), new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];

    public async Task<IReadOnlyList<NetworkImportReport>> ImportAsync(bool onlyMissing, IReadOnlyCollection<string>? only, Action<string>? progress, CancellationToken ct)
    {
        var dataDir = DataDirectory.Resolve(options.Value.DataDir, environment.ContentRootPath);
        var existing = new HashSet<string>(StringComparer.Ordinal);
        if (onlyMissing)
        {
            await using var cmd = dataSource.CreateCommand("SELECT id FROM road_networks");
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                existing.Add(reader.GetString(0));
            }
        }
        var reports = new List<NetworkImportReport>();
        foreach (var network in All)
        {
            if (existing.Contains(network.Id) || (only is not null && !only.Contains(network.Id)))
            {
                continue;
            }
            progress?.Invoke($"Importing road network {network.Id}");
            var report = await importer.ImportAsync(new NetworkImportRequest(
                network.Id, network.Title, network.SpeedTable,
                network.Sources.Select(s => new NetworkSourceFile(Path.GetFileName(s.File), () => File.OpenRead(Path.Combine(dataDir, s.File)),
                    s.ClassProperty, s.JoinTolerance, s.NodeCrossings, s.OutsideDetailedArea)).ToList(),
                network.DetailedArea is { } area ? () => File.OpenRead(Path.Combine(dataDir, area)) : null,
                network.Source, network.Licence), progress, ct);
            progress?.Invoke("  " + report);
            reports.Add(report);
        }
        return reports;
    }
}

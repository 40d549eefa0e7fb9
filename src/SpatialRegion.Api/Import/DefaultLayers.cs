using System.Text.Json;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Import;

/// <summary>The layers the service ships with, as listed in data/layers.json: which source file, which key,
/// and the metadata (title, source, licence) each carries.</summary>
public sealed record DefaultLayer(
    string Id, string File, string? Key, bool MergeByKey, string Title, string Description, string Source, string Licence);

public sealed class DefaultLayers(
    LayerImporter importer, Npgsql.NpgsqlDataSource dataSource, IOptions<SpatialRegionOptions> options, IHostEnvironment environment)
{
    public static IReadOnlyList<DefaultLayer> All { get; } =
        JsonSerializer.Deserialize<List<DefaultLayer>>(EmbeddedResources.Read("layers.json"), new JsonSerializerOptions(JsonSerializerDefaults.Web))
        ?? [];

    public string DataDir => DataDirectory.Resolve(options.Value.DataDir, environment.ContentRootPath);

    /// <summary>Imports the default layers; with <paramref name="onlyMissing"/> those already in the registry are left alone.</summary>
    public async Task<IReadOnlyList<ImportReport>> ImportAsync(
        bool onlyMissing, IReadOnlyCollection<string>? only, Action<string>? progress, CancellationToken ct)
    {
        var dataDir = DataDir;
        var existing = new HashSet<string>(StringComparer.Ordinal);
        if (onlyMissing)
        {
            await using var cmd = dataSource.CreateCommand("SELECT id FROM layers");
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                existing.Add(reader.GetString(0));
            }
        }

        var reports = new List<ImportReport>();
        foreach (var layer in All)
        {
            if (existing.Contains(layer.Id) || (only is not null && !only.Contains(layer.Id)))
            {
                continue;
            }
            progress?.Invoke($"Importing {layer.Id} from {layer.File}");
            var report = await importer.ImportAsync(new LayerImportRequest(
                layer.Id, Path.Combine(dataDir, layer.File), layer.Key, layer.MergeByKey,
                layer.Title, layer.Description, layer.Source, layer.Licence), progress, ct);
            progress?.Invoke("  " + report);
            reports.Add(report);
        }
        return reports;
    }
}

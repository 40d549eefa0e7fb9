using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Layers;

/// <summary>
/// The registry as the service sees it: an immutable snapshot, replaced whole when the registry changes
/// (announced by the layers_changed notification, or by an import in this process).
/// </summary>
public sealed class LayerCatalog(NpgsqlDataSource dataSource) : INotifiedCatalog
{
    /// <summary>Notified by the registry's trigger (schema 0001).</summary>
    public string Channel => "layers_changed";

    private volatile FrozenDictionary<string, Layer>? _layers;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);

    public async ValueTask<IReadOnlyCollection<Layer>> AllAsync(CancellationToken ct) =>
        (await SnapshotAsync(ct)).Values.OrderBy(l => l.Id, StringComparer.Ordinal).ToList();

    public async ValueTask<Layer?> FindAsync(string id, CancellationToken ct) =>
        (await SnapshotAsync(ct)).GetValueOrDefault(id);

    public async Task ReloadAsync(CancellationToken ct)
    {
        await _reloadLock.WaitAsync(ct);
        try
        {
            _layers = await LoadAsync(ct);
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    private async ValueTask<FrozenDictionary<string, Layer>> SnapshotAsync(CancellationToken ct)
    {
        if (_layers is { } layers)
        {
            return layers;
        }
        await ReloadAsync(ct);
        return _layers!;
    }

    private async Task<FrozenDictionary<string, Layer>> LoadAsync(CancellationToken ct)
    {
        const string sql = """
            SELECT id, title, description, source, licence, geometry_type, srid, key_property, properties::text,
                   feature_count, ST_XMin(extent), ST_YMin(extent), ST_XMax(extent), ST_YMax(extent),
                   ST_XMin(extent_wgs84), ST_YMin(extent_wgs84), ST_XMax(extent_wgs84), ST_YMax(extent_wgs84),
                   version, updated_at, kind, time_property, provenance::text, time_end_property
            FROM layers
            """;
        var layers = new Dictionary<string, Layer>(StringComparer.Ordinal);
        await using var cmd = dataSource.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var layer = new Layer(
                Id: reader.GetString(0),
                Title: reader.GetString(1),
                Description: reader.GetString(2),
                Source: reader.GetString(3),
                Licence: reader.GetString(4),
                GeometryType: reader.GetString(5),
                Srid: reader.GetInt32(6),
                KeyProperty: reader.IsDBNull(7) ? null : reader.GetString(7),
                Properties: JsonSerializer.Deserialize<List<LayerProperty>>(reader.GetString(8)) ?? [],
                FeatureCount: reader.GetInt32(9),
                Extent: ReadBox(reader, 10),
                ExtentWgs84: ReadBox(reader, 14),
                Version: reader.GetInt64(18),
                UpdatedAt: new DateTimeOffset(reader.GetDateTime(19), TimeSpan.Zero))
            {
                Kind = reader.GetString(20),
                TimeProperty = reader.IsDBNull(21) ? null : reader.GetString(21),
                ProvenanceJson = reader.IsDBNull(22) ? null : reader.GetString(22),
                TimeEndProperty = reader.IsDBNull(23) ? null : reader.GetString(23),
            };
            layers.Add(layer.Id, layer);
        }
        return layers.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static BoundingBox? ReadBox(NpgsqlDataReader reader, int first) =>
        reader.IsDBNull(first)
            ? null
            : new BoundingBox(reader.GetDouble(first), reader.GetDouble(first + 1), reader.GetDouble(first + 2), reader.GetDouble(first + 3));

    internal static string FormatVersion(long version) => version.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Tiles;

/// <summary>A tile of the WebMercatorQuad grid: zoom, column, row (row 0 at the top).</summary>
public sealed record TileAddress(int Z, long X, long Y)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Z}/{Y}/{X}");
}

/// <summary>
/// The one statement behind every vector tile: the layer's features that touch the tile (found through the WGS 84
/// index: a Web Mercator tile is exactly a lon/lat box), simplified to half a pixel (<see cref="SimplifyUnits"/>),
/// moved to EPSG:3857, clipped with a buffer and encoded by PostGIS as a Mapbox Vector Tile whose layer is named
/// after the collection. The benchmark runs this same text through pgbench.
/// </summary>
public static class VectorTileSql
{
    public const int Extent = 4096;
    public const int Buffer = 64;

    /// <summary>How far simplification may move a line, in tile units. MapLibre draws a tile 512 pixels wide, so
    /// 4 of its 4096 units are half a pixel: nothing moves that a reader could see, and a z6 tile of the
    /// municipalities over Jämtland holds half the vertices of a one-unit simplification (6 671 against 13 412),
    /// which the browser decodes, triangulates and draws.</summary>
    public const double SimplifyUnits = 4;

    /// <summary>Property added to each feature of a layer without a key property, so a feature can still be
    /// identified (its items URL) from the tile.</summary>
    public const string FeatureIdAttribute = "fid";

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100",
        Justification = "Only fixed SQL and $n placeholders are concatenated; every value travels as a parameter.")]
    public static NpgsqlCommand Build(NpgsqlDataSource dataSource, Layer layer, TileAddress tile, FeatureFilter filter, IReadOnlyList<string>? properties)
    {
        var cmd = dataSource.CreateCommand();
        var p = cmd.Parameters;
        var where = LayerSql.Where(layer, filter, p);
        var (west, south, east, north) = WebMercatorQuad.LonLatBounds(tile.Z, tile.X, tile.Y, (double)Buffer / Extent);
        // Douglas-Peucker in degrees: SimplifyUnits tile units of longitude, narrowed by cos(latitude) so that
        // along the meridian too it stays about that many units (Mercator stretches latitude by 1/cos).
        var unitDegrees = WebMercatorQuad.TileSpan(tile.Z) / Extent / 6378137.0 * 180 / Math.PI;
        var tolerance = SimplifyUnits * unitDegrees * Math.Cos((south + north) / 2 * Math.PI / 180);
        var attributes = layer.KeyProperty is null
            ? $"properties || jsonb_build_object('{FeatureIdAttribute}', fid)"
            : "properties";
        if (properties is not null)
        {
            var dropped = layer.Properties.Select(x => x.Name).Except(properties, StringComparer.Ordinal).ToArray();
            attributes = $"({attributes}) - {LayerSql.Add(p, dropped, NpgsqlDbType.Array | NpgsqlDbType.Text)}";
        }
        var z = LayerSql.Add(p, tile.Z, NpgsqlDbType.Integer);
        var x = LayerSql.Add(p, (int)tile.X, NpgsqlDbType.Integer);
        var y = LayerSql.Add(p, (int)tile.Y, NpgsqlDbType.Integer);
        cmd.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
            SELECT ST_AsMVT(t, {LayerSql.Add(p, layer.Id, NpgsqlDbType.Text)}, {Extent}, 'geom') FROM (
              SELECT ST_AsMVTGeom(ST_Transform(ST_Simplify(geom_wgs84, {LayerSql.Add(p, tolerance, NpgsqlDbType.Double)}, true), 3857),
                                  ST_TileEnvelope({z}, {x}, {y}), {Extent}, {Buffer}, true) AS geom,
                     {attributes} AS attributes
              FROM layer_features{where}
                AND geom_wgs84 && ST_MakeEnvelope({LayerSql.Add(p, west, NpgsqlDbType.Double)}, {LayerSql.Add(p, south, NpgsqlDbType.Double)},
                                                  {LayerSql.Add(p, east, NpgsqlDbType.Double)}, {LayerSql.Add(p, north, NpgsqlDbType.Double)}, 4326)
            ) t WHERE geom IS NOT NULL
            """);
        return cmd;
    }
}

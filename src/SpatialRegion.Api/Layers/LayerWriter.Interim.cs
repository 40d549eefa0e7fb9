using System.Text.Json;
using Npgsql;

namespace SpatialRegion.Api.Layers;

// INTERIM: stands in for the shared LayerWriter until it is merged from main, with the same signature; delete
// this file at that merge. It ignores Kind, TimeProperty and Provenance, which need the registry columns the
// shared writer brings.

public sealed record LayerDefinition(
    string Id, string Title, string Description, string Source, string Licence, string? KeyProperty,
    string Kind, string? TimeProperty, JsonElement? Provenance, IReadOnlyList<LayerProperty>? Properties);

public sealed record LayerWriteResult(string LayerId, int FeatureCount, long Version);

public sealed class LayerWriter
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "featuresSql is built by the caller from constants.")]
    public async Task<LayerWriteResult> ReplaceAsync(NpgsqlConnection connection, NpgsqlTransaction tx, LayerDefinition layer,
        string featuresSql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken ct)
    {
        async Task<object?> Run(string sql, bool withParameters, params object[] args)
        {
            await using var cmd = new NpgsqlCommand(sql, connection, tx);
            if (withParameters)
            {
                foreach (var p in parameters)
                {
                    cmd.Parameters.Add(p.Clone());
                }
            }
            foreach (var a in args)
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = a });
            }
            return await cmd.ExecuteScalarAsync(ct);
        }

        await Run("DROP TABLE IF EXISTS pg_temp.layer_write", false);
        await Run("CREATE TEMP TABLE layer_write (fid text COLLATE \"C\", properties jsonb, geom geometry) ON COMMIT DROP", false);
        await Run("INSERT INTO layer_write " + featuresSql, true);
        var type = (string?)await Run("SELECT substr(ST_GeometryType(geom), 4) FROM layer_write LIMIT 1", false) ?? "MultiPolygon";
        var properties = JsonSerializer.Serialize(layer.Properties ?? []);
        var version = (long)(await Run("""
            INSERT INTO layers AS l (id, title, description, source, licence, geometry_type, key_property, properties)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
            ON CONFLICT (id) DO UPDATE SET title = $2, description = $3, source = $4, licence = $5, geometry_type = $6,
              key_property = $7, properties = $8::jsonb, version = nextval('layer_version_seq'), updated_at = now()
            RETURNING version
            """, false, layer.Id, layer.Title, layer.Description, layer.Source, layer.Licence, type, (object?)layer.KeyProperty ?? DBNull.Value, properties))!;
        await Run("DELETE FROM layer_features WHERE layer_id = $1", false, layer.Id);
        await Run("INSERT INTO layer_features (layer_id, fid, properties, geom, geom_wgs84) SELECT $1, fid, properties, geom, ST_Transform(geom, 4326) FROM layer_write", false, layer.Id);
        var count = (int)(await Run("""
            UPDATE layers SET feature_count = (SELECT count(*) FROM layer_features WHERE layer_id = $1),
              extent = (SELECT ST_Extent(geom) FROM layer_features WHERE layer_id = $1),
              extent_wgs84 = (SELECT ST_Extent(geom_wgs84) FROM layer_features WHERE layer_id = $1)
            WHERE id = $1 RETURNING feature_count
            """, false, layer.Id))!;
        return new LayerWriteResult(layer.Id, count, version);
    }
}

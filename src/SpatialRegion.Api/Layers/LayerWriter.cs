using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace SpatialRegion.Api.Layers;

/// <summary>What a layer is called and where it came from. Null texts keep what an existing layer has.</summary>
public sealed record LayerDefinition(
    string Id,
    string? Title = null,
    string? Description = null,
    string? Source = null,
    string? Licence = null,
    string? KeyProperty = null,
    string Kind = LayerKinds.Imported,
    string? TimeProperty = null,
    JsonObject? Provenance = null,
    IReadOnlyList<LayerProperty>? Properties = null,
    string? TimeEndProperty = null);

public static class LayerKinds
{
    public const string Imported = "imported";
    public const string Indicator = "indicator";
    public const string Analysis = "analysis";
    public const string Network = "network";
    public const string Measure = "measure";
}

public sealed record LayerWriteResult(string LayerId, int Written, int Rejected, string GeometryType, long Version);

/// <summary>A layer that cannot be written as asked; the message is for the person who asked.</summary>
public sealed class LayerWriteException(string message) : Exception(message);

/// <summary>
/// The one way features get into a layer. Inside the caller's transaction it replaces a layer's features with
/// the rows of a SELECT of (fid text, properties jsonb, geom geometry): geometries are brought to EPSG:3006 and
/// to one Multi type, the registry row is created or updated with a new version, counts and extents. Readers
/// see the old or the new layer until and after the caller commits; after committing, call
/// <see cref="LayerCatalog.ReloadAsync"/> (other instances hear of it through the registry's notification).
/// </summary>
public sealed class LayerWriter
{
    public async Task<LayerWriteResult> ReplaceAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, LayerDefinition layer, string featuresSql,
        IReadOnlyList<NpgsqlParameter> parameters, CancellationToken ct)
    {
        if (!LayerIds.IsValid(layer.Id))
        {
            throw new LayerWriteException($"'{layer.Id}' is not a valid layer id: use 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit (no dots).");
        }

        // Two writers of one layer queue up here instead of interleaving their DELETE and INSERT.
        await Execute(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('layer:' || $1))", ct, [Param(layer.Id)]);
        await Execute(connection, tx, "DROP TABLE IF EXISTS pg_temp.layer_write", ct, []);
        await Execute(connection, tx, $$"""
            CREATE TEMP TABLE layer_write ON COMMIT DROP AS
            SELECT s.fid::text COLLATE "C" AS fid, coalesce(s.properties::jsonb, '{}'::jsonb) AS properties,
                   CASE WHEN ST_SRID(s.geom) IN (3006, 0) THEN ST_SetSRID(s.geom, 3006) ELSE ST_Transform(s.geom, 3006) END AS geom
            FROM ({{featuresSql}}) AS s(fid, properties, geom)
            """, ct, parameters.Select(p => p.Clone()).ToArray());

        var problem = await Scalar<string>(connection, tx, """
            SELECT CASE
              WHEN EXISTS (SELECT 1 FROM layer_write WHERE fid IS NULL) THEN 'a feature has no id'
              WHEN EXISTS (SELECT 1 FROM layer_write GROUP BY fid HAVING count(*) > 1)
                THEN 'feature id ''' || (SELECT fid FROM layer_write GROUP BY fid HAVING count(*) > 1 LIMIT 1) || ''' occurs more than once'
              WHEN (SELECT count(DISTINCT ST_Dimension(geom)) FROM layer_write WHERE NOT ST_IsEmpty(geom)) > 1
                THEN 'features mix points, lines and polygons'
              WHEN EXISTS (SELECT 1 FROM layer_write WHERE GeometryType(geom) = 'GEOMETRYCOLLECTION' AND NOT ST_IsEmpty(geom))
                THEN 'geometry collections cannot be a layer'
            END
            """, ct, []);
        if (problem is not null)
        {
            throw new LayerWriteException($"Layer '{layer.Id}' cannot be written: {problem}.");
        }

        var geometryType = await Scalar<string>(connection, tx, """
            SELECT CASE max(ST_Dimension(geom))
              WHEN 0 THEN CASE WHEN bool_and(GeometryType(geom) = 'POINT') THEN 'Point' ELSE 'MultiPoint' END
              WHEN 1 THEN 'MultiLineString'
              WHEN 2 THEN 'MultiPolygon' END
            FROM layer_write WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
            """, ct, []) ?? throw new LayerWriteException($"Layer '{layer.Id}' cannot be written: no feature has a geometry.");

        var existingType = await Scalar<string>(connection, tx, "SELECT geometry_type FROM layers WHERE id = $1", ct, [Param(layer.Id)]);
        if (existingType is not null && Family(existingType) != Family(geometryType))
        {
            throw new LayerWriteException($"Layer '{layer.Id}' holds {existingType} features; the new features are {geometryType}. Delete the layer first to change its kind.");
        }

        var properties = layer.Properties ?? await InferPropertiesAsync(connection, tx, ct);
        var version = await Scalar<long>(connection, tx, """
            INSERT INTO layers AS l (id, title, description, source, licence, geometry_type, key_property, properties, kind, time_property, provenance, time_end_property)
            VALUES ($1, coalesce($2, $1), coalesce($3, ''), coalesce($4, ''), coalesce($5, ''), $6, $7, $8::jsonb, $9, $10, $11::jsonb, $12)
            ON CONFLICT (id) DO UPDATE SET
              title = coalesce($2, l.title),
              description = coalesce($3, l.description),
              source = coalesce($4, l.source),
              licence = coalesce($5, l.licence),
              geometry_type = $6,
              key_property = $7,
              properties = $8::jsonb,
              kind = $9,
              time_property = $10,
              provenance = $11::jsonb,
              time_end_property = $12,
              version = nextval('layer_version_seq'),
              updated_at = now()
            RETURNING version
            """, ct,
            [Param(layer.Id), Param(layer.Title), Param(layer.Description), Param(layer.Source), Param(layer.Licence),
             Param(geometryType), Param(layer.KeyProperty), Param(JsonSerializer.Serialize(properties)), Param(layer.Kind),
             Param(layer.TimeProperty), Param(layer.Provenance?.ToJsonString()), Param(layer.TimeEndProperty)]);

        await Execute(connection, tx, "DELETE FROM layer_features WHERE layer_id = $1", ct, [Param(layer.Id)]);
        var multi = geometryType == "Point" ? "geom" : "ST_Multi(geom)";
        var written = await Execute(connection, tx, $"""
            INSERT INTO layer_features (layer_id, fid, properties, geom, geom_wgs84)
            SELECT $1, fid, properties, {multi}, ST_Transform({multi}, 4326)
            FROM layer_write WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
            """, ct, [Param(layer.Id)]);
        var total = await Scalar<long>(connection, tx, "SELECT count(*) FROM layer_write", ct, []);

        await Execute(connection, tx, """
            UPDATE layers SET
              feature_count = (SELECT count(*) FROM layer_features WHERE layer_id = $1),
              extent = (SELECT ST_Extent(geom) FROM layer_features WHERE layer_id = $1),
              extent_wgs84 = (SELECT ST_Extent(geom_wgs84) FROM layer_features WHERE layer_id = $1)
            WHERE id = $1
            """, ct, [Param(layer.Id)]);

        return new LayerWriteResult(layer.Id, written, (int)total - written, geometryType, version);
    }

    /// <summary>
    /// Replaces some features of an existing layer, inside the caller's transaction: those that
    /// <paramref name="removeWhere"/> (a condition on layer_features) selects are deleted and the rows of the feature
    /// SELECT inserted, both with the caller's parameters; the registry gets a new version, count and extent. For
    /// edits of one feature of a large derived layer, where rewriting every feature would cost more than the edit.
    /// Returns the new version, or null when the layer does not exist yet (write it whole with <see cref="ReplaceAsync"/>).
    /// </summary>
    public async Task<long?> ReplaceSomeAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, string layerId, string removeWhere, string featuresSql,
        IReadOnlyList<NpgsqlParameter> parameters, CancellationToken ct)
    {
        await Execute(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('layer:' || $1))", ct, [Param(layerId)]);
        var geometryType = await Scalar<string>(connection, tx, "SELECT geometry_type FROM layers WHERE id = $1", ct, [Param(layerId)]);
        if (geometryType is null)
        {
            return null;
        }
        var layerParameter = "$" + (parameters.Count + 1).ToString(CultureInfo.InvariantCulture);
        NpgsqlParameter[] WithLayer() => [.. parameters.Select(p => p.Clone()), Param(layerId)];
        await Execute(connection, tx, $"DELETE FROM layer_features WHERE layer_id = {layerParameter} AND ({removeWhere})", ct, WithLayer());
        var multi = geometryType == "Point" ? "g" : "ST_Multi(g)";
        await Execute(connection, tx, $$"""
            INSERT INTO layer_features (layer_id, fid, properties, geom, geom_wgs84)
            SELECT {{layerParameter}}, s.fid::text, coalesce(s.properties::jsonb, '{}'::jsonb), {{multi}}, ST_Transform({{multi}}, 4326)
            FROM ({{featuresSql}}) AS s(fid, properties, geom),
                 LATERAL (SELECT CASE WHEN ST_SRID(s.geom) IN (3006, 0) THEN ST_SetSRID(s.geom, 3006) ELSE ST_Transform(s.geom, 3006) END AS g) t
            WHERE s.geom IS NOT NULL AND NOT ST_IsEmpty(s.geom)
            """, ct, WithLayer());
        return await Scalar<long>(connection, tx, """
            UPDATE layers SET
              version = nextval('layer_version_seq'),
              updated_at = now(),
              feature_count = (SELECT count(*) FROM layer_features WHERE layer_id = $1),
              extent = (SELECT ST_Extent(geom) FROM layer_features WHERE layer_id = $1),
              extent_wgs84 = (SELECT ST_Extent(geom_wgs84) FROM layer_features WHERE layer_id = $1)
            WHERE id = $1
            RETURNING version
            """, ct, [Param(layerId)]);
    }

    /// <summary>Types from the JSON values: integer, number, boolean or string (mixed kinds become string).
    /// jsonb does not keep key order, so inferred properties come in name order; pass them to keep an order.</summary>
    private static async Task<List<LayerProperty>> InferPropertiesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        const string sql = """
            SELECT key,
                   CASE
                     WHEN bool_and(jsonb_typeof(value) IN ('number', 'null')) AND bool_or(jsonb_typeof(value) = 'number') THEN
                       CASE WHEN bool_and(jsonb_typeof(value) = 'null' OR value::text ~ '^-?[0-9]+$') THEN 'integer' ELSE 'number' END
                     WHEN bool_and(jsonb_typeof(value) IN ('boolean', 'null')) AND bool_or(jsonb_typeof(value) = 'boolean') THEN 'boolean'
                     ELSE 'string'
                   END
            FROM layer_write, jsonb_each(properties)
            GROUP BY key ORDER BY key COLLATE "C"
            """;
        var properties = new List<LayerProperty>();
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            properties.Add(new LayerProperty(reader.GetString(0), reader.GetString(1)));
        }
        return properties;
    }

    private static string Family(string geometryType) => geometryType switch
    {
        "Point" or "MultiPoint" => "point",
        "LineString" or "MultiLineString" => "line",
        _ => "polygon",
    };

    private static NpgsqlParameter Param(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100",
        Justification = "Statements are constants of this class; the feature SELECT comes from server code, never from a request, and its values are parameters.")]
    private static async Task<int> Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, NpgsqlParameter[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.Parameters.AddRange(parameters);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Called with constant statements only.")]
    private static async Task<T?> Scalar<T>(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, NpgsqlParameter[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.Parameters.AddRange(parameters);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }
}

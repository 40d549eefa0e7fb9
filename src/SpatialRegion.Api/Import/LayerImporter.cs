using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Import;

/// <summary>
/// Loads a GeoJSON file as a layer, new or replacing, in one transaction: the file is checked in full first,
/// staged with binary COPY, repaired (ST_MakeValid, counted), transformed to EPSG:3006, optionally merged by
/// key, and swapped in with DELETE + INSERT. Concurrent readers see the old or the new layer, never a mix; a
/// failure anywhere leaves the old layer exactly as it was.
/// </summary>
public sealed partial class LayerImporter(NpgsqlDataSource dataSource, LayerCatalog catalog, ILogger<LayerImporter> logger)
{
    public async Task<ImportReport> ImportAsync(LayerImportRequest request, Action<string>? progress, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        if (!LayerIds.IsValid(request.LayerId))
        {
            throw new ImportException($"'{request.LayerId}' is not a valid layer id: use 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit (no dots).");
        }

        var source = await GeoJsonSource.ReadAsync(request.FilePath, request.KeyProperty, request.MergeByKey, progress, ct);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // Two imports of one layer queue up here instead of interleaving their DELETE and INSERT.
        await Execute(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('layer:' || $1))", ct, request.LayerId);

        var existingType = await Scalar<string>(connection, tx, "SELECT geometry_type FROM layers WHERE id = $1", ct, request.LayerId);
        if (existingType is not null && GeoJsonSource.FamilyOf(existingType) != GeoJsonSource.FamilyOf(source.GeometryType))
        {
            throw new ImportException($"Layer '{request.LayerId}' holds {existingType} features; this file has {source.GeometryType} features. Delete the layer first to change its kind.");
        }

        if (!await Scalar<bool>(connection, tx, "SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)", ct, source.Srid))
        {
            throw new ImportException($"Unknown CRS EPSG:{source.Srid}: PostGIS has no definition for it.");
        }

        await Execute(connection, tx, """
            CREATE TEMP TABLE import_staging (position integer, fid text COLLATE "C", properties jsonb, geom geometry) ON COMMIT DROP
            """, ct);
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY import_staging (position, fid, properties, geom) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var f in source.Features)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(f.Position, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(f.Id, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(f.PropertiesJson, NpgsqlDbType.Jsonb, ct);
                await copy.WriteAsync(f.Geometry!, NpgsqlDbType.Geometry, ct);
            }
            await copy.CompleteAsync(ct);
        }
        progress?.Invoke($"  staged {source.Features.Count:N0} features; repairing and transforming");

        var repaired = await Scalar<long>(connection, tx, "SELECT count(*) FROM import_staging WHERE NOT ST_IsValid(geom)", ct);
        var dimension = GeoJsonSource.FamilyOf(source.GeometryType) switch { "Point" => 1, "LineString" => 2, _ => 3 };
        var multi = source.GeometryType != "Point";
        // Repair in the source CRS, transform, and repair again only if the transform broke validity.
        // Merging polygons uses ST_Union so that touching parts become one valid MultiPolygon.
        var merge = !request.MergeByKey ? "ST_Collect(g)"
            : dimension == 3 ? "ST_CollectionExtract(ST_Union(g), 3)" : "ST_Collect(g)";
        var prepared = $"""
            CREATE TEMP TABLE import_ready ON COMMIT DROP AS
            WITH repaired AS (
              SELECT position, fid, properties,
                     ST_CollectionExtract(ST_MakeValid(geom), {dimension}) AS g0
              FROM import_staging
            ), transformed AS (
              SELECT position, fid, properties, ST_Transform(ST_SetSRID(g0, {source.Srid}), 3006) AS g1
              FROM repaired WHERE NOT ST_IsEmpty(g0)
            ), valid AS (
              SELECT position, fid, properties,
                     CASE WHEN ST_IsValid(g1) THEN g1 ELSE ST_CollectionExtract(ST_MakeValid(g1), {dimension}) END AS g
              FROM transformed
            )
            SELECT fid, (array_agg(properties ORDER BY position))[1] AS properties,
                   {(multi ? $"ST_Multi({merge})" : "ST_GeometryN(ST_Collect(g), 1)")} AS geom
            FROM valid
            WHERE NOT ST_IsEmpty(g)
            GROUP BY fid
            """;
        try
        {
            await Execute(connection, tx, prepared, ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InternalError or PostgresErrorCodes.DataException or "XX000")
        {
            throw new ImportException($"PostGIS could not repair or transform the geometries: {e.MessageText}", e);
        }

        var properties = JsonSerializer.Serialize(source.Properties);
        var version = await Scalar<long>(connection, tx, """
            INSERT INTO layers AS l (id, title, description, source, licence, geometry_type, key_property, properties)
            VALUES ($1, coalesce($2, $1), coalesce($3, ''), coalesce($4, ''), coalesce($5, ''), $6, $7, $8::jsonb)
            ON CONFLICT (id) DO UPDATE SET
              title = coalesce($2, l.title),
              description = coalesce($3, l.description),
              source = coalesce($4, l.source),
              licence = coalesce($5, l.licence),
              geometry_type = $6,
              key_property = $7,
              properties = $8::jsonb,
              version = nextval('layer_version_seq'),
              updated_at = now()
            RETURNING version
            """, ct, request.LayerId, request.Title, request.Description, request.Source, request.Licence,
            source.GeometryType, request.KeyProperty, properties);

        await Execute(connection, tx, "DELETE FROM layer_features WHERE layer_id = $1", ct, request.LayerId);
        var written = await ExecuteCount(connection, tx, """
            INSERT INTO layer_features (layer_id, fid, properties, geom, geom_wgs84)
            SELECT $1, fid, properties, geom, ST_Transform(geom, 4326) FROM import_ready
            """, ct, request.LayerId);

        var rejected = source.Rejected + source.Features.Count - await Scalar<int>(connection, tx,
            "SELECT count(*)::int FROM import_staging s WHERE EXISTS (SELECT 1 FROM import_ready r WHERE r.fid = s.fid)", ct);
        var report = new ImportReport(request.LayerId, source.Features.Count + source.Rejected, written, (int)repaired, rejected,
            source.Srid, source.GeometryType, version, stopwatch.Elapsed);

        await Execute(connection, tx, """
            UPDATE layers SET
              feature_count = (SELECT count(*) FROM layer_features WHERE layer_id = $1),
              extent = (SELECT ST_Extent(geom) FROM layer_features WHERE layer_id = $1),
              extent_wgs84 = (SELECT ST_Extent(geom_wgs84) FROM layer_features WHERE layer_id = $1),
              import_report = $2::jsonb
            WHERE id = $1
            """, ct, request.LayerId, JsonSerializer.Serialize(new
        {
            file = Path.GetFileName(request.FilePath),
            read = report.Read,
            written = report.Written,
            repaired = report.Repaired,
            rejected = report.Rejected,
            sourceSrid = report.SourceSrid,
            importedAt = DateTimeOffset.UtcNow,
        }));

        if (written == 0)
        {
            throw new ImportException($"No feature of {Path.GetFileName(request.FilePath)} has a usable geometry after repair.");
        }

        await tx.CommitAsync(ct);
        await catalog.ReloadAsync(ct);
        report = report with { Elapsed = stopwatch.Elapsed };
        LogImported(report.LayerId, report.Read, report.Written, report.Repaired, report.Rejected, report.Version);
        return report;
    }

    public async Task<bool> DeleteAsync(string layerId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM layers WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = layerId });
        var deleted = await cmd.ExecuteNonQueryAsync(ct) > 0;
        await catalog.ReloadAsync(ct);
        return deleted;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100",
        Justification = "Statements are constants of this class or built from numbers it computed; values travel as parameters.")]
    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, object?[] args)
    {
        var cmd = new NpgsqlCommand(sql, connection, tx);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(arg is null
                ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }
                : new NpgsqlParameter { Value = arg });
        }
        return cmd;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] args)
    {
        await using var cmd = Command(connection, tx, sql, args);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<int> ExecuteCount(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] args)
    {
        await using var cmd = Command(connection, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T?> Scalar<T>(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] args)
    {
        await using var cmd = Command(connection, tx, sql, args);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default : (T)value;
    }

    [LoggerMessage(LogLevel.Information, "Imported layer {LayerId}: read {Read}, written {Written}, repaired {Repaired}, rejected {Rejected}, version {Version}")]
    private partial void LogImported(string layerId, int read, int written, int repaired, int rejected, long version);
}

public static partial class LayerIds
{
    public static bool IsValid(string id) => Pattern().IsMatch(id);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}

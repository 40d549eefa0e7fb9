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
public sealed partial class LayerImporter(
    NpgsqlDataSource dataSource, LayerCatalog catalog, LayerWriter writer, Indicators.IndicatorLayers indicatorLayers, ILogger<LayerImporter> logger)
{
    public async Task<ImportReport> ImportAsync(LayerImportRequest request, Action<string>? progress, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        if (!LayerIds.IsValid(request.LayerId))
        {
            throw new ImportException($"'{request.LayerId}' is not a valid layer id: use 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit (no dots).");
        }

        GeoJsonSource source;
        await using (var stream = OpenSource(request))
        {
            source = await GeoJsonSource.ReadAsync(stream, request.FileName ?? Path.GetFileName(request.FilePath), request.KeyProperty, request.MergeByKey, progress, ct);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

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
        // Repair in the source CRS, transform, and repair again only if the transform broke validity. Merging
        // polygons uses ST_Union so that touching parts become one valid MultiPolygon; ST_CollectionExtract
        // flattens collected Multi geometries (ST_Collect of MultiPolygons is a GeometryCollection).
        var geometry = !request.MergeByKey ? "(array_agg(g ORDER BY position))[1]"
            : dimension == 3 ? "ST_CollectionExtract(ST_Union(g), 3)"
            : $"ST_CollectionExtract(ST_Collect(g), {dimension})";
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
                   {geometry} AS geom
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

        LayerWriteResult written;
        try
        {
            written = await writer.ReplaceAsync(connection, tx, new LayerDefinition(
                request.LayerId, request.Title, request.Description, request.Source, request.Licence, request.KeyProperty,
                Properties: source.Properties), "SELECT fid, properties, geom FROM import_ready", [], ct);
        }
        catch (LayerWriteException e)
        {
            throw new ImportException(e.Message, e);
        }
        // Indicator layers carry copies of the boundaries their areas stand on: a new boundary layer rewrites them
        // in this transaction, so that no reader sees new boundaries beside indicator layers on the old ones.
        await indicatorLayers.RewriteStandingOnAsync(connection, tx, request.LayerId, ct);

        var used = await Scalar<int>(connection, tx,
            "SELECT count(*)::int FROM import_staging s WHERE EXISTS (SELECT 1 FROM import_ready r WHERE r.fid = s.fid)", ct);
        var report = new ImportReport(request.LayerId, source.Features.Count + source.Rejected, written.Written, (int)repaired,
            source.Rejected + source.Features.Count - used, source.Srid, written.GeometryType, written.Version, stopwatch.Elapsed);

        await Execute(connection, tx, "UPDATE layers SET import_report = $2::jsonb WHERE id = $1", ct, request.LayerId, JsonSerializer.Serialize(new
        {
            file = request.FileName ?? Path.GetFileName(request.FilePath),
            read = report.Read,
            written = report.Written,
            repaired = report.Repaired,
            rejected = report.Rejected,
            sourceSrid = report.SourceSrid,
            importedAt = DateTimeOffset.UtcNow,
        }));

        await tx.CommitAsync(ct);
        await catalog.ReloadAsync(ct);
        report = report with { Elapsed = stopwatch.Elapsed };
        LogImported(report.LayerId, report.Read, report.Written, report.Repaired, report.Rejected, report.Version);
        return report;
    }

    private static Stream OpenSource(LayerImportRequest request)
    {
        if (request.Content is { } content)
        {
            return content;
        }
        return File.Exists(request.FilePath)
            ? File.OpenRead(request.FilePath)
            : throw new ImportException($"File not found: {request.FilePath}");
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

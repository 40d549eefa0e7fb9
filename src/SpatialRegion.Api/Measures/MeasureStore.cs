using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Measures;

/// <summary>A write the register refuses for a reason other than a bad field: unknown measure (404), an id that
/// exists (409), a stale (412) or missing (428) If-Match, too large a geometry (413).</summary>
public sealed class MeasureWriteException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Title => Status switch
    {
        StatusCodes.Status412PreconditionFailed => "Changed by someone else",
        StatusCodes.Status428PreconditionRequired => "If-Match required",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status409Conflict => "Conflict",
        _ => "Refused",
    };
}

public sealed record MeasureWriteResult(string Id, int Version, string Operation, IReadOnlyList<string> Warnings);

public sealed record MeasureImportReport(int Inserted, int Updated, int Unchanged, IReadOnlyList<string> Warnings);

/// <summary>
/// Every change to the register: one transaction that checks the record against the database (area codes,
/// themes, geometries), writes the measure and its links, keeps the new version whole in measure_versions and
/// brings the three measure layers up to date. Concurrent editors of one measure queue on its row, so that of two
/// writers holding the same version one wins and the other's If-Match no longer matches.
/// </summary>
public sealed class MeasureStore(NpgsqlDataSource dataSource, MeasureLayers layers, LayerCatalog catalog)
{
    private readonly MeasureLayers layers = layers;

    /// <summary>More vertices than any drawn measure needs; a larger geometry is refused with 413.</summary>
    public const int MaxVertices = 100_000;

    /// <summary>How far outside the county a geometry may lie before it is refused unless forced (metres).</summary>
    public const double CountyMarginMetres = 50_000;

    public async Task<JsonObject?> GetDocumentAsync(string id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT measure_document($1)::text");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
        return await cmd.ExecuteScalarAsync(ct) is string text ? JsonNode.Parse(text)!.AsObject() : null;
    }

    public Task<MeasureWriteResult> CreateAsync(MeasureInput input, string caller, bool force, CancellationToken ct) =>
        EditAsync(edits => edits.CreateAsync(input, caller, force), ct);

    /// <summary>Replaces a live measure; <paramref name="ifMatch"/> is the version the editor read.</summary>
    public Task<MeasureWriteResult> UpdateAsync(string id, MeasureInput input, int? ifMatch, string caller, bool force, CancellationToken ct) =>
        EditAsync(edits => edits.UpdateAsync(id, input, ifMatch, caller, force), ct);

    /// <summary>Soft delete: the measure leaves the layers and lists; its versions stay, the last one marked deleted.</summary>
    public Task<MeasureWriteResult> DeleteAsync(string id, int? ifMatch, string caller, CancellationToken ct) =>
        EditAsync(edits => edits.DeleteAsync(id, ifMatch, caller), ct);

    /// <summary>Several edits in one transaction (a WFS Transaction): all of them are kept, or none.</summary>
    public Task<T> EditAsync<T>(Func<MeasureEdits, Task<T>> edits, CancellationToken ct) =>
        InTransactionAsync((connection, tx) => edits(new MeasureEdits(this, connection, tx, ct)), ct);

    /// <summary>The edits of one transaction.</summary>
    public sealed class MeasureEdits(MeasureStore store, NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        public async Task<JsonObject?> DocumentAsync(string id)
        {
            await using var cmd = new NpgsqlCommand("SELECT measure_document($1)::text", connection, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
            return await cmd.ExecuteScalarAsync(ct) is string text ? JsonNode.Parse(text)!.AsObject() : null;
        }

        public async Task<MeasureWriteResult> CreateAsync(MeasureInput input, string caller, bool force)
        {
            var id = input.Id ?? "rjh-" + Guid.NewGuid().ToString("N")[..12];
            if (await CurrentAsync(connection, tx, id, ct) is not null)
            {
                throw new MeasureWriteException(StatusCodes.Status409Conflict, $"A measure '{id}' exists already (deleted ones keep their id). Update it with PUT and If-Match.");
            }
            var warnings = await store.WriteAsync(connection, tx, id, input with { Id = id }, "create", caller, force, ct);
            await store.layers.RefreshAsync(connection, tx, id, placesChanged: true, summaryChanged: true, ct);
            return new MeasureWriteResult(id, 1, "create", warnings);
        }

        /// <param name="ifMatch">The version the editor read; null is refused with 428 unless <paramref name="requireIfMatch"/> is false
        /// (WFS-T has no version to send: its updates queue on the row and each becomes a version of its own).</param>
        public async Task<MeasureWriteResult> UpdateAsync(string id, MeasureInput input, int? ifMatch, string caller, bool force, bool requireIfMatch = true)
        {
            if (input.Id is { } bodyId && bodyId != id)
            {
                throw new InvalidQueryException("id", $"The body names measure '{bodyId}' but the address names '{id}'; ids do not change.");
            }
            var version = await LiveVersionAsync(connection, tx, id, ifMatch, ct, requireIfMatch);
            var before = await ChangeKeysAsync(connection, tx, id, ct);
            var warnings = await store.WriteAsync(connection, tx, id, input with { Id = id }, "update", caller, force, ct);
            var after = await ChangeKeysAsync(connection, tx, id, ct);
            await store.layers.RefreshAsync(connection, tx, id, placesChanged: before[0] != after[0], summaryChanged: before[1] != after[1], ct);
            return new MeasureWriteResult(id, version + 1, "update", warnings);
        }

        public async Task<MeasureWriteResult> DeleteAsync(string id, int? ifMatch, string caller)
        {
            var version = await LiveVersionAsync(connection, tx, id, ifMatch, ct, ifMatchRequired: false);
            await Execute(connection, tx, """
                UPDATE measures SET deleted_at = now(), version = version + 1, updated_at = now(), updated_by = $2 WHERE id = $1
                """, ct, id, caller);
            await RecordVersionAsync(connection, tx, id, "delete", caller, ct);
            await store.layers.RefreshAsync(connection, tx, id, placesChanged: true, summaryChanged: true, ct);
            return new MeasureWriteResult(id, version + 1, "delete", []);
        }
    }

    /// <summary>Bulk import, idempotent by id: a record equal to the stored one is left alone (no new version), a
    /// changed one becomes a new version, a new one is inserted; all or nothing.</summary>
    public async Task<MeasureImportReport> ImportAsync(IReadOnlyList<MeasureInput> records, string caller, CancellationToken ct)
    {
        var duplicate = records.GroupBy(r => r.Id).FirstOrDefault(g => g.Key is null || g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidQueryException("id", duplicate.Key is null ? "Every imported measure needs an id naming its source." : $"Measure '{duplicate.Key}' occurs more than once.");
        }
        return await InTransactionAsync(async (connection, tx) =>
        {
            int inserted = 0, updated = 0, unchanged = 0;
            var warnings = new List<string>();
            for (var i = 0; i < records.Count; i++)
            {
                var record = records[i];
                var before = await CurrentAsync(connection, tx, record.Id!, ct);
                try
                {
                    warnings.AddRange(await WriteAsync(connection, tx, record.Id!, record, before is null ? "import" : "update", caller, force: true, ct,
                        skipVersionWhenUnchanged: true));
                }
                catch (InvalidQueryException e)
                {
                    throw new InvalidQueryException($"[{i}].{e.Parameter}", $"Measure '{record.Id}': {e.Message}");
                }
                var after = await CurrentAsync(connection, tx, record.Id!, ct);
                if (before is null)
                {
                    inserted++;
                }
                else if (after!.Value.Version == before.Value.Version)
                {
                    unchanged++;
                }
                else
                {
                    updated++;
                }
            }
            if (inserted + updated > 0)
            {
                await layers.RewriteAllAsync(connection, tx, ct);
            }
            return new MeasureImportReport(inserted, updated, unchanged, warnings);
        }, ct);
    }

    private async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        T result;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            result = await work(connection, tx);
            await tx.CommitAsync(ct);
        }
        await catalog.ReloadAsync(ct);
        return result;
    }

    private static async Task<string[]> ChangeKeysAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT measure_change_keys($1)", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
        return (string[])(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<(int Version, bool Deleted)?> CurrentAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT version, deleted_at IS NOT NULL FROM measures WHERE id = $1 FOR UPDATE", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt32(0), reader.GetBoolean(1)) : null;
    }

    private static async Task<int> LiveVersionAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, string id, int? ifMatch, CancellationToken ct, bool ifMatchRequired = true)
    {
        var current = await CurrentAsync(connection, tx, id, ct);
        if (current is not { Deleted: false } live)
        {
            throw new MeasureWriteException(StatusCodes.Status404NotFound, $"There is no measure '{id}'{(current is null ? "" : " (it was deleted; GET its history)")}.");
        }
        if (ifMatch is null && ifMatchRequired)
        {
            throw new MeasureWriteException(StatusCodes.Status428PreconditionRequired,
                $"Send If-Match with the ETag of the version you edited (GET /api/measures/{id} gives it), so that no one else's change is overwritten.");
        }
        if (ifMatch is { } expected && expected != live.Version)
        {
            throw new MeasureWriteException(StatusCodes.Status412PreconditionFailed,
                $"Measure '{id}' has changed since version {expected}: it is at version {live.Version}. GET it again and reapply the edit.");
        }
        return live.Version;
    }

    private async Task<List<string>> WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, string id, MeasureInput m, string operation, string caller, bool force,
        CancellationToken ct, bool skipVersionWhenUnchanged = false)
    {
        var warnings = new List<string>();
        await CheckAreaCodesAndThemesAsync(connection, tx, m, ct);
        var geometries = new List<NpgsqlParameter?>();
        for (var i = 0; i < m.Links.Count; i++)
        {
            geometries.Add(m.Links[i].GeometryJson is { } json
                ? await StoredGeometryAsync(id, json, m.GeometrySrid, ct) ?? await CheckGeometryAsync(json, m.GeometrySrid, $"links[{i}].geometry", force, warnings, ct)
                : null);
        }

        var amounts = new JsonObject();
        foreach (var kind in MeasureVocabulary.AmountKinds)
        {
            amounts[kind] = m.Amounts.GetValueOrDefault(kind) is { } a
                ? new JsonObject { ["sek"] = a.Sek, ["source"] = a.Source, ["year"] = a.Year }
                : null;
        }
        var declaredShare = m.Links.Where(l => l.AreaCode is not null).Sum(l => l.Weight ?? 0);
        var scope = m.Scope ?? (m.Links.Any(l => l.AreaCode is not null && l.Weight is not null) && declaredShare < 0.999m ? "multi_county" : "local");

        // The previous state, to tell an import that changes nothing from one that does.
        var before = skipVersionWhenUnchanged ? await Scalar<string>(connection, tx, "SELECT (measure_document($1) - 'version' - 'created_at' - 'updated_at' - 'updated_by')::text", ct, id) : null;

        await Execute(connection, tx, """
            INSERT INTO measures AS m (id, title, description, status, measure_type, funder, fund, programme, programming_period,
                                       priority_axis, thematic_objective, themes, beneficiary, start_date, end_date, amounts, scope,
                                       source_url, source_snapshot, licence, source_note, updated_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::date, $15::date, $16::jsonb, $17, $18, $19::date, $20, $21, $22)
            ON CONFLICT (id) DO UPDATE SET
              title = $2, description = $3, status = $4, measure_type = $5, funder = $6, fund = $7, programme = $8,
              programming_period = $9, priority_axis = $10, thematic_objective = $11, themes = $12, beneficiary = $13,
              start_date = $14::date, end_date = $15::date, amounts = $16::jsonb, scope = $17, source_url = $18, source_snapshot = $19::date,
              licence = $20, source_note = $21, updated_by = $22, updated_at = now(), version = m.version + 1, deleted_at = NULL
            """, ct, id, m.Title, m.Description, m.Status, m.MeasureType, m.Funder, m.Fund, m.Programme, m.ProgrammingPeriod,
            m.PriorityAxis, m.ThematicObjective, m.Themes.ToArray(), m.Beneficiary, m.StartDate, m.EndDate, amounts.ToJsonString(), scope,
            m.SourceUrl, m.SourceSnapshot, m.Licence, m.SourceNote, caller);

        await Execute(connection, tx, "DELETE FROM measure_links WHERE measure_id = $1", ct, id);
        for (var i = 0; i < m.Links.Count; i++)
        {
            var link = m.Links[i];
            await using var insert = new NpgsqlCommand("""
                INSERT INTO measure_links (measure_id, position, kind, basis, area_code, weight, geom, note)
                VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::geometry, $8)
                """, connection, tx);
            AddParameters(insert, id, i + 1, link.Kind, link.Basis, link.AreaCode, link.Weight, null, link.Note);
            insert.Parameters[6] = geometries[i] ?? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea };
            await insert.ExecuteNonQueryAsync(ct);
        }
        await UpdateDisplayGeometryAsync(connection, tx, id, ct);
        await Execute(connection, tx, "SELECT measure_refresh_shares($1)", ct, id);

        if (before is not null)
        {
            var after = await Scalar<string>(connection, tx, "SELECT (measure_document($1) - 'version' - 'created_at' - 'updated_at' - 'updated_by')::text", ct, id);
            if (after == before)
            {
                // Nothing changed: undo the version bump the upsert made (inside this transaction nobody saw it).
                await Execute(connection, tx, "UPDATE measures SET version = version - 1 WHERE id = $1", ct, id);
                return warnings;
            }
        }
        await RecordVersionAsync(connection, tx, id, operation, caller, ct);
        return warnings;
    }

    private static async Task RecordVersionAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, string operation, string caller, CancellationToken ct) =>
        await Execute(connection, tx, """
            INSERT INTO measure_versions (measure_id, version, operation, changed_at, changed_by, record)
            SELECT m.id, m.version, $2, m.updated_at, $3, measure_document(m.id) FROM measures m WHERE m.id = $1
            """, ct, id, operation, caller);

    /// <summary>The display geometry: the own geometries where there are any, else the union of the declared areas,
    /// taken from measure_area_unions (made once per set of codes and version of the boundaries).</summary>
    private static async Task UpdateDisplayGeometryAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id, CancellationToken ct)
    {
        await Execute(connection, tx, """
            WITH codes AS (
              SELECT string_agg(DISTINCT area_code, ',' ORDER BY area_code) AS codes, array_agg(DISTINCT area_code) AS list
              FROM measure_links WHERE measure_id = $1 AND area_code IS NOT NULL
            ), boundaries AS (
              SELECT coalesce(sum(version), 0) AS version FROM layers WHERE id IN ('municipalities', 'counties')
            )
            INSERT INTO measure_area_unions (codes, geom, boundaries_version)
            SELECT c.codes, ST_Multi(ST_CollectionExtract(ST_Union(f.geom), 3)), b.version
            FROM codes c CROSS JOIN boundaries b
            JOIN layer_features f ON f.fid = ANY (c.list)
                 AND f.layer_id = CASE length(f.fid) WHEN 4 THEN 'municipalities' ELSE 'counties' END
            WHERE c.codes IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM measure_area_unions u WHERE u.codes = c.codes AND u.boundaries_version = b.version)
            GROUP BY c.codes, b.version
            ON CONFLICT (codes) DO UPDATE SET geom = EXCLUDED.geom, boundaries_version = EXCLUDED.boundaries_version
            """, ct, id);
        await Execute(connection, tx, """
            WITH own AS (
              SELECT ST_Union(geom) AS geom, bool_and(ST_Dimension(geom) = 2) AS areal FROM measure_links WHERE measure_id = $1 AND geom IS NOT NULL
            ), declared AS (
              SELECT u.geom FROM measure_area_unions u
              WHERE u.codes = (SELECT string_agg(DISTINCT area_code, ',' ORDER BY area_code) FROM measure_links WHERE measure_id = $1 AND area_code IS NOT NULL)
            )
            UPDATE measures SET
              display_geom = CASE WHEN (SELECT geom FROM own) IS NOT NULL THEN measure_display_shape((SELECT geom FROM own)) ELSE (SELECT geom FROM declared) END,
              display_basis = CASE WHEN (SELECT geom FROM own) IS NOT NULL THEN CASE WHEN (SELECT areal FROM own) THEN 'own' ELSE 'own_buffered' END
                                   WHEN EXISTS (SELECT 1 FROM declared) THEN 'declared_areas' ELSE 'none' END
            WHERE id = $1
            """, ct, id);
    }

    private static async Task CheckAreaCodesAndThemesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, MeasureInput m, CancellationToken ct)
    {
        var codes = m.Links.Select(l => l.AreaCode).OfType<string>().Distinct().ToArray();
        if (codes.Length > 0)
        {
            var unknown = await Scalar<string>(connection, tx, """
                SELECT c FROM unnest($1::text[]) AS c
                WHERE NOT EXISTS (SELECT 1 FROM layer_features f WHERE f.fid = c
                                  AND f.layer_id = CASE length(c) WHEN 4 THEN 'municipalities' ELSE 'counties' END)
                LIMIT 1
                """, ct, [codes]);
            if (unknown is not null)
            {
                var index = m.Links.ToList().FindIndex(l => l.AreaCode == unknown);
                throw new InvalidQueryException($"links[{index}].area_code",
                    $"'{unknown}' is no {(unknown.Length == 4 ? "municipality" : "county")} code of Sweden (municipalities and counties layers).");
            }
        }
        if (m.Themes.Count > 0)
        {
            var unknownTheme = await Scalar<string>(connection, tx,
                "SELECT t FROM unnest($1::text[]) AS t WHERE NOT EXISTS (SELECT 1 FROM measure_themes WHERE id = t) LIMIT 1", ct, [m.Themes.ToArray()]);
            if (unknownTheme is not null)
            {
                var known = await Scalar<string>(connection, tx, "SELECT string_agg(id, ', ' ORDER BY id) FROM measure_themes", ct);
                throw new InvalidQueryException("themes", $"Unknown theme '{unknownTheme}'. Themes: {known}.");
            }
        }
    }

    /// <summary>A geometry sent back exactly as the measure's document shows it (WGS 84, 7 decimals) is the stored one:
    /// it keeps its stored coordinates, so that editing an attribute never moves a geometry by rounding.</summary>
    private async Task<NpgsqlParameter?> StoredGeometryAsync(string id, string geoJson, int srid, CancellationToken ct)
    {
        if (srid != 4326)
        {
            return null;
        }
        await using var cmd = dataSource.CreateCommand("""
            SELECT ST_AsEWKB(geom) FROM measure_links
            WHERE measure_id = $1 AND geom IS NOT NULL AND ST_AsGeoJSON(ST_Transform(geom, 4326), 7, 0)::jsonb = $2::jsonb
            LIMIT 1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = geoJson, NpgsqlDbType = NpgsqlDbType.Text });
        try
        {
            return await cmd.ExecuteScalarAsync(ct) is byte[] ewkb ? new NpgsqlParameter { Value = ewkb, NpgsqlDbType = NpgsqlDbType.Bytea } : null;
        }
        catch (PostgresException)
        {
            // Not JSON PostgreSQL reads: the full check below says what is wrong with it.
            return null;
        }
    }

    /// <summary>Reads a GeoJSON geometry in the given CRS into EPSG:3006 as imports do: repaired when invalid, refused
    /// when empty, too large, or (unless forced) far outside the county. Returns it as EWKB for the insert. It runs on
    /// a connection of its own: PostGIS reports unreadable input as an internal error, which would end the edit's transaction.</summary>
    private async Task<NpgsqlParameter> CheckGeometryAsync(string geoJson, int srid, string field, bool force, List<string> warnings, CancellationToken ct)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand($"""
                WITH source AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), $2) AS g),
                checked AS (
                  SELECT g, ST_NPoints(g) AS points, ST_IsEmpty(g) AS empty, ST_IsValid(g) AS valid, ST_Dimension(g) AS dim FROM source
                ),
                stored AS (
                  SELECT c.*, ST_Transform(CASE WHEN c.valid OR c.empty THEN c.g ELSE ST_CollectionExtract(ST_MakeValid(c.g), c.dim + 1) END, 3006) AS g3006
                  FROM checked c
                )
                SELECT s.points, s.empty, s.valid, ST_AsEWKB(s.g3006),
                       round(ST_Distance(s.g3006, (SELECT geom FROM layer_features WHERE layer_id = 'counties' AND fid = '{MeasureLayers.County}')))
                FROM stored s
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = geoJson, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = srid, NpgsqlDbType = NpgsqlDbType.Integer });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var points = reader.GetInt32(0);
            if (points > MaxVertices)
            {
                throw new MeasureWriteException(StatusCodes.Status413PayloadTooLarge, $"{field} has {points} vertices; at most {MaxVertices} are accepted.");
            }
            if (reader.GetBoolean(1))
            {
                throw new InvalidQueryException(field, $"{field} is empty.");
            }
            if (!reader.GetBoolean(2))
            {
                warnings.Add($"{field} was not valid and was repaired (ST_MakeValid).");
            }
            var ewkb = (byte[])reader.GetValue(3);
            var distance = reader.IsDBNull(4) ? 0 : reader.GetDouble(4);
            if (distance > CountyMarginMetres)
            {
                var message = $"{field} lies {distance / 1000:0} km outside Jämtlands län (more than {CountyMarginMetres / 1000:0} km): check its CRS and axis order";
                if (!force)
                {
                    throw new InvalidQueryException(field, message + ", or send force=true to store it anyway.");
                }
                warnings.Add(message + "; stored because force=true.");
            }
            return new NpgsqlParameter { Value = ewkb, NpgsqlDbType = NpgsqlDbType.Bytea };
        }
        catch (PostgresException e)
        {
            throw new InvalidQueryException(e.MessageText.Contains("SRID", StringComparison.OrdinalIgnoreCase) || e.MessageText.Contains("transform", StringComparison.OrdinalIgnoreCase) ? "crs" : field,
                $"{field} cannot be read as a GeoJSON geometry in EPSG:{srid.ToString(CultureInfo.InvariantCulture)}: {e.MessageText}");
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Statements are constants of this class; values are parameters.")]
    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] values)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        AddParameters(cmd, values);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Statements are constants of this class; values are parameters.")]
    private static async Task<T?> Scalar<T>(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] values)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        AddParameters(cmd, values);
        return await cmd.ExecuteScalarAsync(ct) is T value ? value : default;
    }

    private static void AddParameters(NpgsqlCommand cmd, params object?[] values)
    {
        foreach (var value in values)
        {
            cmd.Parameters.Add(value switch
            {
                null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                DateOnly d => new NpgsqlParameter { Value = d, NpgsqlDbType = NpgsqlDbType.Date },
                string[] a => new NpgsqlParameter { Value = a, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                _ => new NpgsqlParameter { Value = value },
            });
        }
    }
}

using System.Collections.Frozen;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Indicators;

/// <summary>
/// The indicator catalogue in PostGIS. The entries of data/indicators.json are brought in at start-up (new ones
/// added, changed ones updated) unless they were since edited or deleted through the API, which then owns them.
/// Reads are served from an immutable snapshot, replaced whole when the catalogue changes (announced by the
/// indicators_changed notification, or by a write in this process), so that answering a read, or a
/// revalidation of one, asks the database nothing about the indicator.
/// </summary>
public sealed partial class IndicatorCatalogue(
    NpgsqlDataSource dataSource, IndicatorLayers layers, LayerCatalog layerCatalog, ILogger<IndicatorCatalogue> logger) : INotifiedCatalog
{
    private volatile Snapshot? _snapshot;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);

    public static IReadOnlyList<IndicatorDefinition> Shipped { get; } = LoadShipped();

    /// <summary>Notified by the catalogue's trigger (schema 0022), on definitions and on every change of values.</summary>
    public string Channel => "indicators_changed";

    private const string Columns = """
        id, title_sv, title_en, unit, description, source, source_reference::text, area_levels, period_type,
        divided_by_gender, decimals, licence, attribution, defined_in, version, updated_at
        """;

    public async Task<int> SyncShippedAsync(CancellationToken ct)
    {
        var changed = 0;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var definition in Shipped)
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            await using (var removed = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM indicator_catalogue_removed WHERE id = $1)", connection, tx))
            {
                removed.Parameters.Add(new NpgsqlParameter { Value = definition.Id });
                if ((bool)(await removed.ExecuteScalarAsync(ct))!)
                {
                    continue;
                }
            }
            // Only rows still owned by the catalogue file are updated, and only when something differs.
            var written = await WriteAsync(connection, tx, definition, "catalogue", onlyIfOwnedBy: "catalogue", ct);
            if (written is not null)
            {
                await layers.RewriteAsync(connection, tx, written, ct);
                changed++;
            }
            await tx.CommitAsync(ct);
        }
        if (changed > 0)
        {
            await ReloadAfterWriteAsync(ct);
            LogSynced(changed);
        }
        return changed;
    }

    public async ValueTask<IReadOnlyList<Indicator>> ListAsync(CancellationToken ct) => (await SnapshotAsync(ct)).Ordered;

    public async ValueTask<Indicator?> FindAsync(string id, CancellationToken ct) => (await SnapshotAsync(ct)).ById.GetValueOrDefault(id);

    public async Task ReloadAsync(CancellationToken ct)
    {
        await _reloadLock.WaitAsync(ct);
        try
        {
            await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM indicators ORDER BY id");
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var list = new List<Indicator>();
            while (await reader.ReadAsync(ct))
            {
                list.Add(Read(reader));
            }
            _snapshot = new Snapshot(list.ToFrozenDictionary(i => i.Id, StringComparer.Ordinal), list);
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <summary>After a write committed in this process, so that its next read sees it: the catalogue, and the layer
    /// registry, since a write of a definition or of values rewrites the indicator's layer in the same transaction.
    /// (Other instances hear of it through the notifications of both tables.)</summary>
    public async Task ReloadAfterWriteAsync(CancellationToken ct)
    {
        await ReloadAsync(ct);
        await layerCatalog.ReloadAsync(ct);
    }

    private async ValueTask<Snapshot> SnapshotAsync(CancellationToken ct)
    {
        if (_snapshot is { } snapshot)
        {
            return snapshot;
        }
        await ReloadAsync(ct);
        return _snapshot!;
    }

    private sealed record Snapshot(FrozenDictionary<string, Indicator> ById, IReadOnlyList<Indicator> Ordered);

    /// <summary>With <paramref name="forUpdate"/> the row stays locked until the transaction ends, so that writers
    /// of one indicator's values queue up instead of interleaving.</summary>
    public static async Task<Indicator?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string id, bool forUpdate, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {Columns} FROM indicators WHERE id = $1{(forUpdate ? " FOR UPDATE" : "")}", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Creates or replaces an entry through the API; the API owns it from then on.</summary>
    public async Task<CatalogueWrite> SaveAsync(IndicatorDefinition definition, bool mustBeNew, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var existing = await FindAsync(connection, tx, definition.Id, forUpdate: true, ct);
        if (existing is not null && mustBeNew)
        {
            return new CatalogueWrite(existing, CatalogueWriteOutcome.AlreadyExists, null);
        }
        if (existing is not null)
        {
            var conflict = await ConflictWithValuesAsync(connection, tx, definition, ct);
            if (conflict is not null)
            {
                return new CatalogueWrite(existing, CatalogueWriteOutcome.ConflictsWithValues, conflict);
            }
        }
        var written = await WriteAsync(connection, tx, definition, "api", onlyIfOwnedBy: null, ct) ?? existing!;
        await using (var restore = new NpgsqlCommand("DELETE FROM indicator_catalogue_removed WHERE id = $1", connection, tx))
        {
            restore.Parameters.Add(new NpgsqlParameter { Value = definition.Id });
            await restore.ExecuteNonQueryAsync(ct);
        }
        await layers.RewriteAsync(connection, tx, written, ct);
        await tx.CommitAsync(ct);
        await ReloadAfterWriteAsync(ct);
        return new CatalogueWrite(written, existing is null ? CatalogueWriteOutcome.Created : CatalogueWriteOutcome.Replaced, null);
    }

    /// <summary>Deletes an entry with its values and its layer. A shipped entry is remembered as removed.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var delete = new NpgsqlCommand("DELETE FROM indicators WHERE id = $1", connection, tx))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = id });
            if (await delete.ExecuteNonQueryAsync(ct) == 0)
            {
                return false;
            }
        }
        if (Shipped.Any(d => d.Id == id))
        {
            await using var remember = new NpgsqlCommand(
                "INSERT INTO indicator_catalogue_removed (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET removed_at = now()", connection, tx);
            remember.Parameters.Add(new NpgsqlParameter { Value = id });
            await remember.ExecuteNonQueryAsync(ct);
        }
        await IndicatorLayers.DeleteAsync(connection, tx, id, ct);
        await tx.CommitAsync(ct);
        await ReloadAfterWriteAsync(ct);
        return true;
    }

    private static async Task<string?> ConflictWithValuesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IndicatorDefinition definition, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT
              (SELECT count(*) FROM indicator_values v JOIN indicators i ON i.id = v.indicator_id
                WHERE v.indicator_id = $1 AND i.period_type <> $2),
              (SELECT string_agg(DISTINCT a.level, ', ') FROM indicator_values v JOIN indicator_areas a ON a.code = v.area_code
                WHERE v.indicator_id = $1 AND NOT a.level = ANY ($3)),
              (SELECT count(*) FROM indicator_values WHERE indicator_id = $1 AND gender <> 'T' AND NOT $4)
            """, connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = definition.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = definition.PeriodType });
        cmd.Parameters.Add(new NpgsqlParameter { Value = definition.AreaLevels.ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = definition.DividedByGender });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        if (reader.GetInt64(0) > 0)
        {
            return $"The indicator has values by another period type; periodType can change only after its values are deleted.";
        }
        if (!reader.IsDBNull(1))
        {
            return $"The indicator has values for areas of level {reader.GetString(1)}, which areaLevels no longer lists.";
        }
        if (reader.GetInt64(2) > 0)
        {
            return "The indicator has values by gender; dividedByGender can become false only after they are deleted.";
        }
        return null;
    }

    /// <summary>Inserts or updates the row; null when nothing was written (owned by someone else, or unchanged).</summary>
    private static async Task<Indicator?> WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, IndicatorDefinition d, string definedIn, string? onlyIfOwnedBy, CancellationToken ct)
    {
        var reference = JsonSerializer.Serialize(d.SourceReference ?? new IndicatorSourceReference(), IndicatorJson.Options);
        await using var cmd = new NpgsqlCommand($"""
            INSERT INTO indicators AS i (id, title_sv, title_en, unit, description, source, source_reference, area_levels,
                                         period_type, divided_by_gender, decimals, licence, attribution, defined_in)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (id) DO UPDATE SET
              title_sv = excluded.title_sv, title_en = excluded.title_en, unit = excluded.unit,
              description = excluded.description, source = excluded.source, source_reference = excluded.source_reference,
              area_levels = excluded.area_levels, period_type = excluded.period_type,
              divided_by_gender = excluded.divided_by_gender, decimals = excluded.decimals, licence = excluded.licence,
              attribution = excluded.attribution, defined_in = excluded.defined_in,
              version = nextval('indicator_version_seq'), updated_at = now()
            WHERE ($15::text IS NULL OR i.defined_in = $15)
              AND (i.title_sv, i.title_en, i.unit, i.description, i.source, i.source_reference, i.area_levels, i.period_type,
                   i.divided_by_gender, i.decimals, i.licence, i.attribution, i.defined_in)
                  IS DISTINCT FROM
                  (excluded.title_sv, excluded.title_en, excluded.unit, excluded.description, excluded.source,
                   excluded.source_reference, excluded.area_levels, excluded.period_type, excluded.divided_by_gender,
                   excluded.decimals, excluded.licence, excluded.attribution, excluded.defined_in)
            RETURNING {Columns}
            """, connection, tx);
        object[] values = [d.Id, d.Title.Sv.Trim(), d.Title.En.Trim(), d.Unit.Trim(), d.Description ?? "", d.Source.Trim(), reference,
            d.AreaLevels.ToArray(), d.PeriodType, d.DividedByGender, d.Decimals, d.Licence ?? "", d.Attribution ?? "", definedIn];
        foreach (var v in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)onlyIfOwnedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static Indicator Read(NpgsqlDataReader r) => new(
        Id: r.GetString(0),
        TitleSv: r.GetString(1),
        TitleEn: r.GetString(2),
        Unit: r.GetString(3),
        Description: r.GetString(4),
        Source: r.GetString(5),
        SourceReference: JsonSerializer.Deserialize<IndicatorSourceReference>(r.GetString(6), IndicatorJson.Options) ?? new(),
        AreaLevels: r.GetFieldValue<string[]>(7),
        PeriodType: PeriodTypes.FromName(r.GetString(8)) ?? PeriodType.Year,
        DividedByGender: r.GetBoolean(9),
        Decimals: r.GetInt32(10),
        Licence: r.GetString(11),
        Attribution: r.GetString(12),
        DefinedIn: r.GetString(13),
        Version: r.GetInt64(14),
        UpdatedAt: new DateTimeOffset(r.GetDateTime(15), TimeSpan.Zero));

    private static List<IndicatorDefinition> LoadShipped()
    {
        var list = JsonSerializer.Deserialize<List<IndicatorDefinition>>(EmbeddedResources.Read("indicators.json"), IndicatorJson.Options) ?? [];
        foreach (var d in list)
        {
            var errors = d.Validate();
            if (errors.Count > 0)
            {
                throw new InvalidOperationException($"data/indicators.json: indicator '{d.Id}' is invalid: "
                    + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
            }
        }
        return list;
    }

    [LoggerMessage(LogLevel.Information, "Indicator catalogue: {Count} shipped entries added or updated")]
    private partial void LogSynced(int count);
}

public enum CatalogueWriteOutcome
{
    Created,
    Replaced,
    AlreadyExists,
    ConflictsWithValues,
}

public sealed record CatalogueWrite(Indicator Indicator, CatalogueWriteOutcome Outcome, string? Conflict);

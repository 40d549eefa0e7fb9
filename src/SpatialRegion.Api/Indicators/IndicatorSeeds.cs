using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Indicators;

public sealed record SeedReport(string IndicatorId, int Rows, int Skipped, ValueChanges Changes)
{
    public override string ToString() =>
        $"{IndicatorId}: {Rows} values read ({Skipped} rows of other periods or filtered out), {Changes.Inserted} inserted, {Changes.Updated} updated, {Changes.Unchanged} unchanged";
}

/// <summary>
/// Gives the shipped indicators their first real values from the files named in data/indicators.json
/// ("seed"), read from the data directory. Run by setup for indicators that have no values yet, and by the
/// load-indicators command. Each indicator is loaded in one transaction; a bad file changes nothing.
/// </summary>
public sealed partial class IndicatorSeeds(
    NpgsqlDataSource dataSource, IndicatorValueWriter writer, IndicatorCatalogue catalogue, IOptions<SpatialRegionOptions> options,
    IHostEnvironment environment, ILogger<IndicatorSeeds> logger)
{
    public string DataDir => DataDirectory.Resolve(options.Value.DataDir, environment.ContentRootPath);

    public async Task<IReadOnlyList<SeedReport>> LoadAsync(bool onlyMissing, IReadOnlyCollection<string>? only, Action<string>? progress, CancellationToken ct)
    {
        var reports = new List<SeedReport>();
        IReadOnlyDictionary<string, string>? knownAreas = null;
        foreach (var definition in IndicatorCatalogue.Shipped.Where(d => d.Seed is { Count: > 0 }))
        {
            if (only is not null && !only.Contains(definition.Id))
            {
                continue;
            }
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            var indicator = await IndicatorCatalogue.FindAsync(connection, tx, definition.Id, forUpdate: true, ct);
            if (indicator is null)
            {
                continue;
            }
            if (onlyMissing)
            {
                await using var has = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM indicator_values WHERE indicator_id = $1)", connection, tx);
                has.Parameters.Add(new NpgsqlParameter { Value = indicator.Id });
                if ((bool)(await has.ExecuteScalarAsync(ct))!)
                {
                    continue;
                }
            }

            var inputs = new List<ValueInput>();
            var skipped = 0;
            foreach (var seed in definition.Seed!)
            {
                var (read, skip) = seed.Kind switch
                {
                    "csv" => ReadCsv(seed, indicator, inputs.Count),
                    "layer-sum" => (await SumOverAreasAsync(connection, tx, seed, inputs.Count, ct), 0),
                    _ => throw new InvalidOperationException($"Indicator '{indicator.Id}': unknown seed kind '{seed.Kind}'."),
                };
                inputs.AddRange(read);
                skipped += skip;
            }
            inputs = Deduplicate(indicator.Id, inputs);

            knownAreas ??= await IndicatorValueWriter.KnownAreasAsync(connection, tx, ct);
            var (rows, errors) = IndicatorValueWriter.Check(indicator, inputs, knownAreas);
            if (errors.Count > 0)
            {
                throw new InvalidOperationException($"Seed of indicator '{indicator.Id}' is invalid, nothing was loaded: "
                    + string.Join("; ", errors.Take(5).Select(e => $"{inputs.First(i => i.Row == e.Row).Origin}: {e.Field}: {e.Message}")));
            }
            var changes = await writer.UpsertAsync(connection, tx, indicator, rows, new ValueProvenance("file", null, DateTimeOffset.UtcNow, null), ct);
            await tx.CommitAsync(ct);
            var report = new SeedReport(indicator.Id, rows.Count, skipped, changes);
            progress?.Invoke("  " + report);
            LogSeeded(indicator.Id, rows.Count, changes.Inserted, changes.Updated);
            reports.Add(report);
        }
        if (reports.Any(r => r.Changes.Changed > 0))
        {
            await catalogue.ReloadAfterWriteAsync(ct);
        }
        return reports;
    }

    private (List<ValueInput>, int Skipped) ReadCsv(SeedFile seed, Indicator indicator, int firstRow)
    {
        var path = Path.Combine(DataDir, seed.File ?? throw new InvalidOperationException($"Indicator '{indicator.Id}': a csv seed needs a file."));
        var inputs = new List<ValueInput>();
        var skipped = 0;
        using var reader = new StreamReader(path);
        foreach (var (line, row) in Csv.ReadWithHeader(reader))
        {
            string Column(string? name) => name is null ? "" : row.TryGetValue(name, out var v)
                ? v : throw new InvalidOperationException($"{seed.File} has no column '{name}' (indicator '{indicator.Id}').");
            if (seed.Where is not null && seed.Where.Any(w => Column(w.Key) != w.Value))
            {
                skipped++;
                continue;
            }
            var periodText = seed.FixedPeriod ?? Column(seed.Period);
            if (seed.PeriodIsEndDate)
            {
                if (!Period.TryFromEndDate(periodText, indicator.PeriodType, out var period))
                {
                    skipped++;
                    continue;
                }
                periodText = period.Text;
            }
            var origin = $"{seed.File}, line {line}";
            if (row.TryGetValue("source_url", out var url) && url.Length > 0)
            {
                origin += $" ({url})";
            }
            if (row.TryGetValue("note", out var note) && note.Length > 0)
            {
                origin += $"; note: {note}";
            }
            inputs.Add(new ValueInput(firstRow + inputs.Count + 1, Column(seed.Area), periodText,
                seed.Gender is null ? Genders.Total : Column(seed.Gender), Column(seed.Value), null, origin));
        }
        if (!seed.Sum)
        {
            return (inputs, skipped);
        }
        // Summed rows (tätort populations per municipality): one value per area, period and gender.
        var sums = inputs
            .GroupBy(i => (i.Area, i.Period, i.Gender))
            .Select((g, n) => new ValueInput(firstRow + n + 1, g.Key.Area, g.Key.Period, g.Key.Gender,
                g.Sum(i => decimal.Parse(i.Value!, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture), null,
                $"{seed.File}: sum of {g.Count()} rows"))
            .ToList();
        return (sums, skipped);
    }

    /// <summary>Sums a numeric property of a layer's features over the polygons of an area layer, each feature counted
    /// in the area that contains its centroid (so a 1 km square on a border is counted once).</summary>
    private async Task<List<ValueInput>> SumOverAreasAsync(NpgsqlConnection connection, NpgsqlTransaction tx, SeedFile seed, int firstRow, CancellationToken ct)
    {
        var filter = seed.AreaFilter?.SingleOrDefault();
        await using var cmd = new NpgsqlCommand("""
            SELECT a.fid, sum((f.properties ->> $3)::numeric)::text, count(*)
            FROM layer_features a
            JOIN layer_features f ON f.layer_id = $2 AND f.geom && a.geom AND ST_Contains(a.geom, ST_Centroid(f.geom))
            WHERE a.layer_id = $1 AND ($4::text IS NULL OR a.properties ->> $4 = $5)
            GROUP BY a.fid
            ORDER BY a.fid
            """, connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = seed.AreaLayer ?? throw new InvalidOperationException("layer-sum needs areaLayer.") });
        cmd.Parameters.Add(new NpgsqlParameter { Value = seed.Layer ?? throw new InvalidOperationException("layer-sum needs layer.") });
        cmd.Parameters.Add(new NpgsqlParameter { Value = seed.Property ?? throw new InvalidOperationException("layer-sum needs property.") });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)filter?.Key ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)filter?.Value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var inputs = new List<ValueInput>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            inputs.Add(new ValueInput(firstRow + inputs.Count + 1, reader.GetString(0), seed.FixedPeriod, Genders.Total, reader.GetString(1), null,
                $"layer {seed.Layer}: sum of {seed.Property} over {reader.GetInt64(2)} features whose centroid lies in {seed.AreaLayer} {reader.GetString(0)}"));
        }
        return inputs;
    }

    /// <summary>The same figure printed by two tables (2020 in citypopulation.de and Region JH) is one value; two
    /// different figures for one key are an error in the file, not something to choose between silently.</summary>
    private static List<ValueInput> Deduplicate(string indicatorId, List<ValueInput> inputs)
    {
        var kept = new List<ValueInput>();
        var byKey = new Dictionary<(string?, string?, string?), ValueInput>();
        foreach (var input in inputs)
        {
            var key = (AreaCodes.Normalise(input.Area ?? ""), input.Period, Genders.Normalise(input.Gender));
            if (byKey.TryGetValue(key, out var first))
            {
                if (first.Value != input.Value)
                {
                    throw new InvalidOperationException(
                        $"Seed of indicator '{indicatorId}': {first.Origin} and {input.Origin} give different values ({first.Value}, {input.Value}) for the same area, period and gender.");
                }
                continue;
            }
            byKey[key] = input;
            kept.Add(input);
        }
        return kept;
    }

    [LoggerMessage(LogLevel.Information, "Seeded indicator {IndicatorId}: {Rows} values, {Inserted} inserted, {Updated} updated")]
    private partial void LogSeeded(string indicatorId, int rows, int inserted, int updated);
}

using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace SpatialRegion.Api.Indicators;

/// <summary>A value as it arrived (upload row, file line, source cell), before it is checked.</summary>
public sealed record ValueInput(int Row, string? Area, string? Period, string? Gender, string? Value, string? Status, string? Origin = null);

/// <summary>A checked value: known area, canonical period, gender T/K/M; null value always with a status.</summary>
public sealed record ValueRow(string Area, Period Period, string Gender, decimal? Value, string? Status, string? Origin);

public sealed record RowError(int Row, string Field, string Message)
{
    public override string ToString() => $"row {Row}, {Field}: {Message}";
}

/// <summary>Who delivered the values and when: stored with each value that changes.</summary>
public sealed record ValueProvenance(string Source, string? ApiVersion, DateTimeOffset RetrievedAt, long? RunId);

public sealed record ValueChanges(int Inserted, int Updated, int Unchanged)
{
    public static ValueChanges None { get; } = new(0, 0, 0);

    public int Changed => Inserted + Updated;

    public ValueChanges Add(ValueChanges other) => new(Inserted + other.Inserted, Updated + other.Updated, Unchanged + other.Unchanged);
}

/// <summary>
/// Checks and writes indicator values. A write is an upsert of only what differs: a value equal to the stored
/// one (same number, same status) is left alone, so a re-run over unchanged data changes nothing; revised values
/// keep their predecessor in indicator_value_history. The indicator's layer is rewritten in the same transaction.
/// </summary>
public sealed class IndicatorValueWriter(IndicatorLayers layers)
{
    public const string MissingStatus = "missing";

    /// <summary>Checks every input against the known areas (<see cref="KnownAreasAsync"/>); returns the rows when all
    /// are good, else every error found (nothing is written).</summary>
    public static (IReadOnlyList<ValueRow> Rows, IReadOnlyList<RowError> Errors) Check(
        Indicator indicator, IReadOnlyList<ValueInput> inputs, IReadOnlyDictionary<string, string> known)
    {
        var rows = new List<ValueRow>(inputs.Count);
        var errors = new List<RowError>();
        var seen = new Dictionary<(string, string, string), int>();
        foreach (var input in inputs)
        {
            var before = errors.Count;
            var area = AreaCodes.Normalise(input.Area ?? "");
            if (area.Length == 0)
            {
                errors.Add(new(input.Row, "area", "The area code is missing."));
            }
            else if (!known.TryGetValue(area, out var level))
            {
                errors.Add(new(input.Row, "area", $"Unknown area code '{input.Area}'. Use a municipality (2380), county (23), tätort (2380TC114) code or 00 for Sweden."));
            }
            else if (!indicator.AreaLevels.Contains(level))
            {
                errors.Add(new(input.Row, "area", $"Area '{area}' is a {level}; indicator '{indicator.Id}' takes {string.Join(", ", indicator.AreaLevels)}."));
            }

            if (!Period.TryParse(input.Period, indicator.PeriodType, out var period))
            {
                errors.Add(new(input.Row, "period", $"'{input.Period}' is not a {Period.Describe(indicator.PeriodType)}."));
            }

            var gender = Genders.Normalise(input.Gender);
            if (gender is null)
            {
                errors.Add(new(input.Row, "gender", $"'{input.Gender}' is not a gender: use T (total), K (women) or M (men)."));
            }
            else if (gender != Genders.Total && !indicator.DividedByGender)
            {
                errors.Add(new(input.Row, "gender", $"Indicator '{indicator.Id}' is not divided by gender; only T (total) is accepted."));
            }

            decimal? value = null;
            var valueText = input.Value?.Trim();
            if (!string.IsNullOrEmpty(valueText))
            {
                if (TryParseNumber(valueText, out var number))
                {
                    value = number;
                }
                else
                {
                    errors.Add(new(input.Row, "value", $"'{input.Value}' is not a number (use a decimal point, no thousands separators; leave it empty for a missing value)."));
                }
            }
            var status = string.IsNullOrWhiteSpace(input.Status) ? null : input.Status.Trim();
            if (value is null && status is null)
            {
                status = MissingStatus;
            }

            if (errors.Count > before)
            {
                continue;
            }
            var key = (area, period.Text, gender!);
            if (seen.TryGetValue(key, out var firstRow))
            {
                errors.Add(new(input.Row, "row", $"Duplicate of row {firstRow}: area {area}, period {period.Text}, gender {gender} appear twice."));
                continue;
            }
            seen[key] = input.Row;
            rows.Add(new ValueRow(area, period, gender!, value, status, input.Origin));
        }
        return errors.Count > 0 ? ([], errors) : (rows, []);
    }

    public static bool TryParseNumber(string text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value);

    /// <summary>Upserts checked rows in the caller's transaction, bumps the indicator's version when anything
    /// changed and rewrites its layer.</summary>
    public async Task<ValueChanges> UpsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Indicator indicator, IReadOnlyList<ValueRow> rows,
        ValueProvenance provenance, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return ValueChanges.None;
        }
        await Execute(connection, tx, "DROP TABLE IF EXISTS pg_temp.indicator_staging", ct);
        await Execute(connection, tx, """
            CREATE TEMP TABLE indicator_staging (
              area_code text COLLATE "C", period text COLLATE "C", gender text, value numeric, status text,
              period_start date, period_end date, origin text) ON COMMIT DROP
            """, ct);
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY indicator_staging (area_code, period, gender, value, status, period_start, period_end, origin) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var r in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(r.Area, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Period.Text, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Gender, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, r.Value, NpgsqlDbType.Numeric, ct);
                await WriteNullable(copy, r.Status, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Period.Start, NpgsqlDbType.Date, ct);
                await copy.WriteAsync(r.Period.End, NpgsqlDbType.Date, ct);
                await WriteNullable(copy, r.Origin, NpgsqlDbType.Text, ct);
            }
            await copy.CompleteAsync(ct);
        }

        int inserted, updated;
        await using (var upsert = new NpgsqlCommand("""
            WITH written AS (
              INSERT INTO indicator_values AS v (indicator_id, area_code, period, gender, value, status, period_start, period_end,
                                                 source, api_version, origin, retrieved_at, run_id)
              SELECT $1, area_code, period, gender, value, status, period_start, period_end, $2, $3, origin, $4, $5
              FROM indicator_staging
              ON CONFLICT (indicator_id, area_code, period, gender) DO UPDATE SET
                value = excluded.value, status = excluded.status, source = excluded.source,
                api_version = excluded.api_version, origin = excluded.origin, retrieved_at = excluded.retrieved_at,
                run_id = excluded.run_id
              WHERE (v.value, v.status) IS DISTINCT FROM (excluded.value, excluded.status)
              RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted)::int, count(*) FILTER (WHERE NOT inserted)::int FROM written
            """, connection, tx))
        {
            upsert.Parameters.Add(new NpgsqlParameter { Value = indicator.Id });
            upsert.Parameters.Add(new NpgsqlParameter { Value = provenance.Source });
            upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)provenance.ApiVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            upsert.Parameters.Add(new NpgsqlParameter { Value = provenance.RetrievedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)provenance.RunId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            await using var reader = await upsert.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            inserted = reader.GetInt32(0);
            updated = reader.GetInt32(1);
        }

        var changes = new ValueChanges(inserted, updated, rows.Count - inserted - updated);
        if (changes.Changed > 0)
        {
            await using (var bump = new NpgsqlCommand(
                "UPDATE indicators SET version = nextval('indicator_version_seq'), updated_at = now() WHERE id = $1 RETURNING version",
                connection, tx))
            {
                bump.Parameters.Add(new NpgsqlParameter { Value = indicator.Id });
                indicator = indicator with { Version = (long)(await bump.ExecuteScalarAsync(ct))! };
            }
            if (changes.Changed >= 1000)
            {
                // Fresh statistics before readers plan their joins: a big load is otherwise taken for a handful of rows.
                await Execute(connection, tx, "ANALYZE indicator_values", ct);
            }
            await layers.RewriteAsync(connection, tx, indicator, ct);
        }
        return changes;
    }

    /// <summary>Every area code a value may carry, with its level: the view indicator_areas, a few hundred rows that
    /// a writer of several indicators reads once.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> KnownAreasAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var known = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var cmd = new NpgsqlCommand("SELECT code, level FROM indicator_areas", connection, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            known.TryAdd(reader.GetString(0), reader.GetString(1));
        }
        return known;
    }

    private static async Task WriteNullable<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct)
    {
        if (value is null)
        {
            await copy.WriteNullAsync(ct);
        }
        else
        {
            await copy.WriteAsync(value, type, ct);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Constant statements of this class.")]
    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

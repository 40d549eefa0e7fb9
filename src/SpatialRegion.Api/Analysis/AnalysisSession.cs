using System.Collections.Concurrent;
using System.Data;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// One analysis on one connection, in one repeatable-read transaction: every statement sees the same snapshot,
/// so the layer versions recorded as provenance are those of the data actually read. Inputs and results live
/// in temporary tables dropped at the end of the transaction.
/// </summary>
public sealed class AnalysisSession : IAsyncDisposable
{
    private const string RetryNotice = "analysis-retry:";

    private readonly int _commandTimeoutSeconds;
    private readonly LayerValidity _validity;
    private readonly Dictionary<string, (int Count, string Failure)> _retries = new(StringComparer.Ordinal);
    private readonly System.Diagnostics.Stopwatch _statement = new();

    private AnalysisSession(NpgsqlConnection connection, NpgsqlTransaction transaction, int commandTimeoutSeconds, LayerValidity validity)
    {
        Connection = connection;
        Transaction = transaction;
        _commandTimeoutSeconds = commandTimeoutSeconds;
        _validity = validity;
        connection.Notice += OnNotice;
    }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    /// <summary>Things the caller should know about the result (repairs, fallbacks, snapping).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Tables an analysis reports beside its features (per area, per facility), written into the result's metadata.</summary>
    public System.Text.Json.Nodes.JsonObject Summary { get; } = [];

    /// <summary>How long the last statement ran (or has been running, when it failed).</summary>
    public TimeSpan LastStatementTime => _statement.Elapsed;

    /// <summary>Version of every layer read, as of this transaction's snapshot.</summary>
    public Dictionary<string, long> LayerVersions { get; } = new(StringComparer.Ordinal);

    public static async Task<AnalysisSession> OpenAsync(
        NpgsqlDataSource dataSource, double statementTimeoutSeconds, LayerValidity validity, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            // The server cancels a statement that runs too long; the client waits a little longer, so that the
            // server's error (which says which limit was hit) is what arrives.
            var session = new AnalysisSession(connection, transaction, (int)Math.Ceiling(statementTimeoutSeconds) + 15, validity);
            await session.ExecuteAsync(string.Create(CultureInfo.InvariantCulture,
                $"SET LOCAL statement_timeout = {Math.Max(1, (long)(statementTimeoutSeconds * 1000))}"), ct);
            return session;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static readonly ConcurrentDictionary<string, string> Statements = new(StringComparer.Ordinal);

    /// <summary>One of the statements in Analysis/Sql, read from the assembly once.</summary>
    public static string Sql(string name) => Statements.GetOrAdd(name, n => EmbeddedResources.Read($"sql/Analysis/Sql/{n}.sql"));

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100",
        Justification = "Statements are embedded SQL files or built from fixed table names and numbers; values travel as parameters.")]
    public NpgsqlCommand Command(string sql, IEnumerable<NpgsqlParameter> parameters)
    {
        var cmd = new NpgsqlCommand(sql, Connection, Transaction) { CommandTimeout = _commandTimeoutSeconds };
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    public Task<int> ExecuteAsync(string sql, CancellationToken ct, params object?[] values) =>
        ExecuteAsync(sql, values.Select(Parameter), ct);

    public async Task<int> ExecuteAsync(string sql, IEnumerable<NpgsqlParameter> parameters, CancellationToken ct)
    {
        await using var cmd = Command(sql, parameters);
        return await TimedAsync(() => cmd.ExecuteNonQueryAsync(ct));
    }

    public async Task<T?> ScalarAsync<T>(string sql, CancellationToken ct, params object?[] values)
    {
        await using var cmd = Command(sql, values.Select(Parameter));
        var value = await TimedAsync(() => cmd.ExecuteScalarAsync(ct));
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Runs one statement, keeping its time for <see cref="LastStatementTime"/> (also when it fails).</summary>
    private async Task<T> TimedAsync<T>(Func<Task<T>> statement)
    {
        _statement.Restart();
        try
        {
            return await statement();
        }
        finally
        {
            _statement.Stop();
        }
    }

    /// <summary>Turns the retries the overlay functions announced into warnings, one per kind of retry.</summary>
    public void AddRetryWarnings()
    {
        foreach (var (how, (count, failure)) in _retries)
        {
            Warnings.Add($"GEOS failed on {count} overla{(count == 1 ? "y" : "ys")} (\"{failure}\"); computed again, {how}.");
        }
        _retries.Clear();
    }

    private void OnNotice(object sender, NpgsqlNoticeEventArgs e)
    {
        var text = e.Notice.MessageText;
        if (!text.StartsWith(RetryNotice, StringComparison.Ordinal))
        {
            return;
        }
        var parts = text[RetryNotice.Length..].Split('|', 2);
        var how = parts[0].Length == 0 ? "exactly" : parts[0];
        _retries[how] = _retries.TryGetValue(how, out var seen) ? (seen.Count + 1, seen.Failure) : (1, parts.Length > 1 ? parts[1] : "");
    }

    /// <summary>Typed parameters: a null must still say what it is, or PostgreSQL cannot infer the statement.</summary>
    public static NpgsqlParameter Parameter(object? value) => value switch
    {
        NpgsqlParameter p => p,
        null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
        string[] texts => new NpgsqlParameter { Value = texts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        _ => new NpgsqlParameter { Value = value },
    };

    /// <summary>
    /// Copies an input into <paramref name="table"/> (fid, properties, geom, measure) with the attributes
    /// <paramref name="keep"/> renamed with <paramref name="prefix"/>; geometries made valid and in EPSG:3006,
    /// measure = area (m²) or length (m). Indexed and analysed, so the overlays that follow are planned on real counts.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100",
        Justification = "Table names are constants of the analyses; filters and values travel as parameters.")]
    public async Task StageAsync(string table, AnalysisInput input, IReadOnlyList<string> keep, string prefix, CancellationToken ct)
    {
        await using var cmd = Command("", []);
        var parameters = cmd.Parameters;
        var properties = prefix.Length == 0 && keep.Count == input.Properties.Count
            ? "properties"
            : $"coalesce((SELECT jsonb_object_agg({Add(parameters, prefix, NpgsqlDbType.Text)} || key, value) FROM jsonb_each(properties) "
              + $"WHERE key = ANY({Add(parameters, keep.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)})), '{{}}'::jsonb)";
        var measure = input.Family switch
        {
            GeometryFamily.Polygon => "ST_Area(geom)",
            GeometryFamily.Line => "ST_Length(geom)",
            _ => "NULL::float8",
        };
        string Insert(string source) => $"""
            INSERT INTO {table} (fid, properties, geom, measure)
            SELECT fid, {properties}, geom, {measure}
            FROM ({source}) AS input
            WHERE NOT ST_IsEmpty(geom)
            """;

        await StageEmptyAsync(table, ct);
        switch (input)
        {
            case LayerInput layer:
                cmd.CommandText = Insert(await LayerSourceAsync(layer, parameters, ct));
                await TimedAsync(() => cmd.ExecuteNonQueryAsync(ct));
                break;
            case InlineInput inline:
                await StageInlineAsync(cmd, inline, Insert, ct);
                break;
            default:
                throw new InvalidOperationException(input.GetType().Name);
        }
        await ExecuteAsync($"CREATE INDEX ON {table} USING gist (geom); CREATE INDEX ON {table} (fid); ANALYZE {table}", ct);
    }

    /// <summary>A layer's features (filtered) as this transaction sees them, noting the layer's version. Invalid
    /// geometries, counted once per layer version, are repaired on the way.</summary>
    private async Task<string> LayerSourceAsync(LayerInput input, NpgsqlParameterCollection parameters, CancellationToken ct)
    {
        var layer = input.Layer;
        var version = await ScalarAsync<long>("SELECT version FROM layers WHERE id = $1", ct, layer.Id);
        LayerVersions[layer.Id] = version;
        var invalid = await _validity.InvalidCountAsync(layer.Id, version, async () => (int)await ScalarAsync<long>(
            "SELECT count(*) FROM layer_features WHERE layer_id = $1 AND NOT ST_IsValid(geom)", ct, layer.Id));
        var geometry = "geom";
        if (invalid > 0)
        {
            geometry = $"CASE WHEN ST_IsValid(geom) THEN geom ELSE ST_CollectionExtract(ST_MakeValid(geom), {(int)input.Family}) END";
            Warnings.Add($"{input.Path}: layer '{layer.Id}' has {invalid} invalid geometr{(invalid == 1 ? "y" : "ies")}, repaired (ST_MakeValid) for the analysis.");
        }
        return $"SELECT fid, properties, {geometry} AS geom FROM layer_features {LayerSql.Where(layer, input.Filter, parameters)}";
    }

    /// <summary>Inline features, sent to the server once: repaired in the CRS they were drawn in, transformed,
    /// and repaired again if the transformation broke validity. The same statement counts those that needed it.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100",
        Justification = "Built from the staging statement and numbers; the features travel as parameters.")]
    private async Task StageInlineAsync(NpgsqlCommand cmd, InlineInput input, Func<string, string> insert, CancellationToken ct)
    {
        var source = input.Source;
        if (!await ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)", ct, source.Srid))
        {
            throw new InvalidQueryException(input.Path, $"Unknown CRS EPSG:{source.Srid}: PostGIS has no definition for it.");
        }
        var family = (int)input.Family;
        var fids = Add(cmd.Parameters, source.Features.Select(f => f.Id).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
        var properties = Add(cmd.Parameters, source.Features.Select(f => f.PropertiesJson).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Jsonb);
        var geometries = Add(cmd.Parameters, source.Features.Select(f => f.Geometry!).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Geometry);
        cmd.CommandText = $"""
            WITH given AS (
              SELECT * FROM unnest({fids}::text[], {properties}::jsonb[], {geometries}::geometry[]) AS t(fid, properties, geom)
            ), staged AS (
              {insert($"SELECT fid, properties, ST_CollectionExtract(ST_MakeValid(ST_Transform(ST_CollectionExtract(ST_MakeValid(geom), {family}), 3006)), {family}) AS geom FROM given")}
            )
            SELECT count(*) FROM given WHERE NOT ST_IsValid(geom)
            """;
        var repaired = (long)(await TimedAsync(() => cmd.ExecuteScalarAsync(ct)))!;
        if (repaired > 0)
        {
            Warnings.Add($"{input.Path}: {repaired} invalid geometr{(repaired == 1 ? "y was" : "ies were")} repaired (ST_MakeValid) before the analysis.");
        }
    }

    private static string Add(NpgsqlParameterCollection parameters, object value, NpgsqlDbType type)
    {
        parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
        return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Creates an empty input table (also for operations whose second input is optional). Geometries
    /// are stored uncompressed: the table lives for one analysis, and every overlay reads each geometry again.</summary>
    public Task StageEmptyAsync(string table, CancellationToken ct) => ExecuteAsync($"""
        CREATE TEMP TABLE {table} (fid text COLLATE "C", properties jsonb, geom geometry, measure float8) ON COMMIT DROP;
        ALTER TABLE {table} ALTER COLUMN geom SET STORAGE EXTERNAL
        """, ct);

    public async ValueTask DisposeAsync()
    {
        Connection.Notice -= OnNotice;
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

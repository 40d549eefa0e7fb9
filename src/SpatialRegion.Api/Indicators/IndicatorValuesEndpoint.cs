using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Indicators;

/// <summary>GET and POST of an indicator's values.</summary>
public static class IndicatorValuesEndpoint
{
    private static readonly string[] Allowed = ["area", "level", "from", "to", "gender", "format"];

    public static Task<IResult> GetValues(
        string indicatorId, HttpContext context, IndicatorCatalogue catalogue, LayerCatalog layers, NpgsqlDataSource dataSource,
        ResponseCache cache, CancellationToken ct) =>
        IndicatorsApi.ReadAsync(indicatorId, context.Request, catalogue, Allowed, ValueQuery.Parse, async (indicator, query) =>
        {
            var (etag, key) = await IndicatorsApi.VersionedAsync(query.Csv ? "values-csv" : "values", indicator, layers, context.Request, ct);
            return new CachedBodyResult(
                etag, query.Csv ? IndicatorsApi.CsvType + "; charset=utf-8" : "application/json; charset=utf-8", key, cache,
                (body, token) => WriteAsync(indicator, query, dataSource, body, token),
                query.Csv ? $"attachment; filename=\"{indicator.Id}.csv\"" : null);
        }, ct);

    private static bool WantsCsv(HttpRequest request) =>
        request.GetTypedHeaders().Accept is { Count: > 0 } accept
        && accept.OrderByDescending(a => a.Quality ?? 1).First().MediaType.Equals(IndicatorsApi.CsvType, StringComparison.OrdinalIgnoreCase);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "ValueQuery builds SQL from constants; values travel as parameters.")]
    private static async Task WriteAsync(Indicator indicator, ValueQuery q, NpgsqlDataSource dataSource, Stream body, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(q.Sql, connection);
        cmd.Parameters.AddRange(q.Parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        if (q.Csv)
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024, leaveOpen: true);
            await writer.WriteAsync("area,area_name,level,period,gender,value,status,source,api_version,retrieved_at,run_id\n");
            while (await reader.ReadAsync(ct))
            {
                var line = new StringBuilder(96);
                for (var i = 0; i < 11; i++)
                {
                    if (i > 0)
                    {
                        line.Append(',');
                    }
                    line.Append(Csv.Escape(Text(reader, i)));
                }
                line.Append('\n');
                await writer.WriteAsync(line, ct);
            }
            await writer.FlushAsync(ct);
            return;
        }

        var json = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("indicator"u8, indicator.Id);
        json.WriteString("unit"u8, indicator.Unit);
        json.WriteString("periodType"u8, PeriodTypes.ToName(indicator.PeriodType));
        json.WriteString("attribution"u8, indicator.Attribution);
        json.WriteStartArray("values"u8);
        var count = 0;
        while (await reader.ReadAsync(ct))
        {
            json.WriteStartObject();
            json.WriteString("area"u8, reader.GetString(0));
            WriteNullableString(json, "areaName"u8, reader, 1);
            WriteNullableString(json, "level"u8, reader, 2);
            json.WriteString("period"u8, reader.GetString(3));
            json.WriteString("gender"u8, reader.GetString(4));
            json.WritePropertyName("value"u8);
            if (reader.IsDBNull(5))
            {
                json.WriteNullValue();
            }
            else
            {
                // numeric's own text, so that 189.5 stays 189.5 and large counts stay exact.
                json.WriteRawValue(reader.GetString(5), skipInputValidation: true);
            }
            WriteNullableString(json, "status"u8, reader, 6);
            json.WriteString("source"u8, reader.GetString(7));
            WriteNullableString(json, "apiVersion"u8, reader, 8);
            json.WriteString("retrievedAt"u8, reader.GetString(9));
            if (reader.IsDBNull(10))
            {
                json.WriteNull("runId"u8);
            }
            else
            {
                json.WriteNumber("runId"u8, reader.GetInt64(10));
            }
            json.WriteEndObject();
            if (++count % 500 == 0)
            {
                await json.FlushAsync(ct);
            }
        }
        json.WriteEndArray();
        json.WriteNumber("numberReturned"u8, count);
        json.WriteEndObject();
        await json.FlushAsync(ct);
    }

    private static string? Text(NpgsqlDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : i == 10 ? reader.GetInt64(i).ToString(System.Globalization.CultureInfo.InvariantCulture) : reader.GetString(i);

    private static void WriteNullableString(Utf8JsonWriter json, ReadOnlySpan<byte> name, NpgsqlDataReader reader, int i)
    {
        if (reader.IsDBNull(i))
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, reader.GetString(i));
        }
    }

    /// <summary>The filters of GET …/values, checked and turned into SQL with parameters, and the format asked for
    /// (format=csv, or CSV first in Accept).</summary>
    private sealed record ValueQuery(string Sql, List<NpgsqlParameter> Parameters, bool Csv)
    {
        public static ValueQuery Parse(Indicator indicator, HttpRequest request)
        {
            var q = request.Query;
            var parameters = new List<NpgsqlParameter> { new() { Value = indicator.Id } };
            var where = new StringBuilder("v.indicator_id = $1");
            string Add(object value, NpgsqlDbType type)
            {
                parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
                return "$" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (q["area"] is { Count: > 0 } areaText)
            {
                var areas = string.Join(',', areaText.ToArray()).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(AreaCodes.Normalise).Distinct().ToArray();
                if (areas.Length == 0)
                {
                    throw new InvalidQueryException("area", "area needs one or more comma-separated area codes, e.g. area=2380,2303.");
                }
                where.Append(" AND v.area_code = ANY (").Append(Add(areas, NpgsqlDbType.Array | NpgsqlDbType.Text)).Append(')');
            }
            if (q["level"] is { Count: > 0 } level)
            {
                if (!AreaCodes.Levels.Contains(level.ToString()))
                {
                    throw new InvalidQueryException("level", $"level must be one of {string.Join(", ", AreaCodes.Levels)}.");
                }
                where.Append(" AND a.level = ").Append(Add(level.ToString(), NpgsqlDbType.Text));
            }
            if (q["from"] is { Count: > 0 } from)
            {
                var p = ParsePeriod(indicator, from.ToString(), "from");
                where.Append(" AND v.period_start >= ").Append(Add(p.Start, NpgsqlDbType.Date));
            }
            if (q["to"] is { Count: > 0 } to)
            {
                var p = ParsePeriod(indicator, to.ToString(), "to");
                where.Append(" AND v.period_end <= ").Append(Add(p.End, NpgsqlDbType.Date));
            }
            var gender = q["gender"] is { Count: > 0 } g ? g.ToString() : Genders.Total;
            if (!gender.Equals("all", StringComparison.OrdinalIgnoreCase))
            {
                var normalised = gender.Length == 1 ? Genders.Normalise(gender) : null;
                if (normalised is null)
                {
                    throw new InvalidQueryException("gender", "gender must be T (total), K (women), M (men) or all.");
                }
                where.Append(" AND v.gender = ").Append(Add(normalised, NpgsqlDbType.Text));
            }
            // The areas (a few hundred rows) are read once and hashed: joined row by row, the union view would be
            // scanned once per value whenever fresh values have no statistics yet.
            var sql = $"""
                WITH areas AS MATERIALIZED (SELECT code, name, level FROM indicator_areas)
                SELECT v.area_code, a.name, a.level, v.period, v.gender, v.value::text, v.status, v.source, v.api_version,
                       to_char(v.retrieved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), v.run_id
                FROM indicator_values v
                LEFT JOIN areas a ON a.code = v.area_code
                WHERE {where}
                ORDER BY v.area_code, v.period_start, v.gender
                """;
            if (q["format"] is { Count: > 0 } f && f != "csv" && f != "json")
            {
                throw new InvalidQueryException("format", "format must be json or csv.");
            }
            return new ValueQuery(sql, parameters, q["format"] == "csv" || WantsCsv(request));
        }
    }

    public static Period ParsePeriod(Indicator indicator, string text, string parameter) =>
        Period.TryParse(text, indicator.PeriodType, out var p)
            ? p
            : throw new InvalidQueryException(parameter, $"{parameter} '{text}' is not a {Period.Describe(indicator.PeriodType)}, the period type of '{indicator.Id}'.");

    public static async Task<IResult> PostValues(
        string indicatorId, HttpContext context, NpgsqlDataSource dataSource, IndicatorValueWriter writer, IndicatorCatalogue catalogue, CancellationToken ct)
    {
        var request = context.Request;
        var mediaType = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? type.MediaType.Value : null;
        var caller = context.User.Identity?.Name ?? "unknown";
        var origin = $"upload by {caller} at {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}";
        List<ValueInput> inputs;
        try
        {
            if (string.Equals(mediaType, IndicatorsApi.CsvType, StringComparison.OrdinalIgnoreCase))
            {
                using var reader = new StreamReader(request.Body, Encoding.UTF8);
                // Read fully first: the CSV reader is synchronous, and Kestrel forbids synchronous reads.
                var text = await reader.ReadToEndAsync(ct);
                inputs = ValueUpload.ReadCsv(new StringReader(text), origin);
            }
            else if (string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
            {
                using var document = await JsonDocument.ParseAsync(request.Body, JsonInput.Document, ct);
                inputs = ValueUpload.ReadJson(document, origin);
            }
            else
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                    detail: "Send values as text/csv or application/json.");
            }
        }
        catch (UploadException e)
        {
            return RowProblem(e.Message, e.Row is { } row ? [new RowError(row, "row", e.Message)] : []);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return RowProblem($"The upload cannot be read: {e.Message}", []);
        }
        if (inputs.Count == 0)
        {
            return RowProblem("The upload holds no rows.", []);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var indicator = await IndicatorCatalogue.FindAsync(connection, tx, indicatorId, forUpdate: true, ct);
        if (indicator is null)
        {
            return IndicatorsApi.UnknownIndicator(indicatorId);
        }
        var (rows, errors) = IndicatorValueWriter.Check(indicator, inputs, await IndicatorValueWriter.KnownAreasAsync(connection, tx, ct));
        if (errors.Count > 0)
        {
            var first = errors.Take(5).Select(e => e.ToString());
            return RowProblem($"{errors.Count} problem(s); nothing was stored. {string.Join("; ", first)}{(errors.Count > 5 ? "; …" : "")}", errors);
        }
        var changes = await writer.UpsertAsync(connection, tx, indicator, rows,
            new ValueProvenance("upload", null, DateTimeOffset.UtcNow, null), ct);
        await tx.CommitAsync(ct);
        if (changes.Changed > 0)
        {
            await catalogue.ReloadAfterWriteAsync(ct);
        }
        return TypedResults.Ok(new UploadResult(indicator.Id, rows.Count, changes.Inserted, changes.Updated, changes.Unchanged));
    }

    public sealed record UploadResult(string Indicator, int Rows, int Inserted, int Updated, int Unchanged);

    private static IResult RowProblem(string detail, IReadOnlyList<RowError> errors) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid upload",
            extensions: new Dictionary<string, object?>
            {
                ["errors"] = errors.Take(100).Select(e => new { row = e.Row, field = e.Field, message = e.Message }).ToList(),
            });
}

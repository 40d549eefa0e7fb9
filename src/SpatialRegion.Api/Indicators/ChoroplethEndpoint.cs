using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Indicators;

/// <summary>
/// GET /api/indicators/{id}/map: the areas of one level with their value for one period, classified, as GeoJSON.
/// Values are read and classified first (a few hundred numbers), then geometries are streamed from PostGIS
/// in code order and joined to them, so memory holds the numbers, never the geometries.
/// </summary>
public static class ChoroplethEndpoint
{
    private static readonly string[] Allowed = ["period", "classes", "method", "change_from", "classify", "gender", "level", "county", "crs"];

    private sealed record Parameters(
        Period? Period, int Classes, ClassificationMethod Method, Period? ChangeFrom, string Classify, string Gender, string Level,
        string? County, GeometryOutput Output);

    private sealed record AreaValue(
        string Code, string? Name, string Period, string? Value, string? Status, string? ValueFrom, string? StatusFrom,
        string? Change, string? ChangePercent)
    {
        public int? Class { get; set; }
    }

    public static Task<IResult> GetMap(
        string indicatorId, HttpContext context, IndicatorCatalogue catalogue, LayerCatalog layers, NpgsqlDataSource dataSource,
        ResponseCache cache, CancellationToken ct) =>
        IndicatorsApi.ReadAsync(indicatorId, context.Request, catalogue, Allowed, Parse,
            (indicator, p) => AnswerAsync(indicator, p, context.Request, layers, dataSource, cache, ct), ct);

    private static async ValueTask<IResult> AnswerAsync(
        Indicator indicator, Parameters p, HttpRequest request, LayerCatalog layers, NpgsqlDataSource dataSource, ResponseCache cache, CancellationToken ct)
    {
        var (etag, key) = await IndicatorsApi.VersionedAsync("map", indicator, layers, request, ct);
        MapData? values = null;
        if (!HttpCaching.IsNotModified(request, etag) && !CachedBodyResult.IsCached(cache, key, request))
        {
            // Not cached: find out now whether there is anything to draw, while a 404 can still be sent.
            values = await ReadValuesAsync(dataSource, indicator, p, ct);
            if (values.Values.Count == 0)
            {
                return Problems.NotFound(p.Period is { } period
                    ? $"Indicator '{indicator.Id}' has no {p.Level} values for period {period.Text} (gender {p.Gender})."
                    : $"Indicator '{indicator.Id}' has no {p.Level} values (gender {p.Gender}).");
            }
        }
        return new CachedBodyResult(etag, LayersApi.GeoJson, key, cache, async (body, token) =>
            await WriteAsync(indicator, p, values ?? await ReadValuesAsync(dataSource, indicator, p, token), dataSource, body, token));
    }

    private static Parameters Parse(Indicator indicator, HttpRequest request)
    {
        var q = request.Query;
        Period? period = q["period"] is { Count: > 0 } pt ? IndicatorValuesEndpoint.ParsePeriod(indicator, pt.ToString(), "period") : null;
        Period? changeFrom = q["change_from"] is { Count: > 0 } cf ? IndicatorValuesEndpoint.ParsePeriod(indicator, cf.ToString(), "change_from") : null;
        var classes = 5;
        if (q["classes"] is { Count: > 0 } ct
            && (!int.TryParse(ct.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out classes) || classes < 1 || classes > Classification.MaxClasses))
        {
            throw new InvalidQueryException("classes", $"classes must be a whole number from 1 to {Classification.MaxClasses}.");
        }
        var method = Classification.ParseMethod(q["method"]) ?? throw new InvalidQueryException("method", "method must be quantile, equal or jenks.");
        var classify = q["classify"] is { Count: > 0 } c ? c.ToString() : "value";
        if (classify is not ("value" or "change" or "change_percent"))
        {
            throw new InvalidQueryException("classify", "classify must be value, change or change_percent.");
        }
        if (classify != "value" && changeFrom is null)
        {
            throw new InvalidQueryException("classify", $"classify={classify} needs change_from, the period to compare with.");
        }
        var gender = q["gender"] is { Count: > 0 } g ? (g.ToString().Length == 1 ? Genders.Normalise(g.ToString()) : null) : Genders.Total;
        if (gender is null)
        {
            throw new InvalidQueryException("gender", "gender must be T (total), K (women) or M (men).");
        }
        var mappable = indicator.AreaLevels.Where(l => l != AreaCodes.Country).ToList();
        var level = q["level"] is { Count: > 0 } l ? l.ToString() : mappable.FirstOrDefault();
        if (level is null || !mappable.Contains(level))
        {
            throw new InvalidQueryException("level", mappable.Count == 0
                ? $"Indicator '{indicator.Id}' has no area level with a geometry to map."
                : $"level must be one of the indicator's mappable levels: {string.Join(", ", mappable)}.");
        }
        string? county = null;
        if (q["county"] is { Count: > 0 } co)
        {
            county = co.ToString();
            if (county.Length != 2 || !county.All(char.IsAsciiDigit))
            {
                throw new InvalidQueryException("county", "county must be a two-digit county code, e.g. 23.");
            }
        }
        var srid = q["crs"] is { Count: > 0 } crs ? QueryValues.ParseSupportedCrs(crs.ToString(), "crs").Srid : 4326;
        // Six decimals of a degree are ~10 cm: plenty for a thematic map, and about 8 % less text than seven.
        return new Parameters(period, classes, method, changeFrom, classify, gender, level, county,
            new GeometryOutput(srid, NorthingFirst: false, srid == 4326 ? 6 : OutputCrs.Decimals(srid)));
    }

    private static async Task<MapData> ReadValuesAsync(NpgsqlDataSource dataSource, Indicator indicator, Parameters p, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH areas AS MATERIALIZED (SELECT code, name, level FROM indicator_areas WHERE level = $4),
            chosen AS (
              SELECT coalesce($2, (
                SELECT v.period FROM indicator_values v JOIN areas a ON a.code = v.area_code
                WHERE v.indicator_id = $1 AND v.gender = $3
                ORDER BY v.period_end DESC LIMIT 1)) AS period
            )
            SELECT a.code, a.name, cur.period, cur.value::text, cur.status, base.value::text, base.status,
                   (cur.value - base.value)::text,
                   round(100 * (cur.value - base.value) / nullif(base.value, 0), 2)::text
            FROM chosen
            JOIN indicator_values cur ON cur.indicator_id = $1 AND cur.period = chosen.period AND cur.gender = $3
            JOIN areas a ON a.code = cur.area_code
            LEFT JOIN indicator_values base ON base.indicator_id = $1 AND base.area_code = cur.area_code
                                          AND base.period = $5 AND base.gender = $3
            WHERE $6::text IS NULL OR left(a.code, 2) = $6
            ORDER BY a.code
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = indicator.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)p.Period?.Text ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = p.Gender });
        cmd.Parameters.Add(new NpgsqlParameter { Value = p.Level });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)p.ChangeFrom?.Text ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)p.County ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        var values = new List<AreaValue>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            values.Add(new AreaValue(reader.GetString(0), S(1), reader.GetString(2), S(3), S(4), S(5), S(6), S(7), S(8)));
        }

        double? Measure(AreaValue v) => (p.Classify switch { "change" => v.Change, "change_percent" => v.ChangePercent, _ => v.Value }) is { } t
            ? double.Parse(t, CultureInfo.InvariantCulture) : null;
        var numbers = values.Select(Measure).OfType<double>().ToList();
        var breaks = Classification.Breaks(numbers, p.Classes, p.Method);
        foreach (var v in values)
        {
            v.Class = Measure(v) is { } m ? Classification.ClassOf(m, breaks) : null;
        }
        return new MapData(values, breaks);
    }

    private sealed record MapData(List<AreaValue> Values, double[] Breaks);

    /// <summary>The envelope (indicator, period, classification) around features written by the shared GeoJSON
    /// writer: each area's geometry streams from PostGIS as the bytes it rendered, beside its properties.</summary>
    private static async Task WriteAsync(Indicator indicator, Parameters p, MapData data, NpgsqlDataSource dataSource, Stream body, CancellationToken ct)
    {
        var (values, breaks) = (data.Values, data.Breaks);
        using var writer = new FeatureCollectionWriter(chunk => body.WriteAsync(chunk, ct));
        var json = writer.Json;
        json.WriteStartObject();
        json.WriteString("type"u8, "FeatureCollection"u8);
        LayersApi.WriteCrsMember(json, p.Output.Srid);
        json.WriteStartObject("indicator"u8);
        json.WriteString("id"u8, indicator.Id);
        json.WriteStartObject("title"u8);
        json.WriteString("sv"u8, indicator.TitleSv);
        json.WriteString("en"u8, indicator.TitleEn);
        json.WriteEndObject();
        json.WriteString("unit"u8, indicator.Unit);
        json.WriteString("attribution"u8, indicator.Attribution);
        json.WriteString("licence"u8, indicator.Licence);
        json.WriteEndObject();
        json.WriteString("period"u8, values.Count > 0 ? values[0].Period : p.Period?.Text);
        json.WriteString("gender"u8, p.Gender);
        json.WriteString("level"u8, p.Level);
        if (p.ChangeFrom is { } from)
        {
            json.WriteString("changeFrom"u8, from.Text);
        }
        json.WriteStartObject("classification"u8);
        json.WriteString("method"u8, Classification.Name(p.Method));
        json.WriteString("classify"u8, p.Classify);
        json.WriteNumber("classesRequested"u8, p.Classes);
        json.WriteNumber("classes"u8, Math.Max(0, breaks.Length - 1));
        json.WriteStartArray("breaks"u8);
        foreach (var x in breaks)
        {
            json.WriteNumberValue(x);
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartArray("features"u8);

        // The properties ride along with the codes, so that the rows are the (id, properties, geometry) the
        // writer streams.
        await using var cmd = dataSource.CreateCommand($"""
            SELECT a.code, v.properties, {LayerSql.GeometryExpression(p.Output)}
            FROM unnest($2::text[], $3::text[]) AS v(code, properties)
            JOIN indicator_areas a ON a.level = $1 AND a.code = v.code
            JOIN layer_features f ON f.layer_id = a.layer_id AND f.fid = a.fid
            ORDER BY a.code
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = p.Level });
        cmd.Parameters.Add(new NpgsqlParameter { Value = values.Select(v => v.Code).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = values.Select(v => Properties(v, p.ChangeFrom is not null)).ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        var count = await writer.WriteFeaturesAsync(reader, ct);
        json.WriteEndArray();
        json.WriteNumber("numberReturned"u8, count);
        json.WriteEndObject();
        await writer.FlushAsync();
    }

    /// <summary>An area's feature properties; numbers as PostgreSQL's numeric text, so that no digit is lost.</summary>
    private static string Properties(AreaValue v, bool withChange)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("area_code"u8, v.Code);
            json.WriteString("area_name"u8, v.Name);
            WriteNumber(json, "value"u8, v.Value);
            json.WriteString("status"u8, v.Status);
            if (v.Class is { } c)
            {
                json.WriteNumber("class"u8, c);
            }
            else
            {
                json.WriteNull("class"u8);
            }
            if (withChange)
            {
                WriteNumber(json, "value_from"u8, v.ValueFrom);
                json.WriteString("status_from"u8, v.StatusFrom);
                WriteNumber(json, "change"u8, v.Change);
                WriteNumber(json, "change_percent"u8, v.ChangePercent);
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteNumber(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? numericText)
    {
        json.WritePropertyName(name);
        if (numericText is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(numericText, skipInputValidation: true);
        }
    }
}

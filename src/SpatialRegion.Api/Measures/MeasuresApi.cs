using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Networks;

namespace SpatialRegion.Api.Measures;

/// <summary>
/// The register for analysts and editors: lists with filters (JSON, CSV, GeoJSON), one measure with its ETag, its
/// history and its context, the register at a past date, and writes by editors (create, replace with If-Match,
/// soft delete, bulk import). Errors are problem details naming the field at fault.
/// </summary>
public static class MeasuresApi
{
    /// <summary>A measure is a record, not a data set: larger bodies are refused unread (413).</summary>
    public const int MaxBodyBytes = 2 * 1024 * 1024;

    /// <summary>A bulk import carries many records.</summary>
    public const int MaxImportBytes = 16 * 1024 * 1024;

    private static readonly string[] ListParameters =
    [
        "status", "programme", "fund", "theme", "municipality", "active", "min_amount", "max_amount", "bbox", "bbox-crs",
        "near", "within_metres", "within_minutes", "network", "q", "f", "limit", "offset", "skipGeometry",
    ];

    public static RouteGroupBuilder MapMeasuresApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/measures").WithTags("Measures");
        api.MapGet("/", List).WithSummary("Measures of the register, filtered; f=json (default), csv or geojson.")
            .WithDescription("Filters: status, programme, fund, theme (comma-separated alternatives), municipality (KOM_KOD), active (a date "
                + "inside the measure's period), min_amount/max_amount (granted SEK), bbox (lon/lat, or bbox-crs=EPSG:3006), near=lon,lat with "
                + "within_metres (straight line) or within_minutes (by road, above 0 and at most 180: the measures that touch the catchment "
                + "POST /api/analysis/catchment draws for the place and minutes, i.e. within its 500 m buffer of a road piece reached, with "
                + "the same 30 km/h access leg; the place must lie within 1000 m of a road; network= chooses the network, default roads; "
                + "the answer names the network version and speed table in the Road-Network and Speed-Table headers and, in JSON and GeoJSON, "
                + "in travel_time), q (words in title or description). skipGeometry=true leaves the geometry out of f=geojson (null), for a "
                + "client that wants the properties only: the display geometries are most of the document.");
        api.MapGet("/summary", Summary).WithSummary("The summary per municipality (by=municipalities, the default) or per feature of another polygon layer (by=counties, fa-regions, labour-market-regions …), as GeoJSON.")
            .WithDescription("For another layer, each municipality's equal-share and population-weighted SEK and its population are shared by the part of its area inside each feature "
                + "(area-weighted, as the interpolation analysis does); measures counts the measures that reach the municipalities a feature overlaps by more than 1 % of their area.");
        api.MapGet("/as-of/{date}", AsOf).WithSummary("The register as it stood at the end of a date (GeoJSON), rebuilt from the history.");
        api.MapGet("/{id}", Get).WithSummary("One measure with its links, amounts and provenance; the ETag is its version.");
        api.MapGet("/{id}/history", History).WithSummary("Every version of a measure, with time, operation and key name.");
        api.MapGet("/{id}/context", Context).WithSummary("Municipalities and tätorter the measure touches (with shares), population inside and near it, and indicators of its areas.");
        api.MapPost("/", Create).WithSummary("Create a measure (editor role); 201 with Location and ETag. force=true stores a geometry far outside the county.")
            .RequireAuthorization(AuthPolicies.Editor).LimitBodyTo(MaxBodyBytes);
        api.MapPut("/{id}", Replace).WithSummary("Replace a measure (editor role); If-Match with its ETag is required (428 without, 412 when stale).")
            .RequireAuthorization(AuthPolicies.Editor).LimitBodyTo(MaxBodyBytes);
        api.MapDelete("/{id}", Delete).WithSummary("Delete a measure (editor role): it leaves the layers, its versions stay. If-Match is honoured.")
            .RequireAuthorization(AuthPolicies.Editor);
        api.MapPost("/import", Import).WithSummary("Bulk import (editor role) of a CSV or GeoJSON of measures, idempotent by id, all or nothing.")
            .WithDescription("CSV: a header of the measures layer's properties (id, title, status, … municipalities, granted_sek …) and an optional "
                + "wkt column in EPSG:3006. GeoJSON: a FeatureCollection of features with those properties (geometry in WGS 84 or the crs member). "
                + "Answers with the numbers inserted, updated and unchanged.")
            .RequireAuthorization(AuthPolicies.Editor).LimitBodyTo(MaxImportBytes);
        routes.MapGet("/api/municipalities/{code}/measures", ForMunicipality).WithTags("Measures")
            .WithSummary("The measures that touch a municipality (KOM_KOD), with the share each gives it.");
        return api;
    }

    private static async Task<IResult> Get(string id, HttpContext context, MeasureStore store, CancellationToken ct)
    {
        if (await store.GetDocumentAsync(id, ct) is not { } doc || doc["deleted"]!.GetValue<bool>())
        {
            return Problems.NotFound($"There is no measure '{id}'. GET /api/measures lists them; a deleted one keeps its history.");
        }
        context.Response.Headers.ETag = ETag(doc["version"]!.GetValue<int>());
        return Results.Json(doc);
    }

    private static async Task<IResult> History(string id, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT coalesce(jsonb_agg(jsonb_build_object('version', version, 'operation', operation, 'changed_at', changed_at,
                                                         'changed_by', changed_by, 'record', record) ORDER BY version), '[]')::text
            FROM measure_versions WHERE measure_id = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
        var versions = (string)(await cmd.ExecuteScalarAsync(ct))!;
        return versions == "[]"
            ? Problems.NotFound($"Measure '{id}' has no history: it never existed.")
            : Results.Text($$"""{"id":{{JsonSerializer.Serialize(id)}},"versions":{{versions}}}""", "application/json");
    }

    private static async Task<IResult> Summary(
        HttpRequest request, LayerCatalog catalog, NpgsqlDataSource dataSource, AnalysisJobs analyses, IOptions<AnalysisOptions> options, CancellationToken ct)
    {
        var by = request.Query["by"].FirstOrDefault() ?? "municipalities";
        if (request.Query.Keys.FirstOrDefault(k => k != "by") is { } unknown)
        {
            return Problems.BadRequest($"Unknown query parameter '{unknown}'. Allowed here: by.", unknown);
        }
        if (await catalog.FindAsync(by, ct) is not { } layer)
        {
            return Problems.NotFound($"There is no layer '{by}'. GET /api/layers lists them.");
        }
        if (layer.GeometryType != "MultiPolygon")
        {
            return Problems.BadRequest($"Layer '{by}' holds {layer.GeometryType} features; a summary needs areas.", "by");
        }
        if (by != "municipalities")
        {
            return await SummaryByAreaAsync(request, by, catalog, dataSource, analyses, options.Value, ct);
        }
        await using var cmd = dataSource.CreateCommand(MeasureLayers.SummaryByMunicipalitySql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = MeasureLayers.County, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = by, NpgsqlDbType = NpgsqlDbType.Text });
        return Results.Text((string)(await cmd.ExecuteScalarAsync(ct))!, LayersApi.GeoJson);
    }

    /// <summary>The figures of the municipalities' summary that add up (SEK by equal share and population-weighted, and
    /// people), shared onto the areas of another layer.</summary>
    private static readonly string[] AdditiveSummaryFigures =
    [
        "granted_sek_equal_share", "granted_sek_population_weighted", "granted_sek_equal_share_local",
        "granted_sek_equal_share_multi_county", "granted_sek_equal_share_national", "population",
    ];

    /// <summary>
    /// The summary per area of another polygon layer, by the overlay engine's areal interpolation of the
    /// municipalities' summary (tobler's area_interpolate, extensive, allocate_total, weighted by the people of the
    /// 1 km grid): each municipality's figures are shared by the part of its people in each area, and wholly, so the
    /// slivers where the two layers' borders (drawn from different sources) disagree neither lose money nor, being
    /// uninhabited, receive it, and the areas add up to the county. Each area also says which municipalities it holds
    /// more than 1 % of (by area), and how many measures touch those.
    /// </summary>
    private static async Task<IResult> SummaryByAreaAsync(
        HttpRequest request, string by, LayerCatalog catalog, NpgsqlDataSource dataSource, AnalysisJobs analyses, AnalysisOptions options, CancellationToken ct)
    {
        var municipalities = await catalog.FindAsync(MeasureLayers.ByMunicipality, ct);
        if (municipalities?.Extent is not { } county)
        {
            return Problems.WithStatus(StatusCodes.Status503ServiceUnavailable, "Summary not ready", "The measures' summary per municipality has not been built yet.");
        }
        var interpolation = new JsonObject
        {
            ["source"] = new JsonObject { ["layer"] = MeasureLayers.ByMunicipality },
            ["target"] = new JsonObject
            {
                ["layer"] = by,
                ["bbox"] = new JsonArray(county.MinX, county.MinY, county.MaxX, county.MaxY),
                ["bbox_crs"] = "EPSG:3006",
            },
            ["variables"] = new JsonArray([.. AdditiveSummaryFigures.Select(f => (JsonNode?)new JsonObject { ["name"] = f, ["type"] = "extensive", ["property"] = f })]),
            ["weights"] = "population_grid",
            ["allocate_total"] = true,
        };
        var plan = await InterpolationAnalysis.ReadAsync(JsonSerializer.SerializeToElement(interpolation), catalog, options, ct);
        var answer = await analyses.RenderAsync(plan, RequestOrigin.Of(request), null, ct);
        if (answer.Status != StatusCodes.Status200OK)
        {
            return answer;
        }
        var collection = JsonNode.Parse(answer.Body)!.AsObject();
        // Areas of the county's bounding box that hold none of it got no figures.
        var features = collection["features"]!.AsArray().Where(f => f!["properties"]?["population"] is not null).Select(f => f!.DeepClone()).ToList();
        var held = new Dictionary<string, (string Municipalities, long Measures)>(StringComparer.Ordinal);
        await using (var cmd = dataSource.CreateCommand("""
            SELECT r.fid, string_agg(m.fid, ',' ORDER BY m.fid),
                   (SELECT count(DISTINCT sh.measure_id) FROM measure_municipality_shares sh JOIN measures ms ON ms.id = sh.measure_id AND ms.deleted_at IS NULL
                    WHERE sh.kom_kod = ANY (array_agg(m.fid)))
            FROM layer_features r
            JOIN layer_features m ON m.layer_id = $2 AND ST_Intersects(r.geom, m.geom)
                                 AND ST_Area(ST_Intersection(r.geom, m.geom)) > 0.01 * ST_Area(m.geom)
            WHERE r.layer_id = $1 AND r.fid = ANY ($3)
            GROUP BY r.fid
            """))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = by });
            cmd.Parameters.Add(new NpgsqlParameter { Value = MeasureLayers.ByMunicipality });
            cmd.Parameters.Add(new NpgsqlParameter { Value = features.Select(f => f!["id"]!.ToString()).ToArray() });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                held[reader.GetString(0)] = (reader.GetString(1), reader.GetInt64(2));
            }
        }
        foreach (var feature in features)
        {
            var properties = feature!["properties"]!.AsObject();
            foreach (var figure in AdditiveSummaryFigures)
            {
                var value = properties[figure]!.GetValue<double>();
                properties[figure] = figure == "population" ? Math.Round(value) : Math.Round(value, 2);
            }
            var (names, measures) = held.GetValueOrDefault(feature["id"]!.ToString(), ("", 0));
            properties["municipalities"] = names;
            properties["measures"] = measures;
            var people = properties["population"]!.GetValue<double>();
            properties["sek_per_inhabitant_equal_share"] = people > 0 ? Math.Round(properties["granted_sek_equal_share"]!.GetValue<double>() / people, 2) : null;
        }
        // Areas holding only uninhabited slivers of the county (borders drawn from different sources) are left out.
        collection["features"] = new JsonArray([.. features.Where(f => f!["properties"]!["municipalities"]!.GetValue<string>() != ""
            || f["properties"]!["population"]!.GetValue<double>() > 0)]);
        collection["numberMatched"] = collection["features"]!.AsArray().Count;
        collection["numberReturned"] = collection["features"]!.AsArray().Count;
        collection["by"] = by;
        return new AnalysisAnswer(StatusCodes.Status200OK, LayersApi.GeoJson, JsonSerializer.SerializeToUtf8Bytes(collection));
    }

    private static async Task<IResult> AsOf(string date, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var day = MeasureDocumentReader.ParseDate(date, "date");
        // The last version of each measure written before the end of the day; deleted ones drop out.
        await using var cmd = dataSource.CreateCommand("""
            WITH last AS (
              SELECT DISTINCT ON (measure_id) measure_id, operation, record
              FROM measure_versions WHERE changed_at < ($1::date + 1)::timestamptz
              ORDER BY measure_id, version DESC
            )
            SELECT jsonb_build_object('type', 'FeatureCollection', 'as_of', $1::date, 'numberReturned', count(*),
                     'features', coalesce(jsonb_agg(jsonb_build_object('type', 'Feature', 'id', measure_id,
                        'properties', record - 'links', 'links', record -> 'links') ORDER BY measure_id), '[]'))::text
            FROM last WHERE operation <> 'delete'
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = day, NpgsqlDbType = NpgsqlDbType.Date });
        return Results.Text((string)(await cmd.ExecuteScalarAsync(ct))!, LayersApi.GeoJson);
    }

    private static async Task<IResult> List(
        HttpRequest request, NpgsqlDataSource dataSource, NetworkGraphs graphs, LayerValidity validity, IOptions<AnalysisOptions> options, CancellationToken ct)
    {
        var unknown = request.Query.Keys.FirstOrDefault(k => !ListParameters.Contains(k));
        if (unknown is not null)
        {
            throw new InvalidQueryException(unknown, $"Unknown query parameter '{unknown}'. Allowed here: {string.Join(", ", ListParameters)}.");
        }
        var format = request.Query["f"].FirstOrDefault() ?? "json";
        if (format is not ("json" or "csv" or "geojson"))
        {
            throw new InvalidQueryException("f", "f must be json, csv or geojson.");
        }
        // As pygeoapi's skipGeometry: a feature keeps its member "geometry", with null (RFC 7946, 3.2).
        var skipGeometry = request.Query["skipGeometry"].FirstOrDefault() switch
        {
            null or "false" => false,
            "true" when format == "geojson" => true,
            "true" => throw new InvalidQueryException("skipGeometry", "skipGeometry applies to f=geojson; json and csv carry no display geometry to skip."),
            var other => throw new InvalidQueryException("skipGeometry", $"skipGeometry must be true or false; got '{other}'."),
        };
        var near = ReadNear(request.Query);
        var travelTime = MeasureTravelTime.Read(request.Query, near);
        var travelTimeAnswer = new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb };
        await using var cmd = ListCommand(request.Query, format, skipGeometry, near, travelTime, travelTimeAnswer);
        if (travelTime is null)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            cmd.Connection = connection;
            return await ListAnswerAsync(cmd, format, ct);
        }
        // The network's version, its edges and the measures are read in one snapshot.
        await using var session = await AnalysisSession.OpenAsync(dataSource, options.Value.StatementTimeoutSeconds, validity, ct);
        var used = await travelTime.StageReachAsync(session, graphs, ct);
        travelTimeAnswer.Value = used.ToJsonString();
        request.HttpContext.Response.Headers[MeasureTravelTime.NetworkHeader] = string.Create(CultureInfo.InvariantCulture,
            $"{used["network"]}; version={used["network_version"]}");
        request.HttpContext.Response.Headers[MeasureTravelTime.SpeedTableHeader] = used["speed_table"]!.GetValue<string>();
        cmd.Connection = session.Connection;
        cmd.Transaction = session.Transaction;
        return await ListAnswerAsync(cmd, format, ct);
    }

    private static async Task<IResult> ListAnswerAsync(NpgsqlCommand cmd, string format, CancellationToken ct)
    {
        if (format == "csv")
        {
            return Results.Text(await CsvAsync(cmd, ct), "text/csv; charset=utf-8");
        }
        var body = (string)(await cmd.ExecuteScalarAsync(ct))!;
        return Results.Text(body, format == "geojson" ? LayersApi.GeoJson : "application/json");
    }

    /// <summary>near=lon,lat in WGS 84, or null when absent.</summary>
    private static (double Lon, double Lat)? ReadNear(IQueryCollection q)
    {
        if (q["near"].FirstOrDefault() is not { } near)
        {
            return null;
        }
        var p = near.Split(',');
        return p.Length == 2 && double.TryParse(p[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon)
            && double.TryParse(p[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat) && Math.Abs(lon) <= 180 && Math.Abs(lat) <= 90
            ? (lon, lat)
            : throw new InvalidQueryException("near", $"near must be lon,lat in WGS 84; got '{near}'.");
    }

    /// <summary>The filtered register as one JSON document (json, geojson) or as rows of flat properties (csv). With
    /// within_minutes, the document carries <paramref name="travelTimeAnswer"/> (the network and speeds used) as travel_time,
    /// and the command runs where the reached roads are staged.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Built from constant fragments; every value from the request is a parameter.")]
    private static NpgsqlCommand ListCommand(
        IQueryCollection q, string format, bool skipGeometry, (double Lon, double Lat)? near, MeasureTravelTime? travelTime, NpgsqlParameter travelTimeAnswer)
    {
        var cmd = new NpgsqlCommand();
        var where = new List<string> { "m.deleted_at IS NULL" };
        string Add(object value, NpgsqlDbType type)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
            return "$" + cmd.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }
        string[]? List(string name) => q[name].FirstOrDefault() is { Length: > 0 } text
            ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : null;

        if (List("status") is { } statuses)
        {
            where.Add($"m.status = ANY ({Add(statuses, NpgsqlDbType.Array | NpgsqlDbType.Text)})");
        }
        if (List("programme") is { } programmes)
        {
            where.Add($"m.programme = ANY ({Add(programmes, NpgsqlDbType.Array | NpgsqlDbType.Text)})");
        }
        if (List("fund") is { } funds)
        {
            where.Add($"m.fund = ANY ({Add(funds, NpgsqlDbType.Array | NpgsqlDbType.Text)})");
        }
        if (List("theme") is { } themes)
        {
            where.Add($"m.themes && {Add(themes, NpgsqlDbType.Array | NpgsqlDbType.Text)}");
        }
        if (q["municipality"].FirstOrDefault() is { } code)
        {
            if (!MeasureVocabulary.AreaCodePattern().IsMatch(code) || code.Length != 4)
            {
                throw new InvalidQueryException("municipality", $"municipality must be a KOM_KOD of 4 digits; got '{code}'.");
            }
            where.Add($"m.id IN (SELECT measure_id FROM measure_municipality_shares WHERE kom_kod = {Add(code, NpgsqlDbType.Text)})");
        }
        if (q["active"].FirstOrDefault() is { } active)
        {
            var day = Add(MeasureDocumentReader.ParseDate(active, "active"), NpgsqlDbType.Date);
            where.Add($"m.start_date <= {day} AND (m.end_date IS NULL OR m.end_date >= {day})");
        }
        foreach (var (name, op) in new[] { ("min_amount", ">="), ("max_amount", "<=") })
        {
            if (q[name].FirstOrDefault() is { } text)
            {
                if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0)
                {
                    throw new InvalidQueryException(name, $"{name} must be an amount in SEK of 0 or more; got '{text}'.");
                }
                where.Add($"m.granted_sek {op} {Add(amount, NpgsqlDbType.Numeric)}");
            }
        }
        if (q["bbox"].FirstOrDefault() is { } bboxText)
        {
            var srid = q["bbox-crs"].FirstOrDefault() is { } crs ? QueryValues.ParseSupportedCrs(crs, "bbox-crs").Srid : 4326;
            var n = QueryValues.ParseBboxNumbers(bboxText);
            var box = QueryValues.ValidateBox(n[0], n[1], n[2], n[3], srid);
            where.Add(string.Create(CultureInfo.InvariantCulture,
                $"ST_Intersects(m.display_geom, ST_Transform(ST_MakeEnvelope({Add(box.MinX, NpgsqlDbType.Double)}, {Add(box.MinY, NpgsqlDbType.Double)}, {Add(box.MaxX, NpgsqlDbType.Double)}, {Add(box.MaxY, NpgsqlDbType.Double)}, {srid}), 3006))"));
        }
        if (travelTime is not null)
        {
            where.Add(MeasureTravelTime.Condition(Add));
        }
        else if (near is var (lon, lat))
        {
            if (!double.TryParse(q["within_metres"].FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var metres)
                || !(metres >= 0 && metres <= 1_000_000))
            {
                throw new InvalidQueryException("within_metres", "near needs within_metres, a distance from 0 to 1000000 metres, or within_minutes.");
            }
            where.Add($"ST_DWithin(m.display_geom, ST_Transform(ST_SetSRID(ST_MakePoint({Add(lon, NpgsqlDbType.Double)}, {Add(lat, NpgsqlDbType.Double)}), 4326), 3006), {Add(metres, NpgsqlDbType.Double)})");
        }
        else if (q["within_metres"].Count > 0)
        {
            throw new InvalidQueryException("within_metres", "within_metres needs near=lon,lat.");
        }
        if (q["q"].FirstOrDefault() is { Length: > 0 } words)
        {
            foreach (var word in words.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(10))
            {
                var pattern = Add("%" + word.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%", NpgsqlDbType.Text);
                where.Add($"(m.title ILIKE {pattern} OR m.description ILIKE {pattern})");
            }
        }
        var limit = QueryValues.ParseLimit(q["limit"].FirstOrDefault(), 1000, 10000, clampToMax: false);
        var offset = QueryValues.ParseOffset(q["offset"].FirstOrDefault());
        var filter = string.Join(" AND ", where);
        // The filter runs once for the page and the count (a travel-time filter is not cheap).
        var hits = $"WITH hits AS MATERIALIZED (SELECT m.* FROM measures m WHERE {filter})";
        var page = $"SELECT * FROM hits ORDER BY id LIMIT {Add(limit, NpgsqlDbType.Integer)} OFFSET {Add(offset, NpgsqlDbType.Integer)}";
        const string matched = "(SELECT count(*) FROM hits)";
        var travelTimeMember = "";
        if (travelTime is not null)
        {
            cmd.Parameters.Add(travelTimeAnswer);
            travelTimeMember = $" || jsonb_build_object('travel_time', ${cmd.Parameters.Count.ToString(CultureInfo.InvariantCulture)})";
        }
        var geometry = skipGeometry ? "NULL::jsonb" : "ST_AsGeoJSON(ST_Transform(p.display_geom, 4326), 7, 0)::jsonb";
        cmd.CommandText = format switch
        {
            "csv" => $"{hits} SELECT measure_properties(p) FROM ({page}) p ORDER BY p.id",
            "geojson" => $"""
                {hits}
                SELECT (jsonb_build_object('type', 'FeatureCollection', 'numberMatched', {matched}, 'numberReturned', count(p.id),
                         'features', coalesce(jsonb_agg(jsonb_build_object('type', 'Feature', 'id', p.id, 'properties', measure_properties(p),
                           'geometry', {geometry}) ORDER BY p.id), '[]')){travelTimeMember})::text
                FROM ({page}) p
                """,
            _ => $"""
                {hits}
                SELECT (jsonb_build_object('numberMatched', {matched}, 'numberReturned', count(p.id),
                         'measures', coalesce(jsonb_agg(measure_document(p.id) ORDER BY p.id), '[]')){travelTimeMember})::text
                FROM ({page}) p
                """,
        };
        return cmd;
    }

    private static async Task<string> CsvAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var names = MeasureLayers.MeasureProperties.Select(p => p.Name).ToList();
        var csv = new StringBuilder().AppendJoin(',', names).Append("\r\n");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = JsonNode.Parse(reader.GetString(0))!.AsObject();
            csv.AppendJoin(',', names.Select(n => CsvField(row[n] switch
            {
                null => "",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                var v => v.ToJsonString(),
            }))).Append("\r\n");
        }
        return csv.ToString();
    }

    private static string CsvField(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static async Task<IResult> ForMunicipality(string code, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT (SELECT properties ->> 'KOMMUNNAMN' FROM layer_features WHERE layer_id = 'municipalities' AND fid = $1),
                   coalesce(jsonb_agg(jsonb_build_object('share_equal', round(s.share, 6), 'measure', measure_properties(m)) ORDER BY m.id), '[]')::text
            FROM measure_municipality_shares s JOIN measures m ON m.id = s.measure_id AND m.deleted_at IS NULL
            WHERE s.kom_kod = $1 AND s.share > 0
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = code, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        if (reader.IsDBNull(0))
        {
            return Problems.NotFound($"There is no municipality '{code}' (KOM_KOD of the municipalities layer).");
        }
        return Results.Text($$"""{"kom_kod":{{JsonSerializer.Serialize(code)}},"name":{{JsonSerializer.Serialize(reader.GetString(0))}},"measures":{{reader.GetString(1)}}}""", "application/json");
    }

    private static async Task<IResult> Context(string id, HttpRequest request, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var indicators = (request.Query["indicators"].FirstOrDefault() ?? "population").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var nearMetres = 5000.0;
        if (request.Query["near_metres"].FirstOrDefault() is { } nearText
            && (!double.TryParse(nearText, NumberStyles.Float, CultureInfo.InvariantCulture, out nearMetres) || nearMetres < 0 || nearMetres > 100_000))
        {
            return Problems.BadRequest("near_metres must be a distance from 0 to 100000 metres.", "near_metres");
        }
        await using var cmd = dataSource.CreateCommand("""
            WITH m AS (SELECT * FROM measures WHERE id = $1 AND deleted_at IS NULL),
            municipalities AS (
              SELECT s.kom_kod, f.properties ->> 'KOMMUNNAMN' AS name, s.share,
                     CASE WHEN m.display_geom IS NULL THEN NULL
                          ELSE round((ST_Area(ST_Intersection(m.display_geom, f.geom)) / nullif(ST_Area(m.display_geom), 0))::numeric, 4) END AS area_share
              FROM m JOIN measure_municipality_shares s ON s.measure_id = m.id
              JOIN layer_features f ON f.layer_id = 'municipalities' AND f.fid = s.kom_kod
            ),
            tatorter AS (
              SELECT f.fid AS code, f.properties ->> 'name' AS name, (f.properties ->> 'pop')::integer AS population
              FROM m JOIN layer_features f ON f.layer_id = 'tatorter' AND ST_Intersects(f.geom, m.display_geom)
            ),
            grid AS (
              SELECT sum((f.properties ->> 'beftotalt')::numeric) FILTER (WHERE ST_Intersects(ST_Centroid(f.geom), m.display_geom)) AS inside,
                     sum((f.properties ->> 'beftotalt')::numeric) AS near
              FROM m JOIN layer_features f ON f.layer_id = 'population-grid-1km' AND ST_DWithin(f.geom, m.display_geom, $2)
            ),
            values AS (
              SELECT DISTINCT ON (v.indicator_id, v.area_code) v.indicator_id, v.area_code, v.period, v.value
              FROM indicator_values v WHERE v.indicator_id = ANY ($3) AND v.gender = 'T'
                AND v.area_code IN (SELECT kom_kod FROM municipalities)
              ORDER BY v.indicator_id, v.area_code, v.period_end DESC
            )
            SELECT jsonb_build_object(
              'id', m.id, 'title', m.title, 'geometry_basis', m.display_basis,
              'municipalities', (SELECT coalesce(jsonb_agg(jsonb_build_object('kom_kod', kom_kod, 'name', name, 'share_equal', round(share, 6),
                                   'share_of_area', area_share) ORDER BY kom_kod), '[]') FROM municipalities),
              'tatorter', (SELECT coalesce(jsonb_agg(jsonb_build_object('code', code, 'name', name, 'population', population) ORDER BY code), '[]') FROM tatorter),
              'population_grid', (SELECT jsonb_build_object('year', 2024, 'inside', inside, 'within_metres', $2, 'near', near) FROM grid),
              'indicators', (SELECT coalesce(jsonb_agg(jsonb_build_object('indicator', indicator_id, 'area_code', area_code, 'period', period, 'value', value)
                               ORDER BY indicator_id, area_code), '[]') FROM values))::text
            FROM m
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = nearMetres, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = indicators, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return await cmd.ExecuteScalarAsync(ct) is string body
            ? Results.Text(body, "application/json")
            : Problems.NotFound($"There is no measure '{id}'.");
    }

    private static async Task<IResult> Create(HttpContext context, MeasureStore store, CancellationToken ct)
    {
        var input = MeasureDocumentReader.Read(await ReadObjectAsync(context.Request, MaxBodyBytes, ct));
        var result = await store.CreateAsync(input, Caller(context), Force(context.Request), ct);
        context.Response.Headers.ETag = ETag(result.Version);
        context.Response.Headers.Location = $"/api/measures/{Uri.EscapeDataString(result.Id)}";
        return Results.Json(Answer(result), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> Replace(string id, HttpContext context, MeasureStore store, CancellationToken ct)
    {
        var ifMatch = IfMatch(context.Request);
        var input = MeasureDocumentReader.Read(await ReadObjectAsync(context.Request, MaxBodyBytes, ct));
        var result = await store.UpdateAsync(id, input, ifMatch, Caller(context), Force(context.Request), ct);
        context.Response.Headers.ETag = ETag(result.Version);
        return Results.Json(Answer(result));
    }

    private static async Task<IResult> Delete(string id, HttpContext context, MeasureStore store, CancellationToken ct)
    {
        var result = await store.DeleteAsync(id, IfMatch(context.Request), Caller(context), ct);
        return Results.Json(Answer(result));
    }

    private static async Task<IResult> Import(HttpContext context, MeasureStore store, CancellationToken ct)
    {
        var records = await MeasureFiles.ReadAsync(context.Request, MaxImportBytes, ct);
        var report = await store.ImportAsync(records, Caller(context), ct);
        return Results.Json(new { inserted = report.Inserted, updated = report.Updated, unchanged = report.Unchanged, warnings = report.Warnings });
    }

    private static object Answer(MeasureWriteResult r) => new { id = r.Id, version = r.Version, operation = r.Operation, warnings = r.Warnings };

    /// <summary>The body as a JSON object: size-, depth- and UTF-8-checked, a repeated key refused, by the analyses' reader.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        using var document = await RequestBody.ReadAsync(request, maxBytes, ct);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? JsonObject.Create(document.RootElement.Clone())!
            : throw new InvalidQueryException("body", "The body must be a JSON object.");
    }

    public static string ETag(int version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <summary>The version an If-Match names; null when absent. "*" matches whatever version is current.</summary>
    public static int? IfMatch(HttpRequest request)
    {
        var text = request.Headers.IfMatch.ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }
        return int.TryParse(text.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new MeasureWriteException(StatusCodes.Status412PreconditionFailed, $"If-Match '{request.Headers.IfMatch}' is no ETag of a measure (they look like \"3\").");
    }

    public static string Caller(HttpContext context) => context.User.Identity?.Name ?? "unknown";

    private static bool Force(HttpRequest request) => request.Query["force"].FirstOrDefault() is "true" or "1";
}

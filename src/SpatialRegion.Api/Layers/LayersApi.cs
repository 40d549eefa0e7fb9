using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Layers;

/// <summary>The REST API over the layer registry: listings and GeoJSON features.</summary>
public static class LayersApi
{
    public const string GeoJson = "application/geo+json";

    /// <summary>A layer upload is a whole GeoJSON file, parsed in memory; larger files go through the command-line import.</summary>
    public const long MaxUploadBytes = 256L * 1024 * 1024;

    private static readonly string[] ReservedParameters = ["bbox", "bbox-crs", "limit", "offset", "crs", "properties"];

    public static RouteGroupBuilder MapLayersApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/layers").WithTags("Layers");

        api.MapGet("/", ListLayers).WithName("ListLayers")
            .WithSummary("All layers with feature counts, extents and links.");
        api.MapGet("/{layerId}", GetLayer).WithName("GetLayer")
            .WithSummary("One layer's metadata, including its properties and their types.");
        api.MapPut("/{layerId}", UploadLayer).WithName("UploadLayer")
            .WithSummary("Create or replace a layer from a GeoJSON FeatureCollection in the request body (editor role).")
            .WithDescription("Query parameters: key (property whose value is the feature id), merge=true (join features with the same key), title, description, source, licence. One transaction: on any error the layer stays as it was.")
            .Accepts<object>(GeoJson, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Auth.AuthPolicies.Editor)
            .LimitBodyTo(MaxUploadBytes);
        api.MapDelete("/{layerId}", DeleteLayer).WithName("DeleteLayer")
            .WithSummary("Delete a layer and its features (editor role).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Auth.AuthPolicies.Editor);
        api.MapMethods("/{layerId}/features", [HttpMethods.Get, HttpMethods.Head], GetFeatures).WithName("GetFeatures")
            .WithSummary("Features of a layer as a GeoJSON FeatureCollection, streamed from PostGIS.")
            .WithDescription("Any of the layer's own properties can be used as a filter: ?LAN_KOD=23. Repeat a property to match any of several values.")
            .Produces(StatusCodes.Status200OK, contentType: GeoJson)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapMethods("/{layerId}/features/{featureId}", [HttpMethods.Get, HttpMethods.Head], GetFeature).WithName("GetFeature")
            .WithSummary("One feature as GeoJSON.")
            .Produces(StatusCodes.Status200OK, contentType: GeoJson)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public sealed record FeatureParameters(
        [property: FromQuery(Name = "bbox"), Description("minx,miny,maxx,maxy: longitude/latitude, or in bbox-crs (x = easting first).")] string? Bbox,
        [property: FromQuery(Name = "bbox-crs"), Description("CRS of bbox: EPSG:4326 (default), EPSG:3006 or EPSG:3857.")] string? BboxCrs,
        [property: FromQuery(Name = "limit"), Description("Features per page, 1 to 10000 (default 1000).")] string? Limit,
        [property: FromQuery(Name = "offset"), Description("Features to skip (default 0).")] string? Offset,
        [property: FromQuery(Name = "crs"), Description("Output CRS: EPSG:4326 (default), EPSG:3006 or EPSG:3857.")] string? Crs,
        [property: FromQuery(Name = "properties"), Description("Comma-separated properties to include (default all).")] string? Properties);

    public sealed record LayerList(IReadOnlyList<LayerSummary> Layers);

    public sealed record LayerSummary(
        string Id, string Title, string Description, string Kind, string GeometryType, int FeatureCount, LayerExtent? Extent,
        string Source, string Licence, string? KeyProperty, string? TimeProperty, IReadOnlyList<LayerProperty> Properties,
        System.Text.Json.Nodes.JsonNode? Provenance, long Version, DateTimeOffset UpdatedAt, IReadOnlyList<Link> Links)
    {
        /// <summary>For a saved analysis result: the inputs re-imported or deleted since it was computed (empty when none).</summary>
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public IReadOnlyList<Analysis.SavedResultInputs.Change>? InputsChanged { get; init; }
    }

    public sealed record LayerExtent(double[]? Wgs84, double[]? Epsg3006);

    public sealed record Link(string Rel, string Href, string? Type = null, string? Title = null);

    private static async Task<Ok<LayerList>> ListLayers(HttpRequest request, LayerCatalog catalog, CancellationToken ct)
    {
        var layers = await catalog.AllAsync(ct);
        return TypedResults.Ok(new LayerList(layers.Select(l => Summarise(request, l)).ToList()));
    }

    private static async Task<Results<Ok<LayerSummary>, ProblemHttpResult>> GetLayer(
        string layerId, HttpRequest request, LayerCatalog catalog, CancellationToken ct)
    {
        var layer = await catalog.FindAsync(layerId, ct);
        return layer is null ? UnknownLayer(layerId) : TypedResults.Ok(Summarise(request, layer));
    }

    private static async Task<IResult> UploadLayer(
        string layerId, HttpRequest request, Import.LayerImporter importer, LayerCatalog catalog, CancellationToken ct)
    {
        var q = request.Query;
        string[] allowed = ["key", "merge", "title", "description", "source", "licence"];
        if (q.Keys.FirstOrDefault(k => !allowed.Contains(k)) is { } unknown)
        {
            return Problems.BadRequest($"Unknown query parameter '{unknown}'. Allowed here: {string.Join(", ", allowed)}.", unknown);
        }
        if (q["merge"] is { Count: > 0 } m && !bool.TryParse(m, out _))
        {
            return Problems.BadRequest("merge must be true or false.", "merge");
        }
        var existed = await catalog.FindAsync(layerId, ct) is not null;
        var report = await importer.ImportAsync(new Import.LayerImportRequest(
            layerId, "", q["key"].FirstOrDefault(), q["merge"] is { Count: > 0 } merge && bool.Parse(merge!),
            q["title"].FirstOrDefault(), q["description"].FirstOrDefault(), q["source"].FirstOrDefault(), q["licence"].FirstOrDefault())
        {
            Content = request.Body,
            FileName = "the request body",
        }, progress: null, ct);
        var body = new { report.LayerId, report.Read, report.Written, report.Repaired, report.Rejected, report.SourceSrid, report.GeometryType, report.Version };
        var location = $"{RequestUrls.Base(request)}/api/layers/{Uri.EscapeDataString(layerId)}";
        return existed ? TypedResults.Ok(body) : TypedResults.Created(location, body);
    }

    private static async Task<IResult> DeleteLayer(string layerId, Import.LayerImporter importer, CancellationToken ct) =>
        await importer.DeleteAsync(layerId, ct) ? TypedResults.NoContent() : UnknownLayer(layerId);

    private static async Task<IResult> GetFeatures(
        string layerId, [AsParameters] FeatureParameters parameters, HttpRequest request,
        LayerCatalog catalog, IOptions<SpatialRegionOptions> options, CancellationToken ct)
    {
        var layer = await catalog.FindAsync(layerId, ct);
        if (layer is null)
        {
            return UnknownLayer(layerId);
        }
        var query = ParseFeatureQuery(layer, request.Query, options.Value);
        return new FeatureCollectionResult(layer, query, new RestEnvelope(request, query), GeoJson, ContentCrsHeader(query.Output.Srid));
    }

    private static async Task<IResult> GetFeature(
        string layerId, string featureId, HttpRequest request, LayerCatalog catalog, FeatureStore store, CancellationToken ct)
    {
        var layer = await catalog.FindAsync(layerId, ct);
        if (layer is null)
        {
            return UnknownLayer(layerId);
        }
        QueryValues.RejectUnknown(request.Query, ["crs", "properties"]);
        var output = ParseOutput(request.Query["crs"]);
        var properties = request.Query["properties"] is { Count: > 0 } p ? QueryValues.ParsePropertyList(layer, p.ToString()) : null;

        var etag = HttpCaching.ETagFor(layer);
        if (HttpCaching.IsNotModified(request, etag))
        {
            return new NotModifiedResult(etag);
        }
        var feature = await store.FindAsync(layer, featureId, output, properties, ct);
        if (feature is not { } f)
        {
            return Problems.NotFound($"Layer '{layer.Id}' has no feature '{featureId}'.");
        }
        return new SingleFeatureResult(f.Id, f.Properties, f.Geometry, output.Srid, etag);
    }

    /// <summary>The REST reading of the parameters: coordinates are always x (easting, longitude) first,
    /// whatever the CRS, as in GeoJSON itself. (The OGC API follows each CRS's own axis order instead.)</summary>
    public static FeatureQuery ParseFeatureQuery(Layer layer, IQueryCollection q, SpatialRegionOptions options)
    {
        var equals = QueryValues.ParsePropertyEqualities(layer, q, ReservedParameters);

        BboxFilter? bbox = null;
        var bboxCrs = q["bbox-crs"] is { Count: > 0 } bc ? QueryValues.ParseSupportedCrs(bc.ToString(), "bbox-crs") : CrsReference.Crs84;
        if (q["bbox"] is { Count: > 0 } b)
        {
            var n = QueryValues.ParseBboxNumbers(b.ToString());
            bbox = QueryValues.ValidateBox(n[0], n[1], n[2], n[3], bboxCrs.Srid);
        }
        else if (q.ContainsKey("bbox-crs"))
        {
            throw new InvalidQueryException("bbox-crs", "bbox-crs was given without a bbox.");
        }

        return new FeatureQuery(
            new FeatureFilter(bbox, equals),
            QueryValues.ParseLimit(q["limit"], options.DefaultPageSize, options.MaxPageSize, clampToMax: false),
            QueryValues.ParseOffset(q["offset"]),
            ParseOutput(q["crs"]),
            q["properties"] is { Count: > 0 } p ? QueryValues.ParsePropertyList(layer, p.ToString()) : null);
    }

    private static GeometryOutput ParseOutput(Microsoft.Extensions.Primitives.StringValues crsText)
    {
        var srid = crsText.Count > 0 ? QueryValues.ParseSupportedCrs(crsText.ToString(), "crs").Srid : 4326;
        return new GeometryOutput(srid, NorthingFirst: false, OutputCrs.Decimals(srid));
    }

    internal static Dictionary<string, string> ContentCrsHeader(int srid) => new()
    {
        ["Content-Crs"] = $"<{(srid == 4326 ? CrsReference.Crs84Uri : new CrsReference(srid, CrsForm.HttpUri).Uri)}>",
    };

    private static ProblemHttpResult UnknownLayer(string layerId) =>
        Problems.NotFound($"There is no layer '{layerId}'. GET /api/layers lists the layers.");

    internal static LayerSummary Summarise(HttpRequest request, Layer l)
    {
        var self = $"{RequestUrls.Base(request)}/api/layers/{Uri.EscapeDataString(l.Id)}";
        return new LayerSummary(
            l.Id, l.Title, l.Description, l.Kind, l.GeometryType, l.FeatureCount,
            l.Extent is null && l.ExtentWgs84 is null ? null : new LayerExtent(l.ExtentWgs84?.ToArray(), l.Extent?.ToArray()),
            l.Source, l.Licence, l.KeyProperty, l.TimeProperty, l.Properties,
            l.ProvenanceJson is null ? null : System.Text.Json.Nodes.JsonNode.Parse(l.ProvenanceJson), l.Version, l.UpdatedAt,
            [new Link("self", self, "application/json"), new Link("items", self + "/features", GeoJson, "Features as GeoJSON")]);
    }

    /// <summary>RFC 7946 removed "crs"; GDAL and QGIS still read it, and without it a file saved from a response
    /// in another CRS would be taken for WGS 84.</summary>
    internal static void WriteCrsMember(Utf8JsonWriter json, int srid)
    {
        if (srid == 4326)
        {
            return;
        }
        json.WriteStartObject("crs"u8);
        json.WriteString("type"u8, "name"u8);
        json.WriteStartObject("properties"u8);
        json.WriteString("name"u8, new CrsReference(srid, CrsForm.Urn).Urn);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>FeatureCollection members of the REST API: numberMatched, numberReturned, and self/next/prev links.</summary>
    private sealed class RestEnvelope(HttpRequest request, FeatureQuery query) : IFeatureCollectionEnvelope
    {
        public void WriteHead(Utf8JsonWriter json, long numberMatched)
        {
            json.WriteString("type"u8, "FeatureCollection"u8);
            WriteCrsMember(json, query.Output.Srid);
            json.WriteNumber("numberMatched"u8, numberMatched);
        }

        public void WriteTail(Utf8JsonWriter json, long numberMatched, int numberReturned)
        {
            json.WriteNumber("numberReturned"u8, numberReturned);
            json.WriteStartArray("links"u8);
            WriteLink(json, "self", RequestUrls.Self(request));
            if (query.Offset + numberReturned < numberMatched)
            {
                WriteLink(json, "next", RequestUrls.WithQuery(request, new Dictionary<string, string?>
                {
                    ["offset"] = (query.Offset + numberReturned).ToString(CultureInfo.InvariantCulture),
                }));
            }
            if (query.Offset > 0)
            {
                var previous = Math.Max(0, query.Offset - query.Limit);
                WriteLink(json, "prev", RequestUrls.WithQuery(request, new Dictionary<string, string?>
                {
                    ["offset"] = previous == 0 ? null : previous.ToString(CultureInfo.InvariantCulture),
                }));
            }
            json.WriteEndArray();
        }

        private static void WriteLink(Utf8JsonWriter json, string rel, string href)
        {
            json.WriteStartObject();
            json.WriteString("rel"u8, rel);
            json.WriteString("type"u8, GeoJson);
            json.WriteString("href"u8, href);
            json.WriteEndObject();
        }
    }

    private sealed class SingleFeatureResult(string id, string properties, string? geometry, int srid, string etag) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.ContentType = GeoJson;
            response.Headers.ETag = etag;
            response.Headers.CacheControl = HttpCaching.CacheControl;
            foreach (var (name, value) in ContentCrsHeader(srid))
            {
                response.Headers[name] = value;
            }
            var body = new MemoryStream();
            using (var writer = new FeatureCollectionWriter(chunk => body.WriteAsync(chunk)))
            {
                writer.WriteFeature(id, properties, geometry);
                await writer.FlushAsync();
            }
            response.ContentLength = body.Length;
            if (HttpMethods.IsHead(context.Request.Method))
            {
                return;
            }
            await response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length), context.RequestAborted);
        }
    }

    private sealed class NotModifiedResult(string etag) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            HttpCaching.WriteNotModified(context.Response, etag);
            return Task.CompletedTask;
        }
    }
}

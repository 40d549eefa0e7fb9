using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;
using SpatialRegion.Api.Tiles;

namespace SpatialRegion.Api.Ogc;

/// <summary>
/// OGC API - Features (Parts 1, 2 and 3) at /ogc over the layer registry: every layer is a collection.
/// GeoJSON and HTML, chosen by f=, a path suffix or Accept; errors as the OGC exception JSON.
/// </summary>
public static class OgcApi
{
    public const string Root = "/ogc";

    public static readonly string StorageCrs = new CrsReference(3006, CrsForm.HttpUri).Uri;

    /// <summary>Every output CRS, by its OGC URI: CRS84 (the default) first, then the storage CRS, then the rest.</summary>
    public static readonly IReadOnlyList<string> CrsList =
    [
        CrsReference.Crs84Uri,
        StorageCrs,
        .. OutputCrs.SupportedSrids.Select(srid => new CrsReference(srid, CrsForm.HttpUri).Uri).Where(uri => uri != StorageCrs),
    ];

    private static readonly string[] GetHead = [HttpMethods.Get, HttpMethods.Head];

    public static IServiceCollection AddOgcApi(this IServiceCollection services) => services.AddSingleton<TemporalExtents>();

    public static RouteGroupBuilder MapOgcApi(this IEndpointRouteBuilder routes)
    {
        var ogc = routes.MapGroup(Root).WithTags("OGC API - Features").ExcludeFromDescription().AnswersErrorsAs(ErrorFormat.Ogc);
        Map(ogc, "/", LandingPage);
        Map(ogc, "/conformance", Conformance);
        Map(ogc, "/api", ApiDocument);
        Map(ogc, "/collections", Collections);
        Map(ogc, "/collections/{collectionId}", Collection);
        Map(ogc, "/collections/{collectionId}/queryables", Queryables);
        Map(ogc, "/collections/{collectionId}/items", Items);
        Map(ogc, "/collections/{collectionId}/items/{featureId}", Feature);
        ogc.MapOgcFeatureEditing();
        ogc.MapOgcTiles();
        return ogc;
    }

    /// <summary>GET and HEAD on a read-only resource, with OPTIONS answering which methods it allows.</summary>
    internal static void Map(RouteGroupBuilder group, string pattern, Delegate handler)
    {
        group.MapMethods(pattern, GetHead, handler);
        group.MapMethods(pattern, [HttpMethods.Options], (HttpContext context) => new OgcOptionsResult(
            context.GetRouteValue("collectionId") is string id && OgcFeatureEditing.IsEditable(id)
                ? pattern.EndsWith("{featureId}", StringComparison.Ordinal) ? OgcFeatureEditing.FeatureAllow
                : pattern.EndsWith("/items", StringComparison.Ordinal) ? OgcFeatureEditing.ItemsAllow : OgcOptionsResult.ReadOnly
                : OgcOptionsResult.ReadOnly));
    }

    private static IResult LandingPage(HttpRequest request)
    {
        return Respond(request, () =>
        {
            var b = Base(request);
            var body = new JsonObject
            {
                ["title"] = "SpatialRegion: OGC API - Features",
                ["description"] = "Boundaries, service points, statistics and analysis results for Region Jämtland Härjedalen, "
                    + "served from PostGIS. Every layer is a collection; storage CRS SWEREF 99 TM (EPSG:3006).",
                ["links"] = new JsonArray(
                    Link("self", b, OgcMediaTypes.Json, "This document"),
                    Link("alternate", b + "?f=html", OgcMediaTypes.Html, "This document as HTML"),
                    Link("service-desc", b + "/api", OgcMediaTypes.OpenApi, "The API definition (OpenAPI 3.0)"),
                    Link("service-doc", b + "/api?f=html", OgcMediaTypes.Html, "The API documentation"),
                    Link("conformance", b + "/conformance", OgcMediaTypes.Json, "Conformance classes implemented"),
                    Link("data", b + "/collections", OgcMediaTypes.Json, "The collections"),
                    Link(TilesApi.TilingSchemesRel, b + "/tileMatrixSets", OgcMediaTypes.Json, "Tile matrix sets (tiling schemes) of the vector tiles")),
            };
            return body;
        }, OgcHtml.LandingPage);
    }

    private static IResult Conformance(HttpRequest request) =>
        Respond(request, () => new JsonObject
        {
            ["links"] = new JsonArray(
                Link("self", Base(request) + "/conformance", OgcMediaTypes.Json, "This document"),
                Link("alternate", Base(request) + "/conformance?f=html", OgcMediaTypes.Html, "This document as HTML")),
            ["conformsTo"] = new JsonArray(OgcConformance.Classes.Select(c => (JsonNode)c).ToArray()),
        }, OgcHtml.Conformance);

    private static async Task<IResult> ApiDocument(
        HttpRequest request, LayerCatalog catalog, ResponseCache cache, IOptions<SpatialRegionOptions> options, CancellationToken ct)
    {
        var layers = await catalog.AllAsync(ct);
        return RespondFromRegistry(request, layers, cache, _ => Task.FromResult(OgcOpenApi.Build(Base(request), layers, options.Value)),
            (document, _) => OgcHtml.ApiDocument(document), OgcMediaTypes.OpenApi);
    }

    private static async Task<IResult> Collections(
        HttpRequest request, LayerCatalog catalog, TemporalExtents temporal, ResponseCache cache, CancellationToken ct)
    {
        var layers = await catalog.AllAsync(ct);
        return RespondFromRegistry(request, layers, cache, async token =>
        {
            var described = new List<JsonNode>();
            foreach (var layer in layers)
            {
                described.Add(await DescribeAsync(request, layer, temporal, token));
            }
            return new JsonObject
            {
                ["links"] = new JsonArray(
                    Link("self", Base(request) + "/collections", OgcMediaTypes.Json, "This document"),
                    Link("alternate", Base(request) + "/collections?f=html", OgcMediaTypes.Html, "This document as HTML")),
                ["crs"] = new JsonArray(CrsList.Select(c => (JsonNode)c).ToArray()),
                ["collections"] = new JsonArray(described.ToArray()),
            };
        }, OgcHtml.Collections, OgcMediaTypes.Json);
    }

    private static async Task<IResult> Collection(string collectionId, HttpRequest request, LayerCatalog catalog, TemporalExtents temporal, CancellationToken ct)
    {
        if (await catalog.FindAsync(collectionId, ct) is not { } layer)
        {
            return UnknownCollection(collectionId);
        }
        var body = (JsonObject)await DescribeAsync(request, layer, temporal, ct);
        return Respond(request, () => body, (b, baseUrl) => OgcHtml.Collection(layer, b, baseUrl));
    }

    private static async Task<IResult> Queryables(string collectionId, HttpRequest request, LayerCatalog catalog, CancellationToken ct)
    {
        if (await catalog.FindAsync(collectionId, ct) is not { } layer)
        {
            return UnknownCollection(collectionId);
        }
        var url = $"{Base(request)}/collections/{layer.Id}/queryables";
        var properties = new JsonObject
        {
            [Cql2.GeometryQueryable] = new JsonObject
            {
                ["title"] = "Geometry",
                ["format"] = "geometry-" + layer.GeometryType.ToLowerInvariant(),
                ["x-ogc-role"] = "primary-geometry",
            },
        };
        foreach (var p in layer.Properties)
        {
            var schema = new JsonObject { ["title"] = p.Name, ["type"] = p.Type };
            if (p.Name == layer.TimeProperty)
            {
                schema["x-ogc-role"] = layer.TimeEndProperty is null ? "primary-instant" : "primary-interval-start";
            }
            if (p.Name == layer.TimeEndProperty)
            {
                schema["x-ogc-role"] = "primary-interval-end";
            }
            if (p.Name == layer.KeyProperty)
            {
                schema["x-ogc-role"] = "id";
            }
            properties[p.Name] = schema;
        }
        var body = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = url,
            ["type"] = "object",
            ["title"] = layer.Title,
            ["description"] = $"Properties of '{layer.Id}' that filter, name=value parameters and sortby can use.",
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
        return Respond(request, () => body, (b, baseUrl) => OgcHtml.Queryables(layer, b, baseUrl), OgcMediaTypes.JsonSchema);
    }

    private static async Task<IResult> Items(
        string collectionId, HttpRequest request, LayerCatalog catalog, IOptions<SpatialRegionOptions> options, CancellationToken ct)
    {
        if (await catalog.FindAsync(collectionId, ct) is not { } layer)
        {
            return UnknownCollection(collectionId);
        }
        var format = OgcNegotiation.Choose(request);
        var query = OgcItemsQuery.Parse(layer, request.Query, options.Value);
        var headers = new Dictionary<string, string>
        {
            ["Content-Crs"] = $"<{ContentCrs(request)}>",
            ["Vary"] = "Accept",
        };
        return format == OgcFormat.Html
            ? new FeatureCollectionResult(layer, query with { WithGeometry = false }, new OgcHtmlItemsFormat(request, layer, query), headers, "html")
            : new FeatureCollectionResult(layer, query, new OgcEnvelope(request, layer, query), OgcMediaTypes.GeoJson, headers, "geojson");
    }

    private static async Task<IResult> Feature(
        string collectionId, string featureId, HttpRequest request, LayerCatalog catalog, FeatureStore store, CancellationToken ct)
    {
        if (await catalog.FindAsync(collectionId, ct) is not { } layer)
        {
            return UnknownCollection(collectionId);
        }
        QueryValues.RejectUnknown(request.Query, ["f", "crs", "properties"]);
        var format = OgcNegotiation.Choose(request);
        var output = OgcItemsQuery.OutputFor(OgcItemsQuery.First(request.Query, "crs") is { } c ? QueryValues.ParseSupportedCrs(c, "crs") : CrsReference.Crs84);
        var properties = OgcItemsQuery.First(request.Query, "properties") is { } p ? QueryValues.ParsePropertyList(layer, p) : null;
        var etag = HttpCaching.ETagFor(layer, format == OgcFormat.Html ? "html" : "geojson");
        if (HttpCaching.IsNotModified(request, etag))
        {
            HttpCaching.WriteNotModified(request.HttpContext.Response, etag);
            return Results.Empty;
        }
        var feature = await store.FindAsync(layer, featureId, output, properties, ct);
        // /items/x.json: the suffix chose the format, unless the id itself ends that way.
        if (feature is null && request.HttpContext.Items[OgcUrlForms.OriginalLastSegmentItem] is string original && original != featureId)
        {
            feature = await store.FindAsync(layer, original, output, properties, ct);
        }
        if (feature is not { } f)
        {
            return OgcException.NotFound($"Collection '{layer.Id}' has no feature '{featureId}'.");
        }
        var headers = new Dictionary<string, string> { ["Content-Crs"] = $"<{ContentCrs(request)}>", ["ETag"] = etag };
        if (OgcFeatureEditing.IsEditable(layer.Id) && format != OgcFormat.Html
            && JsonNode.Parse(f.Properties)?["version"] is JsonValue version)
        {
            // An editable feature's ETag is its own version, the one If-Match names when it is edited (Part 4).
            headers["ETag"] = Measures.MeasuresApi.ETag(version.GetValue<int>());
        }
        var self = $"{Base(request)}/collections/{layer.Id}/items/{Uri.EscapeDataString(f.Id)}";
        if (format == OgcFormat.Html)
        {
            return new OgcDocumentResult(System.Text.Encoding.UTF8.GetBytes(OgcHtml.Feature(layer, f.Id, f.Properties, f.Geometry, Base(request))),
                OgcMediaTypes.HtmlPage, headers);
        }
        var body = new MemoryStream();
        using (var writer = new FeatureCollectionWriter(chunk => body.WriteAsync(chunk)))
        {
            writer.WriteFeature(f.Id, f.Properties, f.Geometry, json =>
            {
                json.WriteStartArray("links"u8);
                WriteLink(json, "self", self, OgcMediaTypes.GeoJson, "This feature");
                WriteLink(json, "alternate", self + "?f=html", OgcMediaTypes.Html, "This feature as HTML");
                WriteLink(json, "collection", $"{Base(request)}/collections/{layer.Id}", OgcMediaTypes.Json, layer.Title);
                json.WriteEndArray();
            });
            await writer.FlushAsync();
        }
        return new OgcDocumentResult(body.ToArray(), OgcMediaTypes.GeoJson, headers);
    }

    /// <summary>One collection's metadata; the same object in /collections and /collections/{id}.</summary>
    private static async Task<JsonNode> DescribeAsync(HttpRequest request, Layer layer, TemporalExtents temporal, CancellationToken ct)
    {
        var b = $"{Base(request)}/collections/{layer.Id}";
        var extent = new JsonObject();
        if (layer.ExtentWgs84 is { } box)
        {
            extent["spatial"] = new JsonObject
            {
                ["bbox"] = new JsonArray(new JsonArray(box.MinX, box.MinY, box.MaxX, box.MaxY)),
                ["crs"] = CrsReference.Crs84Uri,
            };
        }
        if (await temporal.GetAsync(layer, ct) is { } interval)
        {
            extent["temporal"] = new JsonObject
            {
                ["interval"] = new JsonArray(new JsonArray(interval.From, interval.Until)),
                ["trs"] = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            };
        }
        var description = new JsonObject
        {
            ["id"] = layer.Id,
            ["title"] = layer.Title,
            ["description"] = layer.Description,
            ["itemType"] = "feature",
            ["extent"] = extent,
            ["crs"] = new JsonArray(CrsList.Select(c => (JsonNode)c).ToArray()),
            ["storageCrs"] = StorageCrs,
            ["links"] = new JsonArray(
                Link("self", b, OgcMediaTypes.Json, "This collection"),
                Link("alternate", b + "?f=html", OgcMediaTypes.Html, "This collection as HTML"),
                Link("items", b + "/items", OgcMediaTypes.GeoJson, "Features as GeoJSON"),
                Link("items", b + "/items?f=html", OgcMediaTypes.Html, "Features as HTML"),
                Link("http://www.opengis.net/def/rel/ogc/1.0/queryables", b + "/queryables", OgcMediaTypes.JsonSchema, "Queryables"),
                Link(TilesApi.VectorTilesetsRel, b + "/tiles", OgcMediaTypes.Json, "Vector tilesets (Mapbox Vector Tiles)")),
        };
        if (layer.Licence.Length > 0)
        {
            description["license"] = layer.Licence;
        }
        if (layer.Source.Length > 0)
        {
            description["attribution"] = layer.Source;
        }
        return description;
    }

    internal static IResult Respond(HttpRequest request, Func<JsonObject> body, Func<JsonObject, string, string> html, string contentType = OgcMediaTypes.Json)
    {
        // Metadata resources ignore parameters they do not use: clients such as GDAL repeat the query string of
        // the URL they were given (crs=, for example) on every request. Items and features stay strict.
        return OgcNegotiation.Choose(request) == OgcFormat.Html
            ? OgcDocumentResult.Html(html(body(), Base(request)))
            : OgcDocumentResult.Json(body(), contentType);
    }

    /// <summary>
    /// A document that grows with the registry (/api, /collections): built once per state of the registry, base
    /// URL and format, then answered from the response cache (compressed too) and revalidated by the registry's
    /// ETag, so that neither a client polling it nor one revalidating it makes the service build it again.
    /// </summary>
    private static IResult RespondFromRegistry(
        HttpRequest request, IReadOnlyCollection<Layer> layers, ResponseCache cache, Func<CancellationToken, Task<JsonObject>> body,
        Func<JsonObject, string, string> html, string contentType)
    {
        var format = OgcNegotiation.Choose(request);
        var etag = HttpCaching.ETagForCatalogue(layers, format == OgcFormat.Html ? "html" : "json");
        var baseUrl = Base(request);
        ContentCoding.AddVary(request.HttpContext.Response, "Accept");
        return new CachedBodyResult(etag, format == OgcFormat.Html ? OgcMediaTypes.HtmlPage : contentType,
            $"ogc|{etag}|{baseUrl}{request.Path}", cache, async (stream, ct) =>
            {
                var document = await body(ct);
                var bytes = format == OgcFormat.Html
                    ? System.Text.Encoding.UTF8.GetBytes(html(document, baseUrl))
                    : JsonSerializer.SerializeToUtf8Bytes(document, OgcDocumentResult.Readable);
                await stream.WriteAsync(bytes, ct);
            });
    }

    private static string ContentCrs(HttpRequest request) =>
        OgcItemsQuery.First(request.Query, "crs") is { } c && CrsReference.Parse(c) is { } crs ? crs.Uri : CrsReference.Crs84Uri;

    internal static OgcException UnknownCollection(string id) =>
        OgcException.NotFound($"There is no collection '{id}'. GET {Root}/collections lists them.");

    public static string Base(HttpRequest request) => RequestUrls.Base(request) + Root;

    public static JsonObject Link(string rel, string href, string type, string title) =>
        new() { ["rel"] = rel, ["type"] = type, ["title"] = title, ["href"] = href };

    public static void WriteLink(Utf8JsonWriter json, string rel, string href, string type, string title)
    {
        json.WriteStartObject();
        json.WriteString("rel"u8, rel);
        json.WriteString("type"u8, type);
        json.WriteString("title"u8, title);
        json.WriteString("href"u8, href);
        json.WriteEndObject();
    }

    /// <summary>Members of an OGC items response around the features: numberMatched, numberReturned, timeStamp,
    /// and links (self, alternate, next exactly when more features remain, prev, collection), where next and
    /// prev keep every other parameter of the request.</summary>
    private sealed class OgcEnvelope(HttpRequest request, Layer layer, FeatureQuery query) : IFeatureCollectionEnvelope
    {
        public void WriteHead(Utf8JsonWriter json, long numberMatched)
        {
            json.WriteString("type"u8, "FeatureCollection"u8);
            json.WriteNumber("numberMatched"u8, numberMatched);
            json.WriteString("timeStamp"u8, DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }

        public void WriteTail(Utf8JsonWriter json, long numberMatched, int numberReturned)
        {
            json.WriteNumber("numberReturned"u8, numberReturned);
            json.WriteStartArray("links"u8);
            WriteLink(json, "self", RequestUrls.WithQuery(request, new Dictionary<string, string?>(), OgcItemsQuery.Parameters), OgcMediaTypes.GeoJson, "This page");
            WriteLink(json, "alternate", RequestUrls.WithQuery(request, new Dictionary<string, string?> { ["f"] = "html" }, OgcItemsQuery.Parameters), OgcMediaTypes.Html, "This page as HTML");
            if (query.Offset + numberReturned < numberMatched)
            {
                WriteLink(json, "next", RequestUrls.WithQuery(request, new Dictionary<string, string?>
                {
                    ["offset"] = (query.Offset + numberReturned).ToString(CultureInfo.InvariantCulture),
                }, OgcItemsQuery.Parameters), OgcMediaTypes.GeoJson, "Next page");
            }
            if (query.Offset > 0)
            {
                var previous = Math.Max(0, query.Offset - query.Limit);
                WriteLink(json, "prev", RequestUrls.WithQuery(request, new Dictionary<string, string?>
                {
                    ["offset"] = previous.ToString(CultureInfo.InvariantCulture),
                }, OgcItemsQuery.Parameters), OgcMediaTypes.GeoJson, "Previous page");
            }
            WriteLink(json, "collection", $"{Base(request)}/collections/{layer.Id}", OgcMediaTypes.Json, layer.Title);
            json.WriteEndArray();
        }
    }

    /// <summary>The first and last instant of a temporal layer, for its current version only (a layer's data never
    /// changes without a new version), so that a layer refreshed every night keeps one entry, not one per night.</summary>
    public sealed class TemporalExtents(NpgsqlDataSource dataSource)
    {
        private readonly ConcurrentDictionary<string, (long Version, string? From, string? Until)> _extents = new(StringComparer.Ordinal);

        public async Task<(string? From, string? Until)?> GetAsync(Layer layer, CancellationToken ct)
        {
            if (layer.TimeProperty is not { } property)
            {
                return null;
            }
            if (_extents.TryGetValue(layer.Id, out var known) && known.Version == layer.Version)
            {
                return (known.From, known.Until);
            }
            await using var cmd = dataSource.CreateCommand("""
                SELECT to_char(min(t) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char(max(t) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                FROM (SELECT ogc_instant(properties ->> $2) AS t FROM layer_features WHERE layer_id = $1
                      UNION ALL
                      SELECT ogc_instant(properties ->> $3) FROM layer_features WHERE layer_id = $1) s
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = layer.Id });
            cmd.Parameters.Add(new NpgsqlParameter { Value = property });
            cmd.Parameters.Add(new NpgsqlParameter { Value = layer.TimeEndProperty ?? property });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var extent = (layer.Version, From: reader.IsDBNull(0) ? null : reader.GetString(0), Until: reader.IsDBNull(1) ? null : reader.GetString(1));
            _extents[layer.Id] = extent;
            return (extent.From, extent.Until);
        }
    }
}

using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Ogc;

/// <summary>Plain HTML pages a person can browse: what the JSON says, with links between the pages.</summary>
public static class OgcHtml
{
    // Markup characters are escaped; letters such as Å, Ä and Ö stay readable in the page source.
    internal static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    private static string E(string? s) => Html.Encode(s ?? "");

    public static string Page(string title, string baseUrl, string body) => PageStart(title, baseUrl) + body + PageEnd;

    /// <summary>A page up to its body, for pages written in parts.</summary>
    public static string PageStart(string title, string baseUrl) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{E(title)}</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>body{"{"}font-family:system-ui,sans-serif;margin:1.5rem;max-width:80rem{"}"}
        table{"{"}border-collapse:collapse{"}"}td,th{"{"}border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top{"}"}
        nav a{"{"}margin-right:1rem{"}"}code{"{"}background:#f4f4f4{"}"}</style></head>
        <body><nav><a href="{E(baseUrl)}?f=html">Home</a><a href="{E(baseUrl)}/collections?f=html">Collections</a>
        <a href="{E(baseUrl)}/conformance?f=html">Conformance</a><a href="{E(baseUrl)}/api?f=html">API</a></nav>
        <h1>{E(title)}</h1>

        """;

    public const string PageEnd = "\n</body></html>";

    /// <summary>A small map of a collection (its vector tiles) or of the features of a page (their GeoJSON), drawn
    /// by the service's own MapLibre; the table beside it stays the page's content for those who cannot use a map.</summary>
    public static string Map(string baseUrl, Layer layer, string? geoJsonUrl)
    {
        var box = layer.ExtentWgs84 is { } b
            ? string.Create(CultureInfo.InvariantCulture, $" data-bbox=\"[[{b.MinX},{b.MinY}],[{b.MaxX},{b.MaxY}]]\"")
            : "";
        var geoJson = geoJsonUrl is null ? "" : $" data-geojson=\"{E(geoJsonUrl)}\"";
        return $"""
            <link rel="stylesheet" href="/static/vendor/maplibre-gl/maplibre-gl.css"><link rel="stylesheet" href="/static/ogc-map.css">
            <div id="ogc-map" class="ogc-map" role="region" aria-label="{E($"Map of {layer.Title}")}" data-ogc-base="{E(baseUrl)}"
             data-collection="{E(layer.Id)}" data-geometry-type="{E(layer.GeometryType)}"{box}{geoJson}></div>
            <script src="/static/vendor/maplibre-gl/maplibre-gl-csp.js" defer></script><script src="/static/ogc-map.js" defer></script>

            """;
    }

    public static string LandingPage(JsonObject landing, string baseUrl) =>
        Page(landing["title"]!.GetValue<string>(), baseUrl, $"<p>{E(landing["description"]?.GetValue<string>())}</p>" + Links(landing));

    public static string Conformance(JsonObject conformance, string baseUrl) =>
        Page("Conformance classes", baseUrl,
            "<ul>" + string.Concat(conformance["conformsTo"]!.AsArray().Select(c => $"<li><code>{E(c!.GetValue<string>())}</code></li>")) + "</ul>");

    public static string Collections(JsonObject collections, string baseUrl)
    {
        var rows = new StringBuilder();
        foreach (var c in collections["collections"]!.AsArray().Select(c => c!.AsObject()))
        {
            var id = c["id"]!.GetValue<string>();
            rows.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"{E(baseUrl)}/collections/{E(id)}?f=html\">{E(id)}</a></td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{E(c["title"]?.GetValue<string>())}</td><td>{E(c["description"]?.GetValue<string>())}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td><a href=\"{E(baseUrl)}/collections/{E(id)}/items?f=html\">features</a></td></tr>");
        }
        return Page("Collections", baseUrl, $"<table><tr><th>Id</th><th>Title</th><th>Description</th><th></th></tr>{rows}</table>");
    }

    public static string Collection(Layer layer, JsonObject c, string baseUrl)
    {
        var extent = c["extent"]?["spatial"]?["bbox"]?[0]?.ToJsonString();
        var temporal = c["extent"]?["temporal"]?["interval"]?[0]?.ToJsonString();
        var body = $"""
            <p>{E(c["description"]?.GetValue<string>())}</p>
            <table>
            <tr><th>Id</th><td>{E(c["id"]!.GetValue<string>())}</td></tr>
            <tr><th>Extent (lon/lat)</th><td>{E(extent)}</td></tr>
            {(temporal is null ? "" : $"<tr><th>Time</th><td>{E(temporal)}</td></tr>")}
            <tr><th>Storage CRS</th><td>{E(c["storageCrs"]?.GetValue<string>())}</td></tr>
            <tr><th>CRS</th><td>{string.Join("<br>", c["crs"]!.AsArray().Select(x => E(x!.GetValue<string>())))}</td></tr>
            <tr><th>Licence</th><td>{E(c["license"]?.GetValue<string>())}</td></tr>
            <tr><th>Source</th><td>{E(c["attribution"]?.GetValue<string>())}</td></tr>
            </table>
            """;
        return Page(c["title"]!.GetValue<string>(), baseUrl, Map(baseUrl, layer, null) + body + Links(c));
    }

    private static string QueryablesTable(JsonObject schema)
    {
        var rows = string.Concat(schema["properties"]!.AsObject().Select(p =>
            $"<tr><td>{E(p.Key)}</td><td>{E(p.Value?["type"]?.GetValue<string>() ?? p.Value?["format"]?.GetValue<string>())}</td></tr>"));
        return $"<table><tr><th>Queryable</th><th>Type</th></tr>{rows}</table>";
    }

    public static string Queryables(Layer layer, JsonObject schema, string baseUrl) =>
        Page($"Queryables of {layer.Title}", baseUrl, QueryablesTable(schema));

    public static string Feature(Layer layer, string id, string propertiesJson, string? geometryJson, string baseUrl)
    {
        using var properties = JsonDocument.Parse(propertiesJson);
        var rows = string.Concat(properties.RootElement.EnumerateObject().Select(p => $"<tr><th>{E(p.Name)}</th><td>{E(Cell(p.Value))}</td></tr>"));
        var geometryType = geometryJson is null ? "none" : JsonNode.Parse(geometryJson)?["type"]?.GetValue<string>();
        var body = $"""
            <p><a href="{E(baseUrl)}/collections/{E(layer.Id)}/items?f=html">All features of {E(layer.Title)}</a>;
            <a href="{E(baseUrl)}/collections/{E(layer.Id)}/items/{E(Uri.EscapeDataString(id))}?f=json">this feature as GeoJSON</a></p>
            {Map(baseUrl, layer, $"{baseUrl}/collections/{layer.Id}/items/{Uri.EscapeDataString(id)}?f=json")}
            <table>{rows}<tr><th>Geometry</th><td>{E(geometryType)}</td></tr></table>
            """;
        return Page($"{layer.Title}: {id}", baseUrl, body);
    }

    public static string ApiDocument(JsonObject document)
    {
        var baseUrl = document["servers"]![0]!["url"]!.GetValue<string>();
        var sb = new StringBuilder("<p>Machine-readable: <a href=\"").Append(E(baseUrl)).Append("/api?f=json\">OpenAPI 3.0 (JSON)</a></p>");
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (path.StartsWith("/collections/", StringComparison.Ordinal) && !path.Contains('{', StringComparison.Ordinal))
            {
                continue;
            }
            var get = item!["get"]!;
            sb.Append(CultureInfo.InvariantCulture, $"<h2><code>GET {E(path)}</code></h2><p>{E(get["summary"]?.GetValue<string>())}</p><ul>");
            foreach (var p in get["parameters"]!.AsArray())
            {
                var name = p!["$ref"]?.GetValue<string>()?.Split('/')[^1];
                var parameter = name is null ? p : document["components"]!["parameters"]![name];
                sb.Append(CultureInfo.InvariantCulture, $"<li><code>{E(parameter?["name"]?.GetValue<string>())}</code>: {E(parameter?["description"]?.GetValue<string>())}</li>");
            }
            sb.Append("</ul>");
        }
        return Page("OGC API - Features: API", baseUrl, sb.ToString());
    }

    /// <summary>A metadata document without a page of its own (tile matrix sets, tilesets, TileJSON): its title,
    /// description and links, and the JSON itself.</summary>
    public static string Document(JsonObject document, string baseUrl)
    {
        var title = document["title"]?.GetValue<string>() ?? document["name"]?.GetValue<string>() ?? document["id"]?.GetValue<string>() ?? "Document";
        var json = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = OgcDocumentResult.Readable.Encoder });
        return Page(title, baseUrl, $"<p>{E(document["description"]?.GetValue<string>())}</p>"
            + (document["links"] is JsonArray ? Links(document) : "") + $"<h2>JSON</h2><pre>{E(json)}</pre>");
    }

    private static string Links(JsonObject o) =>
        "<h2>Links</h2><ul>" + string.Concat(o["links"]!.AsArray().Select(l =>
            $"<li><a href=\"{E(l!["href"]!.GetValue<string>())}\">{E(l["title"]?.GetValue<string>() ?? l["rel"]!.GetValue<string>())}</a> ({E(l["rel"]!.GetValue<string>())}, {E(l["type"]?.GetValue<string>())})</li>")) + "</ul>";

    public static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Null => "",
        _ => value.GetRawText(),
    };
}

/// <summary>A page of features as an HTML table, from the same query as the GeoJSON without its geometry (the
/// table does not show it). Written through the shared feature collection result, which gives it its ETag,
/// compression and cache; rows go out in chunks as they arrive.</summary>
public sealed class OgcHtmlItemsFormat(HttpRequest request, Layer layer, FeatureQuery query) : IFeatureCollectionFormat
{
    private const int ChunkChars = FeatureCollectionWriter.ChunkBytes / 2;

    private static string E(string? s) => OgcHtml.Html.Encode(s ?? "");

    public string ContentType => OgcMediaTypes.HtmlPage;

    public async Task WriteAsync(FeaturePage page, Func<ReadOnlyMemory<byte>, ValueTask> sink, CancellationToken ct)
    {
        var matched = page.NumberMatched;
        // The count and the page come from one batch, so the rows that follow are exactly these.
        var returned = (int)Math.Clamp(matched - query.Offset, 0, query.Limit);
        var html = new StringBuilder(OgcHtml.PageStart($"{layer.Title}: features", OgcApi.Base(request)));
        html.Append(CultureInfo.InvariantCulture, $"<p>Features {(returned == 0 ? 0 : query.Offset + 1)}–{query.Offset + returned} of {matched}. ");
        if (query.Offset > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<a rel=\"prev\" href=\"{E(PageUrl(Math.Max(0, query.Offset - query.Limit)))}\">Previous</a> ");
        }
        if (query.Offset + returned < matched)
        {
            html.Append(CultureInfo.InvariantCulture, $"<a rel=\"next\" href=\"{E(PageUrl(query.Offset + returned))}\">Next</a> ");
        }
        var geoJson = RequestUrls.WithQuery(request, new Dictionary<string, string?> { ["f"] = "json" }, OgcItemsQuery.Parameters);
        html.Append(CultureInfo.InvariantCulture, $"<a href=\"{E(geoJson)}\">GeoJSON</a></p>");
        html.Append(OgcHtml.Map(OgcApi.Base(request), layer, geoJson));

        var names = query.Properties ?? layer.Properties.Select(p => p.Name).ToList();
        html.Append("<table><tr><th>id</th>");
        foreach (var n in names)
        {
            html.Append("<th>").Append(E(n)).Append("</th>");
        }
        html.Append("</tr>");
        var itemsUrl = E($"{OgcApi.Base(request)}/collections/{Uri.EscapeDataString(layer.Id)}/items");
        while (await page.Reader.ReadAsync(ct))
        {
            var id = page.Reader.GetString(0);
            using var properties = JsonDocument.Parse(page.Reader.GetString(1));
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"{itemsUrl}/{E(Uri.EscapeDataString(id))}?f=html\">{E(id)}</a></td>");
            foreach (var n in names)
            {
                html.Append("<td>").Append(properties.RootElement.TryGetProperty(n, out var v) ? E(OgcHtml.Cell(v)) : "").Append("</td>");
            }
            html.Append("</tr>");
            if (html.Length >= ChunkChars)
            {
                await FlushAsync(html, sink);
            }
        }
        html.Append("</table>").Append(OgcHtml.PageEnd);
        await FlushAsync(html, sink);
    }

    private string PageUrl(int offset) => RequestUrls.WithQuery(request, new Dictionary<string, string?>
    {
        ["offset"] = offset.ToString(CultureInfo.InvariantCulture),
        ["f"] = "html",
    }, OgcItemsQuery.Parameters);

    private static async ValueTask FlushAsync(StringBuilder html, Func<ReadOnlyMemory<byte>, ValueTask> sink)
    {
        await sink(Encoding.UTF8.GetBytes(html.ToString()));
        html.Clear();
    }
}

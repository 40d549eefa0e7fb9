using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Ogc;

public enum OgcFormat
{
    Json,
    Html,
}

public static class OgcMediaTypes
{
    public const string GeoJson = "application/geo+json";
    public const string Json = "application/json";
    public const string Html = "text/html";
    public const string HtmlPage = "text/html; charset=utf-8";
    public const string OpenApi = "application/vnd.oai.openapi+json;version=3.0";
    public const string JsonSchema = "application/schema+json";
}

/// <summary>The OGC API exception body (OGC 17-069r4, exception.yaml): {code, description}, with the HTTP status.</summary>
public sealed class OgcException(int status, string code, string description) : IResult
{
    public static OgcException NotFound(string description) => new(404, "NotFound", description);

    public Task ExecuteAsync(HttpContext context)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["code"] = code, ["description"] = description },
            OgcDocumentResult.Readable);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = OgcMediaTypes.Json;
        response.ContentLength = body.Length;
        response.Headers.CacheControl = "no-store";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}

/// <summary>
/// A small, fully built response (metadata JSON, HTML pages, the API document). Its ETag is a hash of the bytes,
/// so a client revalidating an unchanged page gets 304 whatever changed elsewhere; HEAD gets the headers only.
/// </summary>
public sealed class OgcDocumentResult(byte[] body, string contentType, IReadOnlyDictionary<string, string>? headers = null) : IResult
{
    public static OgcDocumentResult Json(JsonNode node, string contentType = OgcMediaTypes.Json, IReadOnlyDictionary<string, string>? headers = null) =>
        new(JsonSerializer.SerializeToUtf8Bytes(node, Readable), contentType, headers);

    // JSON for JSON clients: names such as Östersund and characters like ' and + stay as they are.
    internal static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static OgcDocumentResult Html(string html) => new(Encoding.UTF8.GetBytes(html), OgcMediaTypes.HtmlPage);

    public Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        var etag = headers is not null && headers.TryGetValue("ETag", out var given)
            ? given
            : $"W/\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12))}\"";
        response.Headers.ETag = etag;
        response.Headers.CacheControl = HttpCaching.CacheControl;
        ContentCoding.AddVary(response, "Accept");
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }
        }
        if (HttpCaching.IsNotModified(context.Request, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}

/// <summary>Answers OPTIONS: the methods a resource allows. Every collection is read-only here.</summary>
public sealed class OgcOptionsResult(string allow = OgcOptionsResult.ReadOnly) : IResult
{
    public const string ReadOnly = "GET, HEAD, OPTIONS";

    public Task ExecuteAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        context.Response.Headers.Allow = allow;
        return Task.CompletedTask;
    }
}

public static class OgcNegotiation
{
    /// <summary>Set by <see cref="OgcUrlForms"/> when the path ended in .json, .geojson or .html.</summary>
    public const string SuffixFormatItem = "ogc.suffix-format";

    /// <summary>The representation asked for: f= first, then a path suffix, then the Accept header (a browser's
    /// text/html beats its */*; a client that names JSON, or nothing, gets JSON).</summary>
    public static OgcFormat Choose(HttpRequest request)
    {
        if (request.Query["f"] is { Count: > 0 } f)
        {
            return f[0]?.ToLowerInvariant() switch
            {
                "json" or "geojson" or "application/json" or "application/geo+json" => OgcFormat.Json,
                "html" or "text/html" => OgcFormat.Html,
                _ => throw new InvalidQueryException("f", $"Unsupported f '{f[0]}'. Use json or html."),
            };
        }
        if (request.HttpContext.Items[SuffixFormatItem] is OgcFormat suffix)
        {
            return suffix;
        }
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return OgcFormat.Json;
        }
        double Best(params string[] types) => accept
            .Where(a => types.Any(t => a.MediaType.Equals(t, StringComparison.OrdinalIgnoreCase)) || a.MatchesAllTypes
                || (a.MatchesAllSubTypes && types.Any(t => t.StartsWith(a.Type.Value + "/", StringComparison.OrdinalIgnoreCase))))
            .Select(a => (a.MatchesAllTypes || a.MatchesAllSubTypes ? 0.999 : 1.0) * (a.Quality ?? 1))
            .DefaultIfEmpty(0).Max();
        var html = Best("text/html", "application/xhtml+xml");
        var json = Best("application/json", "application/geo+json", "application/vnd.oai.openapi+json", "application/schema+json");
        return html > json ? OgcFormat.Html : OgcFormat.Json;
    }
}

/// <summary>URL forms that clients use for the same resource: a trailing slash, and .json/.geojson/.html suffixes
/// (QGIS retries with a slash; QGIS Server and pg_featureserv accept suffixes). Collection ids have no dots,
/// so a suffix is never part of one; a feature id that really ends in one is still found (see the items handler).</summary>
public static class OgcUrlForms
{
    public const string OriginalLastSegmentItem = "ogc.original-last-segment";

    private static readonly (string Suffix, OgcFormat Format)[] Suffixes = [(".geojson", OgcFormat.Json), (".json", OgcFormat.Json), (".html", OgcFormat.Html)];

    public static IApplicationBuilder UseOgcUrlForms(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var path = context.Request.Path.Value;
        if (path is null || !(path.Equals(OgcApi.Root, StringComparison.Ordinal) || path.StartsWith(OgcApi.Root + "/", StringComparison.Ordinal)))
        {
            return next(context);
        }
        var trimmed = path.Length > OgcApi.Root.Length ? path.TrimEnd('/') : path;
        var lastSlash = trimmed.LastIndexOf('/');
        var last = trimmed[(lastSlash + 1)..];
        foreach (var (suffix, format) in Suffixes)
        {
            if (last.Length > suffix.Length && last.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                context.Items[OgcNegotiation.SuffixFormatItem] = format;
                context.Items[OriginalLastSegmentItem] = Uri.UnescapeDataString(last);
                trimmed = trimmed[..^suffix.Length];
                break;
            }
        }
        context.Request.Path = trimmed;
        return next(context);
    });
}

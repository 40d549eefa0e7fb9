using System.Text.Json;
using Microsoft.Net.Http.Headers;
using SpatialRegion.Api.Http;

namespace SpatialRegion.Api.Layers;

/// <summary>What a front-end puts around the features array: members before it, and members after it that
/// depend on how many features were written (numberReturned, next links).</summary>
public interface IFeatureCollectionEnvelope
{
    void WriteHead(Utf8JsonWriter json, long numberMatched);

    void WriteTail(Utf8JsonWriter json, long numberMatched, int numberReturned);
}

/// <summary>How an open page of features becomes a response body (GeoJSON, GML). The format writes through
/// <c>sink</c> in chunks and never holds more than one chunk and one row.</summary>
public interface IFeatureCollectionFormat
{
    string ContentType { get; }

    Task WriteAsync(FeaturePage page, Func<ReadOnlyMemory<byte>, ValueTask> sink, CancellationToken ct);
}

/// <summary>A GeoJSON FeatureCollection with the front-end's own top-level members. <paramref name="featureId"/>
/// turns a stored fid into the id clients see (WFS prefixes the type name).</summary>
public sealed class GeoJsonFeatureCollectionFormat(
    IFeatureCollectionEnvelope envelope, string contentType, Func<string, string>? featureId = null) : IFeatureCollectionFormat
{
    public string ContentType => contentType;

    public async Task WriteAsync(FeaturePage page, Func<ReadOnlyMemory<byte>, ValueTask> sink, CancellationToken ct)
    {
        using var writer = new FeatureCollectionWriter(sink, featureId);
        var json = writer.Json;
        json.WriteStartObject();
        envelope.WriteHead(json, page.NumberMatched);
        json.WritePropertyName("features"u8);
        json.WriteStartArray();
        var returned = await writer.WriteFeaturesAsync(page.Reader, ct);
        json.WriteEndArray();
        envelope.WriteTail(json, page.NumberMatched, returned);
        json.WriteEndObject();
        await writer.FlushAsync();
    }
}

/// <summary>
/// Streams a FeatureCollection from PostGIS to the client row by row, gzip- or Brotli-compressed when the client
/// accepts it. The bytes sent (up to a size limit) are kept under a key of the layer version, the full request
/// URL, the content type and the content coding, so the next identical request is answered from memory, in the
/// same coding, until the layer changes; a client that asked for no coding never gets a compressed body. A
/// response whose content the URL does not determine (a POST body) is built with <c>cacheable: false</c>: it is
/// neither kept nor given a validator.
/// </summary>
public sealed partial class FeatureCollectionResult(
    Layer layer,
    FeatureQuery query,
    IFeatureCollectionFormat format,
    IReadOnlyDictionary<string, string>? headers = null,
    string? etagVariant = null,
    bool cacheable = true) : IResult
{
    public FeatureCollectionResult(
        Layer layer,
        FeatureQuery query,
        IFeatureCollectionEnvelope envelope,
        string contentType,
        IReadOnlyDictionary<string, string>? headers = null,
        string? etagVariant = null)
        : this(layer, query, new GeoJsonFeatureCollectionFormat(envelope, contentType), headers, etagVariant)
    {
    }

    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        var contentType = format.ContentType;
        var etag = cacheable ? HttpCaching.ETagFor(layer, etagVariant) : null;
        if (etag is not null && HttpCaching.IsNotModified(context.Request, etag))
        {
            HttpCaching.WriteNotModified(response, etag);
            return;
        }

        var services = context.RequestServices;
        var cache = services.GetRequiredService<ResponseCache>();
        var coding = ContentCoding.Choose(context.Request);
        var key = $"{layer.Id}|{layer.Version}|{contentType}|{coding}|{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}";
        if (cacheable && cache.TryGetBody(key, out var cached))
        {
            WriteHeaders(response, etag, coding);
            response.ContentLength = cached.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await response.Body.WriteAsync(cached, context.RequestAborted);
            }
            return;
        }

        var ct = context.RequestAborted;
        await using var page = await services.GetRequiredService<FeatureStore>().OpenPageAsync(layer, query, ct);

        WriteHeaders(response, etag, coding);
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var copy = new CopyingStream(response.Body, cacheable ? cache.MaxEntryBytes : 0);
        var target = coding is null ? copy : ContentCoding.Compress(copy, coding);
        try
        {
            await format.WriteAsync(page, chunk => target.WriteAsync(chunk, ct), ct);
            if (target != copy)
            {
                // Ends the compressed stream (its last block) without closing the response.
                await target.DisposeAsync();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The status line has gone out; the only honest signal left is a broken connection.
            LogStreamFailed(services.GetRequiredService<ILogger<FeatureCollectionResult>>(), e, layer.Id);
            context.Abort();
            return;
        }

        if (cacheable && copy.Copy is { } bytes)
        {
            cache.SetBody(key, bytes);
        }
    }

    private void WriteHeaders(HttpResponse response, string? etag, string? coding)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = format.ContentType;
        if (etag is not null)
        {
            response.Headers.ETag = etag;
            response.Headers.CacheControl = HttpCaching.CacheControl;
        }
        else
        {
            response.Headers.CacheControl = "no-store";
        }
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }
        }
        ContentCoding.AddVary(response, "Accept-Encoding");
        if (coding is not null)
        {
            response.Headers.ContentEncoding = coding;
        }
    }

    [LoggerMessage(LogLevel.Error, "Streaming features of layer {LayerId} failed after the response had started")]
    private static partial void LogStreamFailed(ILogger logger, Exception e, string layerId);
}

public static class HttpCaching
{
    // Clients may keep responses but must revalidate: an import can change a layer at any moment, and the
    // revalidation (If-None-Match against the layer version) costs no database work.
    public const string CacheControl = "public, no-cache";

    /// <summary>The layer version names every representation of the layer's data; a variant tells apart
    /// representations that share a URL through content negotiation (GeoJSON and HTML).</summary>
    public static string ETagFor(Layer layer, string? variant = null) =>
        $"W/\"{layer.Id}-{LayerCatalog.FormatVersion(layer.Version)}{(variant is null ? "" : "-" + variant)}\"";

    /// <summary>Names a representation built from the whole registry (an API definition, a capabilities document)
    /// by its highest layer version and its number of layers. Versions come from one sequence and are never
    /// reused, so a layer at a version, once replaced or deleted, never returns: two moments with the same highest
    /// version and the same count hold exactly the same layers at the same versions.</summary>
    public static string ETagForCatalogue(IReadOnlyCollection<Layer> layers, string variant) =>
        $"W/\"catalogue-{LayerCatalog.FormatVersion(layers.Count == 0 ? 0 : layers.Max(l => l.Version))}-{layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)}-{variant}\"";

    public static bool IsNotModified(HttpRequest request, string etag)
    {
        var inm = request.GetTypedHeaders().IfNoneMatch;
        var current = EntityTagHeaderValue.Parse(etag);
        return inm.Count > 0 && inm.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: false));
    }

    public static void WriteNotModified(HttpResponse response, string etag)
    {
        response.StatusCode = StatusCodes.Status304NotModified;
        response.Headers.ETag = etag;
        response.Headers.CacheControl = CacheControl;
    }
}

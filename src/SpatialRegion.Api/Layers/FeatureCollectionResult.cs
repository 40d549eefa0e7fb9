using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace SpatialRegion.Api.Layers;

/// <summary>What a front-end puts around the features array: members before it, and members after it that
/// depend on how many features were written (numberReturned, next links).</summary>
public interface IFeatureCollectionEnvelope
{
    void WriteHead(Utf8JsonWriter json, long numberMatched);

    void WriteTail(Utf8JsonWriter json, long numberMatched, int numberReturned);
}

/// <summary>
/// Streams a FeatureCollection from PostGIS to the client row by row. The rendered bytes are kept (up to a
/// size limit) under a key that contains the layer version and the full request URL, so the next identical
/// request is answered from memory until the layer is re-imported.
/// </summary>
public sealed partial class FeatureCollectionResult(
    Layer layer,
    FeatureQuery query,
    IFeatureCollectionEnvelope envelope,
    string contentType,
    IReadOnlyDictionary<string, string>? headers = null) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        var etag = HttpCaching.ETagFor(layer);
        if (HttpCaching.IsNotModified(context.Request, etag))
        {
            HttpCaching.WriteNotModified(response, etag);
            return;
        }

        var services = context.RequestServices;
        var cache = services.GetRequiredService<ResponseCache>();
        var key = $"{layer.Id}|{layer.Version}|{contentType}|{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}";
        if (cache.TryGetBody(key, out var cached))
        {
            WriteHeaders(response, etag);
            response.ContentLength = cached.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await response.Body.WriteAsync(cached, context.RequestAborted);
            }
            return;
        }

        var ct = context.RequestAborted;
        await using var page = await services.GetRequiredService<FeatureStore>().OpenPageAsync(layer, query, ct);

        WriteHeaders(response, etag);
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var copy = new MemoryStream();
        var keepCopy = true;
        var body = response.Body;
        using var writer = new FeatureCollectionWriter(async chunk =>
        {
            await body.WriteAsync(chunk, ct);
            if (keepCopy && copy.Length + chunk.Length <= cache.MaxEntryBytes)
            {
                copy.Write(chunk.Span);
            }
            else
            {
                keepCopy = false;
                copy.SetLength(0);
            }
        });

        try
        {
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
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The status line has gone out; the only honest signal left is a broken connection.
            LogStreamFailed(services.GetRequiredService<ILogger<FeatureCollectionResult>>(), e, layer.Id);
            context.Abort();
            return;
        }

        if (keepCopy)
        {
            cache.SetBody(key, copy.ToArray());
        }
    }

    private void WriteHeaders(HttpResponse response, string etag)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.Headers.ETag = etag;
        response.Headers.CacheControl = HttpCaching.CacheControl;
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }
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

    public static string ETagFor(Layer layer) => $"W/\"{layer.Id}-{LayerCatalog.FormatVersion(layer.Version)}\"";

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

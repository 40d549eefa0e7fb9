using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Http;

/// <summary>
/// A response whose body is a pure function of a versioned resource and the URL (indicator values, maps): answers
/// 304 to a matching If-None-Match, serves the rendered (and compressed) bytes from <see cref="ResponseCache"/>
/// when it has them, and otherwise streams the body from the writer, compressing it itself as feature collections
/// do, while keeping a copy for the next caller.
/// </summary>
public sealed partial class CachedBodyResult(
    string etag, string contentType, string cacheKey, ResponseCache cache, Func<Stream, CancellationToken, Task> write,
    string? contentDisposition = null) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        if (HttpCaching.IsNotModified(context.Request, etag))
        {
            HttpCaching.WriteNotModified(response, etag);
            return;
        }
        var coding = ContentCoding.Choose(context.Request);
        var key = KeyFor(cacheKey, coding);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.Headers.ETag = etag;
        response.Headers.CacheControl = HttpCaching.CacheControl;
        ContentCoding.AddVary(response, "Accept-Encoding");
        if (coding is not null)
        {
            response.Headers.ContentEncoding = coding;
        }
        if (contentDisposition is not null)
        {
            response.Headers.ContentDisposition = contentDisposition;
        }
        if (cache.TryGetBody(key, out var cached))
        {
            response.ContentLength = cached.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await response.Body.WriteAsync(cached, context.RequestAborted);
            }
            return;
        }
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var copy = new CopyingStream(response.Body, cache.MaxEntryBytes);
        var target = coding is null ? copy : ContentCoding.Compress(copy, coding);
        try
        {
            await write(target, context.RequestAborted);
            if (target != copy)
            {
                // Ends the compressed stream (its last block) without closing the response.
                await target.DisposeAsync();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && response.HasStarted)
        {
            // The status line has gone out; the only honest signal left is a broken connection.
            LogStreamFailed(context.RequestServices.GetRequiredService<ILogger<CachedBodyResult>>(), e, context.Request.Path);
            context.Abort();
            return;
        }
        if (copy.Copy is { } body)
        {
            cache.SetBody(key, body);
        }
    }

    /// <summary>Whether the response to this request is in the cache (plain or in the coding the client takes).</summary>
    public static bool IsCached(ResponseCache cache, string cacheKey, HttpRequest request) =>
        cache.TryGetBody(KeyFor(cacheKey, ContentCoding.Choose(request)), out _);

    private static string KeyFor(string cacheKey, string? coding) => $"{cacheKey}|{coding}";

    [LoggerMessage(LogLevel.Error, "Writing {Path} failed after the response had started")]
    private static partial void LogStreamFailed(ILogger logger, Exception e, string path);
}

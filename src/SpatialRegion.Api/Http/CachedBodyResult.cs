using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Http;

/// <summary>
/// A response whose body is a pure function of a versioned resource and the URL: answers 304 to a matching
/// If-None-Match, serves the rendered bytes from <see cref="ResponseCache"/> when it has them, and otherwise
/// streams the body from the writer while keeping a copy (up to the cache's entry limit) for the next caller.
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
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.Headers.ETag = etag;
        response.Headers.CacheControl = HttpCaching.CacheControl;
        if (contentDisposition is not null)
        {
            response.Headers.ContentDisposition = contentDisposition;
        }
        if (cache.TryGetBody(cacheKey, out var cached))
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
        try
        {
            await write(copy, context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException && response.HasStarted)
        {
            // The status line has gone out; the only honest signal left is a broken connection.
            LogStreamFailed(context.RequestServices.GetRequiredService<ILogger<CachedBodyResult>>(), e, context.Request.Path);
            context.Abort();
            return;
        }
        if (copy.Complete is { } body)
        {
            cache.SetBody(cacheKey, body);
        }
    }

    [LoggerMessage(LogLevel.Error, "Writing {Path} failed after the response had started")]
    private static partial void LogStreamFailed(ILogger logger, Exception e, string path);

    /// <summary>Passes writes through and keeps a copy until it grows past the limit.</summary>
    private sealed class CopyingStream(Stream inner, long limit) : Stream
    {
        private MemoryStream? _copy = new();

        public byte[]? Complete => _copy?.ToArray();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Keep(buffer.Span);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException("Synchronous writes to the response are not allowed.");

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        private void Keep(ReadOnlySpan<byte> span)
        {
            if (_copy is null)
            {
                return;
            }
            if (_copy.Length + span.Length > limit)
            {
                _copy = null;
                return;
            }
            _copy.Write(span);
        }
    }
}

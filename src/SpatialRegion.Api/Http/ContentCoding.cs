using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Net.Http.Headers;

namespace SpatialRegion.Api.Http;

/// <summary>
/// gzip and Brotli for every response. Feature collections compress themselves (<see cref="Choose"/>,
/// <see cref="Compress"/>) so that the compressed bytes can be cached beside the plain ones, keyed by coding;
/// everything else goes through ASP.NET Core's response compression, which leaves a response alone once it
/// carries a Content-Encoding.
/// </summary>
public static class ContentCoding
{
    public const string Brotli = "br";
    public const string Gzip = "gzip";

    private static readonly string[] CompressedTypes =
    [
        "application/geo+json", "application/json", "application/problem+json", "application/schema+json",
        "application/vnd.oai.openapi+json", "text/html", "application/xml", "text/xml", "application/gml+xml",
    ];

    public static IServiceCollection AddContentCoding(this IServiceCollection services)
    {
        services.AddResponseCompression(o =>
        {
            // Responses carry public data and no secrets, so compressing over TLS exposes nothing (BREACH needs both).
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(CompressedTypes);
        });
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return services;
    }

    /// <summary>The coding to use for a request: Brotli, then gzip, or null for none, honouring q=0.</summary>
    public static string? Choose(HttpRequest request)
    {
        var accepted = request.GetTypedHeaders().AcceptEncoding;
        if (accepted.Count == 0)
        {
            return null;
        }
        double Quality(string coding)
        {
            var exact = accepted.FirstOrDefault(a => a.Value.Equals(coding, StringComparison.OrdinalIgnoreCase));
            var any = accepted.FirstOrDefault(a => a.Value.Equals("*", StringComparison.Ordinal));
            var entry = exact ?? any;
            return entry is null ? 0 : entry.Quality ?? 1;
        }
        var br = Quality(Brotli);
        var gzip = Quality(Gzip);
        return br > 0 && br >= gzip ? Brotli : gzip > 0 ? Gzip : null;
    }

    public static Stream Compress(Stream inner, string coding) => coding == Brotli
        ? new BrotliStream(inner, CompressionLevel.Fastest, leaveOpen: true)
        : new GZipStream(inner, CompressionLevel.Fastest, leaveOpen: true);

    public static void AddVary(HttpResponse response, string header)
    {
        var existing = response.Headers.Vary.ToString();
        if (!existing.Contains(header, StringComparison.OrdinalIgnoreCase))
        {
            response.Headers.Vary = existing.Length == 0 ? header : existing + ", " + header;
        }
    }
}

/// <summary>Passes writes on to the response and keeps a copy for the cache until the copy would exceed its limit.</summary>
public sealed class CopyingStream(Stream inner, long limit) : Stream
{
    private MemoryStream? _copy = new();

    /// <summary>The bytes written, or null when there were more than the limit.</summary>
    public byte[]? Copy => _copy?.ToArray();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Keep(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Responses are written asynchronously.");

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (_copy is null)
        {
            return;
        }
        if (_copy.Length + bytes.Length > limit)
        {
            _copy = null;
            return;
        }
        _copy.Write(bytes);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

using Npgsql;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Tiles;

/// <summary>
/// One vector tile. Its ETag is the layer version (a tile changes only when its layer does), so a revalidation
/// costs nothing; the tile bytes, compressed in the coding the client takes, are kept in the response cache under
/// the layer version, the tile and the filter, so a tile asked for twice is built once. A tile with no feature is
/// a 204 No Content, which MapLibre and QGIS take as an empty tile, and the emptiness is cached too.
/// </summary>
public sealed class VectorTileResult(
    Layer layer, TileAddress tile, FeatureFilter filter, IReadOnlyList<string>? properties, NpgsqlDataSource dataSource, ResponseCache cache) : IResult
{
    public const string MediaType = "application/vnd.mapbox-vector-tile";

    public static string ETagFor(Layer layer) => HttpCaching.ETagFor(layer, "mvt");

    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        var etag = ETagFor(layer);
        if (HttpCaching.IsNotModified(context.Request, etag))
        {
            HttpCaching.WriteNotModified(response, etag);
            return;
        }
        var coding = ContentCoding.Choose(context.Request);
        var key = $"tile|{layer.Id}|{LayerCatalog.FormatVersion(layer.Version)}|{tile}|{filter.Key}|{(properties is null ? "*" : string.Join(',', properties))}|{coding}";
        if (!cache.TryGetBody(key, out var body))
        {
            body = await RenderAsync(coding, context.RequestAborted);
            cache.SetBody(key, body);
        }
        response.Headers.ETag = etag;
        response.Headers.CacheControl = HttpCaching.CacheControl;
        ContentCoding.AddVary(response, "Accept-Encoding");
        if (body.Length == 0)
        {
            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType;
        if (coding is not null)
        {
            response.Headers.ContentEncoding = coding;
        }
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    private async Task<byte[]> RenderAsync(string? coding, CancellationToken ct)
    {
        await using var cmd = VectorTileSql.Build(dataSource, layer, tile, filter, properties);
        var tileBytes = await cmd.ExecuteScalarAsync(ct) as byte[] ?? [];
        if (tileBytes.Length == 0 || coding is null)
        {
            return tileBytes;
        }
        using var compressed = new MemoryStream();
        await using (var stream = ContentCoding.Compress(compressed, coding))
        {
            await stream.WriteAsync(tileBytes, ct);
        }
        return compressed.ToArray();
    }
}

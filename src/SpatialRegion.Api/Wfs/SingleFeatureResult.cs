using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Wfs;

/// <summary>
/// The answer to the GetFeatureById stored query: the feature on its own, not in a collection (ISO 19142,
/// 7.9.3.6), in GML with its namespaces on the feature element, or as one GeoJSON Feature; 404 when there is
/// no such feature. One feature is small enough to render in memory before the status is sent.
/// </summary>
public sealed class SingleFeatureResult(GetFeatureRequest request) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var layer = request.Query.Layer;
        var etag = HttpCaching.ETagFor(layer, request.Format == WfsOutputFormat.GeoJson ? "json" : "gml");
        if (!request.FromPost && HttpCaching.IsNotModified(context.Request, etag))
        {
            HttpCaching.WriteNotModified(context.Response, etag);
            return;
        }
        var store = context.RequestServices.GetRequiredService<FeatureStore>();
        var body = new MemoryStream();
        ValueTask Sink(ReadOnlyMemory<byte> chunk)
        {
            body.Write(chunk.Span);
            return ValueTask.CompletedTask;
        }

        await using (var page = await store.OpenPageAsync(layer, request.ToFeatureQuery(limit: 1) with { Offset = 0 }, ct))
        {
            if (!await page.Reader.ReadAsync(ct))
            {
                var id = request.LinkParameters.FirstOrDefault(p => p.Key.Equals("ID", StringComparison.OrdinalIgnoreCase)).Value;
                await WfsApi.Exception(WfsException.NotFound("ID", $"There is no feature '{id}'.")).ExecuteAsync(context);
                return;
            }
            if (request.Format == WfsOutputFormat.GeoJson)
            {
                using var writer = new FeatureCollectionWriter(Sink, fid => WfsNames.ResourceId(layer, fid));
                writer.WriteFeature(page.Reader.GetString(0), page.Reader.GetString(1), page.Reader.IsDBNull(2) ? null : page.Reader.GetString(2));
                await writer.FlushAsync();
            }
            else
            {
                var writer = new GmlWriter(Sink);
                writer.Raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"u8);
                var row = new GmlFeatureRow(layer, LayerSql.SelectedProperties(layer, request.Query.Properties), request.Query.Srs);
                await row.WriteAsync(writer, page.Reader, ct,
                    $" xmlns:{WfsNames.Prefix}=\"{WfsNames.Features}\" xmlns:gml=\"{WfsNames.Gml}\"");
                await writer.FlushAsync();
            }
        }

        var response = context.Response;
        response.ContentType = request.Format == WfsOutputFormat.GeoJson ? WfsFormats.Json : WfsFormats.Gml;
        if (!request.FromPost)
        {
            response.Headers.ETag = etag;
        }
        response.Headers.CacheControl = request.FromPost ? "no-store" : HttpCaching.CacheControl;
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length), ct);
        }
    }
}

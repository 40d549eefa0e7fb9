using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Extensions;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Wfs;

/// <summary>Paging links of a GetFeature or GetPropertyValue response: the request again with another STARTINDEX.</summary>
public sealed class WfsLinks(string endpoint, GetFeatureRequest request)
{
    /// <summary>The page at <paramref name="startIndex"/>; RESULTTYPE is dropped, so a link from a hits
    /// response leads to the features themselves (ISO 19142, 7.7.4.2).</summary>
    public string Page(int startIndex)
    {
        var query = new QueryBuilder();
        foreach (var (key, value) in request.LinkParameters)
        {
            if (!key.Equals("STARTINDEX", StringComparison.OrdinalIgnoreCase) && !key.Equals("RESULTTYPE", StringComparison.OrdinalIgnoreCase))
            {
                query.Add(key, value);
            }
        }
        query.Add("STARTINDEX", startIndex.ToString(CultureInfo.InvariantCulture));
        return endpoint + query.ToQueryString();
    }

    /// <summary>numberReturned is known before the first row: the count is taken with the page (or cached for
    /// this layer version), and a page holds min(COUNT, what remains).</summary>
    public static int Returned(GetFeatureRequest request, long matched) =>
        request.Hits ? 0 : (int)Math.Clamp(matched - request.StartIndex, 0, request.Count);

    public string? Next(long matched, int returned) =>
        request.Hits
            ? request.StartIndex < matched ? Page(request.StartIndex) : null
            : request.StartIndex + returned < matched ? Page(request.StartIndex + returned) : null;

    public string? Previous() =>
        !request.Hits && request.StartIndex > 0 ? Page(Math.Max(0, request.StartIndex - request.Count)) : null;
}

/// <summary>
/// wfs:FeatureCollection (GetFeature) or wfs:ValueCollection (GetPropertyValue) in GML 3.2, streamed row by row.
/// </summary>
public sealed class GmlCollectionFormat(GetFeatureRequest request, WfsLinks links, string describeFeatureTypeUrl) : IFeatureCollectionFormat
{
    public string ContentType => WfsFormats.Gml;

    public async Task WriteAsync(FeaturePage page, Func<ReadOnlyMemory<byte>, ValueTask> sink, CancellationToken ct)
    {
        var layer = request.Query.Layer;
        var row = new GmlFeatureRow(layer, LayerSql.SelectedProperties(layer, request.Query.Properties), request.Query.Srs);
        var writer = new GmlWriter(sink);
        var matched = page.NumberMatched;
        var returned = WfsLinks.Returned(request, matched);
        var root = request.Value is null ? "wfs:FeatureCollection" : "wfs:ValueCollection";

        writer.Raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<"u8);
        writer.Raw(root);
        writer.Raw(" xmlns:wfs=\"" + WfsNames.Wfs + "\" xmlns:gml=\"" + WfsNames.Gml + "\" xmlns:xsi=\"" + WfsNames.Xsi
            + "\" xmlns:" + WfsNames.Prefix + "=\"" + WfsNames.Features + "\" timeStamp=\"");
        writer.Raw(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        writer.Raw("\" numberMatched=\""u8);
        writer.Number(matched);
        writer.Raw("\" numberReturned=\""u8);
        writer.Number(returned);
        writer.Raw("\""u8);
        if (links.Next(matched, returned) is { } next)
        {
            writer.Raw(" next=\""u8);
            writer.Text(next);
            writer.Raw("\""u8);
        }
        if (links.Previous() is { } previous)
        {
            writer.Raw(" previous=\""u8);
            writer.Text(previous);
            writer.Raw("\""u8);
        }
        writer.Raw(" xsi:schemaLocation=\""u8);
        writer.Text($"{WfsNames.Features} {describeFeatureTypeUrl} {WfsNames.Wfs} http://schemas.opengis.net/wfs/2.0/wfs.xsd {WfsNames.Gml} http://schemas.opengis.net/gml/3.2.1/gml.xsd");
        writer.Raw("\">"u8);

        var reader = page.Reader;
        while (await reader.ReadAsync(ct))
        {
            writer.Raw("\n<wfs:member>"u8);
            if (request.Value is { } value)
            {
                await WriteValueAsync(writer, row, reader, value, ct);
            }
            else
            {
                await row.WriteAsync(writer, reader, ct);
            }
            writer.Raw("</wfs:member>"u8);
            if (writer.ChunkFull)
            {
                await writer.FlushAsync();
            }
        }
        writer.Raw("\n</"u8);
        writer.Raw(root);
        writer.Raw(">\n"u8);
        await writer.FlushAsync();
    }

    private static async ValueTask WriteValueAsync(GmlWriter writer, GmlFeatureRow row, Npgsql.NpgsqlDataReader reader, ValueTarget target, CancellationToken ct)
    {
        var id = row.GmlId(await reader.GetFieldValueAsync<string>(0, ct));
        switch (target)
        {
            case ValueTarget.GmlId:
                writer.Raw(id);
                break;
            case ValueTarget.Geometry:
                await row.WriteGeometryAsync(writer, reader, id, ct);
                break;
            default:
                writer.Text(await reader.GetFieldValueAsync<string>(1, ct));
                break;
        }
    }
}

/// <summary>The members of a WFS GeoJSON FeatureCollection besides its features: the CRS (GeoJSON coordinates are
/// always x/y here), numberMatched, numberReturned, timeStamp and next/previous links.</summary>
public sealed class WfsGeoJsonEnvelope(GetFeatureRequest request, WfsLinks links) : IFeatureCollectionEnvelope
{
    public void WriteHead(Utf8JsonWriter json, long numberMatched)
    {
        json.WriteString("type"u8, "FeatureCollection"u8);
        json.WriteStartObject("crs"u8);
        json.WriteString("type"u8, "name"u8);
        json.WriteStartObject("properties"u8);
        json.WriteString("name"u8, request.Query.Srs.Crs.Urn);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteString("timeStamp"u8, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        json.WriteNumber("numberMatched"u8, numberMatched);
    }

    public void WriteTail(Utf8JsonWriter json, long numberMatched, int numberReturned)
    {
        json.WriteNumber("numberReturned"u8, numberReturned);
        json.WriteStartArray("links"u8);
        if (links.Next(numberMatched, numberReturned) is { } next)
        {
            WriteLink(json, "next", next);
        }
        if (links.Previous() is { } previous)
        {
            WriteLink(json, "previous", previous);
        }
        json.WriteEndArray();
    }

    private static void WriteLink(Utf8JsonWriter json, string rel, string href)
    {
        json.WriteStartObject();
        json.WriteString("rel"u8, rel);
        json.WriteString("type"u8, WfsFormats.Json);
        json.WriteString("href"u8, href);
        json.WriteEndObject();
    }
}

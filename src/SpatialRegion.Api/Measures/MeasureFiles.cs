using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Converters;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Measures;

/// <summary>
/// Bulk files of measures in the flat form of the <c>measures</c> layer: CSV (a header of property names and an
/// optional wkt column in EPSG:3006) or a GeoJSON FeatureCollection (WGS 84, or the CRS its crs member names).
/// </summary>
public static class MeasureFiles
{
    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new GeoJsonConverterFactory() } };

    public static async Task<IReadOnlyList<MeasureInput>> ReadAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        var isCsv = request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true;
        if (!isCsv)
        {
            var body = await MeasuresApi.ReadObjectAsync(request, maxBytes, ct);
            return FromGeoJson(body);
        }
        if (request.ContentLength > maxBytes)
        {
            throw new MeasureWriteException(StatusCodes.Status413PayloadTooLarge, $"A bulk file may be at most {maxBytes / 1024 / 1024} MB.");
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > maxBytes)
        {
            throw new MeasureWriteException(StatusCodes.Status413PayloadTooLarge, $"A bulk file may be at most {maxBytes / 1024 / 1024} MB.");
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidQueryException("body", "The CSV is not valid UTF-8.");
        }
        return FromCsv(text);
    }

    public static IReadOnlyList<MeasureInput> FromCsv(string text)
    {
        var records = new List<MeasureInput>();
        string[]? header = null;
        foreach (var (line, fields) in Csv.Read(new StringReader(text)))
        {
            if (header is null)
            {
                header = fields;
                continue;
            }
            if (fields.Length != header.Length)
            {
                throw new InvalidQueryException($"line {line}", $"Line {line} has {fields.Length} fields where the header has {header.Length}.");
            }
            string? geometry = null;
            var properties = new List<KeyValuePair<string, JsonNode?>>();
            for (var i = 0; i < header.Length; i++)
            {
                if (header[i] == "wkt")
                {
                    geometry = fields[i].Length == 0 ? null : WktToGeoJson(fields[i], line);
                }
                else
                {
                    properties.Add(new(header[i], fields[i].Length == 0 ? null : JsonValue.Create(fields[i])));
                }
            }
            records.Add(Row(() => MeasureFeatureReader.Apply(null, properties, geometry, 3006), $"line {line}"));
        }
        return records;
    }

    private static IReadOnlyList<MeasureInput> FromGeoJson(JsonObject body)
    {
        if (body["type"]?.ToString() != "FeatureCollection" || body["features"] is not JsonArray features)
        {
            throw new InvalidQueryException("body", "Send a GeoJSON FeatureCollection (or text/csv).");
        }
        var srid = body["crs"]?["properties"]?["name"] is JsonValue name ? MeasureDocumentReader.ParseCrs(name.ToString()) : 4326;
        return features.Select((f, i) => Row(() =>
        {
            if (f is not JsonObject feature || feature["properties"] is not JsonObject properties)
            {
                throw new InvalidQueryException("properties", "A feature needs a properties object.");
            }
            return MeasureFeatureReader.Apply(null, properties.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value?.DeepClone())),
                feature["geometry"] is JsonObject g ? g.ToJsonString() : null, srid);
        }, $"features[{i}]")).ToList();
    }

    private static MeasureInput Row(Func<MeasureInput> read, string where)
    {
        try
        {
            return read();
        }
        catch (InvalidQueryException e)
        {
            throw new InvalidQueryException($"{where}.{e.Parameter}", $"{where}: {e.Message}");
        }
    }

    private static string WktToGeoJson(string wkt, int line)
    {
        try
        {
            var geometry = new WKTReader().Read(wkt);
            return JsonSerializer.Serialize(geometry, GeoJson);
        }
        catch (ParseException e)
        {
            throw new InvalidQueryException($"line {line}.wkt", $"Line {line}: the wkt cannot be read: {e.Message}");
        }
    }
}

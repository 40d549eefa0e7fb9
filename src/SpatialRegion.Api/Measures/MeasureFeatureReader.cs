using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Measures;

/// <summary>
/// A measure as a flat feature: the properties of the <c>measures</c> layer and one geometry, the way QGIS (WFS-T,
/// OGC API Part 4) and bulk CSV or GeoJSON files send it. The flat values are laid over the stored document (or an
/// empty one for a new measure) and read by <see cref="MeasureDocumentReader"/>, so every way in meets the same checks.
/// </summary>
public static class MeasureFeatureReader
{
    /// <summary>Written by the server; a client that sends them back (QGIS sends every attribute) is not refused.</summary>
    private static readonly string[] ServerProperties = ["version", "geometry_basis", "updated_at"];

    private static readonly string[] TextProperties =
    [
        "title", "description", "status", "measure_type", "funder", "fund", "programme", "programming_period", "priority_axis",
        "thematic_objective", "beneficiary", "start_date", "end_date", "scope",
    ];

    private static readonly Dictionary<string, string> AmountProperties = new(StringComparer.Ordinal)
    {
        ["granted_sek"] = "granted",
        ["paid_sek"] = "paid",
        ["total_eligible_sek"] = "total_eligible",
        ["eu_share_sek"] = "eu_share",
        ["co_financing_sek"] = "co_financing",
    };

    /// <param name="current">The stored document when a measure is changed; null for a new one.</param>
    /// <param name="properties">The flat properties sent; a property absent keeps its value, one sent as null clears it.</param>
    /// <param name="geometryJson">A GeoJSON geometry that becomes the measure's own (drawn) geometry, replacing any it had.</param>
    public static MeasureInput Apply(JsonObject? current, IEnumerable<KeyValuePair<string, JsonNode?>> properties, string? geometryJson, int geometrySrid)
    {
        var doc = current?.DeepClone().AsObject() ?? [];
        var sent = properties.ToList();
        foreach (var (name, value) in sent)
        {
            if (TextProperties.Contains(name))
            {
                doc[name] = Text(value, name) is { } text ? JsonValue.Create(text) : null;
            }
            else if (name == "themes")
            {
                doc["themes"] = new JsonArray((Text(value, name) ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(t => (JsonNode)JsonValue.Create(t)).ToArray());
            }
            else if (AmountProperties.TryGetValue(name, out var kind))
            {
                var amounts = doc["amounts"] as JsonObject ?? [];
                doc["amounts"] = amounts;
                var before = amounts[kind] as JsonObject;
                amounts[kind] = Number(value, name) is { } sek
                    ? new JsonObject
                    {
                        ["sek"] = sek,
                        ["source"] = Text(sent.FirstOrDefault(p => p.Key == "amount_source").Value, "amount_source") ?? before?["source"]?.GetValue<string>() ?? "Entered by an editor",
                        ["year"] = (int?)Number(sent.FirstOrDefault(p => p.Key == "amount_year").Value, "amount_year") ?? before?["year"]?.GetValue<int>(),
                    }
                    : null;
            }
            else if (name == "municipalities")
            {
                var links = doc["links"] as JsonArray ?? [];
                var kept = links.Where(l => l?["area_code"] is null).Select(l => l!.DeepClone()).ToList();
                var codes = (Text(value, name) ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                doc["links"] = new JsonArray([
                    .. codes.Select(c => (JsonNode)new JsonObject { ["kind"] = "impact_area", ["basis"] = "stated", ["area_code"] = c }),
                    .. kept,
                ]);
            }
            else if (name is "source_url" or "licence")
            {
                var source = doc["source"] as JsonObject ?? [];
                doc["source"] = source;
                source[name == "source_url" ? "url" : "licence"] = Text(value, name) is { } text ? JsonValue.Create(text) : null;
            }
            else if (name == "id")
            {
                var id = Text(value, name);
                if (current is null)
                {
                    doc["id"] = id;
                }
                else if (id is not null && id != current["id"]!.GetValue<string>())
                {
                    throw new InvalidQueryException("id", $"The id of measure '{current["id"]}' cannot change (to '{id}').");
                }
            }
            else if (!ServerProperties.Contains(name) && name is not ("amount_source" or "amount_year"))
            {
                throw new InvalidQueryException(name, $"Measures have no property '{name}'. Properties: {string.Join(", ", MeasureLayers.MeasureProperties.Select(p => p.Name))}.");
            }
        }
        if (geometryJson is not null)
        {
            var links = doc["links"] as JsonArray ?? [];
            var kind = JsonNode.Parse(geometryJson)?["type"]?.GetValue<string>() switch
            {
                "Point" or "MultiPoint" => "site",
                "LineString" or "MultiLineString" => "route",
                _ => "site",
            };
            doc["links"] = new JsonArray([
                .. links.Where(l => l?["area_code"] is not null).Select(l => l!.DeepClone()),
                new JsonObject { ["kind"] = kind, ["basis"] = "drawn", ["geometry"] = JsonNode.Parse(geometryJson) },
            ]);
            doc["crs"] = "EPSG:" + geometrySrid.ToString(CultureInfo.InvariantCulture);
        }
        return MeasureDocumentReader.Read(doc);
    }

    private static string? Text(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => MeasureDocumentReader.CleanText(v.GetValue<string>(), field),
        JsonValue v => v.ToJsonString(),
        _ => throw new InvalidQueryException(field, $"{field} must be a single value."),
    };

    private static decimal? Number(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<decimal>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Trim() is var s =>
            s.Length == 0 ? null
            : decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new InvalidQueryException(field, $"{field} must be a number; got '{s}'."),
        _ => throw new InvalidQueryException(field, $"{field} must be a number."),
    };
}

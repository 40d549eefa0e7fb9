using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>Members every analysis request shares: the output CRS and where to save the result.</summary>
public static class AnalysisRequests
{
    public static int ReadOutputSrid(RequestJson request) =>
        request.String("output_crs") is { } crs ? QueryValues.ParseSupportedCrs(crs, "output_crs").Srid : 4326;

    /// <summary><c>"save_as": "layer-id"</c> or <c>{"id", "title", "description", "replace"}</c>.</summary>
    public static SaveAs? ReadSaveAs(RequestJson request)
    {
        if (request.Element("save_as") is not { } element)
        {
            return null;
        }
        SaveAs saveAs;
        if (element.ValueKind == JsonValueKind.String)
        {
            saveAs = new SaveAs(element.GetString()!, null, null, false);
        }
        else
        {
            var spec = RequestJson.Of(element, "save_as");
            saveAs = new SaveAs(spec.RequiredString("id"), spec.String("title"), spec.String("description"), spec.Boolean("replace") ?? false);
            spec.RejectUnknown();
        }
        return LayerIds.IsValid(saveAs.Id)
            ? saveAs
            : throw new InvalidQueryException("save_as", $"'{saveAs.Id}' is not a valid layer id: use 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit.");
    }

    public static string? MeasureName(GeometryFamily family) => family switch
    {
        GeometryFamily.Polygon => "area_m2",
        GeometryFamily.Line => "length_m",
        _ => null,
    };

    /// <summary>Result attributes must have distinct names: a prefix or a name that makes two alike is the
    /// caller's to change. <paramref name="member"/> says which member of the request to change for a name.</summary>
    public static void RequireDistinct(IEnumerable<LayerProperty> properties, Func<string, string> member, string hint)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in properties)
        {
            if (!seen.Add(p.Name))
            {
                throw new InvalidQueryException(member(p.Name), $"The result would have two attributes named '{p.Name}'; {hint}.");
            }
        }
    }

    public static JsonArray? ToJson(IReadOnlyList<string>? names) =>
        names is null ? null : new JsonArray(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
}

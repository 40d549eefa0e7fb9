using System.Globalization;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Crs;

namespace SpatialRegion.Api.Layers;

/// <summary>Parsing of the parameter values the feature front-ends share. Numbers are always read with the
/// invariant culture: a bbox is "14.5,63.1,…" whatever the server's locale.</summary>
public static class QueryValues
{
    public static int ParseLimit(string? text, int defaultValue, int max, bool clampToMax, string parameter = "limit")
    {
        if (text is null)
        {
            return defaultValue;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1)
        {
            throw new InvalidQueryException(parameter, $"{parameter} must be a whole number from 1 to {max}; got '{text}'.");
        }
        if (limit > max)
        {
            return clampToMax
                ? max
                : throw new InvalidQueryException(parameter, $"{parameter} must be a whole number from 1 to {max}; got '{text}'.");
        }
        return limit;
    }

    public static int ParseOffset(string? text, string parameter = "offset")
    {
        if (text is null)
        {
            return 0;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? offset
            : throw new InvalidQueryException(parameter, $"{parameter} must be a whole number of 0 or more; got '{text}'.");
    }

    /// <summary>Four numbers (or six, of which the heights are ignored), as written; no axis swapping here.</summary>
    public static double[] ParseBboxNumbers(string text, string parameter = "bbox")
    {
        var parts = text.Split(',');
        if (parts.Length is not (4 or 6))
        {
            throw new InvalidQueryException(parameter, $"{parameter} must be four comma-separated numbers (minx,miny,maxx,maxy); got '{text}'.");
        }
        var numbers = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]) || !double.IsFinite(numbers[i]))
            {
                throw new InvalidQueryException(parameter, $"{parameter} value '{parts[i]}' is not a number.");
            }
        }
        return parts.Length == 6 ? [numbers[0], numbers[1], numbers[3], numbers[4]] : numbers;
    }

    /// <summary>Checks a box already in x/y (easting/northing or lon/lat) order.</summary>
    public static BboxFilter ValidateBox(double minX, double minY, double maxX, double maxY, int srid, string parameter = "bbox")
    {
        if (minX > maxX || minY > maxY)
        {
            throw new InvalidQueryException(parameter, $"{parameter} must have its lower corner first: minimum x ≤ maximum x and minimum y ≤ maximum y.");
        }
        if (srid == 4326 && (minX < -180 || maxX > 180 || minY < -90 || maxY > 90))
        {
            throw new InvalidQueryException(parameter, $"{parameter} in longitude/latitude must lie within -180..180 and -90..90.");
        }
        return new BboxFilter(minX, minY, maxX, maxY, srid);
    }

    public static CrsReference ParseSupportedCrs(string text, string parameter)
    {
        var crs = CrsReference.Parse(text);
        return crs is not null && OutputCrs.IsSupported(crs.Srid)
            ? crs
            : throw new InvalidQueryException(parameter, $"Unsupported {parameter} '{text}'. Supported: {OutputCrs.SupportedList}.");
    }

    /// <summary>Refuses a query parameter the endpoint does not read, naming those it does.</summary>
    public static void RejectUnknown(IQueryCollection q, IReadOnlyCollection<string> allowed)
    {
        foreach (var name in q.Keys)
        {
            if (!allowed.Contains(name))
            {
                throw new InvalidQueryException(name, $"Unknown query parameter '{name}'. Allowed here: {string.Join(", ", allowed)}.");
            }
        }
    }

    public static IReadOnlyList<string> ParsePropertyList(Layer layer, string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in names)
        {
            if (layer.FindProperty(name) is null)
            {
                throw new InvalidQueryException("properties",
                    $"Layer '{layer.Id}' has no property '{name}'. Its properties: {string.Join(", ", layer.Properties.Select(p => p.Name))}.");
            }
        }
        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every parameter that is not one of the front-end's own is name=value on a property of the layer;
    /// anything else is an unknown parameter.</summary>
    public static List<PropertyEquals> ParsePropertyEqualities(Layer layer, IQueryCollection q, IReadOnlyCollection<string> reserved)
    {
        var equals = new List<PropertyEquals>();
        foreach (var (name, values) in q)
        {
            if (reserved.Contains(name))
            {
                continue;
            }
            var property = layer.FindProperty(name) ?? throw new InvalidQueryException(name,
                $"Unknown query parameter '{name}'. Use {string.Join(", ", reserved)}, or one of the layer's properties: "
                + string.Join(", ", layer.Properties.Select(p => p.Name)) + ".");
            equals.Add(ParsePropertyEquals(property, values));
        }
        return equals;
    }

    /// <summary>name=value on one of the layer's own attributes; repeated values mean "any of".</summary>
    public static PropertyEquals ParsePropertyEquals(LayerProperty property, IEnumerable<string?> values) =>
        new(property.Name, values.Select(v => TypedValue(property, v ?? "")).ToList());

    public static JsonNode TypedValue(LayerProperty property, string text) => property.Type switch
    {
        LayerProperty.Integer when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) => JsonValue.Create(i),
        LayerProperty.Number when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => JsonValue.Create(d),
        LayerProperty.Boolean when bool.TryParse(text, out var b) => JsonValue.Create(b),
        LayerProperty.String => JsonValue.Create(text),
        _ => throw new InvalidQueryException(property.Name, $"'{text}' is not a valid {property.Type} for property '{property.Name}'."),
    };
}

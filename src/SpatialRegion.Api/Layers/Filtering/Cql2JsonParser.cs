using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace SpatialRegion.Api.Layers.Filtering;

/// <summary>
/// Reads CQL2 JSON (OGC 21-065, cql2-json) into a <see cref="FilterExpression"/>: {"op", "args"} for the
/// logical, comparison, LIKE/BETWEEN/IN/isNull, casei and s_* operators; {"property"}, {"date"}, {"timestamp"},
/// {"bbox"} and GeoJSON geometries as operands. Errors name the JSON path of the offending member.
/// </summary>
public sealed class Cql2JsonParser
{
    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new GeoJsonConverterFactory() } };

    private readonly Cql2Settings _settings;

    private Cql2JsonParser(Cql2Settings settings) => _settings = settings;

    public static FilterExpression Parse(string json, Cql2Settings? settings = null)
    {
        JsonNode? root;
        try
        {
            // A key given twice would leave it to chance which one counts.
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new InvalidQueryException("filter", string.Create(CultureInfo.InvariantCulture,
                $"CQL2 JSON syntax error at line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}: the filter is not valid JSON, or names a key twice."));
        }
        return Parse(root, settings);
    }

    public static FilterExpression Parse(JsonNode? root, Cql2Settings? settings = null) =>
        new Cql2JsonParser(settings ?? Cql2Settings.Default).Boolean(root, "$");

    private FilterExpression Boolean(JsonNode? node, string path)
    {
        if (node is JsonValue v && v.TryGetValue<bool>(out var constant))
        {
            return new BooleanConstant(constant);
        }
        if (node is not JsonObject o || o["op"] is not JsonValue opValue || !opValue.TryGetValue<string>(out var op))
        {
            throw Error(path, "expected a predicate: an object with \"op\" and \"args\", or true/false");
        }
        var args = o["args"] as JsonArray ?? throw Error(path + ".args", $"\"{op}\" needs an \"args\" array");
        var argsPath = path + ".args";
        switch (op.ToLowerInvariant())
        {
            case "and" or "or":
                if (args.Count < 2)
                {
                    throw Error(argsPath, $"\"{op}\" needs at least two arguments");
                }
                var operands = args.Select((a, i) => Boolean(a, Item(argsPath, i))).ToList();
                return op.Equals("and", StringComparison.OrdinalIgnoreCase) ? new AndExpression(operands) : new OrExpression(operands);
            case "not":
                Count(args, 1, argsPath, op);
                return new NotExpression(Boolean(args[0], Item(argsPath, 0)));
            case "like":
                Count(args, 2, argsPath, op);
                var pattern = Scalar(args[1], Item(argsPath, 1));
                if (!Cql2.IsTextPattern(pattern))
                {
                    throw Error(Item(argsPath, 1), "a LIKE pattern is a string, optionally inside casei");
                }
                return new LikeExpression(Scalar(args[0], Item(argsPath, 0)), pattern);
            case "between":
                Count(args, 3, argsPath, op);
                return new BetweenExpression(Scalar(args[0], Item(argsPath, 0)), Scalar(args[1], Item(argsPath, 1)), Scalar(args[2], Item(argsPath, 2)));
            case "in":
                Count(args, 2, argsPath, op);
                var list = args[1] as JsonArray ?? throw Error(Item(argsPath, 1), "\"in\" takes a value and an array of values");
                return new InExpression(Scalar(args[0], Item(argsPath, 0)),
                    list.Select((item, i) => Scalar(item, Item(Item(argsPath, 1), i))).ToList());
            case "isnull":
                Count(args, 1, argsPath, op);
                if (args[0] is JsonObject p && IsGeometryProperty(p))
                {
                    return new BooleanConstant(false);
                }
                return new IsNullExpression(Scalar(args[0], Item(argsPath, 0)));
        }
        if (Cql2.Comparisons.TryGetValue(op, out var comparison))
        {
            Count(args, 2, argsPath, op);
            return new Comparison(comparison, Scalar(args[0], Item(argsPath, 0)), Scalar(args[1], Item(argsPath, 1)));
        }
        if (Cql2.SpatialFunctions.TryGetValue(op, out var spatial))
        {
            Count(args, 2, argsPath, op);
            return new SpatialPredicate(spatial, Geometry(args[0], Item(argsPath, 0)), Geometry(args[1], Item(argsPath, 1)));
        }
        throw Error(path + ".op", $"unknown or unsupported operator \"{op}\"");
    }

    private ScalarExpression Scalar(JsonNode? node, string path)
    {
        switch (node)
        {
            case null:
                throw Error(path, "null is not a value; use isNull");
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => new Literal(value.GetValue<string>()),
                    JsonValueKind.True => new Literal(true),
                    JsonValueKind.False => new Literal(false),
                    JsonValueKind.Number => new Literal(Number(value, path)),
                    _ => throw Error(path, "unexpected value"),
                };
            case JsonObject o when o.TryGetPropertyValue("property", out var name):
                var property = name is JsonValue nv && nv.TryGetValue<string>(out var s) && s.Length > 0
                    ? s
                    : throw Error(path + ".property", "a property name is a non-empty string");
                return property == _settings.GeometryName
                    ? throw Error(path, $"'{property}' is a geometry; use it with the spatial operators s_intersects, s_within, ...")
                    : new PropertyReference(property);
            case JsonObject o when o.TryGetPropertyValue("date", out var date):
                return date is JsonValue dv && dv.TryGetValue<string>(out var d) && Cql2.TryParseDate(d, out var day)
                    ? new Literal(day)
                    : throw Error(path + ".date", "a date is a string 'YYYY-MM-DD'");
            case JsonObject o when o.TryGetPropertyValue("timestamp", out var timestamp):
                return timestamp is JsonValue tv && tv.TryGetValue<string>(out var t) && Cql2.TryParseTimestamp(t, out var instant)
                    ? new Literal(instant)
                    : throw Error(path + ".timestamp", "a timestamp is an RFC 3339 string such as '2024-01-31T12:00:00Z'");
            case JsonObject o when o["op"] is JsonValue op && op.TryGetValue<string>(out var name2) && name2.Equals("casei", StringComparison.OrdinalIgnoreCase):
                var args = o["args"] as JsonArray;
                if (args is not { Count: 1 })
                {
                    throw Error(path + ".args", "casei takes one argument");
                }
                return new CaseInsensitive(Scalar(args[0], Item(path + ".args", 0)));
            case JsonObject o when o["op"] is JsonValue op2 && op2.TryGetValue<string>(out var other):
                throw Error(path + ".op", $"\"{other}\" is not supported as a value (no functions or arithmetic are offered)");
            default:
                throw Error(path, "expected a string, number, boolean, {\"property\"}, {\"date\"}, {\"timestamp\"} or casei");
        }
    }

    private object Number(JsonValue value, string path)
    {
        var text = value.ToJsonString();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            return whole;
        }
        if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var exact))
        {
            return exact;
        }
        return value.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : throw Error(path, $"'{text}' is not a usable number");
    }

    private bool IsGeometryProperty(JsonObject o) =>
        o["property"] is JsonValue v && v.TryGetValue<string>(out var name) && name == _settings.GeometryName;

    private GeometryOperand Geometry(JsonNode? node, string path)
    {
        if (node is not JsonObject o)
        {
            throw Error(path, "expected a geometry: {\"property\": \"geometry\"}, a GeoJSON geometry or {\"bbox\": [...]}");
        }
        if (o.ContainsKey("property"))
        {
            return IsGeometryProperty(o)
                ? new LayerGeometry()
                : throw Error(path + ".property", $"not a geometry; the layer's geometry is queryable as '{_settings.GeometryName}'");
        }
        if (o["bbox"] is JsonArray bbox)
        {
            var numbers = bbox.Select((n, i) => n is JsonValue nv && nv.TryGetValue<double>(out var d) && double.IsFinite(d)
                ? d
                : throw Error(Item(path + ".bbox", i), "not a number")).ToList();
            return _settings.Box(numbers, message => Error(path + ".bbox", message));
        }
        if (o.ContainsKey("type") && o.ContainsKey(o["type"]?.ToString() == "GeometryCollection" ? "geometries" : "coordinates"))
        {
            Geometry? geometry;
            try
            {
                geometry = o.Deserialize<Geometry>(GeoJson);
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
            {
                throw Error(path, $"not a valid GeoJSON geometry: {e.Message}");
            }
            return geometry is null ? throw Error(path, "not a valid GeoJSON geometry") : _settings.Literal(geometry);
        }
        throw Error(path, "expected a geometry: {\"property\": \"geometry\"}, a GeoJSON geometry or {\"bbox\": [...]}");
    }

    private static void Count(JsonArray args, int expected, string path, string op)
    {
        if (args.Count != expected)
        {
            throw Error(path, string.Create(CultureInfo.InvariantCulture, $"\"{op}\" takes {expected} argument{(expected == 1 ? "" : "s")}, got {args.Count}"));
        }
    }

    private static string Item(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");

    private static InvalidQueryException Error(string path, string message) =>
        new("filter", $"CQL2 JSON error at {path}: {message}.");
}

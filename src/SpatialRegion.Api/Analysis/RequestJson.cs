using System.Text.Json;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Reads the members of one JSON object of a request body. Every problem names the member by its path
/// (<c>a.filter.LAN_KOD</c>), and members nobody asked for are refused, so that a misspelt option
/// (<c>save-as</c>) is an error instead of being silently ignored.
/// </summary>
public sealed class RequestJson
{
    private readonly JsonElement _object;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private RequestJson(JsonElement element, string path)
    {
        _object = element;
        Path = path;
    }

    public string Path { get; }

    public static RequestJson Of(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.Object
            ? new RequestJson(element, path)
            : throw new InvalidQueryException(path.Length == 0 ? "body" : path, $"{Describe(path)} must be a JSON object.");

    public string Member(string name) => Path.Length == 0 ? name : Path + "." + name;

    public bool Has(string name) => _object.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public JsonElement? Element(string name)
    {
        _read.Add(name);
        return _object.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    public RequestJson? Object(string name) => Element(name) is { } e ? Of(e, Member(name)) : null;

    public RequestJson RequiredObject(string name) => Object(name) ?? throw Missing(name, "an object");

    public string? String(string name)
    {
        if (Element(name) is not { } e)
        {
            return null;
        }
        return e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } s
            ? s
            : throw new InvalidQueryException(Member(name), $"{Member(name)} must be a non-empty string.");
    }

    public string RequiredString(string name) => String(name) ?? throw Missing(name, "a string");

    public bool? Boolean(string name) => Element(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw new InvalidQueryException(Member(name), $"{Member(name)} must be true or false."),
    };

    public double? Number(string name) => Element(name) is { } e ? NumberValue(e, Member(name)) : null;

    /// <summary>A list of names, also accepted as one name on its own.</summary>
    public IReadOnlyList<string>? Strings(string name)
    {
        if (Element(name) is not { } e)
        {
            return null;
        }
        if (e.ValueKind == JsonValueKind.String)
        {
            return [e.GetString()!];
        }
        if (e.ValueKind != JsonValueKind.Array || e.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.String))
        {
            throw new InvalidQueryException(Member(name), $"{Member(name)} must be a string or an array of strings.");
        }
        return e.EnumerateArray().Select(i => i.GetString()!).ToList();
    }

    public IEnumerable<(RequestJson Item, int Index)> Objects(string name)
    {
        if (Element(name) is not { } e)
        {
            return [];
        }
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidQueryException(Member(name), $"{Member(name)} must be an array of objects.");
        }
        return e.EnumerateArray().Select((item, i) => (Of(item, $"{Member(name)}[{i}]"), i)).ToList();
    }

    public IEnumerable<JsonProperty> AllMembers() => _object.EnumerateObject();

    /// <summary>Refuses members that were never read; call it after reading all the known ones.</summary>
    public void RejectUnknown()
    {
        foreach (var member in _object.EnumerateObject())
        {
            if (!_read.Contains(member.Name))
            {
                throw new InvalidQueryException(Member(member.Name),
                    $"Unknown member '{member.Name}' in {(Path.Length == 0 ? "the request body" : Path)}. Known here: {string.Join(", ", _read.Order(StringComparer.Ordinal))}.");
            }
        }
    }

    public static double NumberValue(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && double.IsFinite(d)
            ? d
            : throw new InvalidQueryException(path, $"{path} must be a finite number.");

    /// <summary>A JSON scalar as the text a query parameter would carry (numbers exactly as written).</summary>
    public static string ScalarText(JsonElement e, string path) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw new InvalidQueryException(path, $"{path} must be a string, a number or a boolean."),
    };

    private InvalidQueryException Missing(string name, string what) =>
        new(Member(name), $"{Describe(Path)} needs '{name}' ({what}).");

    private static string Describe(string path) => path.Length == 0 ? "The request body" : path;
}

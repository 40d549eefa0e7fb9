using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Networks;

public sealed record SpeedClass(double Kmh, string Meaning);

/// <summary>
/// Travel speed per road class, from data/speed-tables.json. Costs are computed with it when a network is
/// imported, and every network and result names the table it used.
/// </summary>
public sealed record SpeedTable(string Name, string Title, string Description, double UnknownKmh, IReadOnlyDictionary<string, SpeedClass> Classes)
{
    public const string Default = "car-terrangkartan-osm";

    public static IReadOnlyDictionary<string, SpeedTable> All { get; } = Load();

    /// <summary>km/h of a class; classes the table does not name travel at its unknown_kmh. Zero: not routable.</summary>
    public double SpeedOf(string roadClass) => Classes.TryGetValue(roadClass, out var c) ? c.Kmh : UnknownKmh;

    public static SpeedTable Find(string name, string parameter) =>
        All.TryGetValue(name, out var table)
            ? table
            : throw new Layers.InvalidQueryException(parameter, $"Unknown speed table '{name}'. Known: {string.Join(", ", All.Keys)}.");

    public JsonObject Describe() => new()
    {
        ["name"] = Name,
        ["title"] = Title,
        ["unknown_kmh"] = UnknownKmh,
        ["classes"] = new JsonObject(Classes.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value.Kmh))),
    };

    private static Dictionary<string, SpeedTable> Load()
    {
        using var document = JsonDocument.Parse(EmbeddedResources.Read("speed-tables.json"));
        var tables = new Dictionary<string, SpeedTable>(StringComparer.Ordinal);
        foreach (var table in document.RootElement.EnumerateObject())
        {
            var classes = new Dictionary<string, SpeedClass>(StringComparer.Ordinal);
            foreach (var c in table.Value.GetProperty("classes").EnumerateObject())
            {
                classes[c.Name] = new SpeedClass(c.Value.GetProperty("kmh").GetDouble(), c.Value.GetProperty("meaning").GetString()!);
            }
            tables[table.Name] = new SpeedTable(table.Name, table.Value.GetProperty("title").GetString()!,
                table.Value.GetProperty("description").GetString()!, table.Value.GetProperty("unknown_kmh").GetDouble(), classes);
        }
        return tables;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({Classes.Count} classes, others {UnknownKmh} km/h)");
}

using System.Text.Json.Serialization;

namespace SpatialRegion.Api.Layers;

/// <summary>One row of the layer registry: what every listing, the REST API and the OGC/WFS front-ends read.</summary>
public sealed record Layer(
    string Id,
    string Title,
    string Description,
    string Source,
    string Licence,
    string GeometryType,
    int Srid,
    string? KeyProperty,
    IReadOnlyList<LayerProperty> Properties,
    int FeatureCount,
    BoundingBox? Extent,
    BoundingBox? ExtentWgs84,
    long Version,
    DateTimeOffset UpdatedAt)
{
    /// <summary>imported, indicator or analysis (<see cref="LayerKinds"/>).</summary>
    public string Kind { get; init; } = LayerKinds.Imported;

    /// <summary>The property holding each feature's ISO 8601 date or date-time, if the layer is temporal.</summary>
    public string? TimeProperty { get; init; }

    /// <summary>With <see cref="TimeProperty"/>: the property holding the end of each feature's period (null = open).</summary>
    public string? TimeEndProperty { get; init; }

    /// <summary>For derived layers: what it was made from, as stored (JSON text).</summary>
    public string? ProvenanceJson { get; init; }

    public LayerProperty? FindProperty(string name) => Properties.FirstOrDefault(p => p.Name == name);
}

/// <summary>A feature attribute and its JSON type: string, integer, number or boolean.</summary>
public sealed record LayerProperty(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type)
{
    public const string String = "string";
    public const string Integer = "integer";
    public const string Number = "number";
    public const string Boolean = "boolean";
}

public sealed record BoundingBox(double MinX, double MinY, double MaxX, double MaxY)
{
    public double[] ToArray() => [MinX, MinY, MaxX, MaxY];
}

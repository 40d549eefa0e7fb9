using System.Text.Json.Nodes;
using SpatialRegion.Api.Layers.Filtering;

namespace SpatialRegion.Api.Layers;

/// <summary>A parsed, validated request for features of one layer, independent of the protocol that asked.
/// Front-ends (REST, OGC API, WFS) translate their parameters into this; <see cref="LayerSql"/> turns it into SQL.</summary>
public sealed record FeatureQuery(
    FeatureFilter Filter,
    int Limit,
    int Offset,
    GeometryOutput Output,
    IReadOnlyList<string>? Properties,
    IReadOnlyList<SortKey>? SortBy = null,
    FeatureEncoding Encoding = FeatureEncoding.GeoJson,
    bool WithGeometry = true);

/// <summary>The shape of each row the query returns. GeoJSON: (fid, properties as one JSON object, geometry as
/// GeoJSON). GML: (fid, one text column per selected property in the layer's order, geometry as GML 3.2 without
/// srsName, every gml:id set to "@" for the writer to fill in).</summary>
public enum FeatureEncoding
{
    GeoJson,
    Gml32,
}

/// <summary>Order by a property; the feature id always breaks ties so that pages never overlap.</summary>
public sealed record SortKey(string Property, bool Descending);

/// <summary>The WHERE part of a feature query: a box, name=value equalities, and a parsed filter expression
/// (CQL2, FES), all combined with AND. Its <see cref="Key"/> identifies it for cached counts.</summary>
public sealed record FeatureFilter(BboxFilter? Bbox, IReadOnlyList<PropertyEquals> Equalities, FilterExpression? Expression = null)
{
    public static FeatureFilter None { get; } = new(null, []);

    public string Key => string.Join('&',
        (Bbox is null ? [] : new[] { Bbox.ToString() })
            .Concat(Equalities.Select(e => e.ToString()))
            .Concat(Expression is null ? [] : ["filter=" + Expression]));
}

/// <summary>A box in easting/northing (or lon/lat) order, whatever order the request used.</summary>
public sealed record BboxFilter(double MinX, double MinY, double MaxX, double MaxY, int Srid)
{
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"bbox={MinX},{MinY},{MaxX},{MaxY},{Srid}");
}

/// <summary>property = one of values, each value already typed as the property's JSON type.</summary>
public sealed record PropertyEquals(string Property, IReadOnlyList<JsonNode> Values)
{
    public override string ToString() => $"{Property}={string.Join('|', Values.Select(v => v.ToJsonString()))}";
}

/// <summary>How geometries are written: in which CRS, with which axis first, with how many decimals.</summary>
public sealed record GeometryOutput(int Srid, bool NorthingFirst, int Decimals);

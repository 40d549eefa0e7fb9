using System.Globalization;
using NetTopologySuite.Geometries;
using SpatialRegion.Api.Crs;

namespace SpatialRegion.Api.Layers.Filtering;

/// <summary>What the CQL2 text and JSON parsers share: how geometry literals are read (the filter-crs and its
/// axis order), the name under which the layer's geometry is queryable, and the CQL2 vocabulary.</summary>
public sealed record Cql2Settings(CrsReference FilterCrs, string GeometryName = Cql2.GeometryQueryable)
{
    public static Cql2Settings Default { get; } = new(CrsReference.Crs84);

    /// <summary>A literal in x = easting/longitude order, whatever order the filter-crs puts first
    /// (OGC API - Features Part 3: coordinates follow the axis order of filter-crs, as bbox-crs does).</summary>
    public GeometryLiteral Literal(Geometry geometry)
    {
        if (FilterCrs.DefinitionIsNorthingFirst)
        {
            geometry = geometry.Copy();
            geometry.Apply(SwapAxes.Instance);
            geometry.GeometryChanged();
        }
        geometry.SRID = FilterCrs.Srid;
        return new GeometryLiteral(geometry);
    }

    /// <summary>An axis-aligned box given as west, south, east, north (or the CRS's own order); 6 numbers carry heights.</summary>
    public GeometryLiteral Box(IReadOnlyList<double> numbers, Func<string, Exception> error)
    {
        if (numbers.Count is not (4 or 6))
        {
            throw error("A bbox has 4 numbers (or 6 with heights).");
        }
        var (x1, y1, x2, y2) = numbers.Count == 4
            ? (numbers[0], numbers[1], numbers[2], numbers[3])
            : (numbers[0], numbers[1], numbers[3], numbers[4]);
        if (x1 > x2 || y1 > y2)
        {
            throw error("A bbox has its lower corner first.");
        }
        var factory = new GeometryFactory();
        var polygon = factory.CreatePolygon([new(x1, y1), new(x2, y1), new(x2, y2), new(x1, y2), new(x1, y1)]);
        return Literal(polygon);
    }

    private sealed class SwapAxes : ICoordinateSequenceFilter
    {
        public static SwapAxes Instance { get; } = new();

        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var x = seq.GetX(i);
            seq.SetX(i, seq.GetY(i));
            seq.SetY(i, x);
        }
    }
}

public static class Cql2
{
    /// <summary>The queryable that names a feature's geometry in filters and in /queryables.</summary>
    public const string GeometryQueryable = "geometry";

    /// <summary>How deep a CQL2 text filter may nest (parentheses, NOT, CASEI). QGIS and GDAL send a few levels;
    /// the parser and the SQL builder recurse, so the limit is checked before recursing, not left to the stack.
    /// CQL2 JSON is held to <see cref="Http.JsonInput.MaxDepth"/> JSON levels: 32 operators, each an object and an array.</summary>
    public const int MaxNesting = 32;

    /// <summary>How long a filter may be: an inline polygon of tens of thousands of vertices still fits.</summary>
    public const int MaxCharacters = 4 * 1024 * 1024;

    /// <summary>How deep a WKT literal's parentheses may go (NTS reads GEOMETRYCOLLECTION recursively); a
    /// MULTIPOLYGON needs three, a collection of them four.</summary>
    public const int MaxWktNesting = 8;

    public static readonly IReadOnlyDictionary<string, SpatialOperator> SpatialFunctions =
        new Dictionary<string, SpatialOperator>(StringComparer.OrdinalIgnoreCase)
        {
            ["S_INTERSECTS"] = SpatialOperator.Intersects,
            ["S_DISJOINT"] = SpatialOperator.Disjoint,
            ["S_WITHIN"] = SpatialOperator.Within,
            ["S_CONTAINS"] = SpatialOperator.Contains,
            ["S_TOUCHES"] = SpatialOperator.Touches,
            ["S_OVERLAPS"] = SpatialOperator.Overlaps,
            ["S_CROSSES"] = SpatialOperator.Crosses,
            ["S_EQUALS"] = SpatialOperator.Equals,
        };

    /// <summary>The comparison operators, spelled alike in CQL2 text and CQL2 JSON.</summary>
    public static readonly IReadOnlyDictionary<string, ComparisonOperator> Comparisons =
        new Dictionary<string, ComparisonOperator>(StringComparer.Ordinal)
        {
            ["="] = ComparisonOperator.Equal,
            ["<>"] = ComparisonOperator.NotEqual,
            ["<"] = ComparisonOperator.Less,
            ["<="] = ComparisonOperator.LessOrEqual,
            [">"] = ComparisonOperator.Greater,
            [">="] = ComparisonOperator.GreaterOrEqual,
        };

    /// <summary>A LIKE pattern: a text literal, optionally inside CASEI.</summary>
    public static bool IsTextPattern(ScalarExpression e) => e switch
    {
        Literal { Value: string } => true,
        CaseInsensitive c => IsTextPattern(c.Operand),
        _ => false,
    };

    /// <summary>CQL2 DATE('yyyy-mm-dd').</summary>
    public static bool TryParseDate(string text, out DateOnly date) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>CQL2 TIMESTAMP: RFC 3339 with a UTC designator or an offset.</summary>
    public static bool TryParseTimestamp(string text, out DateTimeOffset instant)
    {
        instant = default;
        var zoned = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-');
        return text.Length >= 20 && text[10] is 'T' or 't' && zoned
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out instant);
    }
}

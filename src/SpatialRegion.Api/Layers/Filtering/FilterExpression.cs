using NetTopologySuite.Geometries;

namespace SpatialRegion.Api.Layers.Filtering;

/// <summary>
/// The syntax tree every filter language is parsed into (CQL2 text and JSON for the OGC API, FES 2.0 for WFS).
/// <see cref="FilterSql"/> turns it into parameterised SQL against a layer; no request text ever becomes SQL text.
/// </summary>
public abstract record FilterExpression
{
    /// <summary>A stable text of the tree, used as the cache key of counts; not meant for parsing.</summary>
    // Sealed: otherwise every derived record synthesises its own ToString, which prints lists as their type
    // name, and two different filters would share one cached count.
    public sealed override string ToString() => CanonicalText.Of(this);
}

public sealed record AndExpression(IReadOnlyList<FilterExpression> Operands) : FilterExpression;

public sealed record OrExpression(IReadOnlyList<FilterExpression> Operands) : FilterExpression;

public sealed record NotExpression(FilterExpression Operand) : FilterExpression;

public sealed record BooleanConstant(bool Value) : FilterExpression;

public enum ComparisonOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

public sealed record Comparison(ComparisonOperator Operator, ScalarExpression Left, ScalarExpression Right) : FilterExpression;

/// <summary>SQL-style pattern: % any run, _ one character, backslash escapes (CQL2 and FES agree after translation).</summary>
public sealed record LikeExpression(ScalarExpression Value, ScalarExpression Pattern) : FilterExpression;

public sealed record BetweenExpression(ScalarExpression Value, ScalarExpression Low, ScalarExpression High) : FilterExpression;

public sealed record InExpression(ScalarExpression Value, IReadOnlyList<ScalarExpression> List) : FilterExpression;

public sealed record IsNullExpression(ScalarExpression Value) : FilterExpression;

/// <summary>Feature ids (FES ResourceId; CQL2 has none of its own).</summary>
public sealed record IdExpression(IReadOnlyList<string> Ids) : FilterExpression;

/// <summary>The instant held by a text property (an ISO 8601 date or date-time) lies within [From, Until]; a null
/// end is open. OGC API datetime, and the instant-versus-interval case of CQL2 T_INTERSECTS. Values that are not
/// dates never match. With an <paramref name="End"/> property the feature lasts a period, from Property to End (an
/// end date means the whole of that day; a missing end is open), and matches when that period meets [From, Until].</summary>
public sealed record TimeInterval(PropertyReference Property, DateTimeOffset? From, DateTimeOffset? Until, PropertyReference? End = null) : FilterExpression;

public enum SpatialOperator
{
    Intersects,
    Disjoint,
    Within,
    Contains,
    Touches,
    Overlaps,
    Crosses,
    Equals,
}

/// <summary>A spatial predicate between the layer's geometry and a literal geometry, in the order written.</summary>
public sealed record SpatialPredicate(SpatialOperator Operator, GeometryOperand Left, GeometryOperand Right) : FilterExpression;

/// <summary>Within a distance in metres, measured in EPSG:3006 (FES DWithin; CQL2 has no standard form yet).</summary>
public sealed record DistanceWithin(GeometryOperand Left, GeometryOperand Right, double Metres) : FilterExpression;

public abstract record ScalarExpression;

public sealed record PropertyReference(string Name) : ScalarExpression;

/// <summary>A literal: string, long, double, decimal, bool, DateOnly or DateTimeOffset.</summary>
public sealed record Literal(object Value) : ScalarExpression;

/// <summary>CQL2 CASEI(): compare without regard to case.</summary>
public sealed record CaseInsensitive(ScalarExpression Operand) : ScalarExpression;

public abstract record GeometryOperand;

/// <summary>The layer's own geometry (CQL2 names it by its queryable, FES by ValueReference).</summary>
public sealed record LayerGeometry : GeometryOperand;

/// <summary>A geometry given in the filter, coordinates already in x = easting/longitude order; SRID set.</summary>
public sealed record GeometryLiteral(Geometry Geometry) : GeometryOperand;

using System.Globalization;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Crs;

namespace SpatialRegion.Api.Layers.Filtering;

/// <summary>
/// Emits a WHERE condition for a filter tree against one layer. Property names are checked against the layer's
/// registry schema and typed by it (jsonb text, numeric or boolean); every name and value is a parameter. A
/// filter that compares a number with a text, names an unknown property or uses an unsupported CRS is an
/// <see cref="InvalidQueryException"/> — the caller's 400 — never a database error.
/// </summary>
public static class FilterSql
{
    private enum Kind
    {
        Text,
        Number,
        Boolean,
        Date,
        Timestamp,
    }

    private readonly record struct Scalar(string Sql, Kind Kind);

    public static string Emit(FilterExpression expression, Layer layer, NpgsqlParameterCollection parameters) =>
        new Emitter(layer, parameters).Condition(expression);

    private sealed class Emitter(Layer layer, NpgsqlParameterCollection parameters)
    {
        public string Condition(FilterExpression e) => e switch
        {
            AndExpression a => a.Operands.Count == 0 ? "TRUE" : "(" + string.Join(" AND ", a.Operands.Select(Condition)) + ")",
            OrExpression o => o.Operands.Count == 0 ? "FALSE" : "(" + string.Join(" OR ", o.Operands.Select(Condition)) + ")",
            // NOT over a comparison with a missing value stays unknown, as in CQL2 (three-valued logic).
            NotExpression n => "(NOT " + Condition(n.Operand) + ")",
            BooleanConstant b => b.Value ? "TRUE" : "FALSE",
            Comparison c => Compare(c),
            LikeExpression l => Like(l),
            BetweenExpression b => Between(b),
            InExpression i => In(i),
            IsNullExpression n => "(" + Value(n.Value).Sql + " IS NULL)",
            IdExpression ids => "(fid = ANY(" + Add(ids.Ids.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text) + "))",
            TimeInterval t => Time(t),
            SpatialPredicate s => Spatial(s),
            DistanceWithin d => Distance(d),
            _ => throw new InvalidQueryException("filter", $"Unsupported filter element {e.GetType().Name}."),
        };

        private string Compare(Comparison c)
        {
            var (left, right) = Pair(c.Left, c.Right, "compare");
            var op = c.Operator switch
            {
                ComparisonOperator.Equal => "=",
                ComparisonOperator.NotEqual => "<>",
                ComparisonOperator.Less => "<",
                ComparisonOperator.LessOrEqual => "<=",
                ComparisonOperator.Greater => ">",
                _ => ">=",
            };
            return $"({left.Sql} {op} {right.Sql})";
        }

        private string Like(LikeExpression l)
        {
            var (value, pattern) = Pair(l.Value, l.Pattern, "match with LIKE");
            if (value.Kind != Kind.Text)
            {
                throw new InvalidQueryException("filter", "LIKE applies to text properties only.");
            }
            // Backslash is both CQL2's and PostgreSQL's default escape character.
            return $"({value.Sql} LIKE {pattern.Sql})";
        }

        private string Between(BetweenExpression b)
        {
            var (value, low) = Pair(b.Value, b.Low, "compare with BETWEEN");
            var (_, high) = Pair(b.Value, b.High, "compare with BETWEEN");
            return $"({value.Sql} BETWEEN {low.Sql} AND {high.Sql})";
        }

        private string In(InExpression i)
        {
            var value = Value(i.Value);
            var items = i.List.Select(item => Pair(i.Value, item, "compare with IN").Right.Sql).ToList();
            return items.Count == 0 ? "FALSE" : $"({value.Sql} IN ({string.Join(", ", items)}))";
        }

        /// <summary>Both sides of a binary comparison, with literals typed after the property they meet.</summary>
        private (Scalar Left, Scalar Right) Pair(ScalarExpression a, ScalarExpression b, string what)
        {
            var aKind = KindOf(a);
            var bKind = KindOf(b);
            var target = aKind ?? bKind ?? Kind.Text;
            var left = Value(a, target);
            var right = Value(b, target);
            if (left.Kind != right.Kind)
            {
                throw new InvalidQueryException("filter",
                    $"Cannot {what} {Describe(a, left.Kind)} with {Describe(b, right.Kind)}.");
            }
            return (left, right);
        }

        private Kind? KindOf(ScalarExpression e) => e switch
        {
            PropertyReference p => PropertyKind(Property(p.Name)),
            CaseInsensitive => Kind.Text,
            _ => null,
        };

        private Scalar Value(ScalarExpression e, Kind? expected = null) => e switch
        {
            PropertyReference p => PropertyValue(Property(p.Name)),
            CaseInsensitive c => Lower(Value(c.Operand, Kind.Text)),
            Literal l => LiteralValue(l.Value, expected),
            _ => throw new InvalidQueryException("filter", $"Unsupported value {e.GetType().Name}."),
        };

        // lower() follows the database's LC_CTYPE, which leaves Å, Ä and Ö alone in a C-locale cluster; the ICU
        // root collation lowers all of Unicode whatever the server locale.
        private static Scalar Lower(Scalar s) => s.Kind == Kind.Text
            ? new Scalar($"lower({s.Sql} COLLATE \"und-x-icu\")", Kind.Text)
            : throw new InvalidQueryException("filter", "CASEI applies to text only.");

        private LayerProperty Property(string name) => layer.FindProperty(name)
            ?? throw new InvalidQueryException("filter",
                $"Layer '{layer.Id}' has no property '{name}'. Its properties: {string.Join(", ", layer.Properties.Select(p => p.Name))}.");

        private static Kind PropertyKind(LayerProperty p) => p.Type switch
        {
            LayerProperty.Integer or LayerProperty.Number => Kind.Number,
            LayerProperty.Boolean => Kind.Boolean,
            _ => Kind.Text,
        };

        private Scalar PropertyValue(LayerProperty p)
        {
            var name = Add(p.Name, NpgsqlDbType.Text);
            return PropertyKind(p) switch
            {
                Kind.Number => new Scalar($"((properties ->> {name})::numeric)", Kind.Number),
                Kind.Boolean => new Scalar($"((properties ->> {name})::boolean)", Kind.Boolean),
                _ => new Scalar($"(properties ->> {name})", Kind.Text),
            };
        }

        private Scalar LiteralValue(object value, Kind? expected)
        {
            switch (value)
            {
                case string s:
                    return new Scalar(Add(s, NpgsqlDbType.Text), Kind.Text);
                case bool b:
                    return new Scalar(Add(b, NpgsqlDbType.Boolean), Kind.Boolean);
                case long or int or decimal or double:
                    var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    if (!double.IsFinite(number))
                    {
                        throw new InvalidQueryException("filter", "Numbers in a filter must be finite.");
                    }
                    return value is double d
                        ? new Scalar($"({Add(d, NpgsqlDbType.Double)}::numeric)", Kind.Number)
                        : new Scalar(Add(Convert.ToDecimal(value, CultureInfo.InvariantCulture), NpgsqlDbType.Numeric), Kind.Number);
                case DateOnly date:
                    // Dates stored as ISO text compare correctly as text; a date literal meets them that way.
                    return expected == Kind.Text
                        ? new Scalar(Add(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), NpgsqlDbType.Text), Kind.Text)
                        : new Scalar(Add(date, NpgsqlDbType.Date), Kind.Date);
                case DateTimeOffset instant:
                    return expected == Kind.Text
                        ? new Scalar(Add(instant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), NpgsqlDbType.Text), Kind.Text)
                        : new Scalar(Add(instant.UtcDateTime, NpgsqlDbType.TimestampTz), Kind.Timestamp);
                default:
                    throw new InvalidQueryException("filter", $"Unsupported literal of type {value.GetType().Name}.");
            }
        }

        private static string Describe(ScalarExpression e, Kind kind) => e switch
        {
            PropertyReference p => $"the {kind.ToString().ToLowerInvariant()} property '{p.Name}'",
            CaseInsensitive c => Describe(c.Operand, kind),
            _ => $"a {kind.ToString().ToLowerInvariant()}",
        };

        // ogc_instant (migration 0010) reads ISO text as an instant in UTC and yields null for anything else,
        // so a malformed value drops out of the result instead of failing the query.
        private string Time(TimeInterval t)
        {
            var start = $"ogc_instant(properties ->> {Add(DateProperty(t.Property).Name, NpgsqlDbType.Text)})";
            var conditions = new List<string> { start + " IS NOT NULL" };
            // A period ends at its end instant, or at the end of its end day; no end means it goes on.
            var end = start;
            if (t.End is { } endProperty)
            {
                var text = $"(properties ->> {Add(DateProperty(endProperty).Name, NpgsqlDbType.Text)})";
                end = $"coalesce(ogc_instant({text}) + CASE WHEN length({text}) = 10 THEN interval '1 day - 1 microsecond' ELSE interval '0' END, 'infinity')";
            }
            if (t.From is { } from)
            {
                conditions.Add($"{end} >= {Add(from.UtcDateTime, NpgsqlDbType.TimestampTz)}");
            }
            if (t.Until is { } until)
            {
                conditions.Add($"{start} <= {Add(until.UtcDateTime, NpgsqlDbType.TimestampTz)}");
            }
            return "(" + string.Join(" AND ", conditions) + ")";
        }

        private LayerProperty DateProperty(PropertyReference reference)
        {
            var property = Property(reference.Name);
            return PropertyKind(property) == Kind.Text
                ? property
                : throw new InvalidQueryException("datetime", $"Property '{property.Name}' holds no dates.");
        }

        private string Spatial(SpatialPredicate s)
        {
            var (left, right) = GeometryPair(s.Left, s.Right);
            var function = s.Operator switch
            {
                SpatialOperator.Intersects => "ST_Intersects",
                SpatialOperator.Disjoint => "ST_Disjoint",
                SpatialOperator.Within => "ST_Within",
                SpatialOperator.Contains => "ST_Contains",
                SpatialOperator.Touches => "ST_Touches",
                SpatialOperator.Overlaps => "ST_Overlaps",
                SpatialOperator.Crosses => "ST_Crosses",
                _ => "ST_Equals",
            };
            return $"{function}({left}, {right})";
        }

        private string Distance(DistanceWithin d)
        {
            if (!double.IsFinite(d.Metres) || d.Metres < 0)
            {
                throw new InvalidQueryException("filter", "A distance must be a finite number of metres, 0 or more.");
            }
            // Distances are metres in the storage CRS, never degrees.
            var left = d.Left is LayerGeometry ? "geom" : Literal3006((GeometryLiteral)d.Left);
            var right = d.Right is LayerGeometry ? "geom" : Literal3006((GeometryLiteral)d.Right);
            return $"ST_DWithin({left}, {right}, {Add(d.Metres, NpgsqlDbType.Double)})";
        }

        /// <summary>A literal in lon/lat meets the WGS 84 copy of the geometries, so the filter is exact in the
        /// CRS it was written in (as a bbox is) and uses that column's index; others meet the storage geometry.</summary>
        private (string Left, string Right) GeometryPair(GeometryOperand a, GeometryOperand b)
        {
            var literal = a as GeometryLiteral ?? b as GeometryLiteral;
            if (a is LayerGeometry && b is LayerGeometry)
            {
                throw new InvalidQueryException("filter", "A spatial predicate needs a geometry literal on one side.");
            }
            var wgs84 = literal is not null && literal.Geometry.SRID == 4326;
            string Side(GeometryOperand g) => g switch
            {
                LayerGeometry => wgs84 ? "geom_wgs84" : "geom",
                GeometryLiteral l when wgs84 => GeometryParameter(l.Geometry),
                GeometryLiteral l => Literal3006(l),
                _ => throw new InvalidQueryException("filter", "Unsupported geometry operand."),
            };
            return (Side(a), Side(b));
        }

        private string Literal3006(GeometryLiteral l) =>
            l.Geometry.SRID == 3006 ? GeometryParameter(l.Geometry) : $"ST_Transform({GeometryParameter(l.Geometry)}, 3006)";

        private string GeometryParameter(Geometry g)
        {
            if (!OutputCrs.IsSupported(g.SRID))
            {
                throw new InvalidQueryException("filter-crs", $"Unsupported CRS EPSG:{g.SRID} for a filter geometry. Supported: {OutputCrs.SupportedList}.");
            }
            if (!g.IsValid)
            {
                g = NetTopologySuite.Geometries.Utilities.GeometryFixer.Fix(g);
            }
            return Add(g, NpgsqlDbType.Geometry);
        }

        private string Add(object value, NpgsqlDbType type)
        {
            parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
            return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
        }
    }
}

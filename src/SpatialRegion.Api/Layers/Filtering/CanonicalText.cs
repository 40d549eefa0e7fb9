using System.Globalization;
using System.Text;

namespace SpatialRegion.Api.Layers.Filtering;

internal static class CanonicalText
{
    public static string Of(FilterExpression expression)
    {
        var sb = new StringBuilder();
        Write(sb, expression);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, FilterExpression e)
    {
        switch (e)
        {
            case AndExpression a: List(sb, "and", a.Operands); break;
            case OrExpression o: List(sb, "or", o.Operands); break;
            case NotExpression n: sb.Append("not("); Write(sb, n.Operand); sb.Append(')'); break;
            case BooleanConstant b: sb.Append(b.Value ? "true" : "false"); break;
            case Comparison c: sb.Append(c.Operator).Append('('); Write(sb, c.Left); sb.Append(','); Write(sb, c.Right); sb.Append(')'); break;
            case LikeExpression l: sb.Append("like("); Write(sb, l.Value); sb.Append(','); Write(sb, l.Pattern); sb.Append(')'); break;
            case BetweenExpression b:
                sb.Append("between("); Write(sb, b.Value); sb.Append(','); Write(sb, b.Low); sb.Append(','); Write(sb, b.High); sb.Append(')');
                break;
            case InExpression i:
                sb.Append("in("); Write(sb, i.Value);
                foreach (var item in i.List)
                {
                    sb.Append(','); Write(sb, item);
                }
                sb.Append(')');
                break;
            case IsNullExpression n: sb.Append("isnull("); Write(sb, n.Value); sb.Append(')'); break;
            case IdExpression ids: sb.Append("ids(").AppendJoin(',', ids.Ids.Select(Quote)).Append(')'); break;
            case TimeInterval t:
                sb.Append("time("); Write(sb, t.Property);
                if (t.End is { } end)
                {
                    sb.Append('-'); Write(sb, end);
                }
                sb.Append(',').Append(t.From?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "..");
                sb.Append(',').Append(t.Until?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "..").Append(')');
                break;
            case SpatialPredicate s: sb.Append(s.Operator).Append('('); Write(sb, s.Left); sb.Append(','); Write(sb, s.Right); sb.Append(')'); break;
            case DistanceWithin d:
                sb.Append("dwithin("); Write(sb, d.Left); sb.Append(','); Write(sb, d.Right);
                sb.Append(',').Append(d.Metres.ToString("R", CultureInfo.InvariantCulture)).Append(')');
                break;
            default: throw new NotSupportedException(e.GetType().Name);
        }
    }

    private static void List(StringBuilder sb, string name, IReadOnlyList<FilterExpression> operands)
    {
        sb.Append(name).Append('(');
        for (var i = 0; i < operands.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            Write(sb, operands[i]);
        }
        sb.Append(')');
    }

    private static void Write(StringBuilder sb, ScalarExpression e)
    {
        switch (e)
        {
            case PropertyReference p: sb.Append("prop(").Append(Quote(p.Name)).Append(')'); break;
            case CaseInsensitive c: sb.Append("casei("); Write(sb, c.Operand); sb.Append(')'); break;
            case Literal l: sb.Append(l.Value.GetType().Name).Append(':').Append(Quote(Convert.ToString(l.Value, CultureInfo.InvariantCulture) ?? "")); break;
            default: throw new NotSupportedException(e.GetType().Name);
        }
    }

    private static void Write(StringBuilder sb, GeometryOperand g)
    {
        switch (g)
        {
            case LayerGeometry: sb.Append("geom"); break;
            case GeometryLiteral l:
                sb.Append("srid=").Append(l.Geometry.SRID.ToString(CultureInfo.InvariantCulture)).Append(';').Append(l.Geometry.AsText());
                break;
            default: throw new NotSupportedException(g.GetType().Name);
        }
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
}

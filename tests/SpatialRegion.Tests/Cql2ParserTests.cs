using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;

namespace SpatialRegion.Tests;

/// <summary>CQL2 text and CQL2 JSON read into the same tree; compared through the tree's canonical text.</summary>
public sealed class Cql2ParserTests
{
    [Theory]
    [InlineData("LAN_KOD = '23'", """{"op":"=","args":[{"property":"LAN_KOD"},"23"]}""")]
    [InlineData("KOMMUNKOD >= 2300 AND KOMMUNKOD < 2400", """{"op":"and","args":[{"op":">=","args":[{"property":"KOMMUNKOD"},2300]},{"op":"<","args":[{"property":"KOMMUNKOD"},2400]}]}""")]
    [InlineData("\"KOMMUNNAMN\" LIKE 'Ö%' OR NOT (LAN_KOD <> '23')", """{"op":"or","args":[{"op":"like","args":[{"property":"KOMMUNNAMN"},"Ö%"]},{"op":"not","args":[{"op":"<>","args":[{"property":"LAN_KOD"},"23"]}]}]}""")]
    [InlineData("KOMMUNKOD BETWEEN 2303 AND 2305", """{"op":"between","args":[{"property":"KOMMUNKOD"},2303,2305]}""")]
    [InlineData("KOMMUNNAMN IN ('Berg', 'Åre')", """{"op":"in","args":[{"property":"KOMMUNNAMN"},["Berg","Åre"]]}""")]
    [InlineData("ADAT IS NULL", """{"op":"isNull","args":[{"property":"ADAT"}]}""")]
    [InlineData("CASEI(KOMMUNNAMN) = casei('östersund')", """{"op":"=","args":[{"op":"casei","args":[{"property":"KOMMUNNAMN"}]},{"op":"casei","args":["östersund"]}]}""")]
    [InlineData("S_INTERSECTS(geometry, POINT(14.64 63.18))", """{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[14.64,63.18]}]}""")]
    [InlineData("s_within(geometry, BBOX(13, 62, 15, 64))", """{"op":"s_within","args":[{"property":"geometry"},{"bbox":[13,62,15,64]}]}""")]
    [InlineData("updated > TIMESTAMP('2024-01-31T12:00:00Z') and day = DATE('2024-02-01')", """{"op":"and","args":[{"op":">","args":[{"property":"updated"},{"timestamp":"2024-01-31T12:00:00Z"}]},{"op":"=","args":[{"property":"day"},{"date":"2024-02-01"}]}]}""")]
    [InlineData("TRUE", "true")]
    public void Text_and_json_give_the_same_tree(string text, string json)
    {
        Assert.Equal(Cql2JsonParser.Parse(json).ToString(), Cql2TextParser.Parse(text).ToString());
    }

    [Fact]
    public void Different_filters_have_different_count_keys()
    {
        var a = new FeatureFilter(null, [], Cql2TextParser.Parse("a = 1 AND b = 2"));
        var b = new FeatureFilter(null, [], Cql2TextParser.Parse("a = 1 AND b = 3"));
        Assert.NotEqual(a.Key, b.Key);
        Assert.Equal(a.Key, new FeatureFilter(null, [], Cql2TextParser.Parse("a=1 and b=2")).Key);
    }

    [Fact]
    public void And_binds_tighter_than_or_and_not_applies_to_the_next_factor()
    {
        var tree = Cql2TextParser.Parse("a = 1 OR b = 2 AND NOT c = 3");
        var or = Assert.IsType<OrExpression>(tree);
        var and = Assert.IsType<AndExpression>(or.Operands[1]);
        Assert.IsType<NotExpression>(and.Operands[1]);
    }

    [Fact]
    public void Negated_forms_wrap_the_predicate()
    {
        Assert.Equal("not(like(prop('n'),String:'A%'))", Cql2TextParser.Parse("n NOT LIKE 'A%'").ToString());
        Assert.Equal("not(between(prop('n'),Int64:'1',Int64:'2'))", Cql2TextParser.Parse("n NOT BETWEEN 1 AND 2").ToString());
        Assert.Equal("not(in(prop('n'),Int64:'1'))", Cql2TextParser.Parse("n not in (1)").ToString());
        Assert.Equal("not(isnull(prop('n')))", Cql2TextParser.Parse("n IS NOT NULL").ToString());
        Assert.Equal("false", Cql2TextParser.Parse("geometry IS NULL").ToString());
    }

    [Fact]
    public void Quotes_inside_text_are_doubled_and_never_end_the_literal()
    {
        var tree = Assert.IsType<Comparison>(Cql2TextParser.Parse("name = 'x'' OR ''1''=''1'"));
        Assert.Equal("x' OR '1'='1", Assert.IsType<Literal>(tree.Right).Value);
    }

    [Fact]
    public void Numbers_keep_their_kind()
    {
        var c = Assert.IsType<Comparison>(Cql2TextParser.Parse("n = -2.5"));
        Assert.Equal(-2.5m, Assert.IsType<Literal>(c.Right).Value);
        c = Assert.IsType<Comparison>(Cql2TextParser.Parse("n = 1e3"));
        Assert.Equal(1000.0, Assert.IsType<Literal>(c.Right).Value);
    }

    [Fact]
    public void Geometry_literals_follow_the_axis_order_of_filter_crs()
    {
        // EPSG:3006 by URI is northing, easting: the literal arrives N,E and is stored E,N.
        var settings = new Cql2Settings(CrsReference.Parse("http://www.opengis.net/def/crs/EPSG/0/3006")!);
        var p = Assert.IsType<SpatialPredicate>(Cql2TextParser.Parse("S_INTERSECTS(geometry, POINT(7005000 476000))", settings));
        var literal = Assert.IsType<GeometryLiteral>(p.Right);
        Assert.Equal(3006, literal.Geometry.SRID);
        Assert.Equal(476000, literal.Geometry.Coordinate.X);
        Assert.Equal(7005000, literal.Geometry.Coordinate.Y);

        var crs84 = Assert.IsType<SpatialPredicate>(Cql2TextParser.Parse("S_INTERSECTS(geometry, POINT(14.6 63.2))"));
        Assert.Equal(14.6, ((GeometryLiteral)crs84.Right).Geometry.Coordinate.X);
        Assert.Equal(4326, ((GeometryLiteral)crs84.Right).Geometry.SRID);
    }

    [Theory]
    [InlineData("LAN_KOD = ", 11, "expected a property")]
    [InlineData("LAN_KOD = '23", 11, "no closing quote")]
    [InlineData("LAN_KOD == '23'", 10, "expected a property")]
    [InlineData("(LAN_KOD = '23'", 16, "expected ')'")]
    [InlineData("LAN_KOD '23'", 9, "expected a comparison")]
    [InlineData("LAN_KOD = '23' garbage", 16, "unexpected 'garbage'")]
    [InlineData("S_INTERSECTS(geometry, POINT(1))", 24, "invalid POINT literal")]
    [InlineData("S_INTERSECTS(LAN_KOD, POINT(1 2))", 14, "is not a geometry")]
    [InlineData("n = DATE('2024-13-01')", 10, "DATE needs")]
    [InlineData("T_AFTER(d, TIMESTAMP('2024-01-01T00:00:00Z'))", 1, "not supported")]
    [InlineData("a + 1 = 2", 3, "arithmetic")]
    [InlineData("n LIKE 5", 8, "text pattern")]
    [InlineData("n = ;", 5, "unexpected character")]
    [InlineData("  ", 1, "empty")]
    public void Syntax_errors_name_the_position(string text, int position, string message)
    {
        var e = Assert.Throws<InvalidQueryException>(() => Cql2TextParser.Parse(text));
        Assert.Equal("filter", e.Parameter);
        Assert.Contains($"at position {position}:", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("""{"op":"=","args":[{"property":"a"}""", "line 1")]
    [InlineData("""{"op":"=","args":[{"property":"a"}]}""", "$.args: \"=\" takes 2 arguments")]
    [InlineData("""{"op":"and","args":[true,{"op":"~","args":[]}]}""", "$.args[1].op: unknown or unsupported operator")]
    [InlineData("""{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":"x"}]}""", "$.args[1]")]
    [InlineData("""{"op":"in","args":[{"property":"a"},"b"]}""", "$.args[1]")]
    [InlineData("""{"args":[]}""", "$: expected a predicate")]
    [InlineData("""{"op":"=","args":[{"property":"a"},{"date":"yesterday"}]}""", "$.args[1].date")]
    public void Json_errors_name_the_path(string json, string message)
    {
        var e = Assert.Throws<InvalidQueryException>(() => Cql2JsonParser.Parse(json));
        Assert.Contains(message, e.Message);
    }
}

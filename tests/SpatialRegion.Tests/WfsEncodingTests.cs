using System.Text;
using System.Xml.Linq;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Wfs;

namespace SpatialRegion.Tests;

/// <summary>The parts of the WFS that turn request text into SQL patterns and data into XML names and text.</summary>
public sealed class WfsEncodingTests
{
    [Theory]
    [InlineData("Ö*", "*", "?", "!", "Ö%")]
    [InlineData("*s?nd", "*", "?", "!", "%s_nd")]
    [InlineData("100%", "*", "?", "!", "100\\%")]
    [InlineData("a_b", "*", "?", "!", "a\\_b")]
    [InlineData("a\\b", "*", "?", "!", "a\\\\b")]
    [InlineData("!*star!?", "*", "?", "!", "*star?")]
    [InlineData("%x_", "%", "_", "\\", "%x_")]
    [InlineData("\\%lit", "%", "_", "\\", "\\%lit")]
    [InlineData("ab.", "*", ".", "!", "ab_")]
    [InlineData("trailing!", "*", "?", "!", "trailing")]
    public void Fes_like_patterns_become_sql_patterns_where_only_the_declared_wildcards_are_wild(
        string pattern, string wildCard, string singleChar, string escapeChar, string expected) =>
        Assert.Equal(expected, FesFilterParser.SqlLikePattern(pattern, wildCard, singleChar, escapeChar));

    [Theory]
    [InlineData("municipalities", "municipalities")]
    [InlineData("2024-totals", "_x0032_024-totals")]
    [InlineData("Län", "Län")]
    [InlineData("pop 2024", "pop_x0020_2024")]
    public void Layer_and_property_names_become_xml_names_and_back(string name, string xmlName)
    {
        Assert.Equal(xmlName, WfsNames.PropertyElement(name));
        Assert.Equal(name, System.Xml.XmlConvert.DecodeName(xmlName));
    }

    [Theory]
    [InlineData("2380")]
    [InlineData("a.b.c")]
    [InlineData("with space/and:colon")]
    [InlineData("_x0041_ looks escaped")]
    public void Resource_ids_round_trip_whatever_the_feature_id(string fid)
    {
        var layer = new Layer("municipalities", "t", "", "", "", "MultiPolygon", 3006, null, [], 0, null, null, 1, DateTimeOffset.UnixEpoch);
        var rid = WfsNames.ResourceId(layer, fid);
        Assert.True(System.Xml.XmlConvert.VerifyNCName(rid) == rid);
        Assert.Equal(("municipalities", fid), WfsNames.SplitResourceId(rid));
    }

    [Fact]
    public void Text_is_escaped_and_characters_xml_cannot_carry_are_replaced()
    {
        var text = "a < b & \"c\" > d\r\n\ttab \u0001 \uD83D\uDE00 \uD800 end";
        var written = GmlWriter.Escape(text);
        var parsed = XElement.Parse("<x a=\"" + written + "\">" + written + "</x>");
        Assert.Equal("a < b & \"c\" > d\r\n\ttab \uFFFD \uD83D\uDE00 \uFFFD end", parsed.Value);
        Assert.DoesNotContain('\u0001', written);
        Assert.Contains("😀", Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(written)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Geometry_ids_are_numbered_so_that_every_gml_id_is_unique()
    {
        var output = new MemoryStream();
        var writer = new GmlWriter(chunk =>
        {
            output.Write(chunk.Span);
            return ValueTask.CompletedTask;
        });
        writer.Geometry(Encoding.UTF8.GetBytes("<gml:MultiSurface gml:id=\"@\"><gml:surfaceMember><gml:Polygon gml:id=\"@\"/></gml:surfaceMember>"
            + "<gml:surfaceMember><gml:Polygon gml:id=\"@\"/></gml:surfaceMember></gml:MultiSurface>"), "EPSG:3006", "t.1.geom");
        await writer.FlushAsync();
        Assert.Equal("<gml:MultiSurface srsName=\"EPSG:3006\" gml:id=\"t.1.geom\"><gml:surfaceMember><gml:Polygon gml:id=\"t.1.geom.1\"/></gml:surfaceMember>"
            + "<gml:surfaceMember><gml:Polygon gml:id=\"t.1.geom.2\"/></gml:surfaceMember></gml:MultiSurface>", Encoding.UTF8.GetString(output.ToArray()));
    }
}

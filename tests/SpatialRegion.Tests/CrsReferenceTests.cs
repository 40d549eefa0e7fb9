using SpatialRegion.Api.Crs;

namespace SpatialRegion.Tests;

public sealed class CrsReferenceTests
{
    [Theory]
    [InlineData("EPSG:3006", 3006, CrsForm.ShortCode)]
    [InlineData("epsg:4326", 4326, CrsForm.ShortCode)]
    [InlineData("urn:ogc:def:crs:EPSG::3006", 3006, CrsForm.Urn)]
    [InlineData("urn:ogc:def:crs:EPSG:6.18:3006", 3006, CrsForm.Urn)]
    [InlineData("http://www.opengis.net/def/crs/EPSG/0/3857", 3857, CrsForm.HttpUri)]
    [InlineData("https://www.opengis.net/def/crs/EPSG/0/4326", 4326, CrsForm.HttpUri)]
    [InlineData("http://www.opengis.net/gml/srs/epsg.xml#4326", 4326, CrsForm.ShortCode)]
    [InlineData("http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326, CrsForm.Crs84)]
    [InlineData("urn:ogc:def:crs:OGC:1.3:CRS84", 4326, CrsForm.Crs84)]
    [InlineData("CRS84", 4326, CrsForm.Crs84)]
    public void Parses_the_names_clients_use(string text, int srid, CrsForm form)
    {
        var crs = CrsReference.Parse(text);
        Assert.NotNull(crs);
        Assert.Equal(srid, crs.Srid);
        Assert.Equal(form, crs.Form);
    }

    [Theory]
    [InlineData("")]
    [InlineData("EPSG:")]
    [InlineData("EPSG:-3006")]
    [InlineData("EPSG:30 06")]
    [InlineData("urn:ogc:def:crs:EPSG::abc")]
    [InlineData("SWEREF99TM")]
    public void Rejects_what_is_not_a_crs_name(string text) => Assert.Null(CrsReference.Parse(text));

    [Fact]
    public void Axis_order_follows_the_epsg_definition_except_for_crs84()
    {
        Assert.True(CrsReference.Parse("http://www.opengis.net/def/crs/EPSG/0/3006")!.DefinitionIsNorthingFirst);
        Assert.True(CrsReference.Parse("urn:ogc:def:crs:EPSG::4326")!.DefinitionIsNorthingFirst);
        Assert.False(CrsReference.Parse("http://www.opengis.net/def/crs/EPSG/0/3857")!.DefinitionIsNorthingFirst);
        Assert.False(CrsReference.Crs84.DefinitionIsNorthingFirst);
        Assert.Equal("http://www.opengis.net/def/crs/EPSG/0/3006", CrsReference.Parse("EPSG:3006")!.Uri);
        Assert.Equal("urn:ogc:def:crs:EPSG::3006", CrsReference.Parse("EPSG:3006")!.Urn);
    }
}

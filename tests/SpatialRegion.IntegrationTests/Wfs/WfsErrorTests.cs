using SpatialRegion.IntegrationTests.Infrastructure;
using static SpatialRegion.IntegrationTests.Wfs.WfsHttp;

namespace SpatialRegion.IntegrationTests.Wfs;

/// <summary>Every way a request can be wrong gives an ows:ExceptionReport with the OGC code and the parameter.</summary>
public sealed class WfsErrorTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    public static TheoryData<string, int, string, string?> BadRequests => new()
    {
        { "/wfs?REQUEST=GetCapabilities", 400, "MissingParameterValue", "SERVICE" },
        { "/wfs?SERVICE=WMS&REQUEST=GetCapabilities", 400, "InvalidParameterValue", "SERVICE" },
        { "/wfs?SERVICE=WFS", 400, "MissingParameterValue", "REQUEST" },
        { "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=Transaction", 400, "OperationNotSupported", "Transaction" },
        { "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetMap", 400, "OperationNotSupported", "GetMap" },
        { "/wfs?SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=sr:municipalities", 400, "MissingParameterValue", "VERSION" },
        { "/wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAMES=sr:municipalities", 400, "InvalidParameterValue", "VERSION" },
        { "/wfs?SERVICE=WFS&REQUEST=GetCapabilities&SECTIONS=Contents", 400, "InvalidParameterValue", "SECTIONS" },
        { Base + "&REQUEST=GetFeature", 400, "MissingParameterValue", "TYPENAMES" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:nonexistent", 400, "InvalidParameterValue", "TYPENAMES" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=other:municipalities&NAMESPACES=xmlns(other,http://example.com/ns)", 400, "InvalidParameterValue", "TYPENAMES" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities,sr:counties", 400, "OptionNotSupported", "TYPENAMES" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=(sr:municipalities)(sr:counties)", 400, "OptionNotSupported", "TYPENAMES" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&COUNT=0", 400, "InvalidParameterValue", "COUNT" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&COUNT=many", 400, "InvalidParameterValue", "COUNT" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&STARTINDEX=-1", 400, "InvalidParameterValue", "STARTINDEX" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&RESULTTYPE=all", 400, "InvalidParameterValue", "RESULTTYPE" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&OUTPUTFORMAT=shape-zip", 400, "InvalidParameterValue", "OUTPUTFORMAT" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&SRSNAME=urn:ogc:def:crs:EPSG::32690", 400, "InvalidParameterValue", "SRSNAME" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&SRSNAME=nonsense", 400, "InvalidParameterValue", "SRSNAME" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&BBOX=1,2,3", 400, "InvalidParameterValue", "BBOX" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&BBOX=63,14,62,15,urn:ogc:def:crs:EPSG::4326", 400, "InvalidParameterValue", "BBOX" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&BBOX=1,2,3,4,EPSG:2400", 400, "InvalidParameterValue", "BBOX" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&PROPERTYNAME=colour", 400, "InvalidParameterValue", "PROPERTYNAME" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&SORTBY=colour", 400, "InvalidParameterValue", "SORTBY" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&SORTBY=KOMMUNNAMN%20SIDEWAYS", 400, "InvalidParameterValue", "SORTBY" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&SORTBY=geometry", 400, "InvalidParameterValue", "SORTBY" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&FILTER=%3Cnot-xml", 400, "InvalidParameterValue", "FILTER" },
        { Base + "&REQUEST=GetFeature&TYPENAMES=sr:municipalities&FILTER=%3Cx%2F%3E&FILTER_LANGUAGE=CQL", 400, "InvalidParameterValue", "FILTER_LANGUAGE" },
        { Base + "&REQUEST=GetFeature&RESOURCEID=nowhere.1", 400, "InvalidParameterValue", "RESOURCEID" },
        { Base + "&REQUEST=GetFeature&RESOURCEID=municipalities.2380,counties.23", 400, "OptionNotSupported", "RESOURCEID" },
        { Base + "&REQUEST=GetFeature&STOREDQUERY_ID=urn:example:mine", 400, "InvalidParameterValue", "STOREDQUERY_ID" },
        { Base + "&REQUEST=GetFeature&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById", 400, "MissingParameterValue", "ID" },
        { Base + "&REQUEST=GetPropertyValue&TYPENAMES=sr:municipalities", 400, "MissingParameterValue", "VALUEREFERENCE" },
        { Base + "&REQUEST=GetPropertyValue&TYPENAMES=sr:municipalities&VALUEREFERENCE=sr:colour", 400, "InvalidParameterValue", "VALUEREFERENCE" },
        { Base + "&REQUEST=GetPropertyValue&TYPENAMES=sr:municipalities&VALUEREFERENCE=a/b/c", 400, "InvalidParameterValue", "VALUEREFERENCE" },
        { Base + "&REQUEST=DescribeFeatureType&TYPENAMES=sr:nonexistent", 400, "InvalidParameterValue", "TYPENAMES" },
        { Base + "&REQUEST=DescribeFeatureType&OUTPUTFORMAT=application/json", 400, "InvalidParameterValue", "OUTPUTFORMAT" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_kvp_request_is_an_exception_report_with_code_and_locator(string url, int status, string code, string? locator)
    {
        var answer = await _client.GetXmlAsync(url);
        Assert.Equal(status, answer.Status);
        Assert.StartsWith("application/xml", answer.ContentType);
        var (actualCode, actualLocator, text) = answer.Exception;
        Assert.Equal(code, actualCode);
        Assert.Equal(locator, actualLocator);
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.Equal("2.0.0", (string?)answer.Root.Attribute("version"));
    }

    public static TheoryData<string, string, string?> BadDocuments => new()
    {
        { "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"><wfs:Query", "OperationParsingFailed", "request" },
        { "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>", "OperationParsingFailed", "request" },
        { "<GetFeature xmlns=\"http://example.com/other\"/>", "OperationParsingFailed", "request" },
        { "<wfs:LockFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"/>", "OperationNotSupported", "LockFeature" },
        { "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"/>", "MissingParameterValue", "TYPENAMES" },
        { "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"1.1.0\"><wfs:Query typeNames=\"municipalities\"/></wfs:GetFeature>", "InvalidParameterValue", "VERSION" },
        { "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:x=\"http://example.com/x\" service=\"WFS\" version=\"2.0.0\"><wfs:Query typeNames=\"x:municipalities\"/></wfs:GetFeature>", "InvalidParameterValue", "TYPENAMES" },
        { "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"><wfs:Query typeNames=\"municipalities\"/><wfs:Query typeNames=\"counties\"/></wfs:GetFeature>", "OptionNotSupported", "TYPENAMES" },
        { "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\" count=\"-5\"><wfs:Query typeNames=\"municipalities\"/></wfs:GetFeature>", "InvalidParameterValue", "COUNT" },
        { "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"><wfs:StoredQuery id=\"urn:ogc:def:query:OGC-WFS::GetFeatureById\"/></wfs:GetFeature>", "MissingParameterValue", "ID" },
        { "<wfs:GetPropertyValue xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\" valueReference=\"\"><wfs:Query typeNames=\"municipalities\"/></wfs:GetPropertyValue>", "InvalidParameterValue", "VALUEREFERENCE" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public async Task A_bad_xml_request_is_an_exception_report_too(string body, string code, string? locator)
    {
        var answer = await _client.PostXmlAsync(body);
        Assert.Equal(400, answer.Status);
        Assert.Equal((code, locator), (answer.Exception.Code, answer.Exception.Locator));
    }

    [Fact]
    public async Task A_filter_nested_beyond_reason_is_refused_without_harm_to_the_service()
    {
        const int depth = 20_000;
        var predicate = string.Concat(Enumerable.Repeat("<fes:Not>", depth))
            + "<fes:PropertyIsNull><fes:ValueReference>ADAT</fes:ValueReference></fes:PropertyIsNull>"
            + string.Concat(Enumerable.Repeat("</fes:Not>", depth));
        var body = "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"><wfs:Query typeNames=\"municipalities\">"
            + FesFilter(predicate) + "</wfs:Query></wfs:GetFeature>";
        var answer = await _client.PostXmlAsync(body);
        Assert.Equal(400, answer.Status);
        Assert.Equal("OperationParsingFailed", answer.Exception.Code);
        Assert.Contains("nested", answer.Exception.Text);

        // A reasonable nesting still works.
        var twenty = string.Concat(Enumerable.Repeat("<fes:Not><fes:Not>", 10))
            + "<fes:PropertyIsEqualTo><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><fes:Literal>Berg</fes:Literal></fes:PropertyIsEqualTo>"
            + string.Concat(Enumerable.Repeat("</fes:Not></fes:Not>", 10));
        var ok = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("FILTER", FesFilter(twenty))));
        Assert.Equal(["municipalities.2326"], ok.Ids("municipalities"));
    }

    [Fact]
    public async Task Parameter_names_are_case_insensitive_and_values_keep_their_meaning()
    {
        var answer = await _client.GetXmlAsync("/wfs?service=WFS&version=2.0.0&request=getfeature&typeNames=sr:counties&count=2&resultType=results");
        Assert.Equal(200, answer.Status);
        Assert.Equal(2, answer.NumberReturned);
        Assert.Equal(21, answer.NumberMatched);
    }
}

using System.Net;
using System.Text;
using System.Xml.Linq;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers.Filtering;
using SpatialRegion.Api.Wfs;
using SpatialRegion.IntegrationTests.Analysis;
using SpatialRegion.IntegrationTests.Infrastructure;
using static SpatialRegion.IntegrationTests.Wfs.WfsHttp;

namespace SpatialRegion.IntegrationTests.Robustness;

/// <summary>
/// Inputs that once ended the process or answered 500, and every recursive reader at its limit and one past it:
/// the limit passes, one more is a 400 in the front-end's own format that names the limit.
/// </summary>
public sealed class InputLimitTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    [Fact]
    public async Task A_filter_nested_a_hundred_thousand_deep_is_a_400_and_the_service_keeps_serving()
    {
        var filter = new string('(', 100_000) + "LAN_KOD = '23'" + new string(')', 100_000);
        var answer = await _client.PostAsync("/api/analysis/overlay",
            $$$"""{"operation": "intersection", "a": {"layer": "municipalities", "filter": "{{{filter}}}"}, "b": {"layer": "counties"}}""");
        AnalysisHttp.AssertProblem(answer, HttpStatusCode.BadRequest, $"more than {Cql2.MaxNesting} levels");
        using var health = await _client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_nul_byte_in_a_property_value_is_a_400()
    {
        var (status, type, body) = await _client.GetProblemAsync("/api/layers/counties/features?LAN_KOD=%00");
        Assert.Equal(400, status);
        Assert.Equal("application/problem+json", type);
        Assert.Equal("LAN_KOD", body["parameter"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("SRSNAME=%00", "SRSNAME")]
    [InlineData("SRSNAME=%C3%28", "SRSNAME")]
    [InlineData("SRSNAME=EPSG:3006&COUNT=%FF", "COUNT")]
    public async Task A_nul_byte_or_bad_utf8_in_a_wfs_parameter_is_an_exception_report_with_its_locator(string parameters, string locator)
    {
        var answer = await _client.GetXmlAsync(
            $"{Base}&REQUEST=GetFeature&TYPENAMES=sr:counties&RESOURCEID=nosuch.1&{parameters}&OUTPUTFORMAT=application/gml%2Bxml;%20version=3.2");
        Assert.Equal(400, answer.Status);
        Assert.Equal(("InvalidParameterValue", locator), (answer.Exception.Code, answer.Exception.Locator));
    }

    [Fact]
    public async Task Duplicate_keys_in_a_cql2_json_filter_are_a_400_in_the_ogc_format()
    {
        var filter = Uri.EscapeDataString("""{"op":"=","op":"<>","args":[{"property":"LAN_KOD"},"23"],"args":[]}""");
        var (status, type, body) = await _client.GetProblemAsync($"/ogc/collections/counties/items?filter-lang=cql2-json&filter={filter}");
        Assert.Equal(400, status);
        Assert.Equal("application/json", type);
        Assert.Equal("InvalidParameterValue", body["code"]!.GetValue<string>());
        Assert.Contains("Duplicate", body["description"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Duplicate_keys_in_a_request_body_are_a_400()
    {
        var answer = await _client.PostAsync("/api/analysis/overlay",
            """{"operation": "intersection", "operation": "union", "a": {"layer": "municipalities"}, "b": {"layer": "counties"}}""");
        AnalysisHttp.AssertProblem(answer, HttpStatusCode.BadRequest, "operation");
    }

    [Fact]
    public async Task A_wfs_post_over_its_limit_is_a_413_exception_report_before_it_is_read()
    {
        var body = new StringBuilder("<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"><!--");
        body.Append('x', 5 * 1024 * 1024).Append("--></wfs:GetFeature>");
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await _client.PostAsync("/wfs", new StringContent(body.ToString(), Encoding.UTF8, "application/xml"),
            TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("ExceptionReport", text, StringComparison.Ordinal);
        Assert.Contains(RequestBodyLimits.Describe(WfsApi.MaxRequestBytes), text, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task A_wfs_post_nested_fifty_thousand_deep_is_refused_at_the_depth_limit_without_loading_it()
    {
        var body = "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\">"
            + string.Concat(Enumerable.Repeat("<wfs:Query typeNames=\"sr:municipalities\">", 50_000));
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await _client.PostAsync("/wfs", new StringContent(body, Encoding.UTF8, "application/xml"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"more than {WfsXml.MaxDepth} deep", text, StringComparison.Ordinal);
        // Loading such a document before checking it took 10 to 25 s (the reader resolves names in time proportional to depth).
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(3), $"took {started.Elapsed}");
    }

    [Theory]
    [InlineData("(", ")", "")]
    [InlineData("NOT ", "", "")]
    [InlineData("CASEI(", ")", "CASEI")]
    public async Task Cql2_text_nests_to_its_limit_and_not_one_level_more(string open, string close, string kind)
    {
        string Filter(int depth) => kind == "CASEI"
            ? string.Concat(Enumerable.Repeat(open, depth)) + "KOMMUNNAMN" + string.Concat(Enumerable.Repeat(close, depth)) + " = 'åre'"
            : string.Concat(Enumerable.Repeat(open, depth)) + "KOMMUNNAMN = 'Åre'" + string.Concat(Enumerable.Repeat(close, depth));
        var atLimit = await _client.GetProblemAsync($"/ogc/collections/municipalities/items?filter={Uri.EscapeDataString(Filter(Cql2.MaxNesting))}");
        Assert.True(atLimit.Status == 200, atLimit.Body.ToJsonString());
        var past = await _client.GetProblemAsync($"/ogc/collections/municipalities/items?filter={Uri.EscapeDataString(Filter(Cql2.MaxNesting + 1))}");
        Assert.Equal(400, past.Status);
        Assert.Contains($"more than {Cql2.MaxNesting} levels", past.Body["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cql2_json_nests_to_its_limit_and_not_one_level_more()
    {
        // Each operator is two JSON levels (the object and its args); a comparison with a property is three.
        static string Nots(int count, string inner) =>
            string.Concat(Enumerable.Repeat("""{"op":"not","args":[""", count)) + inner + string.Concat(Enumerable.Repeat("]}", count));
        var atLimit = await _client.GetProblemAsync(
            $"/ogc/collections/municipalities/items?filter-lang=cql2-json&filter={Uri.EscapeDataString(Nots(JsonInput.MaxDepth / 2, "true"))}");
        Assert.True(atLimit.Status == 200, atLimit.Body.ToJsonString());
        var comparison = """{"op":"=","args":[{"property":"KOMMUNNAMN"},"Åre"]}""";
        var past = await _client.GetProblemAsync(
            $"/ogc/collections/municipalities/items?filter-lang=cql2-json&filter={Uri.EscapeDataString(Nots((JsonInput.MaxDepth - 2) / 2, comparison))}");
        Assert.Equal(400, past.Status);
        Assert.Contains($"{JsonInput.MaxDepth}", past.Body["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wkt_literal_nests_to_its_limit_and_not_one_level_more()
    {
        static string Filter(int depth) => "S_INTERSECTS(geometry, " + string.Concat(Enumerable.Repeat("GEOMETRYCOLLECTION(", depth - 1))
            + "POINT(14.64 63.18)" + new string(')', depth - 1) + ")";
        var atLimit = await _client.GetProblemAsync($"/ogc/collections/municipalities/items?filter={Uri.EscapeDataString(Filter(Cql2.MaxWktNesting))}");
        Assert.True(atLimit.Status == 200, atLimit.Body.ToJsonString());
        var past = await _client.GetProblemAsync($"/ogc/collections/municipalities/items?filter={Uri.EscapeDataString(Filter(Cql2.MaxWktNesting + 1))}");
        Assert.Equal(400, past.Status);
        Assert.Contains($"more than {Cql2.MaxWktNesting}", past.Body["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fes_filter_nests_to_the_xml_limit_and_not_one_level_more()
    {
        // fes:Filter, the fes:Not elements, the comparison, and its operands: the operands sit at depth nots + 3.
        static string Filter(int nots) => FesFilter(string.Concat(Enumerable.Repeat("<fes:Not>", nots))
            + "<fes:PropertyIsEqualTo><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><fes:Literal>Åre</fes:Literal></fes:PropertyIsEqualTo>"
            + string.Concat(Enumerable.Repeat("</fes:Not>", nots)));
        var nots = WfsXml.MaxDepth - 3;
        var atLimit = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("FILTER", Filter(nots))));
        Assert.True(atLimit.Status == 200, atLimit.Text);
        var past = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("FILTER", Filter(nots + 1))));
        Assert.Equal(400, past.Status);
        Assert.Equal("FILTER", past.Exception.Locator);
        Assert.Contains($"{WfsXml.MaxDepth}", past.Exception.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Geometry_collections_nested_past_the_json_limit_are_refused_and_nothing_is_written()
    {
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("""{"type":"GeometryCollection","geometries":[""", depth))
            + """{"type":"Point","coordinates":[14.64,63.18]}""" + string.Concat(Enumerable.Repeat("]}", depth));
        using var editor = db.CreateClient(ApiRole.Editor);
        var body = $$$"""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},"geometry":{{{Nested(200)}}}}]}""";
        using var response = await editor.PutAsync("/api/layers/robustness-nested?key=id",
            new StringContent(body, Encoding.UTF8, "application/geo+json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = 'robustness-nested'"));
    }
}

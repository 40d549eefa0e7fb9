using System.Net.Http.Headers;
using System.Text;
using SpatialRegion.Api.Wfs;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Robustness;

/// <summary>
/// A seeded run of hostile requests against the service as a real process on a loopback port, over every family:
/// REST, OGC API, WFS by GET and POST, analyses, indicators, layer and value uploads, with and without a key.
/// None may answer 5xx or drop the connection; afterwards the process still answers /health and every layer
/// has the features it had. The seed is fixed, so a failure names a request that fails again.
/// </summary>
public sealed class HostileInputTests(PostgisFixture db)
{
    private const int Seed = 20_261_205;
    private const int Requests = 400;

    [Fact]
    public async Task Hundreds_of_hostile_requests_get_no_5xx_and_change_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await HostileValues.FeatureCountsAsync(db);
        await using var service = await ServiceProcess.StartAsync(db.ConnectionString, new Dictionary<string, string> { ["Jobs__SchedulerEnabled"] = "false" });
        using var anonymous = new HttpClient { BaseAddress = new Uri(service.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        using var editor = new HttpClient { BaseAddress = new Uri(service.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        editor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", db.KeyOf(ApiRole.Editor));

        var random = new Random(Seed);
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < Requests; i++)
        {
            using var request = Hostile(random, i);
            var client = random.Next(2) == 0 ? anonymous : editor;
            var described = $"#{i} {request.Method} {Shorten(request.RequestUri!.ToString())}";
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, ct);
            }
            catch (HttpRequestException e)
            {
                Assert.Fail($"{described}: the connection failed: {e.Message}");
                return;
            }
            using (response)
            {
                await HostileValues.AssertRefusedProperlyAsync(response, described);
                statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
            }
        }

        Assert.False(service.HasExited);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await anonymous.GetAsync("/health", ct)).StatusCode);
        Assert.Equal(before, await HostileValues.FeatureCountsAsync(db));
        // The run reached past the first checks: refusals of several kinds, and some answers that were not refusals.
        Assert.True(statuses.Keys.Count(s => s >= 400) >= 4, string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        Assert.Contains(statuses.Keys, s => s == 413);
        Assert.Contains(statuses.Keys, s => s is 401);
    }

    private static HttpRequestMessage Hostile(Random random, int index)
    {
        string Value() => HostileValues.InUrl[random.Next(HostileValues.InUrl.Length)];
        string Parameter() => HostileValues.Parameters[random.Next(HostileValues.Parameters.Length)];
        return (index % 10) switch
        {
            0 => Get($"/api/layers/{Pick(random, "municipalities", "counties", "tatorter", Value())}/features?{Parameter()}={Value()}"),
            1 => Get($"/ogc/collections/{Pick(random, "municipalities", "counties")}/items?{Pick(random, "filter-lang=cql2-json&", "")}{Parameter()}={Value()}"),
            2 => Get($"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST={Pick(random, "GetFeature", "GetPropertyValue", "DescribeFeatureType")}"
                + $"&TYPENAMES=sr:municipalities&{Parameter()}={Value()}"),
            3 => Post("/wfs", WfsBody(random), Pick(random, "application/xml", "text/xml")),
            4 => Post($"/api/analysis/{Pick(random, "overlay", "spatial-join", "interpolate")}", AnalysisBody(random), "application/json"),
            5 => Get($"/api/indicators/{Pick(random, "population", Value())}/{Pick(random, "values", "map")}?{Parameter()}={Value()}"),
            6 => Post($"/api/indicators/{Pick(random, "population", "no-such-indicator")}/values", ValuesBody(random), Pick(random, "text/csv", "application/json")),
            7 => Put($"/api/layers/hostile-{index}?key={Value()}", GeoJsonBody(random), Pick(random, "application/geo+json", "application/json")),
            8 => Get($"/{Pick(random, "api/layers", "ogc/collections", "api/indicators", "api/jobs")}/{Value()}/{Pick(random, "items", "features", "runs", "")}"),
            _ => Post(Pick(random, "/api/indicators", "/api/admin/api-keys"), JsonBody(random), "application/json"),
        };
    }

    private static string WfsBody(Random random) => random.Next(6) switch
    {
        0 => "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\">"
            + string.Concat(Enumerable.Repeat("<wfs:Query typeNames=\"sr:municipalities\">", 50_000)),
        1 => "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>"
            + "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\">&lol2;</wfs:GetFeature>",
        2 => "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"><!--"
            + new string('x', (int)WfsApi.MaxRequestBytes + 1024) + "--></wfs:GetFeature>",
        3 => "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:fes=\"http://www.opengis.net/fes/2.0\" service=\"WFS\" version=\"2.0.0\">"
            + "<wfs:Query typeNames=\"sr:municipalities\"><fes:Filter>" + string.Concat(Enumerable.Repeat("<fes:Not>", 5_000))
            + "</fes:Filter></wfs:Query></wfs:GetFeature>",
        4 => "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:fes=\"http://www.opengis.net/fes/2.0\" xmlns:gml=\"http://www.opengis.net/gml/3.2\" service=\"WFS\" version=\"2.0.0\">"
            + "<wfs:Query typeNames=\"sr:municipalities\"><fes:Filter><fes:Intersects><fes:ValueReference>geometry</fes:ValueReference>"
            + string.Concat(Enumerable.Repeat("<gml:MultiGeometry><gml:geometryMember>", 3_000))
            + "</fes:Intersects></fes:Filter></wfs:Query></wfs:GetFeature>",
        _ => "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\"><wfs:Query typeNames=\"sr:\u0001\uFFFE\"/></wfs:GetFeature>",
    };

    private static string AnalysisBody(Random random) => random.Next(6) switch
    {
        0 => $$$"""{"operation":"intersection","a":{"layer":"municipalities","filter":"{{{new string('(', 50_000)}}}"},"b":{"layer":"counties"}}""",
        1 => """{"operation":"intersection","operation":"union","a":{"layer":"municipalities"},"b":{"layer":"counties"}}""",
        2 => string.Concat(Enumerable.Repeat("""{"a":[""", 10_000)),
        3 => """{"operation":"intersection","a":{"layer":"municipalities\u0000"},"b":{"layer":"counties","filter":"LAN_KOD = '\u0000'"}}""",
        4 => """{"operation":"intersection","a":{"geojson":""" + Nested(500) + """},"b":{"layer":"counties"}}""",
        _ => """{"operation":"intersection","a":{"layer":"municipalities","filter":{"op":"=","args":[{"property":"LAN_KOD"},"23"],"args":[]}},"b":{"layer":"counties"}}""",
    };

    private static string ValuesBody(Random random) => random.Next(4) switch
    {
        0 => "area,period,value\n2380,2024,\u0000\n",
        1 => "area,period,value\n" + string.Concat(Enumerable.Repeat("2380,2024,1e400\n", 100)),
        2 => """[{"area":"2380","area":"2303","period":"2024","value":1}]""",
        _ => """[{"area":"2380\u0000","period":"2024","value":1}]""",
    };

    private static string GeoJsonBody(Random random) => random.Next(4) switch
    {
        0 => """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},"geometry":""" + Nested(300) + "}]}",
        1 => """{"type":"FeatureCollection","type":"Feature","features":[]}""",
        2 => """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a\u0000"},"geometry":{"type":"Point","coordinates":[14.6,63.2]}}]}""",
        _ => string.Concat(Enumerable.Repeat("[", 100_000)),
    };

    private static string JsonBody(Random random) => random.Next(3) switch
    {
        0 => """{"id":"hostile","id":"other","title":{"sv":"x"}}""",
        1 => string.Concat(Enumerable.Repeat("""{"x":""", 5_000)),
        _ => """{"name":"\u0000","role":"admin"}""",
    };

    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("""{"type":"GeometryCollection","geometries":[""", depth))
        + """{"type":"Point","coordinates":[14.64,63.18]}""" + string.Concat(Enumerable.Repeat("]}", depth));

    private static string Pick(Random random, params string[] options) => options[random.Next(options.Length)];

    private static HttpRequestMessage Get(string url) => new(HttpMethod.Get, url);

    private static HttpRequestMessage Post(string url, string body, string mediaType) =>
        new(HttpMethod.Post, url) { Content = Content(body, mediaType) };

    private static HttpRequestMessage Put(string url, string body, string mediaType) =>
        new(HttpMethod.Put, url) { Content = Content(body, mediaType) };

    /// <summary>Some bodies go without a Content-Length (chunked), so that the limits are also met while reading.</summary>
    private static HttpContent Content(string body, string mediaType)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        HttpContent content = body.Length % 2 == 0 ? new ByteArrayContent(bytes) : new StreamContent(new UnknownLengthStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;

    /// <summary>A body whose length the client cannot know in advance, so it is sent chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Layers;

public sealed class LayersApiTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    [Fact]
    public async Task Layer_list_gives_counts_extents_in_both_crs_source_licence_and_links()
    {
        var list = await _client.GetJsonAsync("/api/layers");
        var layers = list["layers"]!.AsArray().Select(l => l!.AsObject()).ToDictionary(l => l["id"]!.GetValue<string>());

        string[] expected = ["municipalities", "counties", "tatorter", "tatort-areas", "population-grid-1km", "pharmacies",
            "health-facilities", "norway-municipalities", "fa-regions", "labour-market-regions"];
        Assert.All(expected, id => Assert.Contains(id, layers.Keys));

        var m = layers["municipalities"];
        Assert.Equal(290, m["featureCount"]!.GetValue<int>());
        Assert.Equal(21, layers["counties"]["featureCount"]!.GetValue<int>());
        Assert.Equal(6554, layers["population-grid-1km"]["featureCount"]!.GetValue<int>());
        Assert.Equal(67, layers["labour-market-regions"]["featureCount"]!.GetValue<int>());
        Assert.Equal(60, layers["fa-regions"]["featureCount"]!.GetValue<int>());
        Assert.Equal(24, layers["norway-municipalities"]["featureCount"]!.GetValue<int>());
        Assert.Equal("MultiPolygon", m["geometryType"]!.GetValue<string>());
        Assert.Contains("Lantmäteriet", m["source"]!.GetValue<string>());
        Assert.Contains("CC0", m["licence"]!.GetValue<string>());

        var wgs84 = m["extent"]!["wgs84"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var sweref = m["extent"]!["epsg3006"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.InRange(wgs84[0], 10, 12);     // west coast, longitude
        Assert.InRange(wgs84[3], 69, 69.2);   // Treriksröset, latitude
        Assert.InRange(sweref[0], 240_000, 300_000);
        Assert.InRange(sweref[3], 7_600_000, 7_700_000);

        var links = m["links"]!.AsArray().Select(l => l!["rel"]!.GetValue<string>()).ToList();
        Assert.Contains("self", links);
        Assert.Contains("items", links);
    }

    [Fact]
    public async Task Features_are_geojson_with_the_layer_attributes()
    {
        using var response = await _client.GetAsync("/api/layers/municipalities/features/2380", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        var feature = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();

        Assert.Equal("Feature", feature["type"]!.GetValue<string>());
        Assert.Equal("2380", feature.Id());
        Assert.Equal("Östersund", feature["properties"]!["KOMMUNNAMN"]!.GetValue<string>());
        Assert.Equal(2380, feature["properties"]!["KOMMUNKOD"]!.GetValue<int>());
        Assert.Equal("MultiPolygon", feature["geometry"]!["type"]!.GetValue<string>());
        // RFC 7946: WGS 84 longitude, latitude.
        Assert.All(GeoJsonHttp.Positions(feature["geometry"]!["coordinates"]!), p =>
        {
            Assert.InRange(p.X, 13.5, 16.0);
            Assert.InRange(p.Y, 62.5, 63.6);
        });
    }

    [Fact]
    public async Task Properties_keep_the_source_order_and_can_be_narrowed()
    {
        var all = await _client.GetJsonAsync("/api/layers/municipalities/features/2380");
        Assert.Equal(["KOMMUNNAMN", "KKOD", "KATEGORI", "LANSNAMN", "KOMMUNKOD", "LANSKOD", "KOM_KOD", "LAN_KOD", "ADAT"],
            all["properties"]!.AsObject().Select(p => p.Key));

        var some = await _client.GetJsonAsync("/api/layers/municipalities/features?limit=3&properties=KOMMUNNAMN,LAN_KOD");
        Assert.All(some.Features(), f => Assert.Equal(["KOMMUNNAMN", "LAN_KOD"], f["properties"]!.AsObject().Select(p => p.Key)));
    }

    [Fact]
    public async Task Walking_pages_of_seven_returns_each_municipality_exactly_once()
    {
        var seen = new List<string>();
        string? url = "/api/layers/municipalities/features?limit=7&properties=KOM_KOD";
        var pages = 0;
        while (url is not null)
        {
            var page = await _client.GetJsonAsync(url);
            Assert.Equal(290, page["numberMatched"]!.GetValue<int>());
            var ids = page.Features().Select(f => f.Id()).ToList();
            Assert.Equal(ids.Count, page["numberReturned"]!.GetValue<int>());
            seen.AddRange(ids);
            url = page.NextLink();
            if (url is not null)
            {
                Assert.Contains("limit=7", url);
                Assert.Contains("properties=KOM_KOD", url);
            }
            pages++;
            Assert.True(pages <= 42, "paging does not end");
        }

        Assert.Equal(42, pages);
        Assert.Equal(290, seen.Count);
        Assert.Equal(290, seen.Distinct().Count());
    }

    [Fact]
    public async Task A_bbox_around_Ostersund_returns_Ostersund_and_its_neighbours_and_nothing_far_away()
    {
        // About 10 km around Östersund town centre (14.64 E, 63.18 N).
        var collection = await _client.GetJsonAsync("/api/layers/municipalities/features?bbox=14.45,63.13,14.85,63.23&properties=KOMMUNNAMN,LAN_KOD");
        var ids = collection.Features().Select(f => f.Id()).ToHashSet();

        Assert.Contains("2380", ids);
        Assert.Contains("2309", ids); // Krokom, across Storsjön to the north-west
        Assert.Subset(new HashSet<string> { "2380", "2309", "2326", "2305", "2313", "2321" }, ids);
        Assert.All(collection.Features(), f => Assert.Equal("23", f["properties"]!["LAN_KOD"]!.GetValue<string>()));

        // The same box given in SWEREF 99 TM (easting, northing) selects the same municipalities.
        var (minE, minN) = Sweref99Tm.FromLonLat(14.45, 63.13);
        var (maxE, maxN) = Sweref99Tm.FromLonLat(14.85, 63.23);
        var inSweref = await _client.GetJsonAsync(FormattableString.Invariant(
            $"/api/layers/municipalities/features?bbox={minE},{minN},{maxE},{maxN}&bbox-crs=EPSG:3006&properties=KOM_KOD"));
        Assert.True(inSweref.Features().Select(f => f.Id()).ToHashSet().IsSupersetOf(["2380", "2309"]));
    }

    [Fact]
    public async Task A_feature_in_sweref_and_in_wgs84_agree_within_a_centimetre()
    {
        var sweref = await _client.GetJsonAsync("/api/layers/tatorter/features/2380TC114?crs=EPSG:3006");
        var wgs84 = await _client.GetJsonAsync("/api/layers/tatorter/features/2380TC114");
        var polygonSweref = await _client.GetJsonAsync("/api/layers/municipalities/features/2305?crs=EPSG:3006");
        var polygonWgs84 = await _client.GetJsonAsync("/api/layers/municipalities/features/2305");

        foreach (var (a, b) in new[] { (sweref, wgs84), (polygonSweref, polygonWgs84) })
        {
            var metres = GeoJsonHttp.Positions(a["geometry"]!["coordinates"]!).ToList();
            var degrees = GeoJsonHttp.Positions(b["geometry"]!["coordinates"]!).ToList();
            Assert.Equal(metres.Count, degrees.Count);
            for (var i = 0; i < metres.Count; i++)
            {
                var (e, n) = Sweref99Tm.FromLonLat(degrees[i].X, degrees[i].Y);
                Assert.InRange(Math.Sqrt(Math.Pow(e - metres[i].X, 2) + Math.Pow(n - metres[i].Y, 2)), 0, 0.01);
            }
        }
        // Östersund tätort, SCB's point in SWEREF 99 TM.
        var (x, y) = GeoJsonHttp.Positions(sweref["geometry"]!["coordinates"]!).Single();
        Assert.InRange(x, 450_000, 500_000);
        Assert.InRange(y, 6_990_000, 7_020_000);
    }

    [Fact]
    public async Task Web_mercator_output_and_bbox_are_supported()
    {
        var collection = await _client.GetJsonAsync("/api/layers/tatorter/features?crs=EPSG:3857&code=2380TC114");
        var (x, y) = GeoJsonHttp.Positions(collection.Features().Single()["geometry"]!["coordinates"]!).Single();
        Assert.InRange(x, 1_620_000, 1_640_000);  // 14.6 E
        Assert.InRange(y, 9_120_000, 9_150_000);  // 63.18 N

        var inBox = await _client.GetJsonAsync(FormattableString.Invariant(
            $"/api/layers/tatorter/features?bbox={x - 100},{y - 100},{x + 100},{y + 100}&bbox-crs=EPSG:3857"));
        Assert.Equal(["2380TC114"], inBox.Features().Select(f => f.Id()));
    }

    [Fact]
    public async Task Attribute_filters_compare_by_the_property_type_and_repeat_as_any_of()
    {
        var byString = await _client.GetJsonAsync("/api/layers/municipalities/features?LAN_KOD=23&properties=KOM_KOD");
        var byNumber = await _client.GetJsonAsync("/api/layers/municipalities/features?LANSKOD=23&properties=KOM_KOD");
        Assert.Equal(byString.Features().Select(f => f.Id()), byNumber.Features().Select(f => f.Id()));

        var two = await _client.GetJsonAsync("/api/layers/municipalities/features?KOM_KOD=2380&KOM_KOD=0180&properties=KOM_KOD");
        Assert.Equal(["0180", "2380"], two.Features().Select(f => f.Id()));

        var none = await _client.GetJsonAsync("/api/layers/municipalities/features?KOMMUNNAMN=' OR 1=1 --");
        Assert.Equal(0, none["numberMatched"]!.GetValue<int>());
        Assert.Empty(none.Features());
    }

    [Fact]
    public async Task The_layer_version_is_the_etag_and_revalidation_answers_304()
    {
        using var first = await _client.GetAsync("/api/layers/counties/features?limit=2", TestContext.Current.CancellationToken);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.Equal("public, no-cache", first.Headers.CacheControl?.ToString());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/layers/counties/features?limit=2");
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);

        using var other = new HttpRequestMessage(HttpMethod.Get, "/api/layers/counties/features?limit=2");
        other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"counties-0\"", isWeak: true));
        using var third = await _client.SendAsync(other, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task Non_default_crs_is_declared_in_the_body_and_the_header()
    {
        using var response = await _client.GetAsync("/api/layers/counties/features?limit=1&crs=EPSG:3006", TestContext.Current.CancellationToken);
        Assert.Equal("<http://www.opengis.net/def/crs/EPSG/0/3006>", response.Headers.GetValues("Content-Crs").Single());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("urn:ogc:def:crs:EPSG::3006", body["crs"]!["properties"]!["name"]!.GetValue<string>());

        using var wgs84 = await _client.GetAsync("/api/layers/counties/features?limit=1", TestContext.Current.CancellationToken);
        Assert.Equal("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>", wgs84.Headers.GetValues("Content-Crs").Single());
    }

    [Theory]
    [InlineData("/api/layers/nowhere/features", 404, "nowhere")]
    [InlineData("/api/layers/nowhere", 404, "nowhere")]
    [InlineData("/api/layers/municipalities/features/9999", 404, "9999")]
    [InlineData("/api/layers/municipalities/features?bbox=14,63,15", 400, "four comma-separated numbers")]
    [InlineData("/api/layers/municipalities/features?bbox=14,63,abc,64", 400, "'abc' is not a number")]
    [InlineData("/api/layers/municipalities/features?bbox=15,63,14,64", 400, "lower corner first")]
    [InlineData("/api/layers/municipalities/features?bbox=14,63,15,95", 400, "-90..90")]
    [InlineData("/api/layers/municipalities/features?bbox-crs=EPSG:3006", 400, "without a bbox")]
    [InlineData("/api/layers/municipalities/features?bbox=1,2,3,4&bbox-crs=EPSG:2400", 400, "EPSG:3006")]
    [InlineData("/api/layers/municipalities/features?limit=abc", 400, "limit must be a whole number from 1 to 10000")]
    [InlineData("/api/layers/municipalities/features?limit=0", 400, "limit must be a whole number from 1 to 10000")]
    [InlineData("/api/layers/municipalities/features?limit=10001", 400, "limit must be a whole number from 1 to 10000")]
    [InlineData("/api/layers/municipalities/features?offset=-1", 400, "offset must be a whole number")]
    [InlineData("/api/layers/municipalities/features?crs=EPSG:9999", 400, "Supported: EPSG:4326 (CRS84, the default), EPSG:3006 (SWEREF 99 TM), EPSG:3857")]
    [InlineData("/api/layers/municipalities/features?crs=nonsense", 400, "Supported:")]
    [InlineData("/api/layers/municipalities/features?colour=red", 400, "Unknown query parameter 'colour'")]
    [InlineData("/api/layers/municipalities/features?properties=KOMMUNNAMN,colour", 400, "no property 'colour'")]
    [InlineData("/api/layers/municipalities/features?LANSKOD=twenty-three", 400, "not a valid integer")]
    [InlineData("/api/layers/municipalities/features/2380?crs=EPSG:1", 400, "Supported:")]
    [InlineData("/api/layers/municipalities/features/2380?limit=1", 400, "Unknown query parameter 'limit'")]
    public async Task Bad_requests_get_a_problem_that_says_what_is_wrong(string url, int status, string detail)
    {
        var (actual, contentType, problem) = await _client.GetProblemAsync(url);
        Assert.Equal(status, actual);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.Contains(detail, problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Head_answers_like_get_without_a_body()
    {
        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/layers/counties/features?limit=1"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("application/geo+json", head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }
}

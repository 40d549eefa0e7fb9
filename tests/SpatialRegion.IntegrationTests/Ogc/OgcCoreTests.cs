using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Ogc;

/// <summary>OGC API - Features Part 1 (core, oas30, geojson, html) and the HTTP behaviour around it, against the
/// real layers. Modelled on the checks of the OGC test suite (ets-ogcapi-features10) where it has one.</summary>
public sealed class OgcCoreTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    private static IEnumerable<JsonObject> Links(JsonNode doc) => doc["links"]!.AsArray().Select(l => l!.AsObject());

    private static JsonObject Link(JsonNode doc, string rel, string? type = null) =>
        Links(doc).First(l => l["rel"]!.GetValue<string>() == rel && (type is null || l["type"]!.GetValue<string>() == type));

    private static string Path(string href) => new Uri(href).PathAndQuery;

    [Fact]
    public async Task Landing_page_links_the_api_definition_conformance_and_data()
    {
        var landing = await _client.GetJsonAsync("/ogc");
        var serviceDesc = Link(landing, "service-desc", "application/vnd.oai.openapi+json;version=3.0");
        Assert.EndsWith("/ogc/api", serviceDesc["href"]!.GetValue<string>());
        Assert.Equal("text/html", Link(landing, "service-doc")["type"]!.GetValue<string>());
        Assert.EndsWith("/ogc/conformance", Link(landing, "conformance")["href"]!.GetValue<string>());
        Assert.EndsWith("/ogc/collections", Link(landing, "data")["href"]!.GetValue<string>());
        Assert.All(Links(landing), l => Assert.NotNull(l["type"]));
    }

    [Fact]
    public async Task Conformance_declares_the_classes_qgis_needs_to_push_filters_down()
    {
        var conformance = await _client.GetJsonAsync("/ogc/conformance");
        var classes = conformance["conformsTo"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core", classes);
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30", classes);
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs", classes);
        foreach (var needed in new[] { "ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/features-filter", "cql2/1.0/conf/basic-cql2", "cql2/1.0/conf/cql2-text" })
        {
            Assert.Contains("http://www.opengis.net/spec/" + needed, classes);
        }
    }

    [Fact]
    public async Task Api_definition_is_openapi_3_0_with_the_limit_qgis_reads_and_literal_items_paths()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ogc/api");
        request.Headers.Accept.ParseAdd("application/vnd.oai.openapi+json;version=3.0, application/openapi+json;version=3.0, application/json");
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.oai.openapi+json;version=3.0", response.Content.Headers.ContentType!.ToString().Replace(" ", ""));
        var api = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;

        Assert.StartsWith("3.0.", api["openapi"]!.GetValue<string>());
        Assert.EndsWith("/ogc", api["servers"]![0]!["url"]!.GetValue<string>());
        var limit = api["components"]!["parameters"]!["limit"]!;
        Assert.Equal("query", limit["in"]!.GetValue<string>());
        Assert.Equal(1, limit["schema"]!["minimum"]!.GetValue<int>());
        Assert.Equal(10000, limit["schema"]!["maximum"]!.GetValue<int>());
        Assert.Equal(1000, limit["schema"]!["default"]!.GetValue<int>());
        var bbox = api["components"]!["parameters"]!["bbox"]!;
        Assert.Equal(("form", false, "array", 4, 6), (bbox["style"]!.GetValue<string>(), bbox["explode"]!.GetValue<bool>(),
            bbox["schema"]!["type"]!.GetValue<string>(), bbox["schema"]!["minItems"]!.GetValue<int>(), bbox["schema"]!["maxItems"]!.GetValue<int>()));

        var paths = api["paths"]!.AsObject();
        var items = paths["/collections/{collectionId}/items"]!["get"]!["parameters"]!.AsArray().Select(p => p!["$ref"]?.GetValue<string>()).ToList();
        foreach (var name in new[] { "limit", "bbox", "datetime", "crs", "bbox-crs", "filter", "filter-lang" })
        {
            Assert.Contains("#/components/parameters/" + name, items);
        }
        // Every collection has a literal items path listing its queryables as simple parameters.
        var literal = paths["/collections/municipalities/items"]!["get"]!["parameters"]!.AsArray();
        var lanKod = literal.Single(p => p!["name"]?.GetValue<string>() == "LAN_KOD")!;
        Assert.Equal(("query", "form", false, "string"), (lanKod["in"]!.GetValue<string>(), lanKod["style"]!.GetValue<string>(),
            lanKod["explode"]!.GetValue<bool>(), lanKod["schema"]!["type"]!.GetValue<string>()));
        Assert.NotNull(paths["/collections/population-grid-1km/items"]);
    }

    [Fact]
    public async Task Every_layer_is_a_collection_with_crs_storage_crs_and_the_same_metadata_alone_and_listed()
    {
        var collections = await _client.GetJsonAsync("/ogc/collections");
        Assert.Equal("http://www.opengis.net/def/crs/OGC/1.3/CRS84", collections["crs"]![0]!.GetValue<string>());
        var listed = collections["collections"]!.AsArray().Select(c => c!.AsObject()).ToList();
        var layerIds = new List<string>();
        await using (var cmd = db.DataSource.CreateCommand("SELECT id FROM layers ORDER BY id"))
        await using (var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                layerIds.Add(reader.GetString(0));
            }
        }
        Assert.Subset(listed.Select(c => c["id"]!.GetValue<string>()).ToHashSet(), layerIds.ToHashSet());

        foreach (var c in listed.Where(c => !c["id"]!.GetValue<string>().StartsWith("test-", StringComparison.Ordinal)))
        {
            var id = c["id"]!.GetValue<string>();
            Assert.DoesNotContain('.', id);
            var crs = c["crs"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
            Assert.Equal(["http://www.opengis.net/def/crs/OGC/1.3/CRS84", "http://www.opengis.net/def/crs/EPSG/0/3006",
                "http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/3857"], crs);
            Assert.Equal("http://www.opengis.net/def/crs/EPSG/0/3006", c["storageCrs"]!.GetValue<string>());
            Assert.Equal("feature", c["itemType"]!.GetValue<string>());
            Assert.EndsWith($"/ogc/collections/{id}/items", Link(c, "items", "application/geo+json")["href"]!.GetValue<string>());

            var alone = await _client.GetJsonAsync($"/ogc/collections/{id}");
            Assert.Equal(c["title"]!.ToJsonString(), alone["title"]!.ToJsonString());
            Assert.Equal(c["description"]!.ToJsonString(), alone["description"]!.ToJsonString());
            Assert.Equal(c["extent"]!.ToJsonString(), alone["extent"]!.ToJsonString());
        }
        var municipalities = listed.Single(c => c["id"]!.GetValue<string>() == "municipalities");
        var box = municipalities["extent"]!["spatial"]!["bbox"]![0]!.AsArray().Select(n => n!.GetValue<double>()).ToArray();
        Assert.InRange(box[0], 10, 12);
        Assert.InRange(box[3], 68, 70);
    }

    [Fact]
    public async Task Items_page_through_every_municipality_exactly_once_with_counts_and_a_next_link_until_the_end()
    {
        var seen = new List<string>();
        string? url = "/ogc/collections/municipalities/items?limit=100&properties=KOM_KOD&sortby=-KOM_KOD";
        var pages = 0;
        while (url is not null)
        {
            var page = await _client.GetJsonAsync(url);
            pages++;
            Assert.Equal("FeatureCollection", page["type"]!.GetValue<string>());
            Assert.Equal(290, page["numberMatched"]!.GetValue<int>());
            var features = page.Features().ToList();
            Assert.Equal(features.Count, page["numberReturned"]!.GetValue<int>());
            Assert.True(DateTimeOffset.TryParse(page["timeStamp"]!.GetValue<string>(), out _));
            Assert.Equal("application/geo+json", Link(page, "self")["type"]!.GetValue<string>());
            Assert.Equal("text/html", Link(page, "alternate")["type"]!.GetValue<string>());
            Assert.NotNull(Link(page, "collection"));
            seen.AddRange(features.Select(f => f.Id()));
            url = page.NextLink() is { } next ? Path(next) : null;
            if (url is not null)
            {
                // next keeps every parameter of the request.
                Assert.Contains("limit=100", url);
                Assert.Contains("properties=KOM_KOD", url);
                Assert.Contains("sortby=-KOM_KOD", url);
            }
        }
        Assert.Equal(3, pages);
        Assert.Equal(290, seen.Distinct().Count());
        Assert.Equal(290, seen.Count);
        Assert.Equal(seen.OrderByDescending(s => s, StringComparer.Ordinal), seen);

        var last = await _client.GetJsonAsync("/ogc/collections/municipalities/items?limit=100&offset=200");
        Assert.Equal(90, last["numberReturned"]!.GetValue<int>());
        Assert.Null(last.NextLink());
        Assert.Contains("offset=100", Link(last, "prev")["href"]!.GetValue<string>());
        var exact = await _client.GetJsonAsync("/ogc/collections/municipalities/items?limit=290");
        Assert.Null(exact.NextLink());
    }

    [Fact]
    public async Task Limits_above_the_maximum_are_served_at_the_maximum_and_repeated_parameters_count_once()
    {
        var page = await _client.GetJsonAsync("/ogc/collections/population-grid-1km/items?limit=20000&properties=rutid_scb");
        Assert.Equal(6554, page["numberMatched"]!.GetValue<int>());
        Assert.Equal(6554, page["numberReturned"]!.GetValue<int>());
        var twice = await _client.GetJsonAsync("/ogc/collections/municipalities/items?limit=5&limit=7&offset=10&offset=99");
        Assert.Equal(5, twice["numberReturned"]!.GetValue<int>());
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(twice.NextLink()!, "limit="));
    }

    [Fact]
    public async Task A_feature_has_its_links_and_name_value_queryables_filter_items()
    {
        var feature = await _client.GetJsonAsync("/ogc/collections/municipalities/items/2380");
        Assert.Equal("2380", feature.Id());
        Assert.Equal("Östersund", feature["properties"]!["KOMMUNNAMN"]!.GetValue<string>());
        Assert.EndsWith("/ogc/collections/municipalities/items/2380", Link(feature, "self", "application/geo+json")["href"]!.GetValue<string>());
        Assert.EndsWith("/ogc/collections/municipalities", Link(feature, "collection", "application/json")["href"]!.GetValue<string>());

        var jamtland = await _client.GetJsonAsync("/ogc/collections/municipalities/items?LAN_KOD=23&properties=KOMMUNNAMN");
        Assert.Equal(8, jamtland["numberMatched"]!.GetValue<int>());
        Assert.Equal(["KOMMUNNAMN"], jamtland.Features().First()["properties"]!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("/ogc/collections/municipalities/items?limit=unlimited", "limit")]
    [InlineData("/ogc/collections/municipalities/items?limit=0", "limit")]
    [InlineData("/ogc/collections/municipalities/items?offset=-1", "offset")]
    [InlineData("/ogc/collections/municipalities/items?unknownQueryParameter1xxxx=1", "unknownQueryParameter1xxxx")]
    [InlineData("/ogc/collections/municipalities/items?bbox=1,2,3", "bbox")]
    [InlineData("/ogc/collections/municipalities/items?bbox=13,64,14,63", "bbox")]
    [InlineData("/ogc/collections/municipalities/items?bbox=13,-95,14,63", "bbox")]
    [InlineData("/ogc/collections/municipalities/items?bbox=14,63,15,64&bbox-crs=http://www.opengis.net/def/crs/0/unsupported", "bbox-crs")]
    [InlineData("/ogc/collections/municipalities/items?bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3006", "bbox-crs")]
    [InlineData("/ogc/collections/municipalities/items?crs=http://www.opengis.net/def/crs/0/unsupported", "crs")]
    [InlineData("/ogc/collections/municipalities/items/2380?crs=http://www.opengis.net/def/crs/0/unsupported", "crs")]
    [InlineData("/ogc/collections/municipalities/items/2380?limit=1", "limit")]
    [InlineData("/ogc/collections/municipalities/items?properties=colour", "colour")]
    [InlineData("/ogc/collections/municipalities/items?sortby=colour", "colour")]
    [InlineData("/ogc/collections/municipalities/items?KOMMUNKOD=abc", "KOMMUNKOD")]
    [InlineData("/ogc/collections/municipalities/items?datetime=2024-01-01", "no time property")]
    [InlineData("/ogc/collections/municipalities/items?filter=LAN_KOD%20%3D%20", "position 11")]
    [InlineData("/ogc/collections/municipalities/items?filter=KOMMUNKOD%20%3D%20%272380%27", "number property 'KOMMUNKOD'")]
    [InlineData("/ogc/collections/municipalities/items?filter=colour%20%3D%201", "no property 'colour'")]
    [InlineData("/ogc/collections/municipalities/items?filter=x&filter-lang=sql", "filter-lang")]
    [InlineData("/ogc/collections/municipalities/items?filter-lang=cql2-json", "need a filter")]
    [InlineData("/ogc/collections/municipalities/items?filter-lang=cql2-json&filter=%7B%22op%22", "CQL2 JSON syntax error")]
    [InlineData("/ogc/collections/municipalities/items?filter=%7B%22op%22", "CQL2 syntax error at position 1")]
    [InlineData("/ogc/collections/municipalities/items?f=xml", "Unsupported f")]
    public async Task Invalid_requests_are_400_with_the_ogc_exception_body(string url, string mentions)
    {
        using var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("InvalidParameterValue", body["code"]!.GetValue<string>());
        Assert.Contains(mentions, body["description"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/ogc/collections/nope")]
    [InlineData("/ogc/collections/nope/items")]
    [InlineData("/ogc/collections/nope/queryables")]
    [InlineData("/ogc/collections/municipalities/items/9999")]
    [InlineData("/ogc/collections/municipalities/items/9999.json")]
    public async Task Unknown_collections_and_features_are_404_with_the_ogc_exception_body(string url)
    {
        using var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("NotFound", body["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["description"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("/ogc/collections/municipalities/", "application/json")]
    [InlineData("/ogc/collections/municipalities.json", "application/json")]
    [InlineData("/ogc/collections/municipalities/items.geojson?limit=1", "application/geo+json")]
    [InlineData("/ogc/collections/municipalities/items/?limit=1", "application/geo+json")]
    [InlineData("/ogc/collections/municipalities/items/2380.geojson", "application/geo+json")]
    [InlineData("/ogc/collections/municipalities/items/2380.html", "text/html")]
    [InlineData("/ogc/collections.html", "text/html")]
    [InlineData("/ogc/", "application/json")]
    [InlineData("/ogc/conformance/", "application/json")]
    public async Task Trailing_slashes_and_format_suffixes_reach_the_same_resources(string url, string type)
    {
        using var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Html_is_chosen_by_f_or_by_a_browsers_accept_header_and_lists_features()
    {
        using var browser = new HttpRequestMessage(HttpMethod.Get, "/ogc/collections/municipalities/items?LAN_KOD=23&limit=3");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        using var page = await _client.SendAsync(browser, TestContext.Current.CancellationToken);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("Features 1–3 of 8", html);
        Assert.Contains("rel=\"next\"", html);
        Assert.Contains("<td>Ragunda</td>", html);

        var collections = await _client.GetStringAsync("/ogc/collections?f=html", TestContext.Current.CancellationToken);
        Assert.Contains("/ogc/collections/municipalities?f=html", collections);
        var feature = await _client.GetStringAsync("/ogc/collections/municipalities/items/2380?f=html", TestContext.Current.CancellationToken);
        Assert.Contains("Östersund", feature);
        var api = await _client.GetStringAsync("/ogc/api?f=html", TestContext.Current.CancellationToken);
        Assert.Contains("/collections/{collectionId}/items", api);

        using var json = new HttpRequestMessage(HttpMethod.Get, "/ogc/collections/municipalities/items?limit=1");
        json.Headers.Accept.ParseAdd("application/geo+json, application/json");
        using var geojson = await _client.SendAsync(json, TestContext.Current.CancellationToken);
        Assert.Equal("application/geo+json", geojson.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Accept", geojson.Headers.Vary);
    }

    [Fact]
    public async Task Options_lists_the_allowed_methods_and_head_sends_headers_only()
    {
        foreach (var url in new[] { "/ogc/collections/municipalities/items", "/ogc/collections/municipalities/items/unknown_id", "/ogc/collections" })
        {
            using var options = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Options, url), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.NoContent, options.StatusCode);
            Assert.Equal(["GET", "HEAD", "OPTIONS"], options.Content.Headers.Allow.Concat(options.Headers.TryGetValues("Allow", out var a) ? a : [])
                .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).Distinct().Order());
        }
        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/ogc/collections/municipalities/items?limit=3"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("application/geo+json", head.Content.Headers.ContentType!.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        using var headDoc = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/ogc/collections"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, headDoc.StatusCode);
        Assert.Empty(await headDoc.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Etags_revalidate_to_304_and_html_and_geojson_have_different_etags()
    {
        foreach (var url in new[] { "/ogc/collections/municipalities/items?limit=2", "/ogc/collections/municipalities/items?limit=2&f=html",
            "/ogc/collections/municipalities/items/2380", "/ogc/collections", "/ogc/api" })
        {
            using var first = await _client.GetAsync(url, TestContext.Current.CancellationToken);
            var etag = first.Headers.ETag!;
            Assert.Contains("no-cache", first.Headers.CacheControl!.ToString());
            using var again = new HttpRequestMessage(HttpMethod.Get, url);
            again.Headers.IfNoneMatch.Add(etag);
            using var revalidated = await _client.SendAsync(again, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        }
        using var json = await _client.GetAsync("/ogc/collections/municipalities/items?limit=2", TestContext.Current.CancellationToken);
        using var html = await _client.GetAsync("/ogc/collections/municipalities/items?limit=2&f=html", TestContext.Current.CancellationToken);
        Assert.NotEqual(json.Headers.ETag, html.Headers.ETag);
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/ogc/collections/municipalities/items?limit=2");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"municipalities-0\"", isWeak: true));
        using var full = await _client.SendAsync(stale, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
    }

    [Fact]
    public async Task Documents_built_from_the_registry_follow_every_change_to_it()
    {
        const string id = "test-ogc-registry";
        async Task<(bool Listed, bool InApi, string ETag)> Read()
        {
            using var response = await _client.GetAsync("/ogc/collections", TestContext.Current.CancellationToken);
            var collections = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
            var api = await _client.GetJsonAsync("/ogc/api");
            return (collections["collections"]!.AsArray().Any(c => c!["id"]!.GetValue<string>() == id),
                api["paths"]!.AsObject().ContainsKey($"/collections/{id}/items"), response.Headers.ETag!.Tag);
        }

        // The first read builds and caches the documents of this state; no change may be answered from that cache.
        await Read();
        var before = await Read();
        await db.CreatePointLayerAsync(id);
        var added = await Read();
        await db.DeleteLayerAsync(id);
        var removed = await Read();

        Assert.Equal((false, false), (before.Listed, before.InApi));
        Assert.Equal((true, true), (added.Listed, added.InApi));
        Assert.Equal((false, false), (removed.Listed, removed.InApi));
        Assert.DoesNotContain(added.ETag, new[] { before.ETag, removed.ETag });
    }

    [Fact]
    public async Task Gzip_and_brotli_are_served_to_clients_that_ask_and_never_to_others_even_from_the_cache()
    {
        const string url = "/ogc/collections/municipalities/items?LAN_KOD=23&properties=KOMMUNNAMN&limit=4";
        var plain = await Fetch(url, null);
        foreach (var coding in new[] { "gzip", "br", "gzip", "br" })
        {
            var body = await Fetch(url, coding);
            Assert.Equal(Normalise(plain), Normalise(body));
        }
        // After the compressed versions were cached, a client without Accept-Encoding still gets plain JSON.
        Assert.Equal(Normalise(plain), Normalise(await Fetch(url, null)));
        // Metadata and single features are compressed too.
        await Fetch("/ogc/collections", "br");
        await Fetch("/ogc/collections/municipalities/items/2380", "gzip");
        await Fetch("/ogc/collections/municipalities/items?limit=2&f=html", "br");
        await Fetch("/api/layers/municipalities/features?limit=2", "gzip");
    }

    private static string Normalise(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("timeStamp");
        return node.ToJsonString();
    }

    private async Task<string> Fetch(string url, string? coding)
    {
        // The handler of the test client does not decompress, so the bytes are as sent.
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (coding is not null)
        {
            request.Headers.AcceptEncoding.ParseAdd(coding);
        }
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        if (coding is null)
        {
            Assert.Empty(response.Content.Headers.ContentEncoding);
            return await new StreamReader(bytes).ReadToEndAsync(TestContext.Current.CancellationToken);
        }
        Assert.Equal([coding], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Stream decoded = coding == "br" ? new BrotliStream(bytes, CompressionMode.Decompress) : new GZipStream(bytes, CompressionMode.Decompress);
        return await new StreamReader(decoded).ReadToEndAsync(TestContext.Current.CancellationToken);
    }
}

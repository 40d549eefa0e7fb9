using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Web;

/// <summary>The pages a person opens (/ and /map), the files they load, and cross-origin reads for other sites'
/// maps. What the map shows is tested in a real browser (tests/browser).</summary>
public sealed partial class WebPagesTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    private async Task<(HttpResponseMessage Response, string Body)> GetAsync(string url)
    {
        var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);
        return (response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_root_is_a_landing_page_leading_to_the_map_the_api_reference_and_the_ogc_endpoints()
    {
        var (response, html) = await GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        foreach (var link in new[] { "href=\"/map\"", "href=\"/docs/\"", "href=\"/ogc?f=html\"", "href=\"/ogc/collections?f=html\"", "href=\"/wfs?" })
        {
            Assert.Contains(link, html);
        }
        // Every link on it leads somewhere.
        foreach (Match m in Href().Matches(html))
        {
            var target = WebUtility.HtmlDecode(m.Groups[1].Value);
            var (linked, _) = await GetAsync(target);
            Assert.True(linked.IsSuccessStatusCode, $"{target} answered {(int)linked.StatusCode}");
        }
    }

    [Fact]
    public async Task The_map_page_loads_every_script_and_style_from_the_service_itself_and_none_inline()
    {
        var (response, html) = await GetAsync("/map");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)[^>]*>", html);
        Assert.DoesNotContain("style=", html);
        var assets = Asset().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("/static/vendor/maplibre-gl/maplibre-gl-csp.js", assets);
        Assert.Contains("/static/vendor/maplibre-gl/maplibre-gl.css", assets);
        Assert.Contains("/static/map.js", assets);
        foreach (var asset in assets)
        {
            Assert.StartsWith("/static/", asset);
            var (loaded, body) = await GetAsync(asset);
            Assert.True(loaded.IsSuccessStatusCode, $"{asset} answered {(int)loaded.StatusCode}");
            Assert.NotEmpty(body);
        }
        // The script points MapLibre at its worker on this service (the CSP build: no blob: worker needed).
        var (_, script) = await GetAsync("/static/map.js");
        var worker = WorkerUrl().Match(script).Groups[1].Value;
        Assert.Equal("/static/vendor/maplibre-gl/maplibre-gl-csp-worker.js", worker);
        var (workerResponse, workerBody) = await GetAsync(worker);
        Assert.Equal("text/javascript", workerResponse.Content.Headers.ContentType!.MediaType);
        Assert.True(workerBody.Length > 100_000, "the MapLibre worker is the library's, not a placeholder");
        Assert.DoesNotMatch(@"https?://", Regex.Replace(script, @"//[^\n]*|window\.location\.origin", ""));
    }

    [Fact]
    public async Task The_layer_catalogue_of_the_map_names_every_default_layer_in_swedish_and_english_and_has_the_six_groups()
    {
        var (response, text) = await GetAsync("/static/map-layers.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var catalogue = JsonNode.Parse(text)!;
        Assert.Equal(["boundaries", "statistics", "services", "indicators", "measures", "analyses"],
            catalogue["groups"]!.AsArray().Select(g => g!["id"]!.GetValue<string>()));
        foreach (var id in SpatialRegion.Api.Import.DefaultLayers.All.Select(l => l.Id))
        {
            var titles = catalogue["titles"]![id];
            Assert.True(titles is not null, $"the map catalogue has no titles for '{id}'");
            Assert.False(string.IsNullOrWhiteSpace(titles["sv"]?.GetValue<string>()));
            Assert.False(string.IsNullOrWhiteSpace(titles["en"]?.GetValue<string>()));
        }
    }

    [Theory]
    [InlineData("/api/layers")]
    [InlineData("/api/indicators/population/map")]
    [InlineData("/ogc/collections/municipalities/items?limit=1")]
    [InlineData("/ogc/collections/municipalities/tiles/WebMercatorQuad/8/69/138")]
    [InlineData("/wfs?service=WFS&request=GetCapabilities")]
    public async Task Reads_answer_any_origin_and_expose_the_etag(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Origin", "https://karta.example.se");
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{url} answered {(int)response.StatusCode}");
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("ETag", response.Headers.GetValues("Access-Control-Expose-Headers").Single().Split(','));
    }

    [Fact]
    public async Task A_preflight_allows_reads_with_revalidation_but_not_writes()
    {
        using var read = Preflight("/ogc/collections/municipalities/tiles/WebMercatorQuad/8/69/138", "GET", "if-none-match");
        using var readAnswer = await _client.SendAsync(read, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, readAnswer.StatusCode);
        Assert.Equal("*", readAnswer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("GET", readAnswer.Headers.GetValues("Access-Control-Allow-Methods").Single().Split(','));

        foreach (var (url, method) in new[] { ("/api/layers/municipalities", "PUT"), ("/api/layers/municipalities", "DELETE"), ("/api/indicators", "POST") })
        {
            using var write = Preflight(url, method, "authorization");
            using var writeAnswer = await _client.SendAsync(write, TestContext.Current.CancellationToken);
            var allowed = writeAnswer.Headers.TryGetValues("Access-Control-Allow-Methods", out var m) ? m.Single().Split(',') : [];
            Assert.DoesNotContain(method, allowed);
        }
    }

    [Fact]
    public async Task Configured_origins_replace_any_origin()
    {
        await using var app = db.App.WithWebHostBuilder(b => b.UseSetting("SpatialRegion:Cors:AllowedOrigins", "https://kommun.example.se"));
        var client = app.CreateClient();
        foreach (var (origin, allowed) in new[] { ("https://kommun.example.se", true), ("https://other.example.org", false) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/layers");
            request.Headers.Add("Origin", origin);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(allowed ? origin : null,
                response.Headers.TryGetValues("Access-Control-Allow-Origin", out var v) ? v.Single() : null);
        }
    }

    private static HttpRequestMessage Preflight(string url, string method, string headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, url);
        request.Headers.Add("Origin", "https://karta.example.se");
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", headers);
        return request;
    }

    [GeneratedRegex("href=\"(/[^\"]*)\"")]
    private static partial Regex Href();

    [GeneratedRegex("<(?:script[^>]*\\bsrc|link[^>]*\\bhref)=\"(/[^\"]+)\"")]
    private static partial Regex Asset();

    [GeneratedRegex(@"setWorkerUrl\('([^']+)'\)")]
    private static partial Regex WorkerUrl();
}

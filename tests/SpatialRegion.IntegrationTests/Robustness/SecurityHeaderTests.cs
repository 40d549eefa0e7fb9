using SpatialRegion.Api.Http;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Robustness;

public sealed class SecurityHeaderTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    [Theory]
    [InlineData("/api/layers", 200)]
    [InlineData("/api/layers/nowhere", 404)]
    [InlineData("/ogc/collections/municipalities/items?limit=1", 200)]
    [InlineData("/ogc/collections/municipalities/items?limit=none", 400)]
    [InlineData("/wfs?SERVICE=WFS&REQUEST=GetCapabilities", 200)]
    [InlineData("/wfs?SERVICE=WFS", 400)]
    [InlineData("/health", 200)]
    public async Task Every_answer_forbids_content_sniffing(string url, int status)
    {
        using var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("/ogc?f=html")]
    [InlineData("/ogc/collections/municipalities/items?f=html")]
    [InlineData("/ogc/collections/municipalities/items/2380?f=html")]
    public async Task Html_pages_allow_scripts_from_this_origin_only(string url)
    {
        using var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, policy);
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        // Scripts are files of this origin (the page's small map); an inline one would need 'unsafe-inline'.
        var scripts = System.Text.RegularExpressions.Regex.Matches(
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), "<script[^>]*>");
        Assert.All(scripts, s => Assert.Matches("src=\"/", s.Value));
    }

    [Fact]
    public async Task Json_answers_carry_no_page_policy()
    {
        using var response = await _client.GetAsync("/ogc/collections/municipalities/items?limit=1", TestContext.Current.CancellationToken);
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
    }
}

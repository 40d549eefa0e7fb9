using System.Net;
using System.Text;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Networks;

/// <summary>The network endpoints meet hostile bodies with a 4xx, never a 500.</summary>
public sealed class HostileNetworkRequestTests(PostgisFixture db)
{
    public static TheoryData<string, string> Bodies()
    {
        var data = new TheoryData<string, string>();
        foreach (var path in (string[])["/api/analysis/catchment", "/api/analysis/accessibility"])
        {
            data.Add(path, new string('[', 10_000) + new string(']', 10_000));
            data.Add(path, """{"facilities": {"layer": "pharma\u0000cies"}}""");
            data.Add(path, """{"facilities": {"layer": "pharmacies"}, "facilities": {"layer": "tatorter"}}""");
            data.Add(path, """{"facilities": {"layer": "pharmacies"}, "minutes": "ten"}""");
            data.Add(path, """{"facilities": {"geojson": {"type": "Point", "coordinates": [1e400, 63]}}}""");
            data.Add(path, "{\"facilities\": {\"layer\": \"x\"}, \"pad\": \"" + new string('x', 17 * 1024 * 1024) + "\"}");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Hostile_bodies_get_a_4xx(string path, string body)
    {
        using var response = await db.CreateClient().PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode}: {text[..Math.Min(300, text.Length)]}");
    }

    [Fact]
    public async Task Invalid_utf8_gets_a_4xx()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"facilities": {"layer": "pharm""").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("""acies"}}""")).ToArray();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await db.CreateClient().PostAsync("/api/analysis/accessibility", content, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest, $"{(int)response.StatusCode}");
    }
}

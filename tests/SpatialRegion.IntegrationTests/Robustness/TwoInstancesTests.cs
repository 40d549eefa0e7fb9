using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Robustness;

/// <summary>
/// Two service processes on real ports against one database, as behind a load balancer: what is written through
/// one is served by the other, at its new version, within a second (the catalogue notifications), although the
/// other had the old answer in its response cache.
/// </summary>
public sealed class TwoInstancesTests(PostgisFixture db)
{
    [Fact]
    public async Task A_layer_replaced_through_one_instance_is_served_new_by_the_other_within_a_second()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new Dictionary<string, string> { ["Jobs__SchedulerEnabled"] = "false" };
        await using var a = await ServiceProcess.StartAsync(db.ConnectionString, settings);
        await using var b = await ServiceProcess.StartAsync(db.ConnectionString, settings);
        using var writer = Client(a, db.KeyOf(ApiRole.Editor));
        using var reader = Client(b, null);
        const string layer = "two-instances";
        try
        {
            Assert.Equal(HttpStatusCode.Created, (await writer.PutAsync($"/api/layers/{layer}?key=id", Zones("first"), ct)).StatusCode);
            var first = await WaitForNameAsync(reader, layer, "first", ct);
            // Twice, so that the second answer comes from instance B's response cache.
            Assert.Equal("first", await NameAsync(reader, layer, ct));

            using var replaced = await writer.PutAsync($"/api/layers/{layer}?key=id", Zones("second"), ct);
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
            var version = JsonNode.Parse(await replaced.Content.ReadAsStringAsync(ct))!["version"]!.GetValue<long>();
            var elapsed = await WaitForNameAsync(reader, layer, "second", ct);
            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"instance B served the new version after {elapsed}");
            var summary = JsonNode.Parse(await reader.GetStringAsync($"/api/layers/{layer}", ct))!;
            Assert.Equal(version, summary["version"]!.GetValue<long>());
            Assert.Contains("\"second\"", await reader.GetStringAsync($"/ogc/collections/{layer}/items", ct), StringComparison.Ordinal);
            TestContext.Current.SendDiagnosticMessage($"instance B served the replaced layer {elapsed.TotalMilliseconds:0} ms after A answered");

            const string indicator = "two-instances-indicator";
            using var created = await writer.PostAsJsonAsync("/api/indicators", new
            {
                id = indicator,
                title = new { sv = "Två instanser", en = "Two instances" },
                unit = "persons",
                source = "Region Jämtland Härjedalen",
                sourceReference = new { text = "test" },
                areaLevels = new[] { "municipality" },
                periodType = "year",
                decimals = 0,
                licence = "CC BY 4.0",
                attribution = "Källa: test",
            }, ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var seen = Stopwatch.StartNew();
            while ((await reader.GetAsync($"/api/indicators/{indicator}", ct)).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(seen.Elapsed < TimeSpan.FromSeconds(1), "instance B did not know the new indicator within a second");
                await Task.Delay(25, ct);
            }
            Assert.Equal(HttpStatusCode.NoContent, (await writer.DeleteAsync($"/api/indicators/{indicator}", ct)).StatusCode);
        }
        finally
        {
            await writer.DeleteAsync($"/api/layers/{layer}", ct);
        }
    }

    private static HttpClient Client(ServiceProcess service, string? key)
    {
        var client = new HttpClient { BaseAddress = new Uri(service.BaseUrl) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    private static StringContent Zones(string name) => new(
        $$$"""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"z1","name":"{{{name}}}"},"geometry":{"type":"Point","coordinates":[14.64,63.18]}}]}""",
        Encoding.UTF8, "application/geo+json");

    private static async Task<string?> NameAsync(HttpClient client, string layer, CancellationToken ct)
    {
        using var response = await client.GetAsync($"/api/layers/{layer}/features", ct);
        return response.StatusCode == HttpStatusCode.OK
            ? JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["features"]![0]!["properties"]!["name"]!.GetValue<string>()
            : null;
    }

    private static async Task<TimeSpan> WaitForNameAsync(HttpClient client, string layer, string name, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (await NameAsync(client, layer, ct) != name)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5), $"instance B still does not serve '{name}' after {waited.Elapsed}");
            await Task.Delay(25, ct);
        }
        return waited.Elapsed;
    }
}

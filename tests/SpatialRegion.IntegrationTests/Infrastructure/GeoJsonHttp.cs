using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SpatialRegion.IntegrationTests.Infrastructure;

public static class GeoJsonHttp
{
    public static async Task<JsonObject> GetJsonAsync(this HttpClient client, string url, HttpStatusCodeExpectation expect = HttpStatusCodeExpectation.Ok)
    {
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (expect == HttpStatusCodeExpectation.Ok)
        {
            Assert.True(response.IsSuccessStatusCode, $"GET {url} answered {(int)response.StatusCode}: {text}");
        }
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<(int Status, string? ContentType, JsonObject Body)> GetProblemAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, JsonNode.Parse(text)!.AsObject());
    }

    public static IEnumerable<JsonObject> Features(this JsonObject collection) =>
        collection["features"]!.AsArray().Select(f => f!.AsObject());

    public static string Id(this JsonObject feature) => feature["id"]!.GetValue<string>();

    public static string? NextLink(this JsonObject collection) =>
        collection["links"]?.AsArray().Select(l => l!.AsObject()).FirstOrDefault(l => l["rel"]!.GetValue<string>() == "next")?["href"]!.GetValue<string>();

    public static IEnumerable<(double X, double Y)> Positions(JsonNode coordinates)
    {
        if (coordinates is JsonArray a && a.Count >= 2 && a[0] is JsonValue)
        {
            yield return (a[0]!.GetValue<double>(), a[1]!.GetValue<double>());
            yield break;
        }
        foreach (var child in coordinates.AsArray())
        {
            foreach (var p in Positions(child!))
            {
                yield return p;
            }
        }
    }

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}

public enum HttpStatusCodeExpectation
{
    Ok,
    Any,
}

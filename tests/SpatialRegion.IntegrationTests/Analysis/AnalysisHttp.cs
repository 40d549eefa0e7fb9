using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace SpatialRegion.IntegrationTests.Analysis;

/// <summary>Posting analysis requests and reading their answers.</summary>
public static class AnalysisHttp
{
    public sealed record Answer(HttpStatusCode Status, string? ContentType, JsonObject Body, HttpResponseMessage Response)
    {
        public IEnumerable<JsonObject> Features => Body["features"]!.AsArray().Select(f => f!.AsObject());

        public JsonObject Analysis => Body["analysis"]!.AsObject();

        public IReadOnlyList<string> Warnings => Analysis["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
    }

    public static async Task<Answer> PostAsync(this HttpClient client, string path, string json, string contentType = "application/json")
    {
        var ct = TestContext.Current.CancellationToken;
        var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, contentType), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonObject body;
        try
        {
            body = JsonNode.Parse(text)!.AsObject();
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"POST {path} answered {(int)response.StatusCode} with a body that is not JSON: {text}");
        }
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response);
    }

    public static async Task<Answer> PostOkAsync(this HttpClient client, string path, string json)
    {
        var answer = await client.PostAsync(path, json);
        Assert.True(answer.Status == HttpStatusCode.OK, $"POST {path} answered {(int)answer.Status}: {answer.Body.ToJsonString()}");
        Assert.Equal("application/geo+json", answer.ContentType);
        return answer;
    }

    /// <summary>Checks a problem response: status, problem+json, and a detail that says what was wrong.</summary>
    public static void AssertProblem(Answer answer, HttpStatusCode status, string detailContains, string? parameter = null)
    {
        Assert.True(answer.Status == status, $"Expected {(int)status}, got {(int)answer.Status}: {answer.Body.ToJsonString()}");
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal((int)status, answer.Body["status"]!.GetValue<int>());
        Assert.Contains(detailContains, answer.Body["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        if (parameter is not null)
        {
            Assert.Equal(parameter, answer.Body["parameter"]?.GetValue<string>());
        }
    }

    public static string String(this JsonObject feature, string property) => feature["properties"]![property]!.GetValue<string>();

    public static double Number(this JsonObject feature, string property) => feature["properties"]![property]!.GetValue<double>();

    public static double? NumberOrNull(this JsonObject feature, string property) => feature["properties"]![property]?.GetValue<double>();

    /// <summary>The feature's geometry as NTS reads it (for areas and lengths in EPSG:3006 output).</summary>
    public static Geometry Geometry(this JsonObject feature) =>
        feature["geometry"].Deserialize<Geometry>(GeometryJson)!;

    private static readonly JsonSerializerOptions GeometryJson = new() { Converters = { new GeoJsonConverterFactory() } };
}

using System.Net.Http.Headers;
using System.Text;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Robustness;

/// <summary>Values no client should send, spelled as they go into a URL (already percent-encoded), and checks that
/// an answer to one is an error in the format its front-end promises.</summary>
public static class HostileValues
{
    public static readonly string[] InUrl =
    [
        "%00",
        "a%00b",
        "%FF%FE%C3%28",
        "%C0%AF",
        Uri.EscapeDataString(new string('(', 20_000)),
        Uri.EscapeDataString(string.Concat(Enumerable.Repeat("NOT ", 5_000)) + "a=1"),
        Uri.EscapeDataString("""{"op":"=","op":"<>","args":[{"property":"LAN_KOD"},"23"],"args":[]}"""),
        Uri.EscapeDataString(string.Concat(Enumerable.Repeat("""{"op":"not","args":[""", 2_000)) + "true" + new string(']', 2_000)),
        Uri.EscapeDataString("'; DROP TABLE layers; --"),
        "-1",
        "1e400",
        "NaN",
        "-9223372036854775809",
        Uri.EscapeDataString("\u202E\uFEFF\u200B"),
        Uri.EscapeDataString(new string('x', 6_000)),
        Uri.EscapeDataString(string.Concat(Enumerable.Repeat("<fes:Not>", 3_000))),
        Uri.EscapeDataString("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>"),
        "%",
        "%zz",
    ];

    /// <summary>The query parameters of every front-end, REST, OGC API and WFS, and a property of the layers.</summary>
    public static readonly string[] Parameters =
    [
        "bbox", "bbox-crs", "crs", "limit", "offset", "properties", "filter", "filter-lang", "filter-crs", "sortby", "datetime", "f",
        "period", "area", "level", "classes", "method", "from", "to", "gender", "format", "change_from", "classify", "county",
        "key", "merge", "title", "LAN_KOD", "KOMMUNNAMN", "skipGeometry",
        "SERVICE", "VERSION", "REQUEST", "TYPENAMES", "SRSNAME", "COUNT", "STARTINDEX", "RESOURCEID", "FILTER", "BBOX",
        "OUTPUTFORMAT", "PROPERTYNAME", "SORTBY", "VALUEREFERENCE", "STOREDQUERY_ID", "NAMESPACES", "RESULTTYPE", "ACCEPTVERSIONS",
    ];

    /// <summary>Asserts no 5xx, and that an error is the front-end's own format.</summary>
    public static async Task AssertRefusedProperlyAsync(HttpResponseMessage response, string request)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status < 500, $"{request} answered {status}: {Shorten(body)}");
        if (status < 400 || response.RequestMessage?.Method == HttpMethod.Head || body.Length == 0)
        {
            return;
        }
        var path = response.RequestMessage!.RequestUri!.AbsolutePath;
        var type = response.Content.Headers.ContentType?.MediaType;
        if (path.StartsWith("/wfs", StringComparison.Ordinal))
        {
            Assert.True(type == "application/xml" && body.Contains("ExceptionReport", StringComparison.Ordinal), $"{request}: {type} {Shorten(body)}");
        }
        else if (path.StartsWith("/ogc", StringComparison.Ordinal))
        {
            Assert.True(type == "application/json" && body.Contains("\"code\"", StringComparison.Ordinal), $"{request}: {type} {Shorten(body)}");
        }
        else
        {
            Assert.True(type == "application/problem+json", $"{request}: {type} {Shorten(body)}");
        }
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("SELECT ", body, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every default layer with the number of its feature rows: what a hostile request must leave as it was.
    /// (Layers of other tests, which run meanwhile, come and go.)</summary>
    public static Task<string> FeatureCountsAsync(PostgisFixture db) => db.ScalarAsync<string>("""
        SELECT string_agg(l.id || '=' || (SELECT count(*) FROM layer_features f WHERE f.layer_id = l.id), ',' ORDER BY l.id)
        FROM layers l WHERE l.id = ANY ($1)
        """, new object[] { SpatialRegion.Api.Import.DefaultLayers.All.Select(l => l.Id).ToArray() });

    public static HttpContent Body(string text, string mediaType) =>
        new ByteArrayContent(Encoding.UTF8.GetBytes(text)) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } };

    private static string Shorten(string text) => text.Length > 400 ? text[..400] + "…" : text;
}

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Robustness;

/// <summary>
/// Every route the service maps meets a hostile value in each route parameter and each query parameter: none may
/// answer 5xx, and every refusal is in its front-end's error format. The routes come from the service's own
/// endpoint table, so a route added later is walked without changing this test.
/// </summary>
public sealed class RouteWalkTests(PostgisFixture db)
{
    /// <summary>Real values for route parameters, so that query parameters get past the lookup of the resource.</summary>
    private static readonly Dictionary<string, string> RealRouteValues = new(StringComparer.OrdinalIgnoreCase)
    {
        ["layerId"] = "municipalities",
        ["collectionId"] = "municipalities",
        ["featureId"] = "2380",
        ["indicatorId"] = "population",
        ["jobId"] = "population-scb",
        ["runId"] = "1",
        ["name"] = "nobody",
    };

    /// <summary>Query strings that lead each front-end past its first checks, so a hostile value reaches deeper code.</summary>
    private static readonly Dictionary<string, string> Preludes = new()
    {
        ["/wfs"] = "SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=sr:municipalities&",
    };

    [Fact]
    public async Task No_route_answers_5xx_to_a_hostile_parameter()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await HostileValues.FeatureCountsAsync(db);
        using var client = db.CreateClient(ApiRole.Admin);
        var routes = db.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Pattern: "/" + e.RoutePattern.RawText!.Trim('/'), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .Where(r => !r.Pattern.StartsWith("/docs", StringComparison.Ordinal) && !r.Pattern.StartsWith("/openapi", StringComparison.Ordinal))
            .ToList();
        Assert.True(routes.Count > 30, $"only {routes.Count} routes found");
        var requests = 0;
        foreach (var (pattern, methods) in routes)
        {
            foreach (var method in methods.Where(m => m is "GET" or "POST" or "PUT" or "DELETE"))
            {
                var reads = method == "GET";
                // Hostile route values: every method, since none of them names a real resource. (The in-memory server
                // refuses a NUL in a path before sending; the hostile-input test sends those over a socket.)
                foreach (var value in HostileValues.InUrl.Where(v => !v.Contains("%00", StringComparison.Ordinal)))
                {
                    var path = Fill(pattern, _ => value);
                    if (path == pattern && !reads)
                    {
                        continue;
                    }
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (!reads)
                    {
                        request.Content = HostileValues.Body("{}", "application/json");
                    }
                    using var response = await client.SendAsync(request, ct);
                    await HostileValues.AssertRefusedProperlyAsync(response, $"{method} {path}");
                    requests++;
                }
                if (!reads)
                {
                    continue;
                }
                // Hostile query values on the real resource: each parameter alone, so that no other refusal hides it.
                var realPath = Fill(pattern, name => RealRouteValues.GetValueOrDefault(name, "x"));
                var prelude = Preludes.GetValueOrDefault(realPath, "");
                for (var i = 0; i < HostileValues.Parameters.Length; i++)
                {
                    foreach (var value in HostileValues.InUrl.Where((_, v) => (v + i) % 4 == 0))
                    {
                        var url = $"{realPath}?{prelude}{HostileValues.Parameters[i]}={value}";
                        using var response = await client.GetAsync(url, ct);
                        await HostileValues.AssertRefusedProperlyAsync(response, "GET " + url);
                        requests++;
                    }
                }
            }
        }
        Assert.True(requests > 1000, $"only {requests} requests sent");
        Assert.Equal(before, await HostileValues.FeatureCountsAsync(db));
    }

    private static string Fill(string pattern, Func<string, string> value) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{([^}:?]+)[^}]*\}", m => value(m.Groups[1].Value));
}

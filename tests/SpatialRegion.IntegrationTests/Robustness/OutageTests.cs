using System.Diagnostics;
using System.Net;
using Npgsql;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Robustness;

/// <summary>
/// PostGIS goes away under load and comes back: the service answers every request with a cached 200 or a 503
/// that says Retry-After (in the front-end's format), never another 5xx or a dropped connection, says not ready,
/// and serves 200s again within seconds of PostGIS returning, without a restart. PostGIS "goes away" behind
/// <see cref="CuttableProxy"/>: open connections drop and new ones are refused.
/// </summary>
public sealed class OutageTests(PostgisFixture db)
{
    private static readonly string[] Cached =
    [
        "/api/layers/municipalities/features?LAN_KOD=23",
        "/ogc/collections/counties/items",
    ];

    [Fact]
    public async Task PostGIS_stopping_under_load_gives_503s_with_retry_after_and_200s_again_when_it_returns()
    {
        var ct = TestContext.Current.CancellationToken;
        var target = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        await using var proxy = CuttableProxy.Start(target.Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Port = proxy.Port, Timeout = 3 }.ConnectionString;
        await using var service = await ServiceProcess.StartAsync(throughProxy, new Dictionary<string, string> { ["Jobs__SchedulerEnabled"] = "false" });
        using var client = new HttpClient { BaseAddress = new Uri(service.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        foreach (var url in Cached)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url, ct)).StatusCode);
        }

        proxy.Cut();
        var answers = await LoadAsync(client, TimeSpan.FromSeconds(4), ct);
        var refused = answers.Where(a => a.Status != 200 && a.Status != 503).ToList();
        Assert.True(refused.Count == 0, string.Join('\n', refused.Take(10)));
        Assert.All(answers.Where(a => a.Status == 503), a => Assert.True(a.RetryAfter && a.RightFormat, a.ToString()));
        Assert.Contains(answers, a => a.Status == 503 && a.Url.StartsWith("/api/", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.Status == 503 && a.Url.StartsWith("/ogc/", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.Status == 503 && a.Url.StartsWith("/wfs", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.Status == 503 && a.Url == "/health/ready");
        Assert.All(answers.Where(a => Cached.Contains(a.Url)), a => Assert.Equal(200, a.Status));

        proxy.Restore();
        var back = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync("/api/layers/counties/features?offset=1", ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                break;
            }
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(10), $"still {(int)response.StatusCode} {back.Elapsed} after PostGIS returned");
            await Task.Delay(200, ct);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", ct)).StatusCode);
        Assert.False(service.HasExited);
        TestContext.Current.SendDiagnosticMessage($"200s again {back.ElapsedMilliseconds} ms after PostGIS returned; {answers.Count} requests during the outage");
    }

    private sealed record Answer(string Url, int Status, bool RetryAfter, bool RightFormat);

    /// <summary>Four clients at once, each going round cached reads, uncached pages of every front-end and readiness.</summary>
    private static async Task<List<Answer>> LoadAsync(HttpClient client, TimeSpan duration, CancellationToken ct)
    {
        var until = Stopwatch.StartNew();
        var answers = new List<Answer>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async worker =>
        {
            for (var i = 0; until.Elapsed < duration; i++)
            {
                var offset = worker * 1000 + i + 2;
                string[] urls =
                [
                    .. Cached,
                    $"/api/layers/municipalities/features?offset={offset}",
                    $"/ogc/collections/municipalities/items?offset={offset}",
                    $"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=sr:municipalities&STARTINDEX={offset}",
                    "/health/ready",
                ];
                var url = urls[i % urls.Length];
                using var response = await client.GetAsync(url, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                var type = response.Content.Headers.ContentType?.MediaType;
                var rightFormat = url switch
                {
                    _ when url.StartsWith("/wfs", StringComparison.Ordinal) => body.Contains("ExceptionReport", StringComparison.Ordinal),
                    _ when url.StartsWith("/ogc", StringComparison.Ordinal) => type == "application/json" && body.Contains("\"code\"", StringComparison.Ordinal),
                    _ when url.StartsWith("/api", StringComparison.Ordinal) => type == "application/problem+json",
                    _ => true,
                };
                lock (answers)
                {
                    answers.Add(new Answer(url, (int)response.StatusCode, response.Headers.RetryAfter is not null, rightFormat));
                }
            }
        }));
        return answers;
    }
}

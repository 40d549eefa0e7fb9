using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Layers;

public sealed class ServiceTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    [Fact]
    public async Task Liveness_and_readiness_answer_and_readiness_checks_the_database()
    {
        using var live = await _client.GetAsync("/health", TestContext.Current.CancellationToken);
        using var ready = await _client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Readiness_fails_when_the_database_cannot_be_reached()
    {
        var unreachable = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Port = 1, Timeout = 2 }.ConnectionString;
        // A host cannot start without its database (migrations run first), so the probe is checked on its own.
        var check = new DatabaseHealthCheck(new Migrator(Npgsql.NpgsqlDataSource.Create(unreachable),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Migrator>.Instance));
        var result = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext(), TestContext.Current.CancellationToken);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, result.Status);
    }

    [Fact]
    public async Task Openapi_document_describes_the_layer_endpoints_and_the_reference_page_is_served()
    {
        var document = await _client.GetJsonAsync("/openapi/v1.json");
        var paths = document["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/api/layers"));
        Assert.True(paths.ContainsKey("/api/layers/{layerId}/features"));
        var parameters = paths["/api/layers/{layerId}/features"]!["get"]!["parameters"]!.AsArray()
            .Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Subset(new HashSet<string> { "layerId", "bbox", "bbox-crs", "limit", "offset", "crs", "properties" }, parameters.ToHashSet());

        using var docs = await _client.GetAsync("/docs/", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Equal("text/html", docs.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Migrating_again_changes_nothing()
    {
        var before = await db.ScalarAsync<string>("SELECT string_agg(version || ':' || checksum || ':' || applied_at, ',' ORDER BY version) FROM schema_migrations");
        var applied = await db.App.Services.GetRequiredService<Migrator>().MigrateAsync(TestContext.Current.CancellationToken);
        var after = await db.ScalarAsync<string>("SELECT string_agg(version || ':' || checksum || ':' || applied_at, ',' ORDER BY version) FROM schema_migrations");

        Assert.Equal(0, applied);
        Assert.Equal(before, after);
        Assert.Equal(Migrator.All.Count, await db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Unknown_routes_are_problems_too()
    {
        var (status, contentType, body) = await _client.GetProblemAsync("/api/nothing-here");
        Assert.Equal(404, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(404, body["status"]!.GetValue<int>());
        _ = JsonNode.Parse(body.ToJsonString());
    }
}

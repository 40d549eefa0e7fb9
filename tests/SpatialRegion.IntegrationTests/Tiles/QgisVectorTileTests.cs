using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Tiles;

/// <summary>
/// QGIS itself (python3-qgis, Debian's QGIS 3.22, headless) adds a collection's tiles as a vector tile layer of the
/// XYZ kind, from the URL template a user pastes, and draws them: a filter in the template's query reaches the
/// tiles, so only the features it selects are drawn.
/// </summary>
public sealed class QgisVectorTileTests(PostgisFixture db) : IAsyncLifetime
{
    private ServiceProcess? _service;

    public async ValueTask InitializeAsync() => _service = await ServiceProcess.StartAsync(db.ConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }
    }

    // 20 km boxes in EPSG:3857 around Östersund town (municipality 2380) and Åre town (2321).
    private const string Ostersund = "ostersund=1620000,9128000,1640000,9148000";
    private const string Are = "are=1446000,9189000,1466000,9209000";

    private async Task<JsonObject> DrawAsync(string query)
    {
        var template = $"{_service!.BaseUrl}/ogc/collections/municipalities/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}{query}";
        var script = Path.Combine(AppContext.BaseDirectory, "qgis", "vector_tiles.py");
        var (exit, output, error) = await Tool.RunAsync("/usr/bin/python3", script, template, Ostersund, Are);
        var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        Assert.True(exit == 0 && lastLine.StartsWith('{'), $"QGIS exited {exit}: {output}\n{error}");
        var seen = JsonNode.Parse(lastLine)!.AsObject();
        Assert.StartsWith("3.22", seen["qgis"]!.GetValue<string>());
        Assert.True(seen["valid"]!.GetValue<bool>(), seen.ToJsonString());
        Assert.Empty(seen["errors"]!.AsArray());
        return seen["red"]!.AsObject();
    }

    [Fact]
    public async Task Qgis_draws_the_municipalities_tiles_and_only_what_a_filter_in_the_template_selects()
    {
        var all = await DrawAsync("");
        Assert.True(all["ostersund"]!.GetValue<double>() > 0.9, all.ToJsonString());
        Assert.True(all["are"]!.GetValue<double>() > 0.9, all.ToJsonString());

        var one = await DrawAsync("?KOM_KOD=2380");
        Assert.True(one["ostersund"]!.GetValue<double>() > 0.9, one.ToJsonString());
        Assert.Equal(0, one["are"]!.GetValue<double>());
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Measures;

/// <summary>
/// QGIS itself (python3-qgis, Debian's QGIS 3.22, headless) keeps the register: it loads the WFS layer with an
/// authentication configuration that sends the API key as the HTTP Basic password, adds a polygon measure, changes
/// an attribute and deletes a measure; the results are read back through REST and the history.
/// </summary>
[Collection(MeasuresCollection.Name)]
public sealed class QgisEditingTests(PostgisFixture db) : IAsyncLifetime
{
    private readonly SpatialRegionApp _app = new(db.ConnectionString);
    private string _base = "";

    public ValueTask InitializeAsync()
    {
        _app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app.StartServer();
        _base = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Qgis_adds_changes_and_deletes_measures_through_wfs_t_with_basic_authentication()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        using (var victim = await editor.PostAsync("/api/measures", new StringContent(
            """{"id": "test-qgis-victim", "title": "Förstudie hamn Hammarstrand", "status": "planned", "links": [{"area_code": "2303"}]}""",
            System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, victim.StatusCode);
        }
        var script = Path.Combine(AppContext.BaseDirectory, "qgis", "edit_measures.py");
        var (exit, output, error) = await Tool.RunAsync("/usr/bin/python3", script, _base, db.Key(ApiRole.Editor), "test-qgis-victim");
        var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        Assert.True(exit == 0 && lastLine.StartsWith('{'), $"QGIS exited {exit}: {output}\n{error}");
        var seen = JsonNode.Parse(lastLine)!.AsObject();
        Assert.StartsWith("3.22", seen["qgis"]!.GetValue<string>());
        foreach (var flag in new[] { "valid", "can_add", "can_change", "can_delete", "insert_committed", "update_committed", "delete_committed" })
        {
            Assert.True(seen[flag]?.GetValue<bool>() == true, $"{flag}: {seen}");
        }

        using var client = db.CreateClient();
        var added = await client.GetJsonAsync("/api/measures/rjh-qgis-square");
        Assert.Equal("decided", added["status"]!.GetValue<string>());
        Assert.Equal("own", added["display_basis"]!.GetValue<string>());
        Assert.Equal(1250000m, added["amounts"]!["granted"]!["sek"]!.GetValue<decimal>());
        // The 3 km square QGIS drew in SWEREF 99 TM, exactly where it was drawn (easting first, not swapped), and not
        // moved by the attribute edit that followed.
        Assert.Equal("BOX(460000 7005000,463000 7008000)", await db.ScalarAsync<string>("SELECT ST_Extent(geom)::text FROM measure_links WHERE measure_id = 'rjh-qgis-square' AND geom IS NOT NULL"));
        Assert.Equal(9_000_000d, await db.ScalarAsync<double>("SELECT ST_Area(geom) FROM measure_links WHERE measure_id = 'rjh-qgis-square' AND geom IS NOT NULL"));
        var history = (await client.GetJsonAsync("/api/measures/rjh-qgis-square/history"))["versions"]!.AsArray();
        Assert.Equal(["create", "update"], history.Select(v => v!["operation"]!.GetValue<string>()));
        Assert.All(history, v => Assert.Equal("tests-editor", v!["changed_by"]!.GetValue<string>()));

        Assert.Equal(404, (await client.GetProblemAsync("/api/measures/test-qgis-victim")).Status);
        var deleted = (await client.GetJsonAsync("/api/measures/test-qgis-victim/history"))["versions"]!.AsArray();
        Assert.Equal(["create", "delete"], deleted.Select(v => v!["operation"]!.GetValue<string>()));
        Assert.Equal("Förstudie hamn Hammarstrand", deleted[^1]!["record"]!["title"]!.GetValue<string>());
    }
}

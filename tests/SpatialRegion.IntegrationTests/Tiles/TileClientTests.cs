using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Tiles;

/// <summary>
/// Real clients of the vector tiles on a loopback port. GDAL's MVT driver (Debian's gdal-bin): the tile over
/// Östersund at zoom 8 decodes to the features the items give, with their attributes, drawn inside the tile.
/// QGIS itself (python3-qgis, Debian's QGIS 3.22, headless) adds a collection's tiles as a vector tile layer of
/// the XYZ kind, from the URL template a user pastes, and draws them: a filter in the template's query reaches the
/// tiles, so only the features it selects are drawn.
/// </summary>
public sealed class TileClientTests(PostgisFixture db, ServiceProcessFixture service) : IClassFixture<ServiceProcessFixture>
{
    private const double HalfWorld = 20037508.342789244;

    /// <summary>ogr2ogr of one tile to GeoJSON in EPSG:3857. f=mvt tells GDAL's URL handling what the
    /// extension-less tile URL is; X, Y and Z place the tile on the grid.</summary>
    private Task<JsonObject> ReadTileAsync(string collection, int z, int x, int y) =>
        Tool.Ogr2ogrAsync($"/vsicurl/{service.BaseUrl}/ogc/collections/{collection}/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt",
            "-oo", $"Z={z}", "-oo", $"X={x}", "-oo", $"Y={y}");

    [Fact]
    public async Task Ostersund_tile_at_z8_decodes_to_the_items_attributes_with_geometry_inside_the_tile()
    {
        const int z = 8, x = 138, y = 69;
        var tile = await ReadTileAsync("municipalities", z, x, y);
        var features = tile.Features().ToList();
        var codes = features.Select(f => f["properties"]!["KOM_KOD"]!.GetValue<string>()).ToHashSet();
        // The tile holds Östersund and its neighbours that reach into it, and no municipality far away.
        Assert.Contains("2380", codes);
        Assert.Contains("2309", codes);
        Assert.DoesNotContain("0180", codes);

        using var client = new HttpClient { BaseAddress = new Uri(service.BaseUrl) };
        foreach (var feature in features)
        {
            var properties = feature["properties"]!.AsObject();
            var code = properties["KOM_KOD"]!.GetValue<string>();
            var item = await client.GetJsonAsync($"/ogc/collections/municipalities/items/{code}");
            var expected = item["properties"]!.AsObject().Where(p => p.Value is not null).ToList();
            // Every attribute the items give (MVT has no nulls) with the same value, and nothing else.
            Assert.Equal(expected.Select(p => p.Key).Order(), properties.Select(p => p.Key).Order());
            foreach (var (name, value) in expected)
            {
                Assert.True(JsonNode.DeepEquals(value, properties[name]), $"{code}.{name}: tile {properties[name]?.ToJsonString()}, items {value!.ToJsonString()}");
            }
        }

        // Geometry in the tile, with at most the 64/4096 buffer around it.
        var span = 2 * HalfWorld / (1 << z);
        var (minX, maxY) = (-HalfWorld + x * span, HalfWorld - y * span);
        var margin = span * 64 / 4096 + 1;
        var positions = features.SelectMany(f => GeoJsonHttp.Positions(f["geometry"]!["coordinates"]!)).ToList();
        Assert.NotEmpty(positions);
        Assert.All(positions, p =>
        {
            Assert.InRange(p.X, minX - margin, minX + span + margin);
            Assert.InRange(p.Y, maxY - span - margin, maxY + margin);
        });
        // Östersund's own outline runs through the tile: some of its points lie well inside.
        var ostersund = features.Single(f => f["properties"]!["KOM_KOD"]!.GetValue<string>() == "2380");
        Assert.Contains(GeoJsonHttp.Positions(ostersund["geometry"]!["coordinates"]!),
            p => p.X > minX + span / 8 && p.X < minX + span * 7 / 8 && p.Y < maxY - span / 8 && p.Y > maxY - span * 7 / 8);
    }

    [Fact]
    public async Task Population_grid_tile_decodes_to_the_squares_of_the_items_with_their_inhabitants()
    {
        // Zoom 12 over central Östersund: a few dozen 1 km squares.
        const int z = 12;
        var x = (int)Math.Floor((14.64 + 180) / 360 * (1 << z));
        var latitude = 63.18 * Math.PI / 180;
        var y = (int)Math.Floor((1 - Math.Asinh(Math.Tan(latitude)) / Math.PI) / 2 * (1 << z));
        var tile = await ReadTileAsync("population-grid-1km", z, x, y);
        var squares = tile.Features().ToDictionary(f => f["properties"]!["rutid_scb"]!.GetValue<string>(), f => f["properties"]!["beftotalt"]!.GetValue<long>());
        Assert.InRange(squares.Count, 5, 200);

        var sum = await db.ScalarAsync<long>(
            "SELECT sum((properties->>'beftotalt')::bigint)::bigint FROM layer_features WHERE layer_id = 'population-grid-1km' AND properties->>'rutid_scb' = ANY($1)",
            [squares.Keys.ToArray()]);
        Assert.Equal(sum, squares.Values.Sum());
    }

    // 20 km boxes in EPSG:3857 around Östersund town (municipality 2380) and Åre town (2321).
    private const string Ostersund = "ostersund=1620000,9128000,1640000,9148000";
    private const string Are = "are=1446000,9189000,1466000,9209000";

    private async Task<JsonObject> DrawAsync(string query)
    {
        var template = $"{service.BaseUrl}/ogc/collections/municipalities/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}{query}";
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

using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Analysis;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Networks;

/// <summary>
/// Networks small enough to know the answers exactly, all at 60 km/h (one kilometre, one minute): a grid of 1 km
/// edges, a river crossed by one bridge, a one-way loop and a disconnected island, imported as one network over HTTP.
/// </summary>
public sealed class ConstructedNetworkTests(PostgisFixture db) : IAsyncLifetime
{
    private const string Network = "test-constructed";
    private const double X0 = 450000;
    private const double Y0 = 7000000;

    private static string Line(double x1, double y1, double x2, double y2, string? oneway = null) => string.Create(CultureInfo.InvariantCulture,
        $$$"""{"type":"Feature","properties":{"kkod":"5025"{{{(oneway is null ? "" : $",\"oneway\":\"{oneway}\"")}}}},"geometry":{"type":"LineString","coordinates":[[{{{X0 + x1}}},{{{Y0 + y1}}}],[{{{X0 + x2}}},{{{Y0 + y2}}}]]}}""");

    private static string Collection(IEnumerable<string> features) =>
        """{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},"features":[""" + string.Join(",", features) + "]}";

    /// <summary>Grid: nodes (0..3 km, 0..3 km). River: banks at x = 10 and 11 km from y = 0 to 4 km, one bridge at y = 4 km.
    /// Loop: a 1 km square at x = 20 km drawn one way round. Island: one edge at x = 30 km.</summary>
    public static string Features()
    {
        var lines = new List<string>();
        for (var i = 0; i <= 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                lines.Add(Line(j * 1000, i * 1000, (j + 1) * 1000, i * 1000));
                lines.Add(Line(i * 1000, j * 1000, i * 1000, (j + 1) * 1000));
            }
        }
        lines.Add(Line(10000, 0, 10000, 4000));
        lines.Add(Line(11000, 0, 11000, 4000));
        lines.Add(Line(10000, 4000, 11000, 4000));
        lines.Add(Line(20000, 0, 21000, 0, "yes"));
        lines.Add(Line(21000, 0, 21000, 1000, "yes"));
        lines.Add(Line(21000, 1000, 20000, 1000, "yes"));
        lines.Add(Line(20000, 1000, 20000, 0, "yes"));
        lines.Add(Line(30000, 0, 31000, 0));
        return Collection(lines);
    }

    private static string Points(params (string Id, double X, double Y, int People)[] points) => Collection(points.Select(p => string.Create(CultureInfo.InvariantCulture,
        $$$"""{"type":"Feature","id":"{{{p.Id}}}","properties":{"name":"{{{p.Id}}}","people":{{{p.People}}}},"geometry":{"type":"Point","coordinates":[{{{X0 + p.X}}},{{{Y0 + p.Y}}}]}}""")));

    private static readonly string Area = Collection([string.Create(CultureInfo.InvariantCulture,
        $$$"""{"type":"Feature","properties":{"code":"all"},"geometry":{"type":"Polygon","coordinates":[[[{{{X0 - 5000}}},{{{Y0 - 5000}}}],[{{{X0 + 40000}}},{{{Y0 - 5000}}}],[{{{X0 + 40000}}},{{{Y0 + 10000}}}],[{{{X0 - 5000}}},{{{Y0 + 10000}}}],[{{{X0 - 5000}}},{{{Y0 - 5000}}}]]]}}""")]);

    public async ValueTask InitializeAsync()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        using var response = await editor.PutAsync($"/api/networks/{Network}?speed_table=uniform-60",
            new StringContent(Features(), System.Text.Encoding.UTF8, "application/geo+json"), TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Accessibility(string facilities, string origins, string extra = "") => $$"""
        {"network":"{{Network}}","facilities":{"geojson":{{facilities}},"crs":"EPSG:3006"},"origins":{"geojson":{{origins}},"crs":"EPSG:3006"},
         "population":"people","areas":{"geojson":{{Area}},"crs":"EPSG:3006"},"minutes":[5,10],"max_access_m":500{{extra}}}
        """;

    private async Task<Dictionary<string, JsonObject>> OriginsAsync(string body)
    {
        var answer = await db.CreateClient().PostOkAsync("/api/analysis/accessibility", body);
        return answer.Features.ToDictionary(f => f.String("origin"), f => f["properties"]!.AsObject());
    }

    [Fact]
    public async Task The_import_report_counts_edges_nodes_km_and_components()
    {
        var network = await db.CreateClient().GetJsonAsync($"/api/networks/{Network}");
        var report = network["report"]!;
        // Grid 24 edges and 16 nodes, river 3 edges (the banks meet the bridge at their ends) and 4 nodes, loop 4 and 4, island 1 and 2.
        Assert.Equal(32, report["edges"]!.GetValue<int>());
        Assert.Equal(26, report["nodes"]!.GetValue<int>());
        Assert.Equal(24 + 9 + 4 + 1, report["km"]!.GetValue<double>(), 3);
        Assert.Equal(4, report["components"]!["count"]!.GetValue<int>());
        Assert.Equal(24, report["components"]!["largest_km"]!.GetValue<double>(), 3);
        Assert.Equal(4, report["one_way_edges"]!.GetValue<int>());
        Assert.Equal("uniform-60", network["speed_table"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task On_the_grid_minutes_are_kilometres_along_the_roads_and_a_cutoff_includes_its_edge()
    {
        var origins = await OriginsAsync(Accessibility(Points(("f", 0, 0, 1)), Points(("corner", 3000, 2000, 7), ("mid", 1500, 1000, 3))));
        Assert.Equal(5.0, origins["corner"]["minutes"]!.GetValue<double>(), 6);
        Assert.Equal(5.0, origins["corner"]["network_km"]!.GetValue<double>(), 6);
        Assert.Equal(2.5, origins["mid"]["minutes"]!.GetValue<double>(), 6);
        Assert.Equal("f", origins["corner"]["facility"]!.GetValue<string>());

        var summary = (await db.CreateClient().PostOkAsync("/api/analysis/accessibility",
            Accessibility(Points(("f", 0, 0, 1)), Points(("corner", 3000, 2000, 7), ("mid", 1500, 1000, 3)), ""","output":"areas" """))).Analysis["summary"]!;
        // Exactly 5 minutes away is within 5 minutes.
        Assert.Equal(10, summary["total"]!["within"]!["5"]!.GetValue<double>());
        Assert.Equal(5.0, summary["total"]!["median_minutes"]!.GetValue<double>());
        Assert.Equal(4.25, summary["total"]!["mean_minutes"]!.GetValue<double>(), 6);
    }

    [Fact]
    public async Task Across_the_river_the_way_goes_over_the_bridge_and_the_access_leg_is_added_at_its_speed()
    {
        // The origin lies 600 m east of the east bank (beyond max_access_m: no road) and 300 m (30 km/h: 36 s) from it.
        var origins = await OriginsAsync(Accessibility(Points(("west", 10000, 0, 1)),
            Points(("east", 11000, 0, 5), ("east-off-road", 11300, 1000, 2), ("far", 11600, 2000, 1))));
        Assert.Equal(9.0, origins["east"]["minutes"]!.GetValue<double>(), 6);
        Assert.Equal(8.0 + 0.6, origins["east-off-road"]["minutes"]!.GetValue<double>(), 6);
        Assert.Equal(300, origins["east-off-road"]["access_m"]!.GetValue<double>(), 3);
        Assert.Equal("no_road", origins["far"]["coverage"]!.GetValue<string>());
        Assert.Null(origins["far"]["minutes"]);
    }

    [Fact]
    public async Task A_one_way_loop_is_driven_only_its_way_round_and_an_island_reaches_nothing()
    {
        // From B (the first corner after A in drawing order) to A is three sides; from D (the last) it is one.
        var origins = await OriginsAsync(Accessibility(Points(("A", 20000, 0, 1)),
            Points(("B", 21000, 0, 1), ("D", 20000, 1000, 1), ("island", 30500, 0, 4))));
        Assert.Equal(3.0, origins["B"]["minutes"]!.GetValue<double>(), 6);
        Assert.Equal(1.0, origins["D"]["minutes"]!.GetValue<double>(), 6);
        Assert.Equal("unreachable", origins["island"]["coverage"]!.GetValue<string>());
        Assert.Null(origins["island"]["facility"]);
    }

    [Fact]
    public async Task A_catchment_holds_the_roads_reached_and_cuts_the_edges_where_the_time_runs_out()
    {
        var answer = await db.CreateClient().PostOkAsync("/api/analysis/catchment", $$"""
            {"network":"{{Network}}","facilities":{"geojson":{{Points(("f", 0, 0, 1))}},"crs":"EPSG:3006"},"minutes":[1.5, 3],"buffer_m":100,"output_crs":"EPSG:3006"}
            """);
        var bands = answer.Features.ToDictionary(f => f.Number("cutoff"));
        // 1.5 km along each axis from the corner, and 0.5 km onward from each of the two nodes reached at 1 km.
        Assert.Equal(4.0, bands[1.5].Number("reached_km"), 3);
        // At 3 minutes: all edges within 3 km of the corner. The 12 edges whose nearer end is at most 2 km away, whole; none beyond.
        Assert.Equal(12.0, bands[3].Number("reached_km"), 3);
        var polygon = bands[1.5].Geometry();
        Assert.True(polygon.Contains(new NetTopologySuite.Geometries.Point(X0 + 1400, Y0 + 50)));
        Assert.False(polygon.Contains(new NetTopologySuite.Geometries.Point(X0 + 1700, Y0)));
        Assert.False(polygon.Contains(new NetTopologySuite.Geometries.Point(X0 + 700, Y0 + 700)));
        Assert.Equal("uniform-60", answer.Analysis["parameters"]!["speed_table"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_catchment_outline_is_the_exact_buffer_of_the_roads_reached_to_within_a_cell()
    {
        var answer = await db.CreateClient().PostOkAsync("/api/analysis/catchment", $$"""
            {"network":"{{Network}}","facilities":{"geojson":{{Points(("f", 0, 0, 1))}},"crs":"EPSG:3006"},"minutes":[1.5, 3],"buffer_m":100,"output_crs":"EPSG:3006"}
            """);
        var ct = TestContext.Current.CancellationToken;
        foreach (var band in answer.Features)
        {
            // GEOS's buffer of the roads reached. At 1.5 minutes: 1.5 km along each axis from the corner, and 0.5 km
            // onward from the two nodes reached at 1 km; at 3: every edge whose nearer end is at most 2 km away.
            var reached = band.Number("cutoff") == 1.5
                ? "ST_Collect(ARRAY[ST_MakeLine(ST_MakePoint($1, $2), ST_MakePoint($1 + 1500, $2)), ST_MakeLine(ST_MakePoint($1, $2), ST_MakePoint($1, $2 + 1500)), "
                  + "ST_MakeLine(ST_MakePoint($1 + 1000, $2), ST_MakePoint($1 + 1000, $2 + 500)), ST_MakeLine(ST_MakePoint($1, $2 + 1000), ST_MakePoint($1 + 500, $2 + 1000))])"
                : "(SELECT ST_Collect(geom) FROM network_edges WHERE network_id = 'test-constructed' AND ST_Distance(ST_SetSRID(ST_MakePoint($1, $2), 3006), geom) <= 2000 AND ST_X(ST_Centroid(geom)) < $1 + 3500)";
            await using var cmd = db.DataSource.CreateCommand($"""
                WITH exact AS (SELECT ST_Buffer(ST_SetSRID({reached}, 3006), 100, 32) AS geom),
                     got AS (SELECT ST_GeomFromWKB($3, 3006) AS geom)
                SELECT ST_IsValid(got.geom), ST_Area(got.geom) / ST_Area(exact.geom),
                       ST_Area(ST_SymDifference(got.geom, exact.geom)) / ST_Area(exact.geom),
                       ST_HausdorffDistance(ST_Boundary(got.geom), ST_Boundary(exact.geom))
                FROM exact, got
                """);
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = X0 });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Y0 });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = new NetTopologySuite.IO.WKBWriter().Write(band.Geometry()) });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            Assert.True(await reader.ReadAsync(ct));
            var (valid, areaRatio, apart, hausdorff) = (reader.GetBoolean(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3));
            Assert.True(valid);
            // Cells of 20 m (a fifth of the width): no point of the outline is farther from the exact buffer than half
            // a cell's diagonal (14 m), and the area is the same but for the cells cut by the outline.
            Assert.True(hausdorff <= 15, $"{band.Number("cutoff")} min: the outline is {hausdorff:F1} m from the exact buffer");
            Assert.InRange(areaRatio, 0.98, 1.02);
            Assert.True(apart < 0.06, $"{band.Number("cutoff")} min: {apart:P1} of the area differs");
        }
    }

    [Fact]
    public async Task The_one_way_loop_catchment_goes_only_forward()
    {
        var answer = await db.CreateClient().PostOkAsync("/api/analysis/catchment", $$"""
            {"network":"{{Network}}","facilities":{"geojson":{{Points(("A", 20000, 0, 1))}},"crs":"EPSG:3006"},"minutes":[1.5],"buffer_m":50}
            """);
        Assert.Equal(1.5, answer.Features.Single().Number("reached_km"), 3);
    }

    [Fact]
    public async Task A_network_import_without_usable_lines_or_in_another_crs_is_refused_and_the_network_stays()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        var before = (await db.CreateClient().GetJsonAsync($"/api/networks/{Network}"))["version"]!.GetValue<long>();
        foreach (var (body, message) in new[]
        {
            (Points(("p", 0, 0, 1)), "lines"),
            ("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[14.6,63.1],[14.7,63.2]]}}]}""", "EPSG:4326"),
            ("""{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},"features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[14.6,63.1],[14.7,63.2]]}}]}""", "outside Sweden"),
            ("""{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},"features":[{"type":"Feature","properties":{"kkod":"trunk_construction"},"geometry":{"type":"LineString","coordinates":[[450000,7000000],[451000,7000000]]}}]}""", "No usable road lines"),
        })
        {
            using var response = await editor.PutAsync($"/api/networks/{Network}", new StringContent(body, System.Text.Encoding.UTF8, "application/geo+json"),
                TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains(message, text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(before, (await db.CreateClient().GetJsonAsync($"/api/networks/{Network}"))["version"]!.GetValue<long>());
        using var anonymous = db.CreateClient();
        using var refused = await anonymous.PutAsync($"/api/networks/{Network}", new StringContent(Features(), System.Text.Encoding.UTF8, "application/geo+json"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}

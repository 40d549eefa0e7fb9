using System.Net;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Analysis;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Networks;

/// <summary>The default road network of Jämtland and the pharmacies of Pipos: checked against pgRouting and against sums that must hold.</summary>
public sealed class RoadNetworkTests(PostgisFixture db)
{
    private const double AccessMetresPerSecond = 30 / 3.6;

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static JsonObject? _pharmacyAreas;

    /// <summary>Accessibility of every populated square of Jämtland to the pharmacies, per municipality (computed once).</summary>
    private async Task<JsonObject> PharmacyAreasAsync()
    {
        await Once.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return _pharmacyAreas ??= (await db.CreateClient().PostOkAsync("/api/analysis/accessibility",
                """{"facilities": {"layer": "pharmacies"}, "output": "areas"}""")).Body;
        }
        finally
        {
            Once.Release();
        }
    }

    [Fact]
    public async Task The_default_network_is_imported_with_a_report_and_served_as_layers()
    {
        var network = await db.CreateClient().GetJsonAsync("/api/networks/roads");
        var report = network["report"]!;
        Assert.InRange(report["edges"]!.GetValue<int>(), 80_000, 100_000);
        // N1 + N2 are 42 847 km; N4 adds the main roads outside their coverage.
        Assert.InRange(report["km"]!.GetValue<double>(), 43_000, 50_000);
        Assert.True(report["joined"]!["connectors"]!.GetValue<int>() > 0);
        Assert.True(report["components"]!["largest_share"]!.GetValue<double>() > 0.85);
        Assert.Equal("car-terrangkartan-osm", network["speed_table"]!["name"]!.GetValue<string>());

        var layers = await db.CreateClient().GetJsonAsync("/api/layers");
        var byId = layers["layers"]!.AsArray().Select(l => l!.AsObject()).ToDictionary(l => l["id"]!.GetValue<string>());
        Assert.Equal("network", byId["roads"]["kind"]!.GetValue<string>());
        Assert.Equal(report["edges"]!.GetValue<int>(), byId["roads"]["featureCount"]!.GetValue<int>());
        Assert.Equal(2, byId["roads-coverage"]["featureCount"]!.GetValue<int>());
        var items = await db.CreateClient().GetJsonAsync("/ogc/collections/roads/items?limit=1&road_class=5022");
        Assert.Equal(80, items.Features().Single()["properties"]!["speed_kmh"]!.GetValue<double>());
    }

    [Fact]
    public async Task The_county_sums_to_its_132_637_people_across_all_groups_and_Ostersund_has_a_median_under_five_minutes()
    {
        var body = await PharmacyAreasAsync();
        var summary = body["analysis"]!["summary"]!;
        var total = summary["total"]!;
        double N(JsonNode node, string name) => node[name]!.GetValue<double>();
        Assert.Equal(132_637, N(total, "population"));
        Assert.Equal(132_637, N(total["within"]!, "30") + N(total, "beyond_last") + N(total, "unreachable") + N(total, "main_roads_only") + N(total, "no_road"));
        Assert.Equal(132_637, summary["areas"]!.AsArray().Sum(a => N(a!, "population")));
        Assert.Equal(8, body["features"]!.AsArray().Count);

        var ostersund = summary["areas"]!.AsArray().Single(a => a!["area"]!.GetValue<string>() == "2380")!;
        Assert.True(N(ostersund, "median_minutes") < 5, $"Östersund's median is {N(ostersund, "median_minutes")} minutes");
        // Åre lies mostly outside the detailed roads: its people are counted apart, not as reached or unreached.
        var are = summary["areas"]!.AsArray().Single(a => a!["area"]!.GetValue<string>() == "2321")!;
        Assert.True(N(are, "main_roads_only") > N(are, "population") / 3);

        var served = summary["facilities"]!.AsArray().Sum(f => N(f!, "population_served"));
        Assert.Equal(N(summary, "population_served"), served);
        // Served: every origin with a nearest pharmacy, on the detailed network or on main roads only.
        Assert.InRange(N(summary, "population_served"), N(total["within"]!, "30") + N(total, "beyond_last"),
            N(total["within"]!, "30") + N(total, "beyond_last") + N(total, "main_roads_only"));
    }

    [Fact]
    public async Task Closing_a_pharmacy_makes_nobody_faster_and_those_who_lose_it_go_to_another()
    {
        var summary = (await PharmacyAreasAsync())["analysis"]!["summary"]!;
        var busiest = summary["facilities"]!.AsArray().MaxBy(f => f!["population_served"]!.GetValue<double>())!;
        var closed = busiest["facility"]!.GetValue<string>();
        var answer = await db.CreateClient().PostOkAsync("/api/analysis/accessibility",
            "{\"facilities\": {\"layer\": \"pharmacies\"}, \"scenario\": {\"close\": [\"" + closed + "\"]}}");
        var origins = answer.Features.Select(f => f["properties"]!.AsObject()).ToList();
        Assert.All(origins.Where(o => o["minutes_change"] is not null), o => Assert.True(o["minutes_change"]!.GetValue<double>() >= 0, o.ToJsonString()));
        Assert.DoesNotContain(origins, o => o["facility"]?.GetValue<string>() == closed);
        var losers = origins.Where(o => o["facility_before"]?.GetValue<string>() == closed).ToList();
        Assert.NotEmpty(losers);
        Assert.All(losers, o => Assert.True(o["minutes_change"]!.GetValue<double>() > 0));
        var change = answer.Analysis["summary"]!["total"]!["change"]!;
        Assert.Equal(0, change["people_faster"]!.GetValue<double>());
        Assert.Equal(busiest["population_served"]!.GetValue<double>(), change["people_slower"]!.GetValue<double>());
    }

    [Fact]
    public async Task Minutes_to_the_nearest_pharmacy_equal_pgRoutings_for_200_random_populated_squares()
    {
        var ct = TestContext.Current.CancellationToken;
        var answer = await db.CreateClient().PostOkAsync("/api/analysis/accessibility", """{"facilities": {"layer": "pharmacies"}}""");
        var routed = answer.Features.Select(f => f["properties"]!.AsObject())
            .Where(o => o["coverage"]!.GetValue<string>() == "detailed").OrderBy(o => o["origin"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        var random = new Random(23);
        var sample = routed.OrderBy(_ => random.Next()).Take(200).ToDictionary(o => o["origin"]!.GetValue<string>(), o => o["minutes"]!.GetValue<double>());
        Assert.Equal(200, sample.Count);

        await using (var ext = db.DataSource.CreateCommand("CREATE EXTENSION IF NOT EXISTS pgrouting"))
        {
            await ext.ExecuteNonQueryAsync(ct);
        }
        // Snapping done again here, independently of the service: the nearest edge to each centroid and the point on it.
        var snaps = new Dictionary<string, (int Edge, int Source, int Target, double F, double D, double Cost, double Reverse, bool Facility)>();
        await using (var cmd = db.DataSource.CreateCommand("""
            SELECT p.id, e.edge_id, e.source, e.target, ST_LineLocatePoint(e.geom, p.pt), ST_Distance(e.geom, p.pt), e.cost_s, e.reverse_cost_s, p.facility
            FROM (SELECT fid AS id, ST_Centroid(geom) AS pt, false AS facility FROM layer_features WHERE layer_id = 'population-grid-1km' AND fid = ANY($1)
                  UNION ALL SELECT 'pharmacy:' || fid, geom, true FROM layer_features WHERE layer_id = 'pharmacies') p
            CROSS JOIN LATERAL (SELECT * FROM network_edges e WHERE e.network_id = 'roads' ORDER BY e.geom <-> p.pt LIMIT 1) e
            """))
        {
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = sample.Keys.ToArray() });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                snaps[reader.GetString(0)] = (reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetDouble(4), reader.GetDouble(5),
                    reader.GetDouble(6), reader.GetDouble(7), reader.GetBoolean(8));
            }
        }
        var facilities = snaps.Values.Where(s => s.Facility).ToList();
        var origins = sample.Keys.Select(k => snaps[k]).ToList();
        var distance = new Dictionary<(long, long), double>();
        await using (var cmd = db.DataSource.CreateCommand("""
            SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(
              'SELECT edge_id AS id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost FROM network_edges WHERE network_id = ''roads''',
              $1::bigint[], $2::bigint[], directed => true)
            """))
        {
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = origins.SelectMany(o => new long[] { o.Source, o.Target }).Distinct().ToArray() });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = facilities.SelectMany(f => new long[] { f.Source, f.Target }).Distinct().ToArray() });
            cmd.CommandTimeout = 600;
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                distance[(reader.GetInt64(0), reader.GetInt64(1))] = reader.GetDouble(2);
            }
        }
        double Between(long a, long b) => a == b ? 0 : distance.GetValueOrDefault((a, b), double.PositiveInfinity);
        static double Part(double fraction, double cost) => cost < 0 ? double.PositiveInfinity : fraction * cost;

        foreach (var (id, minutes) in sample)
        {
            var o = snaps[id];
            var best = double.PositiveInfinity;
            foreach (var f in facilities)
            {
                // Origin to one end of its edge, the network between, the facility's edge from its end to the point; legs at 30 km/h.
                foreach (var (a, toA) in new[] { ((long)o.Source, Part(o.F, o.Reverse)), (o.Target, Part(1 - o.F, o.Cost)) })
                {
                    foreach (var (b, fromB) in new[] { ((long)f.Source, Part(f.F, f.Cost)), (f.Target, Part(1 - f.F, f.Reverse)) })
                    {
                        best = Math.Min(best, toA + Between(a, b) + fromB + (o.D + f.D) / AccessMetresPerSecond);
                    }
                }
                if (f.Edge == o.Edge)
                {
                    var along = f.F >= o.F ? Part(f.F - o.F, o.Cost) : Part(o.F - f.F, o.Reverse);
                    best = Math.Min(best, along + (o.D + f.D) / AccessMetresPerSecond);
                }
            }
            Assert.True(Math.Abs(best / 60 - minutes) <= 0.006, $"square {id}: service {minutes} min, pgRouting {best / 60:0.000} min");
        }
    }

    [Fact]
    public async Task A_catchment_of_one_pharmacy_has_three_growing_bands_with_people_and_the_dissolved_bands_hold_the_others()
    {
        var one = await db.CreateClient().PostOkAsync("/api/analysis/catchment",
            """{"facilities": {"layer": "pharmacies", "filter": {"Namn": "Apoteket Kärnan"}}, "population": true}""");
        var bands = one.Features.OrderBy(f => f.Number("cutoff")).ToList();
        Assert.Equal([10.0, 20, 30], bands.Select(b => b.Number("cutoff")));
        Assert.True(bands[0].Number("population") > 20_000, bands[0]["properties"]!.ToJsonString());
        Assert.True(bands[0].Number("population") < bands[1].Number("population") && bands[1].Number("population") < bands[2].Number("population"));
        Assert.True(bands[0].Number("reached_km") < bands[1].Number("reached_km"));
        Assert.Equal("roads", one.Analysis["parameters"]!["network"]!.GetValue<string>());
        Assert.NotNull(one.Analysis["parameters"]!["network_version"]);
    }

    [Fact]
    public async Task Dissolved_bands_of_the_county_pharmacies_are_valid_nested_and_hold_the_area_share_of_each_squares_people()
    {
        var answer = await db.CreateClient().PostOkAsync("/api/analysis/catchment",
            """{"facilities": {"layer": "pharmacies", "filter": {"Län": "Jämtlands län"}}, "population": true, "dissolve": true, "output_crs": "EPSG:3006"}""");
        var bands = answer.Features.OrderBy(f => f.Number("cutoff")).ToList();
        Assert.Equal([10.0, 20, 30], bands.Select(b => b.Number("cutoff")));
        var ct = TestContext.Current.CancellationToken;
        // Subdivided, so that the squares meet small pieces through the index; nesting checked at 500 points of each band.
        await using var cmd = db.DataSource.CreateCommand("""
            WITH band AS (SELECT ordinality AS n, ST_GeomFromWKB(wkb, 3006) AS geom FROM unnest($1::bytea[]) WITH ORDINALITY AS b(wkb)),
            part AS (SELECT n, ST_Subdivide(geom, 256) AS geom FROM band)
            SELECT b.n, ST_IsValid(b.geom),
                   (SELECT coalesce(sum((s.properties ->> 'beftotalt')::float8 * ST_Area(ST_Intersection(s.geom, p.geom)) / ST_Area(s.geom)), 0)
                    FROM part p JOIN layer_features s ON s.layer_id = 'population-grid-1km' AND s.geom && p.geom AND ST_Intersects(s.geom, p.geom)
                    WHERE p.n = b.n),
                   (SELECT bool_and(EXISTS (SELECT 1 FROM part later WHERE later.n = b.n + 1 AND ST_Intersects(later.geom, d.geom)))
                    FROM ST_Dump(ST_GeneratePoints(b.geom, 500, 23)) d
                    WHERE EXISTS (SELECT 1 FROM band WHERE band.n = b.n + 1))
            FROM band b ORDER BY b.n
            """);
        cmd.CommandTimeout = 300;
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = bands.Select(b => new NetTopologySuite.IO.WKBWriter().Write(b.Geometry())).ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        for (var i = 0; i < bands.Count; i++)
        {
            Assert.True(await reader.ReadAsync(ct));
            Assert.True(reader.GetBoolean(1), $"band {i} is not a valid polygon");
            // People shared by the area of each square inside the outline, computed by PostGIS on the outline returned.
            Assert.Equal(Math.Round(reader.GetDouble(2)), bands[i].Number("population"), 1.0);
            Assert.True(reader.IsDBNull(3) || reader.GetBoolean(3), $"band {i} is not inside the next");
        }
        // Most of the county lives within 30 minutes of a pharmacy by road.
        Assert.InRange(bands[2].Number("population"), 0.8 * 132_637, 132_637 * 1.05);

        // A narrow buffer over the whole county would need billions of cells of a fifth of its width: drawn on coarser
        // cells, every road still covers its cells, and the answer says so.
        var narrow = await db.CreateClient().PostOkAsync("/api/analysis/catchment",
            """{"facilities": {"layer": "pharmacies", "filter": {"Län": "Jämtlands län"}}, "minutes": [30], "population": true, "dissolve": true, "buffer_m": 20}""");
        Assert.Contains(narrow.Analysis["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("m cells", StringComparison.Ordinal));
        var people = narrow.Features.Single().Number("population");
        // Bands about 140 m wide instead of 1 km hold a fraction of the people, who are shared by area within their squares.
        Assert.InRange(people, 0.1 * bands[2].Number("population"), 0.6 * bands[2].Number("population"));
    }

    [Theory]
    [InlineData("""{"facilities": {"layer": "no-such-layer"}}""", HttpStatusCode.NotFound, "no-such-layer", "facilities.layer")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "minutes": [10, 5]}""", HttpStatusCode.BadRequest, "increasing", "minutes")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "minutes": [-5]}""", HttpStatusCode.BadRequest, "above 0", "minutes")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "minutes": [10, 200]}""", HttpStatusCode.BadRequest, "at most 180", "minutes")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "minutes": [1, 2, 3, 4, 5, 6, 7]}""", HttpStatusCode.UnprocessableEntity, "at most 6", "minutes")]
    [InlineData("""{"facilities": {"layer": "pharmacies", "filter": {"Namn": "Ingen sådan"}}}""", HttpStatusCode.BadRequest, "No facility", "facilities")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "network": "nowhere"}""", HttpStatusCode.NotFound, "nowhere", "network")]
    [InlineData("""{"facilities": {"layer": "municipalities"}}""", HttpStatusCode.BadRequest, "points", "facilities")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "mode": "straight_line", "minutes": [5]}""", HttpStatusCode.BadRequest, "metres", "minutes")]
    public async Task Bad_catchment_requests_are_refused_naming_the_member(string body, HttpStatusCode status, string detail, string parameter) =>
        AnalysisHttp.AssertProblem(await db.CreateClient().PostAsync("/api/analysis/catchment", body), status, detail, parameter);

    [Theory]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "minutes": [5, 5]}""", HttpStatusCode.BadRequest, "increasing", "minutes")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "origins": {"layer": "nope"}}""", HttpStatusCode.NotFound, "nope", "origins.layer")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "output": "everything"}""", HttpStatusCode.BadRequest, "Unknown output", "output")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "scenario": {"close": ["not-a-pharmacy"]}}""", HttpStatusCode.BadRequest, "not-a-pharmacy", "scenario.close")]
    [InlineData("""{"facilities": {"layer": "pharmacies"}, "scenario": {}}""", HttpStatusCode.BadRequest, "closes", "scenario")]
    [InlineData("""{"facilities": {"layer": "pharmacies", "bbox": [0, 0, 1, 1]}}""", HttpStatusCode.BadRequest, "No facility", "facilities")]
    public async Task Bad_accessibility_requests_are_refused_naming_the_member(string body, HttpStatusCode status, string detail, string parameter) =>
        AnalysisHttp.AssertProblem(await db.CreateClient().PostAsync("/api/analysis/accessibility", body), status, detail, parameter);
}

using System.Globalization;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Analysis;

/// <summary>Areal interpolation of Jämtland's municipal statistics onto other areas, checked against PostGIS directly.</summary>
public sealed class InterpolationTests(PostgisFixture db)
{
    // Östersund municipality split at northing 7 012 000: the town (7 001 800) lies in the southern half.
    private const string OstersundHalves = """
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "id": "north", "properties": {"half": "north"},
           "geometry": {"type": "Polygon", "coordinates": [[[460000, 7012000], [530000, 7012000], [530000, 7055000], [460000, 7055000], [460000, 7012000]]]}},
          {"type": "Feature", "id": "south", "properties": {"half": "south"},
           "geometry": {"type": "Polygon", "coordinates": [[[460000, 6945000], [530000, 6945000], [530000, 7012000], [460000, 7012000], [460000, 6945000]]]}}]}
        """;

    private const string SouthHalf = "ST_MakeEnvelope(460000, 6945000, 530000, 7012000, 3006)";
    private const string NorthHalf = "ST_MakeEnvelope(460000, 7012000, 530000, 7055000, 3006)";

    private readonly HttpClient _client = db.CreateClient();

    [Fact]
    public async Task Interpolating_municipal_population_onto_the_same_municipalities_returns_the_same_values()
    {
        var population = RegionalStatistics.Population2024(db);
        var answer = await _client.PostOkAsync("/api/analysis/interpolate", $$$"""
            {"source": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}},
             "target": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}, "properties": ["KOMMUNNAMN"]},
             "variables": [{"name": "population", "type": "extensive", "values": {{{RegionalStatistics.ToJson(population)}}}}]}
            """);

        var result = answer.Features.ToDictionary(f => f["id"]!.GetValue<string>(), f => f.Number("population"));
        Assert.Equal(population.Keys.Order(), result.Keys.Order());
        Assert.All(population, p => Assert.Equal(p.Value, result[p.Key], 6));
        Assert.Empty(answer.Warnings);
    }

    [Fact]
    public async Task Population_moved_onto_counties_and_local_labour_markets_keeps_its_total()
    {
        var population = RegionalStatistics.Population2024(db);
        var total = population.Values.Sum();
        string Request(string target) => $$$"""
            {"source": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}},
             "target": {"layer": "{{{target}}}"},
             "variables": [{"name": "population", "type": "extensive", "values": {{{RegionalStatistics.ToJson(population)}}}}]}
            """;

        var counties = await _client.PostOkAsync("/api/analysis/interpolate", Request("counties"));
        Assert.Equal(132_839, total);
        Assert.Equal(total, counties.Features.Single(f => f["id"]!.GetValue<string>() == "23").Number("population"), 6);
        Assert.Equal(total, counties.Features.Sum(f => f.NumberOrNull("population") ?? 0), 6);
        Assert.Equal(21, counties.Features.Count());

        var markets = await _client.PostOkAsync("/api/analysis/interpolate", Request("labour-market-regions"));
        Assert.Equal(67, markets.Features.Count());
        Assert.Equal(total, markets.Features.Sum(f => f.NumberOrNull("population") ?? 0), 3);
        // The Östersund labour market takes in six of the eight municipalities.
        var ostersund = markets.Features.Single(f => f.String("name") == "Östersund").Number("population");
        Assert.InRange(ostersund, 105_000, 115_000);
    }

    [Fact]
    public async Task A_stored_indicator_layer_is_a_source_as_it_stands()
    {
        // The population indicator is a layer of one feature per area and period; choosing its 2024 municipal
        // features by filter makes it an interpolation source without passing any values by hand.
        var answer = await _client.PostOkAsync("/api/analysis/interpolate", """
            {"source": {"layer": "indicator-population", "filter": "period = '2024' AND area_level = 'municipality'"},
             "target": {"layer": "fa-regions", "properties": ["fa_namn"]},
             "variables": [{"name": "population", "type": "extensive", "property": "value"}]}
            """);

        var byRegion = answer.Features.ToDictionary(f => f["id"]!.GetValue<string>(), f => f.NumberOrNull("population") ?? 0);
        Assert.Equal(132_839, byRegion.Values.Sum(), 3);
        // tobler's extensive estimate written out in SQL over the same stored features: v_j = Σ v_i · |i ∩ j| / Σ_k |i ∩ k|.
        var expected = await db.ScalarAsync<string>("""
            WITH src AS (
              SELECT geom, (properties->>'value')::float8 AS v FROM layer_features
              WHERE layer_id = 'indicator-population' AND properties->>'period' = '2024' AND properties->>'area_level' = 'municipality'
            ), pieces AS (
              SELECT t.fid, s.v, ST_Area(ST_Intersection(s.geom, t.geom)) AS a, s.geom AS sgeom
              FROM src s JOIN layer_features t ON t.layer_id = 'fa-regions' AND ST_Intersects(s.geom, t.geom)
            ), totals AS (SELECT sgeom, sum(a) AS a FROM pieces GROUP BY sgeom)
            SELECT json_object_agg(fid, v)::text FROM (
              SELECT p.fid, sum(p.v * p.a / t.a) AS v FROM pieces p JOIN totals t USING (sgeom) GROUP BY p.fid
            ) x
            """);
        var sql = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(expected)!;
        Assert.All(sql, e => Assert.Equal(e.Value, byRegion[e.Key], 0.5));
        Assert.Equal(132_839, sql.Values.Sum(), 3);
    }

    [Fact]
    public async Task Municipal_areas_interpolated_onto_the_counties_reproduce_every_county_area()
    {
        var areas = await db.ScalarAsync<string>(
            "SELECT json_object_agg(fid, ST_Area(geom) / 1e6)::text FROM layer_features WHERE layer_id = 'municipalities'");
        var answer = await _client.PostOkAsync("/api/analysis/interpolate", $$$"""
            {"source": {"layer": "municipalities"}, "target": {"layer": "counties", "properties": ["LANSNAMN"]},
             "variables": [{"name": "km2", "type": "extensive", "values": {{{areas}}}}]}
            """);

        Assert.Equal(21, answer.Features.Count());
        foreach (var county in answer.Features)
        {
            var area = await db.ScalarAsync<double>(
                "SELECT ST_Area(geom) / 1e6 FROM layer_features WHERE layer_id = 'counties' AND fid = $1", county["id"]!.GetValue<string>());
            Assert.InRange(Math.Abs(county.Number("km2") - area) / area, 0, 0.005);
        }
    }

    [Fact]
    public async Task An_intensive_rate_onto_a_zone_inside_one_municipality_is_that_municipalitys_rate()
    {
        var taxBase = RegionalStatistics.TaxBase2023(db);
        string Request(string zone, string crs) => $$$"""
            {"source": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}},
             "target": {"geojson": {"type": "Polygon", "coordinates": [{{{zone}}}]}, "crs": "{{{crs}}}"},
             "variables": [{"name": "skattekraft", "type": "intensive", "values": {{{RegionalStatistics.ToJson(taxBase)}}}}]}
            """;

        // A 2 × 2 km zone by Östersund town, drawn in SWEREF 99 TM.
        var town = await _client.PostOkAsync("/api/analysis/interpolate",
            Request("[[482000, 7000000], [484000, 7000000], [484000, 7002000], [482000, 7002000], [482000, 7000000]]", "EPSG:3006"));
        Assert.Equal(taxBase["2380"], Assert.Single(town.Features).Number("skattekraft"), 9);

        // A zone across the border to Krokom, drawn in longitude/latitude: the area-weighted mean of the two.
        var border = await _client.PostOkAsync("/api/analysis/interpolate",
            Request("[[14.40, 63.22], [14.60, 63.22], [14.60, 63.32], [14.40, 63.32], [14.40, 63.22]]", "EPSG:4326"));
        var expected = await db.ScalarAsync<double>("""
            SELECT sum(v.value * ST_Area(ST_Intersection(m.geom, z.geom))) / sum(ST_Area(ST_Intersection(m.geom, z.geom)))
            FROM layer_features m
            JOIN (VALUES ('2380', $1::float8), ('2309', $2::float8)) AS v(code, value) ON v.code = m.fid
            CROSS JOIN (SELECT ST_Transform(ST_MakeEnvelope(14.40, 63.22, 14.60, 63.32, 4326), 3006) AS geom) z
            WHERE m.layer_id = 'municipalities'
            """, taxBase["2380"], taxBase["2309"]);
        var mean = Assert.Single(border.Features).Number("skattekraft");
        Assert.Equal(expected, mean, 6);
        Assert.InRange(mean, taxBase["2309"] + 0.1, taxBase["2380"] - 0.1);
    }

    [Fact]
    public async Task A_zone_over_part_of_a_municipality_gets_the_whole_value_only_with_allocate_total_and_a_warning_says_so()
    {
        string Request(string allocate) => $$$"""
            {"source": {"layer": "municipalities", "filter": {"KOM_KOD": "2380"}},
             "target": {"geojson": {"type": "Polygon", "coordinates": [[[470000, 6990000], [500000, 6990000], [500000, 7010000], [470000, 7010000], [470000, 6990000]]]},
                        "crs": "EPSG:3006"},
             "variables": [{"name": "people", "type": "extensive", "values": {"2380": 64979}}]{{{allocate}}}}
            """;
        var whole = await _client.PostOkAsync("/api/analysis/interpolate", Request(""));
        Assert.Equal(64_979, Assert.Single(whole.Features).Number("people"), 6);
        Assert.Contains(whole.Warnings, w => w.Contains("less than 90% inside the targets (2380)", StringComparison.Ordinal));

        var share = await _client.PostOkAsync("/api/analysis/interpolate", Request(", \"allocate_total\": false"));
        var expected = await db.ScalarAsync<double>("""
            SELECT 64979 * ST_Area(ST_Intersection(geom, ST_MakeEnvelope(470000, 6990000, 500000, 7010000, 3006))) / ST_Area(geom)
            FROM layer_features WHERE layer_id = 'municipalities' AND fid = '2380'
            """);
        Assert.Equal(expected, Assert.Single(share.Features).Number("people"), 3);
        Assert.Empty(share.Warnings);
    }

    [Fact]
    public async Task Dasymetric_by_the_population_grid_puts_Ostersunds_people_in_the_half_with_the_town()
    {
        var population = RegionalStatistics.Population2024(db)["2380"];
        var byGrid = await HalvesAsync(population, "\"population_grid\"");

        // Independently: the grid population in each half of the municipality, squares shared by area.
        async Task<double> GridPeople(string half) => await db.ScalarAsync<double>($"""
            SELECT sum((g.properties->>'beftotalt')::float8 * ST_Area(ST_Intersection(g.geom, ST_Intersection(m.geom, {half}))) / ST_Area(g.geom))
            FROM layer_features g JOIN layer_features m ON m.layer_id = 'municipalities' AND m.fid = '2380'
            WHERE g.layer_id = 'population-grid-1km' AND ST_Intersects(g.geom, m.geom)
            """);
        var south = await GridPeople(SouthHalf);
        var north = await GridPeople(NorthHalf);
        Assert.Equal(population * south / (south + north), byGrid["south"], 3);
        Assert.Equal(population * north / (south + north), byGrid["north"], 3);
        Assert.InRange(byGrid["south"] / population, 0.9, 1.0);

        // By area alone the southern half would get far less: that is what the grid corrects.
        var byArea = await HalvesAsync(population, "\"area\"");
        Assert.Equal(population, byArea["south"] + byArea["north"], 6);
        Assert.True(byArea["south"] < byGrid["south"] - 0.2 * population, $"area {byArea["south"]}, grid {byGrid["south"]}");
    }

    [Fact]
    public async Task Without_allocate_total_the_southern_half_gets_the_share_of_the_grid_population_of_Ostersund_that_lives_in_it()
    {
        var population = RegionalStatistics.Population2024(db)["2380"];
        var answer = await _client.PostOkAsync("/api/analysis/interpolate", string.Create(CultureInfo.InvariantCulture, $$$"""
            {"source": {"layer": "municipalities", "filter": {"KOM_KOD": "2380"}},
             "target": {"geojson": {"type": "Polygon", "coordinates": [[[460000, 6945000], [530000, 6945000], [530000, 7012000], [460000, 7012000], [460000, 6945000]]]},
                        "crs": "EPSG:3006"},
             "variables": [{"name": "population", "type": "extensive", "values": {"2380": {{{population}}}}}],
             "weights": "population_grid", "allocate_total": false}
            """));

        // The grid population (squares shared by area) in the half, over that in the whole municipality.
        async Task<double> GridPeople(string area) => await db.ScalarAsync<double>($"""
            SELECT sum((g.properties->>'beftotalt')::float8 * ST_Area(ST_Intersection(g.geom, {area})) / ST_Area(g.geom))
            FROM layer_features g JOIN layer_features m ON m.layer_id = 'municipalities' AND m.fid = '2380'
            WHERE g.layer_id = 'population-grid-1km' AND ST_Intersects(g.geom, m.geom)
            """);
        var south = await GridPeople($"ST_Intersection(m.geom, {SouthHalf})");
        var whole = await GridPeople("m.geom");
        Assert.InRange(south / whole, 0.9, 0.999);
        Assert.Equal(population * south / whole, Assert.Single(answer.Features).Number("population"), 3);
    }

    [Fact]
    public async Task Dasymetric_by_tatorter_gives_each_half_the_share_of_the_tatort_population_it_holds()
    {
        var population = RegionalStatistics.Population2024(db)["2380"];
        var byTatorter = await HalvesAsync(population, "\"tatorter\"");

        async Task<double> TatortPeople(string half) => await db.ScalarAsync<double>($"""
            SELECT coalesce(sum((t.properties->>'pop')::float8), 0)
            FROM layer_features t JOIN layer_features m ON m.layer_id = 'municipalities' AND m.fid = '2380'
            WHERE t.layer_id = 'tatorter' AND ST_Contains(ST_Intersection(m.geom, {half}), t.geom)
            """);
        var south = await TatortPeople(SouthHalf);
        var north = await TatortPeople(NorthHalf);
        // Lit and Häggenås lie north of the line, Östersund town and the rest south of it.
        Assert.Equal(1_182 + 347, north);
        Assert.Equal(population * south / (south + north), byTatorter["south"], 3);
        Assert.Equal(population * north / (south + north), byTatorter["north"], 3);
    }

    [Fact]
    public async Task Values_for_ids_that_are_not_sources_are_reported_and_a_map_naming_no_source_is_refused()
    {
        var partly = await _client.PostOkAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}},
             "target": {"layer": "counties", "filter": {"LAN_KOD": "23"}},
             "variables": [{"name": "people", "type": "extensive", "values": {"2380": 64979, "0180": 1000000}}]}
            """);
        Assert.Equal(64_979, Assert.Single(partly.Features).Number("people"), 6);
        Assert.Contains(partly.Warnings, w => w.Contains("0180", StringComparison.Ordinal));
        Assert.Contains(partly.Warnings, w => w.Contains("7 source feature(s) have no value", StringComparison.Ordinal));

        var none = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}}, "target": {"layer": "counties"},
             "variables": [{"name": "people", "type": "extensive", "values": {"Östersund": 64979}}]}
            """);
        AnalysisHttp.AssertProblem(none, System.Net.HttpStatusCode.BadRequest, "feature ids", "variables[0].values");
    }

    private async Task<Dictionary<string, double>> HalvesAsync(double population, string weights)
    {
        var answer = await _client.PostOkAsync("/api/analysis/interpolate", string.Create(CultureInfo.InvariantCulture, $$$"""
            {"source": {"layer": "municipalities", "filter": {"KOM_KOD": "2380"}},
             "target": {"geojson": {{{OstersundHalves}}}, "crs": "EPSG:3006"},
             "variables": [{"name": "population", "type": "extensive", "values": {"2380": {{{population}}}}}],
             "weights": {{{weights}}}}
            """));
        Assert.Empty(answer.Warnings);
        return answer.Features.ToDictionary(f => f.String("half"), f => f.Number("population"));
    }
}

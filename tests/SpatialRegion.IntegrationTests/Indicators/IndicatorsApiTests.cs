using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Indicators;

/// <summary>The shipped indicators with their real values, the values API, maps and indicator layers.</summary>
public sealed class IndicatorsApiTests(PostgisFixture db)
{
    private static readonly string[] County23 = ["2303", "2305", "2309", "2313", "2321", "2326", "2361", "2380"];
    private readonly HttpClient _client = db.CreateClient();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_catalogue_lists_the_shipped_indicators_with_source_and_licence()
    {
        var list = (await _client.GetJsonAsync("/api/indicators"))["indicators"]!.AsArray().Select(i => i!.AsObject()).ToDictionary(i => i["id"]!.GetValue<string>());

        foreach (var id in new[] { "population", "population-increase", "tax-base-per-inhabitant", "labour-market-programmes", "tatort-population", "population-in-tatorter", "population-grid" })
        {
            Assert.Contains(id, list.Keys);
        }
        var population = list["population"];
        Assert.Equal("Folkmängd 31 december", population["title"]!["sv"]!.GetValue<string>());
        Assert.Equal("N01951", population["sourceReference"]!["kolada"]!["kpi"]!.GetValue<string>());
        Assert.Equal("BE0101N1", population["sourceReference"]!["scb"]!["contentsCode"]!.GetValue<string>());
        Assert.Equal("Källa: SCB", population["attribution"]!.GetValue<string>());
        Assert.True(population["dividedByGender"]!.GetValue<bool>());
        Assert.Equal(404, (await _client.GetProblemAsync("/api/indicators/no-such")).Status);
    }

    [Fact]
    public async Task Population_values_are_the_real_series_and_CSV_carries_the_same()
    {
        var json = await _client.GetJsonAsync("/api/indicators/population/values?area=2380&from=1990&to=2024");
        var series = json["values"]!.AsArray().ToDictionary(v => v!["period"]!.GetValue<string>(), v => v!["value"]!.GetValue<decimal>());
        Assert.Equal(58317m, series["1990"]);
        Assert.Equal(58249m, series["2000"]);
        Assert.Equal(64979m, series["2024"]);
        Assert.DoesNotContain("2017", series.Keys); // 30 June is not a year-end figure
        Assert.All(json["values"]!.AsArray(), v => Assert.Equal("T", v!["gender"]!.GetValue<string>()));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/indicators/population/values?area=23&gender=all&from=2020&to=2020");
        request.Headers.Accept.ParseAdd("text/csv");
        using var response = await _client.SendAsync(request, Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("area,area_name,level,period,gender,value,status", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("23,Jämtlands län,county,2020,T,131155,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("23,Jämtlands län,county,2020,M,66564,", StringComparison.Ordinal));
        Assert.Equal(4, lines.Length);
    }

    [Fact]
    public async Task Every_shipped_file_is_loaded_with_its_own_numbers()
    {
        Assert.Equal(220.4m, await Value("tax-base-per-inhabitant", "2380", "2023"));
        Assert.Equal(71m, await Value("labour-market-programmes", "2326", "2019-01"));
        Assert.Equal(94854m, await Value("population-in-tatorter", "23", "2020"));
        Assert.Equal(3552m, await Value("tatort-population", "2321TB107", "2020"));
        Assert.Equal(32378m, await Value("population-65-plus", "23", "2024"));
        Assert.Equal(10186m, await Value("population-quarter", "2361", "2017-Q2"));
        // The 1 km grid summed by PostGIS: the county's squares are the 132 647 of SOURCES.md (centres in the county);
        // a municipality's sum is within 1.5 % of its registered population (persons without a coordinate are missing).
        Assert.Equal(132647m, await Value("population-grid", "23", "2024"));
        var grid = await Value("population-grid", "2380", "2024");
        Assert.InRange(grid, 64979m * 0.985m, 64979m);
    }

    [Fact]
    public async Task Values_filters_are_checked()
    {
        foreach (var (query, parameter) in new[] { ("from=20x4", "from"), ("gender=X", "gender"), ("level=planet", "level"), ("colour=red", "colour") })
        {
            var (status, type, body) = await _client.GetProblemAsync($"/api/indicators/population/values?{query}");
            Assert.Equal(400, status);
            Assert.Equal("application/problem+json", type);
            Assert.Equal(parameter, body["parameter"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task The_map_shows_each_municipality_of_county_23_once_with_change_since_2000()
    {
        var map = await _client.GetJsonAsync("/api/indicators/population/map?period=2024&change_from=2000&county=23&classes=4&method=quantile");

        var features = map.Features().ToList();
        Assert.Equal(County23, features.Select(f => f.Id()).Order(StringComparer.Ordinal));
        var change = features.ToDictionary(f => f.Id(), f => f["properties"]!["change"]!.GetValue<decimal>());
        Assert.True(change["2380"] > 0);
        Assert.Equal(64979m - 58249m, change["2380"]);
        // The series falls for these: 2000 → 2024 from the real figures.
        foreach (var falling in new[] { "2303", "2305", "2313", "2326", "2361" })
        {
            Assert.True(change[falling] < 0, $"{falling}: {change[falling]}");
        }
        Assert.True(change["2309"] > 0 && change["2321"] > 0);

        var breaks = map["classification"]!["breaks"]!.AsArray().Select(b => b!.GetValue<double>()).ToArray();
        Assert.Equal(5, breaks.Length);
        Assert.Equal(5146, breaks[0]);
        Assert.Equal(64979, breaks[^1]);
        Assert.All(features, f =>
        {
            var value = f["properties"]!["value"]!.GetValue<double>();
            var c = f["properties"]!["class"]!.GetValue<int>();
            Assert.InRange(value, c == 1 ? breaks[0] : breaks[c - 1], breaks[c]);
        });
        Assert.Equal("MultiPolygon", features[0]["geometry"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_map_defaults_to_the_latest_period_and_rejects_bad_parameters()
    {
        var map = await _client.GetJsonAsync("/api/indicators/population/map?county=23");
        Assert.Equal("2024", map["period"]!.GetValue<string>());
        Assert.Equal("quantile", map["classification"]!["method"]!.GetValue<string>());

        foreach (var (query, parameter) in new[] { ("classes=0", "classes"), ("classes=13", "classes"), ("method=kmeans", "method"),
            ("period=2024-01", "period"), ("classify=change", "classify"), ("level=tatort", "level"), ("county=Jämtland", "county") })
        {
            var (status, _, body) = await _client.GetProblemAsync($"/api/indicators/population/map?{query}");
            Assert.Equal(400, status);
            Assert.Equal(parameter, body["parameter"]!.GetValue<string>());
        }
        Assert.Equal(404, (await _client.GetProblemAsync("/api/indicators/population/map?period=1991")).Status);
    }

    [Fact]
    public async Task Tatorter_are_mapped_as_points()
    {
        var map = await _client.GetJsonAsync("/api/indicators/tatort-population/map?county=23&method=jenks");
        var features = map.Features().ToList();
        Assert.Equal(59, features.Count);
        Assert.All(features, f => Assert.Equal("Point", f["geometry"]!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Each_indicator_is_a_layer_with_one_feature_per_area_and_period_and_a_time_property()
    {
        var layer = await _client.GetJsonAsync("/api/layers/indicator-population");
        Assert.Equal("indicator", layer["kind"]?.GetValue<string>() ?? await db.ScalarAsync<string>("SELECT kind FROM layers WHERE id = 'indicator-population'"));
        Assert.Equal("period_end", await db.ScalarAsync<string>("SELECT time_property FROM layers WHERE id = 'indicator-population'"));

        var features = await _client.GetJsonAsync("/api/layers/indicator-population/features?area_code=2380");
        var byPeriod = features.Features().ToDictionary(f => f["properties"]!["period"]!.GetValue<string>());
        Assert.Equal(8 + 1, byPeriod.Count); // eight citypopulation years and 2022
        Assert.Equal("2024-12-31", byPeriod["2024"]["properties"]!["period_end"]!.GetValue<string>());
        Assert.Equal(64979, byPeriod["2024"]["properties"]!["value"]!.GetValue<int>());
        Assert.Equal(32304, byPeriod["2020"]["properties"]!["value_women"]!.GetValue<int>());
        Assert.Equal("2380-2024", byPeriod["2024"].Id());
        // Sweden (00) has no geometry and is not a feature.
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'indicator-population' AND fid LIKE '00-%'"));
    }

    [Fact]
    public async Task An_indicator_is_an_OGC_API_collection_filtered_by_datetime()
    {
        var items = await _client.GetJsonAsync("/ogc/collections/indicator-population/items?datetime=2024-12-31&limit=100");
        var features = items.Features().ToList();
        Assert.Equal(9, features.Count); // eight municipalities and the county
        Assert.All(features, f => Assert.Equal("2024", f["properties"]!["period"]!.GetValue<string>()));

        var interval = await _client.GetJsonAsync("/ogc/collections/indicator-population/items?datetime=2000-01-01/2010-12-31&limit=100");
        Assert.Equal(["2000", "2005", "2010"], interval.Features().Select(f => f["properties"]!["period"]!.GetValue<string>()).Distinct().Order());
    }

    [Fact]
    public async Task An_indicator_is_a_WFS_feature_type()
    {
        var gml = await _client.GetStringAsync(
            "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=sr:indicator-tatort-population&COUNT=5", Ct);
        Assert.Contains("period_end", gml);
        Assert.Contains("2020-12-31", gml);
        var capabilities = await _client.GetStringAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities", Ct);
        Assert.Contains("sr:indicator-population", capabilities);
    }

    private async Task<decimal> Value(string indicator, string area, string period) =>
        await db.ScalarAsync<decimal>("SELECT value FROM indicator_values WHERE indicator_id = $1 AND area_code = $2 AND period = $3 AND gender = 'T'",
            indicator, area, period);
}

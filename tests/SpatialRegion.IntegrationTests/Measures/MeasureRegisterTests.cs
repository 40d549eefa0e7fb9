using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Measures;

/// <summary>Tests of the register share one database state; they run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class MeasuresCollection
{
    public const string Name = "measures";
}

/// <summary>
/// The register as setup loads it from the shared files, and the layers and lists made from it, checked against
/// the README's facts and against figures computed here in SQL straight from the tables.
/// </summary>
[Collection(MeasuresCollection.Name)]
public sealed class MeasureRegisterTests(PostgisFixture db)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The README's sum of the 21 local ERDF projects, and the local examples with an amount and a place.</summary>
    private const decimal LocalErdfSek = 166_205_981m;

    [Fact]
    public async Task The_fifty_erdf_projects_and_thirteen_examples_load_with_the_readmes_scopes()
    {
        Assert.Equal(50L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE id LIKE 'tvv-erdf-%'"));
        Assert.Equal(13L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE id LIKE 'ex-%'"));
        Assert.Equal(21L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE id LIKE 'tvv-erdf-%' AND scope = 'local'"));
        Assert.Equal(16L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE id LIKE 'tvv-erdf-%' AND scope = 'multi_county'"));
        Assert.Equal(13L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE id LIKE 'tvv-erdf-%' AND scope = 'national'"));
        Assert.Equal(1_047_363_483m, await db.ScalarAsync<decimal>("SELECT sum(granted_sek) FROM measures WHERE id LIKE 'tvv-erdf-%'"));
        Assert.Equal(LocalErdfSek, await db.ScalarAsync<decimal>("SELECT sum(granted_sek) FROM measures WHERE id LIKE 'tvv-erdf-%' AND scope = 'local'"));
        Assert.Equal(311L, await db.ScalarAsync<long>("SELECT count(*) FROM measure_links WHERE measure_id LIKE 'tvv-erdf-%'"));
        // Unknown amounts stay unknown: the examples without an amount have none, never 0.
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE granted_sek = 0"));
        Assert.Equal(8L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE id LIKE 'ex-%' AND granted_sek IS NULL"));
        // Every load is a version in the history.
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM measures m WHERE NOT EXISTS (SELECT 1 FROM measure_versions v WHERE v.measure_id = m.id)"));
    }

    [Fact]
    public async Task Loading_the_shared_files_again_changes_nothing()
    {
        var versions = await db.ScalarAsync<long>("SELECT count(*) FROM measure_versions WHERE changed_by = 'setup'");
        var report = await db.App.Services.GetRequiredService<SpatialRegion.Api.Measures.MeasureSeeds>().LoadAsync(null, Ct);
        Assert.Equal((0, 0, 63), (report.Inserted, report.Updated, report.Unchanged));
        Assert.Equal(versions, await db.ScalarAsync<long>("SELECT count(*) FROM measure_versions WHERE changed_by = 'setup'"));
    }

    [Fact]
    public async Task Equal_shares_per_municipality_add_back_exactly_to_the_local_amounts()
    {
        var summary = await Summary();
        Assert.Equal(8, summary.Count);
        // Local measures lie wholly in the county: their shares over the eight municipalities add back to the öre.
        var localWithPlace = await db.ScalarAsync<decimal>("""
            SELECT sum(granted_sek) FROM measures m WHERE scope = 'local' AND deleted_at IS NULL
              AND EXISTS (SELECT 1 FROM measure_links l WHERE l.measure_id = m.id)
            """);
        Assert.True(localWithPlace >= LocalErdfSek + 300_000_000m, $"local amounts with a place: {localWithPlace}");
        Assert.Equal(localWithPlace, summary.Values.Sum(p => p["granted_sek_equal_share_local"]!.GetValue<decimal>()));
        // Population weighting moves money between municipalities, never in or out of the county.
        Assert.Equal(summary.Values.Sum(p => p["granted_sek_equal_share"]!.GetValue<decimal>()),
            summary.Values.Sum(p => p["granted_sek_population_weighted"]!.GetValue<decimal>()));

        // Each multi-county measure gives the county exactly its county part: amount × (municipalities in the county / listed).
        var countyPart = await db.ScalarAsync<decimal>("""
            SELECT sum(round(m.granted_sek * (SELECT sum(l.weight) FROM measure_links l WHERE l.measure_id = m.id), 2))
            FROM measures m WHERE m.scope = 'multi_county' AND m.id LIKE 'tvv-erdf-%'
            """);
        Assert.Equal(countyPart, summary.Values.Sum(p => p["granted_sek_equal_share_multi_county"]!.GetValue<decimal>()));
    }

    [Fact]
    public async Task The_summary_per_municipality_matches_sums_computed_independently_in_sql()
    {
        var summary = await Summary();
        // Straight from the links: full amounts of every measure declaring the municipality, and the equal shares
        // (weight, or 1 / number of declared areas) before rounding to öre.
        await using var cmd = db.DataSource.CreateCommand("""
            WITH declared AS (
              SELECT l.measure_id, l.area_code, coalesce(l.weight, 1.0 / count(*) OVER (PARTITION BY l.measure_id)) AS share
              FROM measure_links l WHERE l.area_code IS NOT NULL
            ), drawn AS (
              SELECT measure_id, ST_Union(geom) AS g FROM measure_links
              WHERE geom IS NOT NULL AND measure_id NOT IN (SELECT measure_id FROM declared) GROUP BY measure_id
            ), shares AS (
              SELECT * FROM declared
              UNION ALL
              SELECT d.measure_id, f.fid, CASE ST_Dimension(d.g) WHEN 2 THEN ST_Area(ST_Intersection(d.g, f.geom)) / ST_Area(d.g)
                                               WHEN 1 THEN ST_Length(ST_Intersection(d.g, f.geom)) / ST_Length(d.g) ELSE 1 END::numeric
              FROM drawn d JOIN layer_features f ON f.layer_id = 'municipalities' AND ST_Intersects(d.g, f.geom)
            )
            SELECT s.area_code, count(*), sum(m.granted_sek), round(sum(m.granted_sek * s.share), 6), count(*) FILTER (WHERE m.scope = 'national')
            FROM shares s JOIN measures m ON m.id = s.measure_id AND m.deleted_at IS NULL
            WHERE s.area_code LIKE '23__' AND s.share > 0
            GROUP BY s.area_code
            """);
        var checkedRows = 0;
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            var p = summary[reader.GetString(0)];
            Assert.Equal(reader.GetInt64(1), p["measures"]!.GetValue<long>());
            Assert.Equal(reader.GetDecimal(2), p["granted_sek_full"]!.GetValue<decimal>());
            // Rounding each measure's share to öre by largest remainder moves a municipality by less than 1 öre per measure.
            Assert.InRange(p["granted_sek_equal_share"]!.GetValue<decimal>() - reader.GetDecimal(3), -0.01m * reader.GetInt64(1), 0.01m * reader.GetInt64(1));
            Assert.Equal(reader.GetInt64(4), p["measures_national"]!.GetValue<long>());
            checkedRows++;
        }
        Assert.Equal(8, checkedRows);

        // Per inhabitant with the population year stated, from the latest population of the indicator store.
        var ostersund = summary["2380"];
        var population = await db.ScalarAsync<decimal>("""
            SELECT value FROM indicator_values WHERE indicator_id = 'population' AND area_code = '2380' AND gender = 'T' ORDER BY period_end DESC LIMIT 1
            """);
        Assert.Equal(population, ostersund["population"]!.GetValue<decimal>());
        Assert.Equal("2024", ostersund["population_year"]!.GetValue<string>());
        Assert.Equal(Math.Round(ostersund["granted_sek_equal_share"]!.GetValue<decimal>() / population, 2), ostersund["sek_per_inhabitant_equal_share"]!.GetValue<decimal>());
        // Five quantile classes over the eight municipalities, as the indicator maps classify.
        Assert.Equal([1, 2, 3, 4, 5], summary.Values.Select(p => p["class_sek_per_inhabitant"]!.GetValue<int>()).Distinct().Order());
        // Full attribution double-counts: the county total is far above the amounts themselves.
        Assert.True(summary.Values.Sum(p => p["granted_sek_full"]!.GetValue<decimal>()) > 2 * summary.Values.Sum(p => p["granted_sek_equal_share"]!.GetValue<decimal>()));
    }

    [Fact]
    public async Task The_three_layers_are_served_by_the_rest_api_the_ogc_api_and_the_wfs()
    {
        using var client = db.CreateClient();
        var layers = await client.GetJsonAsync("/api/layers");
        var ids = layers["layers"]!.AsArray().Select(l => l!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("measures", ids);
        Assert.Contains("measure-links", ids);
        Assert.Contains("measures-by-municipality", ids);

        var live = await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE deleted_at IS NULL AND display_geom IS NOT NULL");
        var items = await client.GetJsonAsync("/ogc/collections/measures/items?limit=1");
        Assert.Equal(live, items["numberMatched"]!.GetValue<long>());

        // CQL2 on the plainly named properties the web map filters by.
        var mellersta = await client.GetJsonAsync("/ogc/collections/measures/items?filter=" + Uri.EscapeDataString("programme = 'Mellersta Norrland' AND fund = 'ERDF'") + "&limit=100");
        Assert.Equal(34, mellersta["numberMatched"]!.GetValue<int>());

        // datetime meets each measure's period (start_date … end_date), not a single instant.
        var expected = await db.ScalarAsync<long>("""
            SELECT count(*) FROM measures WHERE deleted_at IS NULL AND display_geom IS NOT NULL
              AND start_date <= '2016-06-30' AND coalesce(end_date, 'infinity') >= '2016-06-01'
            """);
        var active = await client.GetJsonAsync("/ogc/collections/measures/items?datetime=2016-06-01/2016-06-30&limit=1");
        Assert.Equal(expected, active["numberMatched"]!.GetValue<long>());
        Assert.True(expected is > 10 and < 50, $"{expected} measures active in June 2016");
        var queryables = await client.GetJsonAsync("/ogc/collections/measures/queryables");
        Assert.Equal("primary-interval-start", queryables["properties"]!["start_date"]!["x-ogc-role"]!.GetValue<string>());
        Assert.Equal("primary-interval-end", queryables["properties"]!["end_date"]!["x-ogc-role"]!.GetValue<string>());

        var links = await client.GetJsonAsync("/ogc/collections/measure-links/items?filter=" + Uri.EscapeDataString("measure_id = 'tvv-erdf-20200061'"));
        Assert.Equal(8, links["numberMatched"]!.GetValue<int>());

        using var wfs = await client.GetAsync("/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=sr:measures-by-municipality&RESULTTYPE=hits", Ct);
        var hits = await wfs.Content.ReadAsStringAsync(Ct);
        Assert.Contains("numberMatched=\"8\"", hits);
    }

    [Fact]
    public async Task The_list_filters_by_municipality_theme_date_amount_place_and_words()
    {
        using var client = db.CreateClient();
        async Task<List<string>> Ids(string query) =>
            (await client.GetJsonAsync("/api/measures?" + query))["measures"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToList();

        var stromsund = await Ids("municipality=2313&limit=1000");
        Assert.Contains("ex-bb-2021-1", stromsund);
        Assert.DoesNotContain("ex-bb-2019-2", stromsund); // Härjedalen
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(DISTINCT measure_id) FROM measure_links l JOIN measures m ON m.id = l.measure_id WHERE area_code IN ('2313', '23') AND m.deleted_at IS NULL"), stromsund.Count);

        Assert.All(await Ids("theme=digital-infrastructure"), id => Assert.True(id.StartsWith("ex-bb", StringComparison.Ordinal) || id.StartsWith("tvv-erdf", StringComparison.Ordinal)));
        var active = await Ids("active=2016-06-15&limit=1000");
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE deleted_at IS NULL AND start_date <= '2016-06-15' AND coalesce(end_date, 'infinity') >= '2016-06-15'"), active.Count);
        var large = await Ids("min_amount=100000000&max_amount=200000000");
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE deleted_at IS NULL AND granted_sek BETWEEN 100000000 AND 200000000"), large.Count);
        Assert.Contains("tvv-erdf-20200095", await Ids("q=samiska%20besöksmål"));

        // Within 1 km of Sveg's centre: the measures whose place covers Härjedalen, none only in Strömsund.
        var sveg = await Ids("near=14.36,62.03&within_metres=1000&limit=1000");
        Assert.Contains("ex-bb-2019-2", sveg);
        Assert.DoesNotContain("ex-bb-2021-1", sveg);

        var csv = await client.GetStringAsync("/api/measures?f=csv&programme=" + Uri.EscapeDataString("Övre Norrland"), Ct);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,title,status,programme,fund,", lines[0]);
        Assert.Equal(4, lines.Length);
        var geojson = await client.GetJsonAsync("/api/measures?f=geojson&status=in_plan");
        Assert.Equal("FeatureCollection", geojson["type"]!.GetValue<string>());
        Assert.Equal(["ex-tr-1", "ex-tr-2"], geojson.Features().Select(f => f.Id()).Order());
        // Without geometry: the same features and properties, each geometry null.
        var properties = await client.GetJsonAsync("/api/measures?f=geojson&status=in_plan&skipGeometry=true");
        Assert.Equal(geojson.Features().Select(f => f.Id()), properties.Features().Select(f => f.Id()));
        Assert.All(geojson.Features(), f => Assert.NotNull(f["geometry"]));
        Assert.All(properties.Features(), f => { Assert.True(f.ContainsKey("geometry")); Assert.Null(f["geometry"]); });
        Assert.Equal(geojson.Features().Select(f => f["properties"]!.ToJsonString()), properties.Features().Select(f => f["properties"]!.ToJsonString()));

        foreach (var (query, parameter) in new[] { ("within_metres=100", "within_metres"), ("active=2016-13-01", "active"),
            ("min_amount=-5", "min_amount"), ("near=14.6", "near"), ("colour=red", "colour"), ("municipality=23x", "municipality"), ("f=xml", "f"),
            ("f=geojson&skipGeometry=yes", "skipGeometry"), ("skipGeometry=true", "skipGeometry"), ("f=csv&skipGeometry=true", "skipGeometry") })
        {
            var (status, _, problem) = await client.GetProblemAsync("/api/measures?" + query);
            Assert.Equal(400, status);
            Assert.Equal(parameter, problem["parameter"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_measure_has_its_context_and_a_municipality_its_measures()
    {
        using var client = db.CreateClient();
        var context = await client.GetJsonAsync("/api/measures/ex-bb-2021-1/context?indicators=population");
        var municipalities = context["municipalities"]!.AsArray();
        Assert.Equal("2313", Assert.Single(municipalities)!["kom_kod"]!.GetValue<string>());
        Assert.Equal(1m, municipalities[0]!["share_equal"]!.GetValue<decimal>());
        Assert.Contains(context["tatorter"]!.AsArray(), t => t!["name"]?.GetValue<string>() == "Strömsund");
        var gridInside = context["population_grid"]!["inside"]!.GetValue<decimal>();
        var gridStromsund = await db.ScalarAsync<decimal>("SELECT value FROM indicator_values WHERE indicator_id = 'population-grid' AND area_code = '2313' ORDER BY period_end DESC LIMIT 1");
        Assert.Equal(gridStromsund, gridInside);
        Assert.Equal("2313", context["indicators"]!.AsArray().Single()!["area_code"]!.GetValue<string>());

        var berg = await client.GetJsonAsync("/api/municipalities/2326/measures");
        Assert.Equal("Berg", berg["name"]!.GetValue<string>());
        Assert.Contains(berg["measures"]!.AsArray(), m => m!["measure"]!["id"]!.GetValue<string>() == "ex-ld-2");
        Assert.Equal(404, (await client.GetProblemAsync("/api/municipalities/9999/measures")).Status);
        Assert.Equal(404, (await client.GetProblemAsync("/api/measures/no-such-measure")).Status);
    }

    [Fact]
    public async Task The_summary_works_per_county_fa_and_labour_market_region_through_the_overlay_engines_interpolation()
    {
        using var client = db.CreateClient();
        var municipalities = await Summary();
        var counties = await client.GetJsonAsync("/api/measures/summary?by=counties");
        var county = Assert.Single(counties.Features());
        Assert.Equal("23", county.Id());
        Assert.Equal(municipalities.Values.Sum(p => p["granted_sek_equal_share"]!.GetValue<decimal>()), county["properties"]!["granted_sek_equal_share"]!.GetValue<decimal>());
        Assert.Equal("2303,2305,2309,2313,2321,2326,2361,2380", county["properties"]!["municipalities"]!.GetValue<string>());
        Assert.Equal("Jämtlands län", county["properties"]!["LANSNAMN"]!.GetValue<string>());

        // FA regions: Härjedalen is a region of its own (40); the seven others form Östersund's (41).
        var fa = (await client.GetJsonAsync("/api/measures/summary?by=fa-regions")).Features().ToDictionary(f => f.Id());
        Assert.Equal("2361", fa["40"]["properties"]!["municipalities"]!.GetValue<string>());
        Assert.Equal("2303,2305,2309,2313,2321,2326,2380", fa["41"]["properties"]!["municipalities"]!.GetValue<string>());
        var harjedalen = municipalities["2361"]["granted_sek_equal_share"]!.GetValue<decimal>();
        Assert.InRange(fa["40"]["properties"]!["granted_sek_equal_share"]!.GetValue<decimal>(), 0.98m * harjedalen, harjedalen + 0.01m);

        // Through the overlay engine's interpolation with the whole of each municipality allocated: the borders of the
        // FA and labour-market regions come from other sources than the municipalities', and still no krona and no
        // inhabitant of the county is lost in the slivers between them, nor given to an uninhabited one.
        var total = municipalities.Values.Sum(p => p["granted_sek_equal_share"]!.GetValue<double>());
        var people = municipalities.Values.Sum(p => p["population"]!.GetValue<double>());
        foreach (var by in (string[])["fa-regions", "labour-market-regions"])
        {
            var regions = await client.GetJsonAsync($"/api/measures/summary?by={by}");
            var features = regions.Features().ToList();
            Assert.Equal(total, features.Sum(f => f["properties"]!["granted_sek_equal_share"]!.GetValue<double>()), 0.1);
            Assert.Equal(people, features.Sum(f => f["properties"]!["population"]!.GetValue<double>()), 2.0);
            Assert.All(features, f => Assert.True(f["properties"]!["population"]!.GetValue<decimal>() > 0 || f["properties"]!["municipalities"]!.GetValue<string>() != ""));
            Assert.Equal("interpolation", regions["analysis"]!["analysis"]!.GetValue<string>());
            Assert.Equal("population_grid", regions["analysis"]!["parameters"]!["weights"]!.GetValue<string>());
        }

        Assert.Equal(400, (await client.GetProblemAsync("/api/measures/summary?by=pharmacies")).Status);
        Assert.Equal(404, (await client.GetProblemAsync("/api/measures/summary?by=no-such-layer")).Status);
        Assert.Equal(400, (await client.GetProblemAsync("/api/measures/summary?by=counties&colour=red")).Status);
    }

    private async Task<Dictionary<string, JsonObject>> Summary()
    {
        using var client = db.CreateClient();
        var layer = await client.GetJsonAsync("/api/layers/measures-by-municipality/features?limit=100");
        return layer.Features().ToDictionary(f => f.Id(), f => f["properties"]!.AsObject());
    }
}

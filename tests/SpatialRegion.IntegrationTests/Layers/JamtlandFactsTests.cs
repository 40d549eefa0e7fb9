using System.Globalization;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Layers;

/// <summary>Facts about Jämtland Härjedalen that the loaded layers must reproduce, from the real sources.</summary>
public sealed class JamtlandFactsTests(PostgisFixture db)
{
    private static readonly Dictionary<string, string> CountyMunicipalities = new()
    {
        ["2303"] = "Ragunda",
        ["2305"] = "Bräcke",
        ["2309"] = "Krokom",
        ["2313"] = "Strömsund",
        ["2321"] = "Åre",
        ["2326"] = "Berg",
        ["2361"] = "Härjedalen",
        ["2380"] = "Östersund",
    };

    [Fact]
    public async Task County_23_has_exactly_its_eight_municipalities_with_their_names()
    {
        var client = db.CreateClient();
        var collection = await client.GetJsonAsync("/api/layers/municipalities/features?LAN_KOD=23&properties=KOM_KOD,KOMMUNNAMN");

        var found = collection.Features().ToDictionary(f => f.Id(), f => f["properties"]!["KOMMUNNAMN"]!.GetValue<string>());
        Assert.Equal(CountyMunicipalities.OrderBy(p => p.Key), found.OrderBy(p => p.Key));
        Assert.Equal(8, collection["numberMatched"]!.GetValue<int>());
    }

    [Fact]
    public async Task Municipal_areas_of_county_23_add_up_to_the_county_polygon()
    {
        var municipalities = await db.ScalarAsync<double>(
            "SELECT sum(ST_Area(geom)) FROM layer_features WHERE layer_id = 'municipalities' AND properties->>'LAN_KOD' = '23'");
        var county = await db.ScalarAsync<double>("SELECT ST_Area(geom) FROM layer_features WHERE layer_id = 'counties' AND fid = '23'");

        // 54 050.8 km² including inland water (Lantmäteriet 1:1 million), against 49 443 km² of land.
        Assert.InRange(county / 1e6, 54_000, 54_100);
        Assert.InRange(Math.Abs(municipalities - county) / county, 0, 0.005);
    }

    [Fact]
    public async Task Every_tatort_of_county_23_lies_in_the_municipality_its_own_code_names()
    {
        var inCounty = await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'tatorter' AND properties->>'lan_code' = '23'");
        var agreeing = await db.ScalarAsync<long>("""
            SELECT count(*) FROM layer_features t
            JOIN layer_features m ON m.layer_id = 'municipalities' AND m.fid = t.properties->>'mun_code'
            WHERE t.layer_id = 'tatorter' AND t.properties->>'lan_code' = '23' AND ST_Contains(m.geom, t.geom)
            """);
        var population = await db.ScalarAsync<decimal>(
            "SELECT sum((properties->>'pop')::numeric) FROM layer_features WHERE layer_id = 'tatorter' AND properties->>'lan_code' = '23'");

        Assert.Equal(59, inCounty);
        Assert.Equal(59, agreeing);
        Assert.Equal(94_854m, population);
    }

    [Fact]
    public async Task Grid_squares_centred_in_county_23_hold_its_population()
    {
        var people = await db.ScalarAsync<decimal>("""
            SELECT sum((g.properties->>'beftotalt')::numeric)
            FROM layer_features g JOIN layer_features c ON c.layer_id = 'counties' AND c.fid = '23'
            WHERE g.layer_id = 'population-grid-1km' AND ST_Contains(c.geom, ST_Centroid(g.geom))
            """);

        // SCB's official figure for 31 Dec 2024 is 132 839; the grid misses people without a registered coordinate.
        Assert.Equal(132_647m, people);
        Assert.InRange((double)people / 132_839, 0.998, 1.0);
    }

    [Fact]
    public async Task Repaired_geometries_of_the_sources_are_counted()
    {
        async Task<int> Repaired(string layer) => int.Parse(
            await db.ScalarAsync<string>("SELECT import_report->>'repaired' FROM layers WHERE id = $1", layer), CultureInfo.InvariantCulture);

        // SOURCES.md: one FA region and two Norwegian municipalities are invalid polygons in the source.
        Assert.Equal(1, await Repaired("fa-regions"));
        Assert.Equal(2, await Repaired("norway-municipalities"));
        Assert.Equal(0, await Repaired("municipalities"));
        Assert.True(await db.ScalarAsync<bool>("SELECT bool_and(ST_IsValid(geom)) FROM layer_features"));
        Assert.Equal("ST_MultiPolygon", await db.ScalarAsync<string>(
            "SELECT string_agg(DISTINCT ST_GeometryType(geom), ',') FROM layer_features WHERE layer_id IN ('norway-municipalities', 'fa-regions', 'municipalities')"));
    }
}

using System.Net;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Analysis;

public sealed class SpatialJoinTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    [Fact]
    public async Task Tatorter_per_municipality_match_a_plain_group_by_over_ST_Contains()
    {
        var answer = await _client.PostOkAsync("/api/analysis/spatial-join", """
            {"target": {"layer": "municipalities", "properties": ["KOMMUNNAMN"]},
             "joins": [{"source": {"layer": "tatorter"},
                        "statistics": [{"op": "count", "as": "tatorter"}, {"op": "sum", "property": "pop", "as": "tatort_pop"},
                                       {"op": "max", "property": "pop", "as": "largest"}]}]}
            """);

        var expected = new Dictionary<string, (long Count, long Population, long Largest)>();
        await using (var cmd = db.DataSource.CreateCommand("""
            SELECT m.fid, count(t.fid), coalesce(sum((t.properties->>'pop')::bigint), 0), coalesce(max((t.properties->>'pop')::bigint), 0)
            FROM layer_features m
            LEFT JOIN layer_features t ON t.layer_id = 'tatorter' AND ST_Contains(m.geom, t.geom)
            WHERE m.layer_id = 'municipalities'
            GROUP BY m.fid
            """))
        await using (var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                expected[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            }
        }

        var features = answer.Features.ToList();
        Assert.Equal(290, features.Count);
        foreach (var f in features)
        {
            var (count, population, largest) = expected[f["id"]!.GetValue<string>()];
            Assert.Equal(count, (long)f.Number("tatorter"));
            Assert.Equal(population, (long)f.Number("tatort_pop"));
            Assert.Equal(count == 0 ? null : (long?)largest, f.NumberOrNull("largest") is { } l ? (long?)l : null);
        }
        Assert.Equal(99, features.Sum(f => f.Number("tatorter")));
        var ostersund = features.Single(f => f["id"]!.GetValue<string>() == "2380");
        Assert.Equal("Östersund", ostersund.String("KOMMUNNAMN"));
        Assert.Equal(12, ostersund.Number("tatorter"));
        Assert.Equal(52_980, ostersund.Number("largest"));
    }

    [Fact]
    public async Task Health_facilities_per_10000_inhabitants_combine_two_joins_and_the_grid_counts_each_square_once()
    {
        var answer = await _client.PostOkAsync("/api/analysis/spatial-join", """
            {"target": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}, "properties": ["KOMMUNNAMN"]},
             "joins": [{"source": {"layer": "health-facilities"}, "statistics": [{"op": "count", "as": "facilities"}]},
                       {"source": {"layer": "population-grid-1km"}, "predicate": "centroid",
                        "statistics": [{"op": "sum", "property": "beftotalt", "as": "population"}]}],
             "ratios": [{"as": "facilities_per_10000", "numerator": "facilities", "denominator": "population", "per": 10000}]}
            """);

        var features = answer.Features.ToList();
        Assert.Equal(8, features.Count);
        // The squares whose centre lies in the county hold 132 647 people (SOURCES.md S3).
        Assert.Equal(132_647, features.Sum(f => f.Number("population")));
        // Facilities inside the county (SOURCES.md V1: 20 of the 32 points).
        Assert.Equal(20, features.Sum(f => f.Number("facilities")));
        foreach (var f in features)
        {
            var code = f["id"]!.GetValue<string>();
            var facilities = await db.ScalarAsync<long>("""
                SELECT count(*) FROM layer_features h JOIN layer_features m ON m.layer_id = 'municipalities' AND m.fid = $1
                WHERE h.layer_id = 'health-facilities' AND ST_Contains(m.geom, h.geom)
                """, code);
            var people = await db.ScalarAsync<decimal>("""
                SELECT coalesce(sum((g.properties->>'beftotalt')::numeric), 0) FROM layer_features g
                JOIN layer_features m ON m.layer_id = 'municipalities' AND m.fid = $1
                WHERE g.layer_id = 'population-grid-1km' AND ST_Contains(m.geom, ST_Centroid(g.geom))
                """, code);
            Assert.Equal(facilities, (long)f.Number("facilities"));
            Assert.Equal((double)people, f.Number("population"));
            Assert.Equal(facilities / (double)people * 10_000, f.Number("facilities_per_10000"), 1e-6);
        }
    }

    [Fact]
    public async Task Intersects_counts_a_tatort_area_in_every_municipality_it_reaches_and_contains_only_where_it_lies_whole()
    {
        string Request(string predicate) => $$"""
            {"target": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}, "properties": []},
             "joins": [{"source": {"layer": "tatort-areas"}, "predicate": "{{predicate}}", "statistics": [{"op": "count", "as": "areas"}]}]}
            """;
        var intersects = await _client.PostOkAsync("/api/analysis/spatial-join", Request("intersects"));
        var contains = await _client.PostOkAsync("/api/analysis/spatial-join", Request("contains"));

        var expectedIntersects = await db.ScalarAsync<long>("""
            SELECT count(*) FROM layer_features m JOIN layer_features a ON a.layer_id = 'tatort-areas' AND ST_Intersects(m.geom, a.geom)
            WHERE m.layer_id = 'municipalities' AND m.properties->>'LAN_KOD' = '23'
            """);
        var expectedContains = await db.ScalarAsync<long>("""
            SELECT count(*) FROM layer_features m JOIN layer_features a ON a.layer_id = 'tatort-areas' AND ST_Contains(m.geom, a.geom)
            WHERE m.layer_id = 'municipalities' AND m.properties->>'LAN_KOD' = '23'
            """);
        Assert.Equal(expectedIntersects, intersects.Features.Sum(f => (long)f.Number("areas")));
        Assert.Equal(expectedContains, contains.Features.Sum(f => (long)f.Number("areas")));
        Assert.True(expectedIntersects > expectedContains);
    }

    [Fact]
    public async Task Statistics_on_unknown_or_text_attributes_and_unknown_predicates_are_refused()
    {
        var text = await _client.PostAsync("/api/analysis/spatial-join", """
            {"target": {"layer": "municipalities"}, "joins": [{"source": {"layer": "tatorter"}, "statistics": [{"op": "sum", "property": "name"}]}]}
            """);
        AnalysisHttp.AssertProblem(text, HttpStatusCode.BadRequest, "not a number", "joins[0].statistics[0].property");

        var unknown = await _client.PostAsync("/api/analysis/spatial-join", """
            {"target": {"layer": "municipalities"}, "joins": [{"source": {"layer": "tatorter"}, "statistics": [{"op": "mean", "property": "people"}]}]}
            """);
        AnalysisHttp.AssertProblem(unknown, HttpStatusCode.BadRequest, "has no property 'people'");

        var predicate = await _client.PostAsync("/api/analysis/spatial-join", """
            {"target": {"layer": "municipalities"}, "joins": [{"source": {"layer": "tatorter"}, "predicate": "near"}]}
            """);
        AnalysisHttp.AssertProblem(predicate, HttpStatusCode.BadRequest, "Unknown predicate 'near'", "joins[0].predicate");

        var points = await _client.PostAsync("/api/analysis/spatial-join", """
            {"target": {"layer": "tatorter"}, "joins": [{"source": {"layer": "pharmacies"}}]}
            """);
        AnalysisHttp.AssertProblem(points, HttpStatusCode.BadRequest, "must be polygons", "target");
    }
}

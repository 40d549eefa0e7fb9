using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Analysis;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Measures;

/// <summary>
/// "Which measures lie within 20 minutes of a place?": the list's within_minutes filter on the default road network,
/// checked against the catchment polygon the analysis draws for the same place and minutes.
/// </summary>
[Collection(MeasuresCollection.Name)]
public sealed class MeasureTravelTimeTests(PostgisFixture db)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Stortorget, Östersund.</summary>
    private const string Ostersund = "14.6362,63.1792";

    /// <summary>The catchment's outline lies within half a 100 m cell's diagonal (71 m) of the exact buffer of the
    /// reached roads; a measure whose outline passes nearer than this to the catchment's may fall either way.</summary>
    private const double RasterTolerance = 75;

    private async Task<List<string>> IdsAsync(HttpClient client, string query) =>
        (await client.GetJsonAsync("/api/measures?limit=10000&" + query))["measures"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task Within_20_minutes_of_Ostersund_are_its_measures_and_none_only_in_Harjedalen_or_Stromsund()
    {
        using var client = db.CreateClient();
        var answer = await client.GetJsonAsync($"/api/measures?near={Ostersund}&within_minutes=20&limit=10000");
        var ids = answer["measures"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("ex-tr-3", ids); // E14 Lockne–Optand, Östersund
        Assert.Contains("ex-bb-2019-1", ids); // broadband in Östersund and Krokom
        Assert.DoesNotContain("ex-bb-2019-3", ids); // Tännäs, Härjedalen, far west
        Assert.DoesNotContain("ex-tr-1", ids); // E45 at Sveg, Härjedalen
        Assert.DoesNotContain("ex-bb-2021-1", ids); // Strömsund
        Assert.Equal(ids.Count, answer["numberMatched"]!.GetValue<int>());

        // The answer names what it was computed with, as the network itself states it.
        var travel = answer["travel_time"]!;
        var network = await client.GetJsonAsync("/api/networks/roads");
        Assert.Equal("roads", travel["network"]!.GetValue<string>());
        Assert.Equal(await db.ScalarAsync<long>("SELECT version FROM road_networks WHERE id = 'roads'"), travel["network_version"]!.GetValue<long>());
        Assert.Equal(network["speed_table"]!["name"]!.GetValue<string>(), travel["speed_table"]!.GetValue<string>());
        Assert.Equal(20, travel["minutes"]!.GetValue<double>());
        Assert.Equal(500, travel["buffer_m"]!.GetValue<double>());
        Assert.InRange(travel["snap_m"]!.GetValue<double>(), 0, 1000);

        // CSV and GeoJSON carry the same in headers (and GeoJSON as a member), with the same measures.
        using var csv = await client.GetAsync($"/api/measures?near={Ostersund}&within_minutes=20&f=csv&limit=10000", Ct);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        var version = travel["network_version"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture);
        Assert.Equal($"roads; version={version}", csv.Headers.GetValues("Road-Network").Single());
        Assert.Equal(travel["speed_table"]!.GetValue<string>(), csv.Headers.GetValues("Speed-Table").Single());
        var rows = (await csv.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(r => r.Split(',')[0]);
        Assert.Equal(ids, rows);
        var geojson = await client.GetJsonAsync($"/api/measures?near={Ostersund}&within_minutes=20&f=geojson&limit=10000");
        Assert.Equal(ids, geojson.Features().Select(f => f.Id()));
        Assert.Equal(travel.ToJsonString(), geojson["travel_time"]!.ToJsonString());

        // Without within_minutes there is no travel time to name.
        Assert.Null((await client.GetJsonAsync($"/api/measures?near={Ostersund}&within_metres=1000"))["travel_time"]);
    }

    [Theory]
    [InlineData(Ostersund, 20)]
    [InlineData("15.4250,63.8497", 30)] // Strömsund
    [InlineData("14.3580,62.0360", 60)] // Sveg
    [InlineData("13.0810,63.3990", 45)] // Åre
    public async Task The_measures_within_minutes_are_those_that_touch_the_catchment_of_the_same_place_and_minutes(string near, double minutes)
    {
        using var client = db.CreateClient();
        var listed = (await IdsAsync(client, FormattableString.Invariant($"near={near}&within_minutes={minutes}"))).ToHashSet();

        var at = near.Split(',');
        var request = new JsonObject
        {
            ["facilities"] = new JsonObject { ["geojson"] = new JsonObject { ["type"] = "Point", ["coordinates"] = JsonNode.Parse($"[{at[0]}, {at[1]}]") } },
            ["minutes"] = new JsonArray(minutes),
            ["output_crs"] = "EPSG:3006",
        };
        var catchment = await client.PostOkAsync("/api/analysis/catchment", request.ToJsonString());
        var outline = new NetTopologySuite.IO.WKBWriter().Write(Assert.Single(catchment.Features).Geometry());
        // PostGIS alone, on the polygon the analysis returned: the measures it touches, and those whose outline passes
        // so near the catchment's that its raster cells decide.
        var touching = new HashSet<string>();
        var borderline = new HashSet<string>();
        await using (var cmd = db.DataSource.CreateCommand("""
            WITH c AS (SELECT ST_GeomFromWKB($1, 3006) AS geom)
            SELECT m.id, ST_Intersects(m.display_geom, c.geom), ST_DWithin(ST_Boundary(m.display_geom), ST_Boundary(c.geom), $2)
            FROM measures m, c WHERE m.deleted_at IS NULL AND m.display_geom IS NOT NULL
            """))
        {
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = outline });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = RasterTolerance });
            await using var reader = await cmd.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                if (reader.GetBoolean(1))
                {
                    touching.Add(reader.GetString(0));
                }
                if (reader.GetBoolean(2))
                {
                    borderline.Add(reader.GetString(0));
                }
            }
        }
        Assert.NotEmpty(touching);
        Assert.True(touching.Count < await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE deleted_at IS NULL AND display_geom IS NOT NULL"),
            "the catchment touches every measure: the comparison would not tell the filter from none");
        var differing = listed.Except(touching).Concat(touching.Except(listed)).ToList();
        Assert.True(differing.All(borderline.Contains),
            $"listed but not touching: [{string.Join(", ", listed.Except(touching))}]; touching but not listed: [{string.Join(", ", touching.Except(listed))}]");
        Assert.True(differing.Count <= 2, $"{differing.Count} measures differ, all near the outline: {string.Join(", ", differing)}");
    }

    [Fact]
    public async Task More_minutes_never_remove_a_measure()
    {
        using var client = db.CreateClient();
        var previous = new List<string>();
        var counts = new List<int>();
        foreach (var minutes in new[] { 1, 5, 10, 20, 40, 80, 180 })
        {
            var ids = await IdsAsync(client, $"near=15.4250,63.8497&within_minutes={minutes}");
            Assert.True(previous.All(ids.Contains), $"{minutes} min drops {string.Join(", ", previous.Except(ids))}");
            previous = ids;
            counts.Add(ids.Count);
        }
        // From Strömsund the county's measures come into reach over the hours, not all at once.
        Assert.True(counts[0] < counts[^1], string.Join(", ", counts));
        Assert.True(counts.Distinct().Count() >= 3, string.Join(", ", counts));
    }

    [Theory]
    [InlineData("within_minutes=20", 400, "within_minutes")]
    [InlineData("near=14.6362,63.1792&within_minutes=20&within_metres=1000", 400, "within_minutes")]
    [InlineData("near=14.6362,63.1792&within_minutes=twenty", 400, "within_minutes")]
    [InlineData("near=14.6362,63.1792&within_minutes=0", 400, "within_minutes")]
    [InlineData("near=14.6362,63.1792&within_minutes=-5", 400, "within_minutes")]
    [InlineData("near=14.6362,63.1792&within_minutes=180.5", 400, "within_minutes")]
    [InlineData("near=14.6362,63.1792&within_minutes=NaN", 400, "within_minutes")]
    [InlineData("near=14.6362,63.1792&within_minutes=Infinity", 400, "within_minutes")]
    [InlineData("near=14.6362&within_minutes=20", 400, "near")]
    [InlineData("near=10.0,60.0&within_minutes=20", 400, "near")] // in Norway, 140 km from the county's roads
    [InlineData("near=14.6362,63.1792&within_metres=1000&network=roads", 400, "network")]
    [InlineData("near=14.6362,63.1792&within_minutes=20&network=nowhere", 404, "network")]
    public async Task Bad_travel_time_filters_are_refused_naming_the_parameter(string query, int status, string parameter)
    {
        using var client = db.CreateClient();
        var (answered, contentType, problem) = await client.GetProblemAsync("/api/measures?" + query);
        Assert.Equal(status, answered);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(parameter, problem["parameter"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
    }

    [Fact]
    public async Task A_place_far_from_any_road_is_refused_rather_than_answered_empty()
    {
        using var client = db.CreateClient();
        var (status, _, problem) = await client.GetProblemAsync("/api/measures?near=10.0,60.0&within_minutes=180");
        Assert.Equal(400, status);
        Assert.Contains("m from the roads of network 'roads'", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("1000 m", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_travel_time_filter()
    {
        using var client = db.CreateClient();
        var document = await client.GetJsonAsync("/openapi/v1.json");
        var list = document["paths"]!["/api/measures"]!["get"]!;
        var text = list["description"]!.GetValue<string>();
        Assert.Contains("within_minutes", text, StringComparison.Ordinal);
        Assert.Contains("network", text, StringComparison.Ordinal);
        Assert.DoesNotContain("not available", text, StringComparison.Ordinal);
    }
}

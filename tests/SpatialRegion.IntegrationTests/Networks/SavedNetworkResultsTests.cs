using System.Net;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Analysis;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Networks;

/// <summary>Catchment and accessibility results kept as layers, read by GDAL as QGIS reads them; jobs, the cache and CSV tables.</summary>
public sealed class SavedNetworkResultsTests(PostgisFixture db, ServiceProcessFixture service) : IClassFixture<ServiceProcessFixture>
{
    private static Task<JsonObject> Ogr2ogr(string source, string layer) => Tool.Ogr2ogrAsync(source, layer);

    [Fact]
    public async Task Saved_catchment_and_accessibility_layers_carry_provenance_and_load_through_ogc_api_and_wfs()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        var catchment = await editor.PostAsync("/api/analysis/catchment",
            """{"facilities": {"layer": "pharmacies", "filter": {"Kommun": "Bergs kommun"}}, "minutes": [15], "dissolve": true, "population": true, "save_as": {"id": "test-berg-pharmacy-15min", "replace": true}}""");
        Assert.True(catchment.Status is HttpStatusCode.Created or HttpStatusCode.OK, catchment.Body.ToJsonString());
        var access = await editor.PostAsync("/api/analysis/accessibility",
            """{"facilities": {"layer": "pharmacies"}, "output": "areas", "save_as": {"id": "test-pharmacy-access-areas", "replace": true}}""");
        Assert.True(access.Status is HttpStatusCode.Created or HttpStatusCode.OK, access.Body.ToJsonString());

        var saved = await db.CreateClient().GetJsonAsync("/api/analysis/results/test-pharmacy-access-areas");
        Assert.Equal("accessibility", saved["provenance"]!["analysis"]!.GetValue<string>());
        Assert.Equal("car-terrangkartan-osm", saved["provenance"]!["parameters"]!["speed_table"]!.GetValue<string>());
        Assert.NotNull(saved["provenance"]!["parameters"]!["network_version"]);
        Assert.NotNull(saved["provenance"]!["inputs"]!["facilities"]!["version"]);

        var viaOgc = await Ogr2ogr($"OAPIF:{service.BaseUrl}/ogc", "test-pharmacy-access-areas");
        Assert.Equal(8, viaOgc.Features().Count());
        Assert.Equal(132_637, viaOgc.Features().Sum(f => f["properties"]!["population"]!.GetValue<double>()));
        var viaWfs = await Ogr2ogr($"WFS:{service.BaseUrl}/wfs", "test-berg-pharmacy-15min");
        var band = viaWfs.Features().Single();
        Assert.Equal(15, band["properties"]!["cutoff"]!.GetValue<double>());
        Assert.True(band["properties"]!["population"]!.GetValue<double>() > 1000);
    }

    [Fact]
    public async Task A_request_preferring_an_async_answer_becomes_a_job_whose_result_equals_the_synchronous_one()
    {
        using var client = new HttpClient { BaseAddress = new Uri(service.BaseUrl) };
        var body = """{"facilities": {"layer": "pharmacies", "filter": {"Kommun": "Ragunda kommun"}}, "output": "facilities", "origins": {"layer": "population-grid-1km", "filter": {"kommun_join": "Ragunda"}}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/analysis/accessibility") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Prefer", "respond-async");
        using var started = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var status = JsonNode.Parse(await started.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Contains(status["status"]!.GetValue<string>(), (string[])["accepted", "running", "successful"]);
        for (var i = 0; i < 240 && status["status"]!.GetValue<string>() is "accepted" or "running"; i++)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            status = await client.GetJsonAsync(location);
        }
        Assert.Equal("successful", status["status"]!.GetValue<string>());
        Assert.Equal(100, status["progress"]!.GetValue<int>());
        var resultsLink = status["links"]!.AsArray().Single(l => l?["rel"]?.GetValue<string>().EndsWith("/results", StringComparison.Ordinal) == true)!["href"]!.GetValue<string>();
        var result = await client.GetJsonAsync(resultsLink);
        var direct = await client.PostAsync("/api/analysis/accessibility", body);
        Assert.Equal(direct.Body["features"]!.ToJsonString(), result["features"]!.ToJsonString());
        // The job's answer was cached under the input versions: the synchronous request was answered from it.
        Assert.Equal("hit", direct.Response.Headers.GetValues("X-Cache").Single());

        // Jobs live in PostGIS: another instance of the service on the same database answers for this one's job.
        using var otherInstance = db.CreateClient();
        var path = new Uri(location).PathAndQuery;
        Assert.Equal("successful", (await otherInstance.GetJsonAsync(path))["status"]!.GetValue<string>());
        Assert.Equal(result["features"]!.ToJsonString(), (await otherInstance.GetJsonAsync(path + "/results"))["features"]!.ToJsonString());

        var (missing, _, _) = await client.GetProblemAsync("/api/analysis/jobs/no-such-job");
        Assert.Equal(404, missing);
    }

    [Fact]
    public async Task A_job_whose_instance_stopped_reads_as_failed_and_a_refused_job_keeps_its_problem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var cmd = db.DataSource.CreateCommand("""
            INSERT INTO analysis_jobs (id, analysis, status, message, progress, created, started, alive)
            VALUES ('test-lost-job', 'catchment', 'running', 'computing', 10, now() - interval '5 minutes', now() - interval '5 minutes', now() - interval '4 minutes'),
                   ('test-live-job', 'catchment', 'running', 'computing', 10, now(), now(), now())
            ON CONFLICT (id) DO UPDATE SET alive = excluded.alive, status = excluded.status
            """))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        using var client = db.CreateClient();
        var lost = await client.GetJsonAsync("/api/analysis/jobs/test-lost-job");
        Assert.Equal("failed", lost["status"]!.GetValue<string>());
        Assert.Contains("stopped", lost["message"]!.GetValue<string>());
        Assert.Equal(500, (await client.GetProblemAsync("/api/analysis/jobs/test-lost-job/results")).Status);
        Assert.Equal("running", (await client.GetJsonAsync("/api/analysis/jobs/test-live-job"))["status"]!.GetValue<string>());
        Assert.Equal(404, (await client.GetProblemAsync("/api/analysis/jobs/test-live-job/results")).Status);

        // Refused while it ran (no facility left after the filter): the job failed, and its results are the 400.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/analysis/catchment")
        {
            Content = new StringContent("""{"facilities": {"layer": "pharmacies", "filter": {"Namn": "Ingen sådan"}}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Prefer", "respond-async");
        using var started = await client.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.PathAndQuery;
        var status = await client.GetJsonAsync(location);
        for (var i = 0; i < 120 && status["status"]!.GetValue<string>() is "accepted" or "running"; i++)
        {
            await Task.Delay(250, ct);
            status = await client.GetJsonAsync(location);
        }
        Assert.Equal("failed", status["status"]!.GetValue<string>());
        var (refused, _, problem) = await client.GetProblemAsync(location + "/results");
        Assert.Equal(400, refused);
        Assert.Contains("No facility", problem["detail"]!.GetValue<string>());
        Assert.Equal("facilities", problem["parameter"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_saved_result_lists_the_inputs_re_imported_since_it_was_computed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var editor = db.CreateClient(ApiRole.Editor);
        async Task UploadAsync(double x)
        {
            using var put = await editor.PutAsync("/api/layers/test-stale-facility", new StringContent(
                $$$"""{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},"features":[{"type":"Feature","id":"a","properties":{"name":"A"},"geometry":{"type":"Point","coordinates":[{{{x}}},7005000]}}]}""",
                System.Text.Encoding.UTF8, "application/geo+json"), ct);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(ct));
        }
        await UploadAsync(470000);
        var saved = await editor.PostAsync("/api/analysis/catchment",
            """{"facilities": {"layer": "test-stale-facility"}, "minutes": [5], "save_as": {"id": "test-stale-catchment", "replace": true}}""");
        Assert.Equal(HttpStatusCode.Created, saved.Status);
        using var client = db.CreateClient();
        Assert.Empty((await client.GetJsonAsync("/api/analysis/results/test-stale-catchment"))["inputsChanged"]!.AsArray());

        await UploadAsync(471000);
        var result = await client.GetJsonAsync("/api/analysis/results/test-stale-catchment");
        var change = Assert.Single(result["inputsChanged"]!.AsArray())!;
        Assert.Equal("facilities", change["input"]!.GetValue<string>());
        Assert.Equal("test-stale-facility", change["id"]!.GetValue<string>());
        Assert.True(change["versionNow"]!.GetValue<long>() > change["versionUsed"]!.GetValue<long>());
        Assert.Equal(result["provenance"]!["inputs"]!["facilities"]!["version"]!.GetValue<long>(), change["versionUsed"]!.GetValue<long>());
        var listed = (await client.GetJsonAsync("/api/analysis/results"))["layers"]!.AsArray().Single(l => l!["id"]!.GetValue<string>() == "test-stale-catchment")!;
        Assert.Single(listed["inputsChanged"]!.AsArray());
    }

    [Fact]
    public async Task An_answer_from_the_cache_keeps_its_crs()
    {
        using var client = db.CreateClient();
        var body = """{"facilities": {"layer": "pharmacies", "filter": {"Namn": "Apoteket Kärnan"}}, "minutes": [5], "output_crs": "EPSG:3006"}""";
        var first = await client.PostOkAsync("/api/analysis/catchment", body);
        var again = await client.PostOkAsync("/api/analysis/catchment", body);
        Assert.Equal("hit", again.Response.Headers.GetValues("X-Cache").Single());
        Assert.Equal("<http://www.opengis.net/def/crs/EPSG/0/3006>", again.Response.Headers.GetValues("Content-Crs").Single());
        Assert.Equal(first.Response.Headers.GetValues("Content-Crs").Single(), again.Response.Headers.GetValues("Content-Crs").Single());
    }

    [Fact]
    public async Task Tables_come_as_csv_and_a_changed_input_is_not_answered_from_the_cache()
    {
        using var client = db.CreateClient();
        var csvBody = """{"facilities": {"layer": "pharmacies"}, "output": "areas", "format": "csv"}""";
        using var response = await client.PostAsync("/api/analysis/accessibility", new StringContent(csvBody, System.Text.Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).TrimEnd().Split("\r\n");
        Assert.StartsWith("area,area_name,population,mean_minutes,median_minutes,within_5,share_within_5", lines[0]);
        Assert.Equal(9, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("2380,Östersund,", StringComparison.Ordinal));

        AnalysisHttp.AssertProblem(await client.PostAsync("/api/analysis/accessibility",
            """{"facilities": {"layer": "pharmacies"}, "format": "csv", "save_as": "x"}"""), HttpStatusCode.BadRequest, "save_as", "format");

        // An uploaded facility layer, answered, replaced, and answered again: the second answer reflects the new version.
        using var editor = db.CreateClient(ApiRole.Editor);
        async Task UploadAsync(double x)
        {
            using var put = await editor.PutAsync("/api/layers/test-network-facility", new StringContent(
                $$$"""{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},"features":[{"type":"Feature","id":"a","properties":{"name":"A"},"geometry":{"type":"Point","coordinates":[{{{x}}},7005000]}}]}""",
                System.Text.Encoding.UTF8, "application/geo+json"), TestContext.Current.CancellationToken);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        var body = """{"facilities": {"layer": "test-network-facility"}, "output": "areas"}""";
        await UploadAsync(470000);
        var first = await client.PostOkAsync("/api/analysis/accessibility", body);
        await UploadAsync(400000);
        var second = await client.PostOkAsync("/api/analysis/accessibility", body);
        Assert.False(second.Response.Headers.Contains("X-Cache"));
        Assert.NotEqual(first.Analysis["summary"]!["total"]!["mean_minutes"]!.ToJsonString(), second.Analysis["summary"]!["total"]!["mean_minutes"]!.ToJsonString());
    }

    [Fact]
    public async Task Per_facility_catchments_of_more_than_a_hundred_facilities_run_as_a_job_unasked()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        var points = string.Join(",", Enumerable.Range(0, 101).Select(i =>
            $$$"""{"type":"Feature","id":"p{{{i}}}","properties":{},"geometry":{"type":"Point","coordinates":[{{{460000 + i * 200}}},7005000]}}"""));
        using (var put = await editor.PutAsync("/api/layers/test-many-facilities", new StringContent(
            """{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},"features":[""" + points + "]}",
            System.Text.Encoding.UTF8, "application/geo+json"), TestContext.Current.CancellationToken))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        using var client = db.CreateClient();
        var many = await client.PostAsync("/api/analysis/catchment", """{"facilities": {"layer": "test-many-facilities"}, "minutes": [1]}""");
        Assert.Equal(HttpStatusCode.Accepted, many.Status);
        Assert.Contains("/api/analysis/jobs/", many.Response.Headers.Location!.ToString());
        Assert.Equal("catchment", many.Body["processID"]!.GetValue<string>());
        // Filtered to fewer, or dissolved, it is answered at once.
        var few = await client.PostAsync("/api/analysis/catchment",
            """{"facilities": {"layer": "test-many-facilities", "bbox": [460000, 7004000, 461000, 7006000], "bbox_crs": "EPSG:3006"}, "minutes": [1]}""");
        Assert.Equal(HttpStatusCode.OK, few.Status);
        var dissolved = await client.PostAsync("/api/analysis/catchment", """{"facilities": {"layer": "test-many-facilities"}, "minutes": [1], "dissolve": true}""");
        Assert.Equal(HttpStatusCode.OK, dissolved.Status);
    }
}

using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Analysis;

/// <summary>Results kept as layers: editor role, provenance, served by the layers API, listed, replaced and deleted.</summary>
public sealed class SavedResultsTests(PostgisFixture db)
{
    private const string Overlay = """
        {"operation": "intersection",
         "a": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}, "properties": ["KOMMUNNAMN"]},
         "b": {"layer": "fa-regions", "properties": ["fa_namn"]},
         "save_as": SAVE}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Saving(string saveAs) => Overlay.Replace("SAVE", saveAs, StringComparison.Ordinal);

    [Fact]
    public async Task Saving_needs_an_editor_key_and_the_saved_result_is_a_layer_with_its_provenance()
    {
        using var anonymous = db.CreateClient();
        var refused = await anonymous.PostAsync("/api/analysis/overlay", Saving("\"test-analysis-saved\""));
        AnalysisHttp.AssertProblem(refused, HttpStatusCode.Unauthorized, "API key");
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = 'test-analysis-saved'"));

        using var editor = db.CreateClient(ApiRole.Editor);
        var saved = await editor.PostAsync("/api/analysis/overlay", Saving("""{"id": "test-analysis-saved", "title": "Kommuner och FA-regioner"}"""));
        Assert.Equal(HttpStatusCode.Created, saved.Status);
        Assert.EndsWith("/api/layers/test-analysis-saved", saved.Response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal("analysis", saved.Body["kind"]!.GetValue<string>());
        Assert.Equal("Kommuner och FA-regioner", saved.Body["title"]!.GetValue<string>());
        Assert.Contains("municipalities (CC0", saved.Body["licence"]!.GetValue<string>(), StringComparison.Ordinal);

        var provenance = saved.Body["provenance"]!;
        Assert.Equal("overlay", provenance["analysis"]!.GetValue<string>());
        Assert.Equal("intersection", provenance["parameters"]!["operation"]!.GetValue<string>());
        Assert.Equal(await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'municipalities'"), provenance["inputs"]!["a"]!["version"]!.GetValue<long>());
        Assert.Equal(await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'fa-regions'"), provenance["inputs"]!["b"]!["version"]!.GetValue<long>());
        Assert.Equal("23", provenance["inputs"]!["a"]!["filter"]!["LAN_KOD"]!.GetValue<string>());
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(provenance["computed_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
            < TimeSpan.FromMinutes(5));

        // Served at once by the layers API, with the same features the analysis streams.
        var streamed = await anonymous.PostOkAsync("/api/analysis/overlay", Saving("null"));
        var layer = await anonymous.GetJsonAsync("/api/layers/test-analysis-saved/features");
        Assert.Equal(streamed.Features.Count(), layer.Features().Count());
        Assert.Equal(
            streamed.Features.Select(f => (f.String("a_fid"), f.String("b_fid"), Math.Round(f.Number("area_m2")))).Order(),
            layer.Features().Select(f => (f.String("a_fid"), f.String("b_fid"), Math.Round(f.Number("area_m2")))).Order());
        var summary = await anonymous.GetJsonAsync("/api/layers/test-analysis-saved");
        Assert.Equal(["a_fid", "a_KOMMUNNAMN", "b_fid", "b_fa_namn", "area_m2", "share_of_a", "share_of_b"],
            summary["properties"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal("MultiPolygon", summary["geometryType"]!.GetValue<string>());

        // The OGC API and WFS serve the same registry: the result is a collection and a feature type at once.
        var ogc = await anonymous.GetJsonAsync("/ogc/collections/test-analysis-saved/items?limit=100");
        Assert.Equal(streamed.Features.Count(), ogc.Features().Count());
        var hits = await anonymous.GetStringAsync(
            "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=sr:test-analysis-saved&RESULTTYPE=hits", Ct);
        Assert.Contains($"numberMatched=\"{streamed.Features.Count()}\"", hits, StringComparison.Ordinal);

        var listed = await anonymous.GetJsonAsync("/api/analysis/results");
        Assert.Contains("test-analysis-saved", listed["layers"]!.AsArray().Select(l => l!["id"]!.GetValue<string>()));
        Assert.DoesNotContain("municipalities", listed["layers"]!.AsArray().Select(l => l!["id"]!.GetValue<string>()));
        var one = await anonymous.GetJsonAsync("/api/analysis/results/test-analysis-saved");
        Assert.Equal("overlay", one["provenance"]!["analysis"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_saved_result_is_replaced_only_when_asked_and_never_overwrites_other_layers()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        Assert.Equal(HttpStatusCode.Created, (await editor.PostAsync("/api/analysis/overlay", Saving("\"test-analysis-replace\""))).Status);
        var first = await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'test-analysis-replace'");

        var again = await editor.PostAsync("/api/analysis/overlay", Saving("\"test-analysis-replace\""));
        AnalysisHttp.AssertProblem(again, HttpStatusCode.Conflict, "\"replace\": true", "save_as");

        var replaced = await editor.PostAsync("/api/analysis/overlay", Saving("""{"id": "test-analysis-replace", "replace": true}"""));
        Assert.Equal(HttpStatusCode.OK, replaced.Status);
        Assert.True(replaced.Body["version"]!.GetValue<long>() > first);

        var municipalitiesVersion = await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'municipalities'");
        var imported = await editor.PostAsync("/api/analysis/overlay", Saving("""{"id": "municipalities", "replace": true}"""));
        AnalysisHttp.AssertProblem(imported, HttpStatusCode.Conflict, "imported layer", "save_as");
        Assert.Equal(municipalitiesVersion, await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'municipalities'"));
        Assert.Equal(290, await db.ScalarAsync<int>("SELECT feature_count FROM layers WHERE id = 'municipalities'"));

        var empty = await editor.PostAsync("/api/analysis/overlay", """
            {"operation": "intersection", "a": {"layer": "municipalities", "filter": {"KOM_KOD": "0180"}}, "b": {"layer": "counties", "filter": {"LAN_KOD": "23"}},
             "save_as": "test-analysis-empty"}
            """);
        AnalysisHttp.AssertProblem(empty, (HttpStatusCode)422, "nothing to save", "save_as");
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = 'test-analysis-empty'"));
    }

    [Fact]
    public async Task A_save_that_would_be_refused_is_refused_before_the_analysis_is_computed()
    {
        // So little time that the overlay itself could never finish: the answer is the conflict, not the timeout.
        await using var impatient = db.App.WithWebHostBuilder(b => b.UseSetting("SpatialRegion:Analysis:StatementTimeoutSeconds", "0.05"));
        using var editor = impatient.CreateClient();
        using (var keyed = db.CreateClient(ApiRole.Editor))
        {
            editor.DefaultRequestHeaders.Authorization = keyed.DefaultRequestHeaders.Authorization;
        }
        var conflict = await editor.PostAsync("/api/analysis/overlay", """
            {"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"layer": "fa-regions"}, "save_as": {"id": "fa-regions", "replace": true}}
            """);
        AnalysisHttp.AssertProblem(conflict, HttpStatusCode.Conflict, "imported layer", "save_as");
    }

    [Fact]
    public async Task Saved_results_are_deleted_by_editors_only_and_only_analysis_layers_can_be_deleted_here()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        var saved = await editor.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}},
             "target": {"layer": "labour-market-regions", "properties": ["name"]},
             "variables": [{"name": "kommunkod", "type": "intensive", "property": "KOMMUNKOD"}],
             "save_as": "test-analysis-delete"}
            """);
        Assert.Equal(HttpStatusCode.Created, saved.Status);
        var features = await db.CreateClient().GetJsonAsync("/api/layers/test-analysis-delete/features?name=Östersund");
        Assert.InRange(features.Features().Single()["properties"]!["kommunkod"]!.GetValue<double>(), 2303, 2380);

        using var anonymous = db.CreateClient();
        using (var refused = await anonymous.DeleteAsync("/api/analysis/results/test-analysis-delete", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var notAnalysis = await editor.DeleteAsync("/api/analysis/results/municipalities", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, notAnalysis.StatusCode);
        }
        Assert.Equal(290, await db.ScalarAsync<int>("SELECT feature_count FROM layers WHERE id = 'municipalities'"));

        using (var deleted = await editor.DeleteAsync("/api/analysis/results/test-analysis-delete", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using (var gone = await anonymous.GetAsync("/api/layers/test-analysis-delete", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'test-analysis-delete'"));
        using (var again = await editor.DeleteAsync("/api/analysis/results/test-analysis-delete", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
    }
}

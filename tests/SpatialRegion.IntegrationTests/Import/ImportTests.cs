using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Import;

public sealed class ImportTests(PostgisFixture db) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("spatialregion-import-").FullName;
    private readonly LayerImporter _importer = db.App.Services.GetRequiredService<LayerImporter>();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string DataFile(string relative) =>
        Path.Combine(DataDirectory.Resolve(null, AppContext.BaseDirectory), relative);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string TwoPoints = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"a","pop":10},"geometry":{"type":"Point","coordinates":[14.6,63.2]}},
          {"type":"Feature","properties":{"code":"b","pop":20},"geometry":{"type":"Point","coordinates":[15.0,62.5]}}]}
        """;

    private Task<string> Fingerprint(string layer) => db.ScalarAsync<string>(
        "SELECT coalesce(md5(string_agg(fid || properties::text || ST_AsEWKB(geom)::text, '|' ORDER BY fid)), 'none') FROM layer_features WHERE layer_id = $1",
        layer);

    [Fact]
    public async Task Reimporting_the_same_file_gives_the_same_layer_and_a_new_version()
    {
        var file = DataFile("boundaries/se_kommuner_lm1milj_jamtland50km_sweref99tm.geojson");
        var first = await _importer.ImportAsync(new LayerImportRequest("test-reimport", file, "KOM_KOD", MergeByKey: true), null, TestContext.Current.CancellationToken);
        var before = await Fingerprint("test-reimport");
        var second = await _importer.ImportAsync(new LayerImportRequest("test-reimport", file, "KOM_KOD", MergeByKey: true), null, TestContext.Current.CancellationToken);

        Assert.Equal(35, first.Read);
        Assert.Equal(28, first.Written);
        Assert.Equal(first.Written, second.Written);
        Assert.Equal(28, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'test-reimport'"));
        Assert.Equal(before, await Fingerprint("test-reimport"));
        Assert.True(second.Version > first.Version);
        Assert.Equal(28, await db.ScalarAsync<int>("SELECT feature_count FROM layers WHERE id = 'test-reimport'"));
    }

    [Fact]
    public async Task Wgs84_and_sweref_copies_of_one_source_load_to_the_same_places()
    {
        await _importer.ImportAsync(new LayerImportRequest("test-nb-wgs84", DataFile("boundaries/se_kommuner_lm1milj_jamtland50km_wgs84.geojson"), "KOM_KOD", true),
            null, TestContext.Current.CancellationToken);
        await _importer.ImportAsync(new LayerImportRequest("test-nb-sweref", DataFile("boundaries/se_kommuner_lm1milj_jamtland50km_sweref99tm.geojson"), "KOM_KOD", true),
            null, TestContext.Current.CancellationToken);
        // The WGS 84 copy was rounded to 7 decimals (~1 cm) by its publisher; areas agree to far better than that matters.
        var worst = await db.ScalarAsync<double>("""
            SELECT max(abs(ST_Area(a.geom) - ST_Area(b.geom)) / ST_Area(b.geom))
            FROM layer_features a JOIN layer_features b ON b.layer_id = 'test-nb-sweref' AND b.fid = a.fid
            WHERE a.layer_id = 'test-nb-wgs84'
            """);
        Assert.InRange(worst, 0, 1e-6);
        Assert.Equal(28, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'test-nb-wgs84'"));
    }

    [Fact]
    public async Task A_reader_never_sees_a_half_replaced_layer()
    {
        var file = DataFile("boundaries/se_kommuner_lm1milj_sweref99tm.geojson");
        await _importer.ImportAsync(new LayerImportRequest("test-concurrent", file, "KOM_KOD", true), null, TestContext.Current.CancellationToken);

        using var stop = new CancellationTokenSource();
        var counts = new List<long>();
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                counts.Add(await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'test-concurrent'"));
            }
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < 3; i++)
        {
            await _importer.ImportAsync(new LayerImportRequest("test-concurrent", file, "KOM_KOD", true), null, TestContext.Current.CancellationToken);
        }
        await stop.CancelAsync();
        await reader;

        Assert.True(counts.Count > 10, $"only {counts.Count} reads happened during the imports");
        Assert.All(counts, c => Assert.Equal(290, c));
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "malformed.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature",""", "not valid JSON (line 1" },
        { "not-a-collection.geojson", """{"type":"Feature","properties":{},"geometry":null}""", "is not a GeoJSON FeatureCollection" },
        { "unknown-crs.geojson", """{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::999999"}},"features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Point","coordinates":[1,2]}}]}""", "Unknown CRS EPSG:999999" },
        { "unnamed-crs.geojson", """{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"my own grid"}},"features":[]}""", "Unknown CRS 'my own grid'" },
        { "missing-key.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Point","coordinates":[14,63]}},{"type":"Feature","properties":{"name":"b"},"geometry":{"type":"Point","coordinates":[14,63]}}]}""", "Feature #2 has no value for the key property 'code'" },
        { "collection.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[14,63]}]}}]}""", "only points, lines and polygons" },
        { "mixed.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Point","coordinates":[14,63]}},{"type":"Feature","properties":{"code":"b"},"geometry":{"type":"LineString","coordinates":[[14,63],[15,63]]}}]}""", "Feature #2 is a LineString but earlier features are Points" },
        { "lines-into-points.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"LineString","coordinates":[[14,63],[15,63]]}}]}""", "holds Point features; the new features are MultiLineString" },
        { "duplicate.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Point","coordinates":[14,63]}},{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Point","coordinates":[15,63]}}]}""", "Features #1 and #2 have the same code 'a'" },
        { "out-of-range.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Point","coordinates":[6800000,500000]}}]}""", "outside longitude -180..180" },
        { "bad-geometry.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":"here"}}]}""", "Feature #1 has a malformed geometry" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_file_fails_with_a_clear_message_and_leaves_the_layer_as_it_was(string name, string content, string message)
    {
        var layer = "test-bad-" + Path.GetFileNameWithoutExtension(name);
        await _importer.ImportAsync(new LayerImportRequest(layer, Write("good.geojson", TwoPoints), "code"), null, TestContext.Current.CancellationToken);
        var before = await Fingerprint(layer);
        var version = await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = $1", layer);

        var error = await Assert.ThrowsAsync<ImportException>(() =>
            _importer.ImportAsync(new LayerImportRequest(layer, Write(name, content), "code"), null, TestContext.Current.CancellationToken));

        Assert.Contains(message, error.Message);
        Assert.Equal(before, await Fingerprint(layer));
        Assert.Equal(version, await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = $1", layer));
        using var client = db.CreateClient();
        var collection = await client.GetJsonAsync($"/api/layers/{layer}/features");
        Assert.Equal(["a", "b"], collection.Features().Select(f => f.Id()));
    }

    [Fact]
    public async Task Invalid_polygons_are_repaired_and_counted_and_empty_geometries_rejected()
    {
        var file = Write("bowtie.geojson", """
            {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3006"}},"features":[
              {"type":"Feature","properties":{"n":1},"geometry":{"type":"Polygon","coordinates":[[[470000,7000000],[480000,7010000],[480000,7000000],[470000,7010000],[470000,7000000]]]}},
              {"type":"Feature","properties":{"n":2},"geometry":{"type":"Polygon","coordinates":[[[470000,7000000],[471000,7000000],[471000,7001000],[470000,7001000],[470000,7000000]]]}},
              {"type":"Feature","properties":{"n":3},"geometry":null}]}
            """);
        var report = await _importer.ImportAsync(new LayerImportRequest("test-bowtie", file), null, TestContext.Current.CancellationToken);

        Assert.Equal(3, report.Read);
        Assert.Equal(2, report.Written);
        Assert.Equal(1, report.Repaired);
        Assert.Equal(1, report.Rejected);
        // The bow tie becomes two triangles of 25 km² each.
        Assert.Equal(50e6, await db.ScalarAsync<double>("SELECT ST_Area(geom) FROM layer_features WHERE layer_id = 'test-bowtie' AND fid = '1'"), 1);
        Assert.True(await db.ScalarAsync<bool>("SELECT bool_and(ST_IsValid(geom)) FROM layer_features WHERE layer_id = 'test-bowtie'"));
    }

    [Fact]
    public async Task The_import_command_reports_counts_and_fails_with_a_message_and_exit_code()
    {
        var good = Write("points.geojson", TwoPoints);
        var (ok, output, _) = await CommandLineProcess.RunAsync(db, "import", "test-cli", good, "--key", "code", "--title", "Two points", "--licence", "CC0");
        Assert.Equal(0, ok);
        Assert.Contains("test-cli: read 2, written 2, repaired 0, rejected 0", output);
        Assert.Equal("Two points", await db.ScalarAsync<string>("SELECT title FROM layers WHERE id = 'test-cli'"));

        var (failed, _, error) = await CommandLineProcess.RunAsync(db, "import", "test-cli", Write("bad.geojson", "[1,2,3]"), "--key", "code");
        Assert.Equal(1, failed);
        Assert.Contains("Import failed, nothing was changed", error);
        Assert.Contains("not a GeoJSON FeatureCollection", error);
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'test-cli'"));

        var (usage, _, usageError) = await CommandLineProcess.RunAsync(db, "import", "test-cli");
        Assert.Equal(2, usage);
        Assert.Contains("Usage:", usageError);
    }
}

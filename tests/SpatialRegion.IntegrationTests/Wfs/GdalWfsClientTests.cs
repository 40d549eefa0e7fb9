using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Wfs;

/// <summary>
/// GDAL's WFS driver (ogr2ogr, from Debian's gdal-bin) as a real client: capabilities, DescribeFeatureType,
/// paged GetFeature in GML 3.2 with the urn:ogc:def:crs:EPSG::3006 axis order, and FES filters pushed down. The
/// service listens on a real loopback port for it, in a second host over the same database.
/// </summary>
public sealed class GdalWfsClientTests(PostgisFixture db) : IAsyncLifetime
{
    private readonly SpatialRegionApp _app = new(db.ConnectionString);
    private readonly string _dir = Directory.CreateTempSubdirectory("spatialregion-gdal-").FullName;
    private string _wfs = "";

    public ValueTask InitializeAsync()
    {
        _app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app.StartServer();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _wfs = "WFS:" + address + "/wfs";
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>ogr2ogr to GeoJSON; the features as GDAL read them.</summary>
    private async Task<List<JsonObject>> Ogr2Ogr(string layer, params string[] options)
    {
        var output = Path.Combine(_dir, layer + "-" + Guid.NewGuid().ToString("N")[..8] + ".geojson");
        var start = new ProcessStartInfo("ogr2ogr") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-f", "GeoJSON", output, _wfs, "sr:" + layer }.Concat(options))
        {
            start.ArgumentList.Add(argument);
        }
        // Loopback only, whatever proxy the machine has configured.
        start.Environment["NO_PROXY"] = start.Environment["no_proxy"] = "127.0.0.1,localhost";
        start.Environment["GDAL_HTTP_TIMEOUT"] = "120";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"ogr2ogr {layer} failed ({process.ExitCode}): {await stderr}{await stdout}");
        var collection = JsonNode.Parse(await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken))!.AsObject();
        return collection.Features().ToList();
    }

    private async Task<Dictionary<string, JsonObject>> DatabaseFeatures(string layer)
    {
        var features = new Dictionary<string, JsonObject>();
        await using var cmd = db.DataSource.CreateCommand("SELECT fid, properties::text FROM layer_features WHERE layer_id = $1");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = layer });
        await using var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            features[layer + "." + reader.GetString(0)] = JsonNode.Parse(reader.GetString(1))!.AsObject();
        }
        return features;
    }

    [Fact]
    public async Task Gdal_reads_the_290_municipalities_with_their_attributes_in_epsg_3006_coordinates_that_match_the_database()
    {
        var features = await Ogr2Ogr("municipalities");
        var expected = await DatabaseFeatures("municipalities");

        Assert.Equal(290, features.Count);
        var ids = features.Select(f => f["properties"]!["gml_id"]!.GetValue<string>()).ToList();
        Assert.Equal(290, ids.Distinct().Count());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));

        foreach (var feature in features)
        {
            var properties = feature["properties"]!.AsObject();
            var stored = expected[properties["gml_id"]!.GetValue<string>()];
            foreach (var (name, value) in stored)
            {
                // GDAL types the fields from DescribeFeatureType: strings stay strings ("0180"), integers are numbers.
                Assert.True(JsonNode.DeepEquals(value, properties[name]), $"{name}: stored {value?.ToJsonString()}, GDAL read {properties[name]?.ToJsonString()}");
            }
        }

        // Every vertex where PostGIS has it, in EPSG:3006 easting/northing after GDAL applied the URN's N,E order.
        var fids = features.Select(f => f["properties"]!["gml_id"]!.GetValue<string>()["municipalities.".Length..]).ToArray();
        var geometries = features.Select(f => f["geometry"]!.ToJsonString()).ToArray();
        var worst = await db.ScalarAsync<double>("""
            SELECT max(ST_HausdorffDistance(f.geom, ST_SetSRID(ST_GeomFromGeoJSON(g.geojson), 3006)))
            FROM unnest($1::text[], $2::text[]) AS g(fid, geojson)
            JOIN layer_features f ON f.layer_id = 'municipalities' AND f.fid = g.fid
            """, fids, geometries);
        Assert.InRange(worst, 0, 0.001);
        var vertices = await db.ScalarAsync<long>("SELECT sum(ST_NPoints(geom)) FROM layer_features WHERE layer_id = 'municipalities'");
        Assert.Equal(vertices, features.Sum(f => GeoJsonHttp.Positions(f["geometry"]!["coordinates"]!).Count()));
    }

    [Fact]
    public async Task Gdal_reads_every_feature_type_completely()
    {
        var layers = new List<string>();
        // The measures register is edited by its own tests while this one runs; they read it through WFS themselves.
        await using (var cmd = db.DataSource.CreateCommand("SELECT id FROM layers WHERE id NOT LIKE 'test-%' AND kind <> 'measure' ORDER BY id"))
        await using (var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                layers.Add(reader.GetString(0));
            }
        }
        Assert.True(layers.Count >= 11);
        foreach (var layer in layers)
        {
            var features = await Ogr2Ogr(layer);
            var expected = await DatabaseFeatures(layer);
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), features.Select(f => f["properties"]!["gml_id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
            Assert.All(features, f => Assert.NotNull(f["geometry"]));
            var type = await db.ScalarAsync<string>("SELECT geometry_type FROM layers WHERE id = $1", layer);
            Assert.All(features, f => Assert.Equal(type, f["geometry"]!["type"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task Gdal_pushes_attribute_and_spatial_filters_down_as_fes_and_gets_what_postgis_selects()
    {
        var filtered = await Ogr2Ogr("municipalities", "-where", "LAN_KOD = '23' OR KOMMUNNAMN LIKE 'Ö%'", "-spat", "440000", "6990000", "480000", "7020000");
        var expected = await db.ScalarAsync<long>("""
            SELECT count(*) FROM layer_features WHERE layer_id = 'municipalities'
              AND (properties->>'LAN_KOD' = '23' OR properties->>'KOMMUNNAMN' LIKE 'Ö%')
              AND ST_Intersects(geom, ST_MakeEnvelope(440000, 6990000, 480000, 7020000, 3006))
            """);
        Assert.InRange(expected, 2, 10);
        Assert.Equal(expected, filtered.Count);
        Assert.Contains(filtered, f => f["properties"]!["KOMMUNNAMN"]!.GetValue<string>() == "Östersund");
    }
}

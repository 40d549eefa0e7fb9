using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Ogc;

/// <summary>
/// GDAL's OGC API - Features driver (Debian's gdal-bin) as a real client of the service on a loopback port:
/// it discovers the collections, pages through next links and writes what it read with ogr2ogr.
/// </summary>
public sealed class GdalOapifTests(PostgisFixture db, ServiceProcessFixture service) : IClassFixture<ServiceProcessFixture>
{
    private string Landing => service.BaseUrl + "/ogc";

    private static Task<JsonObject> Ogr2ogr(string source, string layer, params string[] options) => Tool.Ogr2ogrAsync([source, layer, .. options]);

    [Fact]
    public async Task Ogr2ogr_reads_all_290_municipalities_in_sweref_99_tm_with_their_attributes_and_exact_coordinates()
    {
        // GDAL 3.6 has no CRS open option; it repeats the query string of the URL it is given on every request,
        // so crs= there makes it read every page in EPSG:3006, in that CRS's axis order (northing, easting).
        var read = await Ogr2ogr($"OAPIF:{Landing}?crs=http://www.opengis.net/def/crs/EPSG/0/3006", "municipalities", "-oo", "PAGE_SIZE=100");
        var features = read.Features().ToList();
        Assert.Equal(290, features.Count);
        Assert.Equal(290, features.Select(f => f["properties"]!["KOM_KOD"]!.GetValue<string>()).Distinct().Count());

        var expected = new Dictionary<string, (string Name, string County, string Coordinates)>();
        await using (var cmd = db.DataSource.CreateCommand("""
            SELECT fid, properties->>'KOMMUNNAMN', properties->>'LAN_KOD', (ST_AsGeoJSON(ST_FlipCoordinates(geom), 3)::jsonb -> 'coordinates')::text
            FROM layer_features WHERE layer_id = 'municipalities'
            """))
        await using (var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                expected[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2), reader.GetString(3));
            }
        }
        foreach (var feature in features)
        {
            var properties = feature["properties"]!;
            var code = properties["KOM_KOD"]!.GetValue<string>();
            var (name, county, coordinates) = expected[code];
            Assert.Equal(name, properties["KOMMUNNAMN"]!.GetValue<string>());
            Assert.Equal(county, properties["LAN_KOD"]!.GetValue<string>());
            Assert.Equal(int.Parse(code, System.Globalization.CultureInfo.InvariantCulture), properties["KOMMUNKOD"]!.GetValue<int>());
            var got = GeoJsonHttp.Positions(feature["geometry"]!["coordinates"]!).ToList();
            var want = GeoJsonHttp.Positions(JsonNode.Parse(coordinates)!).ToList();
            Assert.Equal(want.Count, got.Count);
            for (var i = 0; i < want.Count; i++)
            {
                Assert.True(Math.Abs(want[i].X - got[i].X) < 0.0015 && Math.Abs(want[i].Y - got[i].Y) < 0.0015,
                    $"{code} position {i}: {got[i]} where the database has {want[i]}");
            }
        }
        // Northing first: Sweden's northings are 6.1 to 7.7 million, eastings 0.2 to 0.95 million.
        Assert.All(features, f => Assert.InRange(GeoJsonHttp.Positions(f["geometry"]!["coordinates"]!).First().X, 6.1e6, 7.7e6));
    }

    [Fact]
    public async Task Ogr2ogr_reads_every_collection_completely()
    {
        // GDAL keeps the GeoJSON id as a field named id; where a layer has an id property of its own, that one wins,
        // and the key property (whose values are the feature ids) identifies the features instead.
        var layers = new List<(string Id, string Field, HashSet<string> Fids)>();
        await using (var cmd = db.DataSource.CreateCommand("""
            SELECT l.id, CASE WHEN l.properties @> '[{"name": "id"}]' THEN l.key_property ELSE 'id' END, array_agg(f.fid)
            FROM layers l JOIN layer_features f ON f.layer_id = l.id WHERE l.id NOT LIKE 'test-%' AND l.kind <> 'measure' GROUP BY l.id
            """))
        await using (var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                layers.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2).ToHashSet()));
            }
        }
        Assert.True(layers.Count >= 11, $"only {layers.Count} layers");
        var (exit, listing, _) = await Tool.RunAsync("ogrinfo", "-ro", "-q", $"OAPIF:{Landing}");
        Assert.Equal(0, exit);
        foreach (var (id, field, fids) in layers)
        {
            Assert.Contains($": {id}", listing);
            var read = await Ogr2ogr($"OAPIF:{Landing}", id, "-oo", "PAGE_SIZE=1000");
            var ids = read.Features().Select(f => f["properties"]![field]!.ToString()).ToList();
            Assert.True(fids.SetEquals(ids) && ids.Count == fids.Count, $"{id}: GDAL read {ids.Count} features ({ids.Distinct().Count()} distinct), the layer has {fids.Count}");
            // Default output is CRS84 longitude/latitude.
            Assert.All(read.Features().Take(20), f => Assert.InRange(GeoJsonHttp.Positions(f["geometry"]!["coordinates"]!).First().X, -10, 35));
        }
    }
}

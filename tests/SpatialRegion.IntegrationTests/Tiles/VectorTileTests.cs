using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Tiles;

/// <summary>OGC API - Tiles over the real layers: metadata documents, the HTTP behaviour of a tile (ETag, 304,
/// compression, 204) and the selection parameters; what a tile holds is read back by GDAL and QGIS in
/// <see cref="TileClientTests"/>.</summary>
public sealed class VectorTileTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    // Östersund (14.64 E, 63.18 N) at zoom 8: column 138, row 69.
    private const string OstersundZ8 = "8/69/138";

    private static string TileUrl(string collection, string tile, string query = "") =>
        $"/ogc/collections/{collection}/tiles/WebMercatorQuad/{tile}{query}";

    private async Task<(HttpStatusCode Status, byte[] Body, HttpResponseMessage Response)> GetTileAsync(string url, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        configure?.Invoke(request);
        var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken), response);
    }

    [Fact]
    public async Task Conformance_declares_tiles_and_the_landing_page_and_collections_link_them()
    {
        var classes = (await _client.GetJsonAsync("/ogc/conformance"))["conformsTo"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        foreach (var c in new[] { "core", "tileset", "tilesets-list", "geodata-tilesets", "mvt" })
        {
            Assert.Contains("http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/" + c, classes);
        }
        var landing = await _client.GetJsonAsync("/ogc");
        Assert.Contains(landing["links"]!.AsArray(), l => l!["rel"]!.GetValue<string>() == "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
            && l["href"]!.GetValue<string>().EndsWith("/ogc/tileMatrixSets", StringComparison.Ordinal));
        var collection = await _client.GetJsonAsync("/ogc/collections/municipalities");
        Assert.Contains(collection["links"]!.AsArray(), l => l!["rel"]!.GetValue<string>() == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
            && l["href"]!.GetValue<string>().EndsWith("/ogc/collections/municipalities/tiles", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tile_matrix_set_is_web_mercator_quad_with_25_matrices_doubling_each_zoom()
    {
        var list = await _client.GetJsonAsync("/ogc/tileMatrixSets");
        var only = Assert.Single(list["tileMatrixSets"]!.AsArray())!;
        Assert.Equal("WebMercatorQuad", only["id"]!.GetValue<string>());
        var tms = await _client.GetJsonAsync("/ogc/tileMatrixSets/WebMercatorQuad");
        Assert.Equal("http://www.opengis.net/def/crs/EPSG/0/3857", tms["crs"]!.GetValue<string>());
        var matrices = tms["tileMatrices"]!.AsArray();
        Assert.Equal(25, matrices.Count);
        Assert.Equal(559082264.0287178, matrices[0]!["scaleDenominator"]!.GetValue<double>(), 3);
        Assert.Equal(256, matrices[8]!["matrixWidth"]!.GetValue<long>());
        Assert.Equal(404, (await _client.GetProblemAsync("/ogc/tileMatrixSets/WorldCRS84Quad")).Status);
    }

    [Fact]
    public async Task Tileset_metadata_gives_the_tile_template_limits_and_properties_and_carries_the_selection()
    {
        var tileset = await _client.GetJsonAsync("/ogc/collections/indicator-population/tiles/WebMercatorQuad?period=2024");
        Assert.Equal("vector", tileset["dataType"]!.GetValue<string>());
        Assert.Equal("http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad", tileset["tileMatrixSetURI"]!.GetValue<string>());
        var item = tileset["links"]!.AsArray().Single(l => l!["rel"]!.GetValue<string>() == "item")!;
        Assert.True(item["templated"]!.GetValue<bool>());
        Assert.EndsWith("/indicator-population/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}?period=2024", item["href"]!.GetValue<string>());
        var z8 = tileset["tileMatrixSetLimits"]!.AsArray().Single(l => l!["tileMatrix"]!.GetValue<string>() == "8")!;
        Assert.InRange(69, z8["minTileRow"]!.GetValue<long>(), z8["maxTileRow"]!.GetValue<long>());
        Assert.InRange(138, z8["minTileCol"]!.GetValue<long>(), z8["maxTileCol"]!.GetValue<long>());
        var properties = tileset["layers"]![0]!["propertiesSchema"]!["properties"]!.AsObject();
        Assert.Equal("number", properties["value"]!["type"]!.GetValue<string>());
        Assert.Equal(2, tileset["layers"]![0]!["geometryDimension"]!.GetValue<int>());

        var (status, _, body) = await _client.GetProblemAsync("/ogc/collections/indicator-population/tiles/WebMercatorQuad?value=many");
        Assert.Equal(400, status);
        Assert.Equal("InvalidParameterValue", body["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task TileJson_names_the_vector_layer_its_fields_bounds_and_zooms()
    {
        var tileJson = await _client.GetJsonAsync("/ogc/collections/municipalities/tiles/WebMercatorQuad/tilejson.json");
        Assert.Equal("3.0.0", tileJson["tilejson"]!.GetValue<string>());
        Assert.EndsWith("/ogc/collections/municipalities/tiles/WebMercatorQuad/{z}/{y}/{x}", tileJson["tiles"]![0]!.GetValue<string>());
        var layer = tileJson["vector_layers"]![0]!;
        Assert.Equal("municipalities", layer["id"]!.GetValue<string>());
        Assert.Equal("String", layer["fields"]!["KOMMUNNAMN"]!.GetValue<string>());
        Assert.Equal("Number", layer["fields"]!["KOMMUNKOD"]!.GetValue<string>());
        var bounds = tileJson["bounds"]!.AsArray().Select(b => b!.GetValue<double>()).ToArray();
        Assert.True(bounds[0] < 14.64 && 14.64 < bounds[2] && bounds[1] < 63.18 && 63.18 < bounds[3]);
        Assert.Equal(0, tileJson["minzoom"]!.GetValue<int>());
        Assert.Equal(14, tileJson["maxzoom"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_tile_is_mvt_revalidates_by_layer_version_and_compresses_to_the_same_bytes()
    {
        var (status, plain, response) = await GetTileAsync(TileUrl("municipalities", OstersundZ8));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/vnd.mapbox-vector-tile", response.Content.Headers.ContentType!.MediaType);
        Assert.True(Holds(plain, "Östersund"), "the tile should hold Östersund");
        var etag = response.Headers.ETag!;

        var (again, empty, _) = await GetTileAsync(TileUrl("municipalities", OstersundZ8), r => r.Headers.IfNoneMatch.Add(etag));
        Assert.Equal(HttpStatusCode.NotModified, again);
        Assert.Empty(empty);

        var (_, gzipped, compressed) = await GetTileAsync(TileUrl("municipalities", OstersundZ8), r => r.Headers.AcceptEncoding.ParseAdd("gzip"));
        Assert.Equal("gzip", Assert.Single(compressed.Content.Headers.ContentEncoding));
        await using var gunzip = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        var unpacked = new MemoryStream();
        await gunzip.CopyToAsync(unpacked, TestContext.Current.CancellationToken);
        Assert.Equal(plain, unpacked.ToArray());
    }

    [Fact]
    public async Task A_tile_with_no_feature_is_204_and_a_tile_outside_the_grid_or_malformed_is_refused()
    {
        // The Pacific at zoom 8: no layer of the region reaches it.
        var (status, body, _) = await GetTileAsync(TileUrl("municipalities", "8/128/0"));
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Empty(body);
        // A filter that matches nothing empties a tile that has features otherwise.
        Assert.Equal(HttpStatusCode.NoContent, (await GetTileAsync(TileUrl("municipalities", OstersundZ8, "?KOM_KOD=9999"))).Status);

        Assert.Equal(404, (await _client.GetProblemAsync(TileUrl("municipalities", "25/0/0"))).Status);
        Assert.Equal(404, (await _client.GetProblemAsync(TileUrl("municipalities", "8/256/0"))).Status);
        Assert.Equal(404, (await _client.GetProblemAsync("/ogc/collections/municipalities/tiles/WorldCRS84Quad/8/69/138")).Status);
        Assert.Equal(404, (await _client.GetProblemAsync(TileUrl("no-such-layer", OstersundZ8))).Status);
        foreach (var bad in new[] { TileUrl("municipalities", "8/-1/0"), TileUrl("municipalities", "8/x/0"),
            TileUrl("municipalities", OstersundZ8, "?bbox=1,2,3,4"), TileUrl("municipalities", OstersundZ8, "?f=png"),
            TileUrl("municipalities", OstersundZ8, "?filter=KOMMUNKOD%20%3D%20%27text%27"),
            TileUrl("municipalities", OstersundZ8, "?datetime=2020-01-01"), TileUrl("municipalities", "99999999999999999999/0/0") })
        {
            var (s, type, problem) = await _client.GetProblemAsync(bad);
            Assert.True(s == 400, $"{bad} answered {s}");
            Assert.Equal("application/json", type);
            Assert.Equal("InvalidParameterValue", problem["code"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Hostile_tile_requests_get_a_4xx_and_never_a_500()
    {
        var deep = new string('(', 5000) + "KOMMUNKOD = 2380" + new string(')', 5000);
        foreach (var query in new[]
        {
            "?filter=" + Uri.EscapeDataString(deep),
            "?filter=KOMMUNNAMN%20%3D%20%27a%00b%27",
            "?KOMMUNNAMN=%FF%FE",
            "?filter=%FF",
            "?filter-lang=cql2-json&filter=" + Uri.EscapeDataString("{\"op\":\"=\",\"op\":\"<\",\"args\":[{\"property\":\"KOMMUNKOD\"},1]}"),
            "?datetime=" + new string('9', 5000),
            "?properties=" + string.Join(',', Enumerable.Repeat("nope", 2000)),
        })
        {
            using var response = await _client.GetAsync(TileUrl("municipalities", OstersundZ8, query), TestContext.Current.CancellationToken);
            var status = (int)response.StatusCode;
            Assert.True(status is >= 400 and < 500 || status is 200 or 204, $"{query[..Math.Min(query.Length, 60)]} answered {status}");
            Assert.NotEqual(500, status);
        }
    }

    [Fact]
    public async Task Period_datetime_and_cql2_select_the_same_features_in_tiles_as_in_items()
    {
        var period2024 = (await GetTileAsync(TileUrl("indicator-population", OstersundZ8, "?period=2024&area_level=municipality"))).Body;
        var period1990 = (await GetTileAsync(TileUrl("indicator-population", OstersundZ8, "?period=1990&area_level=municipality"))).Body;
        var datetime2024 = (await GetTileAsync(TileUrl("indicator-population", OstersundZ8, "?datetime=2024-12-31&area_level=municipality"))).Body;
        var cql2 = (await GetTileAsync(TileUrl("indicator-population", OstersundZ8,
            "?filter=" + Uri.EscapeDataString("period = '2024' AND area_level = 'municipality'")))).Body;
        Assert.NotEqual(period2024, period1990);
        Assert.Equal(period2024, datetime2024);
        Assert.Equal(period2024, cql2);
        // The 2024 value of Östersund is in its tile, as the items give it.
        var items = await _client.GetJsonAsync("/ogc/collections/indicator-population/items?period=2024&area_code=2380");
        var value = Assert.Single(items.Features())["properties"]!["value"]!.GetValue<double>();
        Assert.True(value > 60000, $"Östersund had {value} inhabitants");
        Assert.False(Holds(period2024, "1990"), "the tile should not hold 1990");
        Assert.True(Holds(period2024, "2024"), "the tile should hold 2024");
    }

    [Fact]
    public async Task Tile_sessions_run_without_parallel_workers_and_prepare_their_statement()
    {
        var ct = TestContext.Current.CancellationToken;
        var tiles = db.App.Services.GetRequiredKeyedService<NpgsqlDataSource>(Database.TileSessions);
        await using var connection = await tiles.OpenConnectionAsync(ct);
        await using (var show = new NpgsqlCommand("SHOW max_parallel_workers_per_gather", connection))
        {
            Assert.Equal("0", await show.ExecuteScalarAsync(ct));
        }
        Assert.True(new NpgsqlConnectionStringBuilder(tiles.ConnectionString).MaxAutoPrepare > 0);
        // The other sessions keep the server's setting: analyses may gain from parallel scans.
        await using var other = await db.DataSource.OpenConnectionAsync(ct);
        await using var otherShow = new NpgsqlCommand("SHOW max_parallel_workers_per_gather", other);
        Assert.NotEqual("0", await otherShow.ExecuteScalarAsync(ct));
        Assert.Equal(HttpStatusCode.OK, (await GetTileAsync(TileUrl("municipalities", OstersundZ8))).Status);
    }

    [Fact]
    public async Task A_tile_revalidates_after_its_layer_changes()
    {
        const string id = "tile-revalidation";
        await db.CreatePointLayerAsync(id, "first-version");
        try
        {
            var (_, first, response) = await GetTileAsync(TileUrl(id, OstersundZ8));
            Assert.True(Holds(first, "first-version"), "the tile should hold first-version");
            var etag = response.Headers.ETag!;

            await db.CreatePointLayerAsync(id, "second-version");
            var (status, second, changed) = await GetTileAsync(TileUrl(id, OstersundZ8), r => r.Headers.IfNoneMatch.Add(etag));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.NotEqual(etag, changed.Headers.ETag);
            Assert.True(Holds(second, "second-version"), "the tile should hold second-version");
        }
        finally
        {
            await db.DeleteLayerAsync(id);
        }
    }

    /// <summary>Whether a tile holds a string value (MVT keeps strings as plain UTF-8).</summary>
    private static bool Holds(byte[] tile, string text) => tile.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}

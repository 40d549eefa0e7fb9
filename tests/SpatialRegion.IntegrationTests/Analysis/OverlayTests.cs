using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SpatialRegion.Api.Layers;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Analysis;

/// <summary>Overlays on the real boundaries of Lantmäteriet, SCB and Tillväxtverket.</summary>
public sealed class OverlayTests(PostgisFixture db)
{
    private static readonly string[] JamtlandMunicipalities = ["2303", "2305", "2309", "2313", "2321", "2326", "2361", "2380"];

    private readonly HttpClient _client = db.CreateClient();

    private Task<double> CountyArea() =>
        db.ScalarAsync<double>("SELECT ST_Area(geom) FROM layer_features WHERE layer_id = 'counties' AND fid = '23'");

    [Fact]
    public async Task Intersecting_all_municipalities_with_county_23_gives_exactly_its_eight_adding_up_to_the_county()
    {
        var answer = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection",
             "a": {"layer": "municipalities", "properties": ["KOM_KOD", "KOMMUNNAMN"]},
             "b": {"layer": "counties", "filter": {"LAN_KOD": "23"}, "properties": ["LANSNAMN"]},
             "output_crs": "EPSG:3006"}
            """);

        var features = answer.Features.ToList();
        Assert.Equal(JamtlandMunicipalities, features.Select(f => f.String("a_KOM_KOD")).Order());
        Assert.All(features, f => Assert.Equal("Jämtlands län", f.String("b_LANSNAMN")));
        Assert.All(features, f => Assert.Equal(f.String("a_KOM_KOD"), f.String("a_fid")));
        var county = await CountyArea();
        var total = features.Sum(f => f.Number("area_m2"));
        Assert.InRange(Math.Abs(total - county) / county, 0, 0.005);
        // Every municipality lies wholly in its county; together they make up the county.
        Assert.All(features, f => Assert.InRange(f.Number("share_of_a"), 0.999, 1.0));
        Assert.InRange(features.Sum(f => f.Number("share_of_b")), 0.995, 1.005);
        // The reported area is the area of the geometry that came back (EPSG:3006 metres).
        Assert.All(features, f => Assert.Equal(f.Number("area_m2"), f.Geometry().Area, f.Number("area_m2") * 1e-6));
        Assert.Equal(8, answer.Body["numberMatched"]!.GetValue<int>());
        Assert.Equal(8, answer.Body["numberReturned"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_union_of_the_eight_municipalities_is_the_county_polygon_and_the_county_minus_them_is_empty()
    {
        var union = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "union", "a": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}}, "output_crs": "EPSG:3006"}
            """);
        var merged = Assert.Single(union.Features);
        var county = await CountyArea();
        var symmetricDifference = await db.ScalarAsync<double>("""
            SELECT ST_Area(ST_SymDifference(ST_SetSRID(ST_GeomFromGeoJSON($1), 3006), geom))
            FROM layer_features WHERE layer_id = 'counties' AND fid = '23'
            """, merged["geometry"]!.ToJsonString());
        Assert.InRange(symmetricDifference / county, 0, 0.005);
        Assert.Equal(county, merged.Number("area_m2"), county * 0.005);

        var rest = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "difference",
             "a": {"layer": "counties", "filter": {"LAN_KOD": "23"}},
             "b": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}}}
            """);
        Assert.InRange(rest.Features.Sum(f => f.Number("area_m2")) / county, 0, 0.005);
    }

    /// <summary>Two 2 × 2 km squares overlapping in a 1 × 1 km square: every operation's areas are known exactly.</summary>
    [Theory]
    [InlineData("intersection", 1, "1")]
    [InlineData("union", 3, "1,3,3")]
    [InlineData("difference", 1, "3")]
    [InlineData("symmetric_difference", 2, "3,3")]
    [InlineData("identity", 2, "1,3")]
    [InlineData("clip", 1, "1")]
    public async Task Each_operation_gives_the_pieces_it_promises(string operation, int pieces, string squareKilometres)
    {
        var answer = await _client.PostOkAsync("/api/analysis/overlay", $$"""
            {"operation": "{{operation}}",
             "a": {"geojson": {{Square("A", 500_000, 7_000_000)}}, "crs": "EPSG:3006"},
             "b": {"geojson": {{Square("B", 501_000, 7_001_000)}}, "crs": "EPSG:3006"},
             "output_crs": "EPSG:3006"}
            """);

        var features = answer.Features.ToList();
        Assert.Equal(pieces, features.Count);
        var areas = features.Select(f => Math.Round(f.Number("area_m2") / 1e6, 6)).Order().ToList();
        Assert.Equal(squareKilometres.Split(',').Select(a => double.Parse(a, CultureInfo.InvariantCulture)), areas);
        var keepsB = operation is "intersection" or "union" or "symmetric_difference" or "identity";
        Assert.All(features, f => Assert.Equal(keepsB, f["properties"]!.AsObject().ContainsKey("b_name")));
        // Pieces that lie in both squares name both; the others only the square they came from.
        foreach (var f in features)
        {
            var inA = f["properties"]!["a_fid"] is not null;
            var inB = keepsB && f["properties"]!["b_fid"] is not null;
            Assert.True(inA || inB);
            Assert.Equal(inA ? "A" : null, f["properties"]!["a_name"]?.GetValue<string>());
            if (inA)
            {
                Assert.Equal(f.Number("area_m2") / 4e6, f.Number("share_of_a"), 9);
            }
            if (inB)
            {
                Assert.Equal(f.Number("area_m2") / 4e6, f.Number("share_of_b"), 9);
            }
        }
    }

    [Fact]
    public async Task Dissolving_by_an_attribute_merges_pieces_and_shares_refer_to_the_features_merged()
    {
        var answer = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection",
             "a": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}, "properties": []},
             "b": {"layer": "fa-regions", "properties": ["fa_kod", "fa_namn"], "prefix": "fa_"},
             "dissolve_by": ["fa_fa_kod", "fa_fa_namn"]}
            """);

        var features = answer.Features.ToList();
        Assert.Equal(features.Count, features.Select(f => f.String("fa_fa_kod")).Distinct().Count());
        Assert.Equal(["area_m2", "fa_fa_kod", "fa_fa_namn", "share_of_a", "share_of_b"],
            features[0]["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        var pieces = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection",
             "a": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}, "properties": []},
             "b": {"layer": "fa-regions", "properties": ["fa_kod"]}}
            """);
        var piecesArea = pieces.Features.Sum(f => f.Number("area_m2"));
        Assert.True(pieces.Features.Count() > features.Count);
        Assert.Equal(piecesArea, features.Sum(f => f.Number("area_m2")), piecesArea * 1e-6);
        // The generalised FA boundaries leave a sliver of the municipalities uncovered, well under 0.5%.
        var municipalities = await db.ScalarAsync<double>(
            "SELECT sum(ST_Area(geom)) FROM layer_features WHERE layer_id = 'municipalities' AND properties->>'LAN_KOD' = '23'");
        Assert.InRange((municipalities - piecesArea) / municipalities, 0, 0.005);
        // FA 41 Östersund: nearly all of it lies in the county, and it covers most of the county.
        var ostersund = features.Single(f => f.String("fa_fa_kod") == "41");
        Assert.Equal("Östersund", ostersund.String("fa_fa_namn"));
        Assert.InRange(ostersund.Number("share_of_b"), 0.99, 1.0);
        var expectedShareOfA = await db.ScalarAsync<double>("""
            SELECT $1 / sum(ST_Area(m.geom)) FROM layer_features m JOIN layer_features f ON f.layer_id = 'fa-regions' AND f.fid = '41'
            WHERE m.layer_id = 'municipalities' AND m.properties->>'LAN_KOD' = '23' AND ST_Intersects(m.geom, f.geom)
            """, ostersund.Number("area_m2"));
        Assert.Equal(expectedShareOfA, ostersund.Number("share_of_a"), 6);
    }

    [Fact]
    public async Task Identity_of_the_county_with_fa_regions_covers_the_county_exactly_once()
    {
        var answer = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "identity",
             "a": {"layer": "counties", "filter": {"LAN_KOD": "23"}, "properties": []},
             "b": {"layer": "fa-regions", "properties": ["fa_namn"]}}
            """);

        var county = await CountyArea();
        Assert.Equal(county, answer.Features.Sum(f => f.Number("area_m2")), county * 1e-6);
        Assert.Equal(1.0, answer.Features.Sum(f => f.Number("share_of_a")), 6);
        // The county's edge and the generalised FA boundaries do not match: a thin remainder has no FA region.
        Assert.Contains(answer.Features, f => f["properties"]!["b_fid"] is null);
        Assert.Contains(answer.Features, f => f["properties"]!["b_fa_namn"]?.GetValue<string>() == "Härjedalen");
    }

    [Fact]
    public async Task A_line_is_cut_at_municipal_borders_and_its_pieces_carry_their_lengths()
    {
        // From Östersund town north-west into Krokom, in longitude/latitude.
        var answer = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection",
             "a": {"geojson": {"type": "LineString", "coordinates": [[14.64, 63.18], [14.45, 63.30], [14.20, 63.40]]}},
             "b": {"layer": "municipalities", "properties": ["KOMMUNNAMN"]},
             "output_crs": "EPSG:3006"}
            """);

        var features = answer.Features.ToList();
        Assert.Equal(["Krokom", "Östersund"], features.Select(f => f.String("b_KOMMUNNAMN")).Order(StringComparer.Ordinal));
        var length = await db.ScalarAsync<double>(
            "SELECT ST_Length(ST_Transform(ST_GeomFromText('LINESTRING(14.64 63.18, 14.45 63.30, 14.20 63.40)', 4326), 3006))");
        Assert.Equal(length, features.Sum(f => f.Number("length_m")), 0.01);
        Assert.Equal(1.0, features.Sum(f => f.Number("share_of_a")), 6);
        Assert.All(features, f => Assert.Equal(f.Number("length_m"), f.Geometry().Length, 0.01));
        Assert.All(features, f => Assert.Equal("MultiLineString", f["geometry"]!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_self_intersecting_inline_polygon_is_repaired_and_the_result_is_right()
    {
        // A bow tie near Östersund: two triangles of 1 km² each, drawn as one ring that crosses itself.
        var answer = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection",
             "a": {"geojson": {"type": "Feature", "properties": {"zone": "bow tie"},
                               "geometry": {"type": "Polygon", "coordinates": [[[480000, 7000000], [482000, 7002000], [482000, 7000000],
                                                                                  [480000, 7002000], [480000, 7000000]]]}},
                   "crs": "EPSG:3006"},
             "b": {"layer": "municipalities", "properties": ["KOMMUNNAMN"]},
             "output_crs": "EPSG:3006"}
            """);

        var piece = Assert.Single(answer.Features);
        Assert.Equal("Östersund", piece.String("b_KOMMUNNAMN"));
        Assert.Equal("bow tie", piece.String("a_zone"));
        Assert.Equal(2_000_000, piece.Number("area_m2"), 0.01);
        Assert.Equal(1.0, piece.Number("share_of_a"), 9);
        Assert.Contains(answer.Warnings, w => w.Contains("repaired", StringComparison.Ordinal));
        Assert.True(await db.ScalarAsync<bool>("SELECT ST_IsValid(ST_GeomFromGeoJSON($1))", piece["geometry"]!.ToJsonString()));
    }

    [Fact]
    public async Task The_result_names_its_inputs_with_their_versions_and_keeps_the_attribute_order()
    {
        var answer = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection",
             "a": {"layer": "municipalities", "filter": {"KOM_KOD": ["2380", "2309"]}, "properties": ["KOMMUNNAMN", "KOM_KOD"]},
             "b": {"layer": "fa-regions", "properties": ["fa_namn"]}}
            """);

        var inputs = answer.Analysis["inputs"]!;
        Assert.Equal("municipalities", inputs["a"]!["layer"]!.GetValue<string>());
        Assert.Equal(await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'municipalities'"), inputs["a"]!["version"]!.GetValue<long>());
        Assert.Equal(await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'fa-regions'"), inputs["b"]!["version"]!.GetValue<long>());
        Assert.Equal("2380", inputs["a"]!["filter"]!["KOM_KOD"]![0]!.GetValue<string>());
        Assert.Equal("intersection", answer.Analysis["parameters"]!["operation"]!.GetValue<string>());
        Assert.All(answer.Features, f => Assert.Equal(
            ["a_fid", "a_KOMMUNNAMN", "a_KOM_KOD", "b_fid", "b_fa_namn", "area_m2", "share_of_a", "share_of_b"],
            f["properties"]!.AsObject().Select(p => p.Key)));
        Assert.Equal(["Krokom", "Östersund"], answer.Features.Select(f => f.String("a_KOMMUNNAMN")).Distinct().Order(StringComparer.Ordinal));
        // Default output: RFC 7946 longitude/latitude.
        Assert.All(answer.Features.SelectMany(f => GeoJsonHttp.Positions(f["geometry"]!["coordinates"]!)), p =>
        {
            Assert.InRange(p.X, 11, 17);
            Assert.InRange(p.Y, 62, 65);
        });
    }

    [Fact]
    public async Task Layer_inputs_take_CQL2_text_and_JSON_filters_as_the_OGC_API_does()
    {
        var text = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection",
             "a": {"layer": "municipalities", "filter": "LAN_KOD = '23' AND KOMMUNNAMN <> 'Berg'", "properties": ["KOMMUNNAMN"]},
             "b": {"layer": "counties", "filter": {"op": "=", "args": [{"property": "LAN_KOD"}, "23"]}, "properties": []}}
            """);
        Assert.Equal(7, text.Features.Count());
        Assert.DoesNotContain(text.Features, f => f.String("a_KOMMUNNAMN") == "Berg");
        Assert.Equal("LAN_KOD = '23' AND KOMMUNNAMN <> 'Berg'", text.Analysis["inputs"]!["a"]!["filter"]!.GetValue<string>());

        // A point by Östersund town in SWEREF 99 TM (filter_crs; northing first, as the EPSG definition says).
        var spatial = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "clip",
             "a": {"layer": "tatorter", "filter": "S_WITHIN(geometry, POLYGON((6990000 470000, 6990000 500000, 7010000 500000, 7010000 470000, 6990000 470000)))",
                   "filter_crs": "http://www.opengis.net/def/crs/EPSG/0/3006", "properties": ["name"]},
             "b": {"layer": "municipalities", "filter": "S_INTERSECTS(geometry, POINT(14.64 63.18))"}}
            """);
        var expected = await db.ScalarAsync<long>("""
            SELECT count(*) FROM layer_features t JOIN layer_features m ON m.layer_id = 'municipalities' AND m.fid = '2380'
            WHERE t.layer_id = 'tatorter' AND ST_Within(t.geom, ST_MakeEnvelope(470000, 6990000, 500000, 7010000, 3006)) AND ST_Intersects(t.geom, m.geom)
            """);
        Assert.True(expected > 3);
        Assert.Equal(expected, spatial.Features.LongCount());
        Assert.Contains(spatial.Features, f => f.String("a_name") == "Östersund");
    }

    [Fact]
    public async Task A_bbox_narrows_a_layer_input_in_the_crs_it_is_given_in()
    {
        var lonLat = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection", "a": {"layer": "municipalities", "bbox": [14.45, 63.13, 14.85, 63.23], "properties": ["KOMMUNNAMN"]},
             "b": {"layer": "counties", "filter": {"LAN_KOD": "23"}, "properties": []}}
            """);
        var sweref = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection", "a": {"layer": "municipalities", "bbox": [467000, 6998000, 487000, 7010000], "bbox_crs": "EPSG:3006", "properties": ["KOMMUNNAMN"]},
             "b": {"layer": "counties", "filter": {"LAN_KOD": "23"}, "properties": []}}
            """);

        var expected = await db.ScalarAsync<string[]>("""
            SELECT array_agg(properties->>'KOMMUNNAMN' ORDER BY properties->>'KOMMUNNAMN' COLLATE "C") FROM layer_features
            WHERE layer_id = 'municipalities' AND ST_Intersects(geom_wgs84, ST_MakeEnvelope(14.45, 63.13, 14.85, 63.23, 4326))
            """);
        Assert.Contains("Östersund", expected);
        Assert.True(expected.Length < 8);
        Assert.Equal(expected, lonLat.Features.Select(f => f.String("a_KOMMUNNAMN")).Order(StringComparer.Ordinal));
        Assert.Contains(sweref.Features, f => f.String("a_KOMMUNNAMN") == "Östersund");
        Assert.True(sweref.Features.Count() < 8);
    }

    [Fact]
    public async Task A_layer_with_an_invalid_geometry_is_repaired_for_the_analysis_until_a_new_version_is_valid()
    {
        // Written past the importer (which would repair it): the bow tie of two 1 km² triangles by Östersund.
        await WriteZoneLayerAsync("test-analysis-invalid", "POLYGON((480000 7000000, 482000 7002000, 482000 7000000, 480000 7002000, 480000 7000000))");
        const string Request = """
            {"operation": "intersection", "a": {"layer": "test-analysis-invalid"},
             "b": {"layer": "municipalities", "filter": {"KOM_KOD": "2380"}, "properties": []}, "output_crs": "EPSG:3006"}
            """;
        for (var run = 0; run < 2; run++)
        {
            var repaired = await _client.PostOkAsync("/api/analysis/overlay", Request);
            Assert.Equal(2_000_000, Assert.Single(repaired.Features).Number("area_m2"), 0.01);
            Assert.Contains(repaired.Warnings, w => w.Contains("layer 'test-analysis-invalid' has 1 invalid geometry", StringComparison.Ordinal));
        }

        // The next version is valid, and is taken for what it is.
        await WriteZoneLayerAsync("test-analysis-invalid", "POLYGON((480000 7000000, 481000 7000000, 481000 7001000, 480000 7001000, 480000 7000000))");
        var valid = await _client.PostOkAsync("/api/analysis/overlay", Request);
        Assert.Equal(1_000_000, Assert.Single(valid.Features).Number("area_m2"), 0.01);
        Assert.Empty(valid.Warnings);
    }

    private async Task WriteZoneLayerAsync(string id, string wkt)
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var connection = await db.DataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await db.App.Services.GetRequiredService<LayerWriter>().ReplaceAsync(connection, tx, new LayerDefinition(id, Kind: LayerKinds.Analysis),
                "SELECT 'zone', '{}'::jsonb, ST_GeomFromText($1, 3006)", [new NpgsqlParameter { Value = wkt }], ct);
            await tx.CommitAsync(ct);
        }
        await db.App.Services.GetRequiredService<LayerCatalog>().ReloadAsync(ct);
    }

    private static string Square(string name, double minX, double minY)
    {
        var ring = string.Join(", ", new[] { (0, 0), (2000, 0), (2000, 2000), (0, 2000), (0, 0) }
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"[{minX + c.Item1}, {minY + c.Item2}]")));
        return $$$"""
            {"type": "Feature", "id": "{{{name}}}", "properties": {"name": "{{{name}}}"},
             "geometry": {"type": "Polygon", "coordinates": [[{{{ring}}}]]}}
            """;
    }
}

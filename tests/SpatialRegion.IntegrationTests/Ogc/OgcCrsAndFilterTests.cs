using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SpatialRegion.Api.Layers;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Ogc;

/// <summary>Part 2 (crs, bbox-crs, axis order) and Part 3 (CQL2 filters, queryables, datetime) against PostGIS.</summary>
public sealed class OgcCrsAndFilterTests(PostgisFixture db)
{
    private const string Sweref = "http://www.opengis.net/def/crs/EPSG/0/3006";
    private const string Epsg4326 = "http://www.opengis.net/def/crs/EPSG/0/4326";
    private readonly HttpClient _client = db.CreateClient();

    private async Task<List<string>> ApiIds(string query)
    {
        var page = await _client.GetJsonAsync("/ogc/collections/municipalities/items?limit=10000&properties=KOM_KOD&" + query);
        Assert.Equal(page["numberMatched"]!.GetValue<int>(), page["numberReturned"]!.GetValue<int>());
        return page.Features().Select(f => f.Id()).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<List<string>> DbIds(string condition)
    {
        var ids = new List<string>();
        await using var cmd = db.DataSource.CreateCommand(
            $"SELECT fid FROM layer_features WHERE layer_id = 'municipalities' AND ({condition}) ORDER BY fid COLLATE \"C\"");
        await using var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    [Fact]
    public async Task Coordinates_follow_each_crs_definition_and_content_crs_names_it()
    {
        var (e, n) = (await db.ScalarAsync<double>("SELECT ST_X(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)) FROM layer_features WHERE layer_id = 'municipalities' AND fid = '2380'"),
            await db.ScalarAsync<double>("SELECT ST_Y(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)) FROM layer_features WHERE layer_id = 'municipalities' AND fid = '2380'"));

        async Task<(double First, double Second, string ContentCrs)> FirstPosition(string crs)
        {
            using var response = await _client.GetAsync($"/ogc/collections/municipalities/items/2380{(crs.Length > 0 ? "?crs=" + crs : "")}", TestContext.Current.CancellationToken);
            var feature = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
            var position = feature["geometry"]!["coordinates"]![0]![0]![0]!.AsArray();
            return (position[0]!.GetValue<double>(), position[1]!.GetValue<double>(), response.Headers.GetValues("Content-Crs").Single());
        }

        var sweref = await FirstPosition(Sweref);
        Assert.Equal((n, e, $"<{Sweref}>"), (sweref.First, sweref.Second, sweref.ContentCrs), new PositionComparer(0.001));
        var crs84 = await FirstPosition("");
        Assert.Equal("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>", crs84.ContentCrs);
        Assert.InRange(crs84.First, 13, 16);
        Assert.InRange(crs84.Second, 62, 64);
        var latLon = await FirstPosition(Epsg4326);
        Assert.Equal((crs84.Second, crs84.First), (latLon.First, latLon.Second));
        var mercator = await FirstPosition("http://www.opengis.net/def/crs/EPSG/0/3857");
        Assert.InRange(mercator.First, 1.4e6, 1.8e6);

        using var items = await _client.GetAsync($"/ogc/collections/municipalities/items?limit=1&crs={Sweref}", TestContext.Current.CancellationToken);
        Assert.Equal($"<{Sweref}>", items.Headers.GetValues("Content-Crs").Single());
    }

    private sealed class PositionComparer(double tolerance) : IEqualityComparer<(double, double, string)>
    {
        public bool Equals((double, double, string) a, (double, double, string) b) =>
            Math.Abs(a.Item1 - b.Item1) <= tolerance && Math.Abs(a.Item2 - b.Item2) <= tolerance && a.Item3 == b.Item3;

        public int GetHashCode((double, double, string) obj) => 0;
    }

    [Fact]
    public async Task Bbox_in_each_crs_and_axis_order_selects_what_postgis_selects()
    {
        // Around Östersund: lon 14.45..14.85, lat 63.13..63.23.
        var expected = await DbIds("ST_Intersects(geom_wgs84, ST_MakeEnvelope(14.45, 63.13, 14.85, 63.23, 4326))");
        Assert.Contains("2380", expected);
        Assert.Equal(expected, await ApiIds("bbox=14.45,63.13,14.85,63.23"));
        Assert.Equal(expected, await ApiIds($"bbox=63.13,14.45,63.23,14.85&bbox-crs={Epsg4326}"));

        var swerefBox = await DbIds("ST_Intersects(geom, ST_MakeEnvelope(467000, 6998000, 487000, 7010000, 3006))");
        Assert.Contains("2380", swerefBox);
        // EPSG:3006 by URI is northing first: minN,minE,maxN,maxE.
        Assert.Equal(swerefBox, await ApiIds($"bbox=6998000,467000,7010000,487000&bbox-crs={Sweref}"));

        using var antimeridian = await _client.GetAsync("/ogc/collections/municipalities/items?bbox=177,65,-177,70", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, antimeridian.StatusCode);
        Assert.Empty(await ApiIds("bbox=177,65,-177,70"));
    }

    [Theory]
    [InlineData("LAN_KOD = '23'", "properties->>'LAN_KOD' = '23'")]
    [InlineData("KOMMUNKOD >= 2300 AND KOMMUNKOD < 2400 AND NOT KOMMUNNAMN = 'Berg'", "(properties->>'KOMMUNKOD')::int BETWEEN 2300 AND 2399 AND properties->>'KOMMUNNAMN' <> 'Berg'")]
    [InlineData("KOMMUNNAMN LIKE 'Ö%' OR KOMMUNNAMN LIKE '_re'", "properties->>'KOMMUNNAMN' LIKE 'Ö%' OR properties->>'KOMMUNNAMN' LIKE '_re'")]
    [InlineData("KOMMUNKOD BETWEEN 2303 AND 2313", "(properties->>'KOMMUNKOD')::int BETWEEN 2303 AND 2313")]
    [InlineData("KOMMUNNAMN NOT IN ('Berg', 'Åre') AND LAN_KOD = '23'", "properties->>'KOMMUNNAMN' NOT IN ('Berg', 'Åre') AND properties->>'LAN_KOD' = '23'")]
    [InlineData("CASEI(KOMMUNNAMN) = casei('ÖSTERSUND')", "properties->>'KOMMUNNAMN' = 'Östersund'")]
    [InlineData("CASEI(KOMMUNNAMN) LIKE casei('%SUND')", "lower(properties->>'KOMMUNNAMN') LIKE '%sund'")]
    [InlineData("ADAT IS NULL", "properties->>'ADAT' IS NULL")]
    [InlineData("ADAT IS NOT NULL AND LAN_KOD = '01'", "properties->>'ADAT' IS NOT NULL AND properties->>'LAN_KOD' = '01'")]
    [InlineData("S_INTERSECTS(geometry, POINT(14.64 63.18))", "ST_Intersects(geom_wgs84, ST_SetSRID(ST_MakePoint(14.64, 63.18), 4326))")]
    [InlineData("S_INTERSECTS(geometry, BBOX(14.0, 62.5, 15.0, 63.5))", "ST_Intersects(geom_wgs84, ST_MakeEnvelope(14.0, 62.5, 15.0, 63.5, 4326))")]
    [InlineData("S_WITHIN(geometry, POLYGON((12 62, 17 62, 17 65, 12 65, 12 62)))", "ST_Within(geom_wgs84, ST_GeomFromText('POLYGON((12 62, 17 62, 17 65, 12 65, 12 62))', 4326))")]
    [InlineData("S_CONTAINS(geometry, MULTIPOINT((14.64 63.18), (14.7 63.2)))", "ST_Contains(geom_wgs84, ST_GeomFromText('MULTIPOINT((14.64 63.18), (14.7 63.2))', 4326))")]
    [InlineData("S_DISJOINT(geometry, BBOX(11, 55, 24, 64))", "ST_Disjoint(geom_wgs84, ST_MakeEnvelope(11, 55, 24, 64, 4326))")]
    [InlineData("S_CROSSES(geometry, LINESTRING(14.0 63.0, 15.5 63.5))", "ST_Crosses(geom_wgs84, ST_GeomFromText('LINESTRING(14.0 63.0, 15.5 63.5)', 4326))")]
    [InlineData("S_TOUCHES(geometry, POINT(14.64 63.18)) OR LAN_KOD = '25'", "ST_Touches(geom_wgs84, ST_SetSRID(ST_MakePoint(14.64, 63.18), 4326)) OR properties->>'LAN_KOD' = '25'")]
    [InlineData("KOMMUNNAMN = 'x'' OR ''1''=''1'", "false")]
    [InlineData("KOMMUNNAMN LIKE '%''; DROP TABLE layers; --'", "false")]
    public async Task Cql2_text_filters_select_exactly_what_the_same_predicate_selects_in_postgis(string filter, string sql)
    {
        var expected = await DbIds(sql);
        Assert.Equal(expected, await ApiIds("filter=" + Uri.EscapeDataString(filter)));
        Assert.Equal(expected, await ApiIds("filter-lang=cql2-text&filter=" + Uri.EscapeDataString(filter)));
        Assert.Equal(290, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'municipalities'"));
    }

    [Theory]
    [InlineData("""{"op":"and","args":[{"op":"=","args":[{"property":"LAN_KOD"},"23"]},{"op":"in","args":[{"property":"KOMMUNNAMN"},["Berg","Åre","Oslo"]]}]}""",
        "properties->>'LAN_KOD' = '23' AND properties->>'KOMMUNNAMN' IN ('Berg', 'Åre')")]
    [InlineData("""{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[14.64,63.18]}]}""",
        "ST_Intersects(geom_wgs84, ST_SetSRID(ST_MakePoint(14.64, 63.18), 4326))")]
    [InlineData("""{"op":"between","args":[{"property":"KOMMUNKOD"},2303,2313]}""", "(properties->>'KOMMUNKOD')::int BETWEEN 2303 AND 2313")]
    [InlineData("""{"op":"like","args":[{"op":"casei","args":[{"property":"KOMMUNNAMN"}]},{"op":"casei","args":["ÖST%"]}]}""", "lower(properties->>'KOMMUNNAMN' COLLATE \"und-x-icu\") LIKE 'öst%'")]
    public async Task Cql2_json_filters_select_what_postgis_selects(string filter, string sql)
    {
        Assert.Equal(await DbIds(sql), await ApiIds("filter-lang=cql2-json&filter=" + Uri.EscapeDataString(filter)));
    }

    [Fact]
    public async Task Filter_geometries_follow_the_axis_order_of_filter_crs_and_combine_with_bbox_and_paging()
    {
        var (e, n) = Sweref99Tm.FromLonLat(14.64, 63.18);
        var point = FormattableString.Invariant($"POINT({n} {e})");
        Assert.Equal(["2380"], await ApiIds($"filter-crs={Sweref}&filter=" + Uri.EscapeDataString($"S_INTERSECTS(geometry, {point})")));

        var filtered = await _client.GetJsonAsync("/ogc/collections/municipalities/items?limit=3&filter=" + Uri.EscapeDataString("LAN_KOD IN ('23','22')") + "&bbox=12,62,20,65");
        var expected = await DbIds("properties->>'LAN_KOD' IN ('23','22') AND ST_Intersects(geom_wgs84, ST_MakeEnvelope(12, 62, 20, 65, 4326))");
        Assert.Equal(expected.Count, filtered["numberMatched"]!.GetValue<int>());
        var next = filtered.NextLink()!;
        Assert.Contains("filter=", next);
        Assert.Contains("bbox=", next);
    }

    [Fact]
    public async Task Queryables_are_a_json_schema_of_the_layer_properties_and_its_geometry()
    {
        using var response = await _client.GetAsync("/ogc/collections/municipalities/queryables", TestContext.Current.CancellationToken);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType!.MediaType);
        var schema = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema["$schema"]!.GetValue<string>());
        Assert.Equal("object", schema["type"]!.GetValue<string>());
        var properties = schema["properties"]!.AsObject();
        Assert.Equal("geometry-multipolygon", properties["geometry"]!["format"]!.GetValue<string>());
        Assert.Equal("string", properties["KOMMUNNAMN"]!["type"]!.GetValue<string>());
        Assert.Equal("integer", properties["KOMMUNKOD"]!["type"]!.GetValue<string>());
        Assert.Equal(1 + 9, properties.Count);
    }

    [Fact]
    public async Task Datetime_selects_instants_and_intervals_on_a_temporal_layer_and_its_extent_is_published()
    {
        // A layer whose time property holds dates and date-times, one malformed value, and one feature without.
        await using (var connection = await db.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken))
        await using (var tx = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await db.App.Services.GetRequiredService<LayerWriter>().ReplaceAsync(connection, tx,
                new LayerDefinition("test-ogc-time", "Observations", Kind: LayerKinds.Indicator, TimeProperty: "observed"),
                """
                SELECT v.fid, jsonb_strip_nulls(jsonb_build_object('observed', v.t)), ST_SetSRID(ST_MakePoint(14.6, 63.1 + v.i * 0.01), 4326)
                FROM (VALUES ('a', '2023-12-31', 1), ('b', '2024-01-01', 2), ('c', '2024-01-01T23:30:00Z', 3),
                             ('d', '2024-06-15T12:00:00+02:00', 4), ('e', 'soon', 5), ('f', NULL, 6)) AS v(fid, t, i)
                """, [], TestContext.Current.CancellationToken);
            await tx.CommitAsync(TestContext.Current.CancellationToken);
        }
        await db.App.Services.GetRequiredService<LayerCatalog>().ReloadAsync(TestContext.Current.CancellationToken);

        async Task<List<string>> Ids(string datetime) =>
            (await _client.GetJsonAsync("/ogc/collections/test-ogc-time/items?datetime=" + Uri.EscapeDataString(datetime))).Features().Select(f => f.Id()).Order().ToList();

        Assert.Equal(["b", "c"], await Ids("2024-01-01"));
        Assert.Equal(["c"], await Ids("2024-01-01T23:30:00Z"));
        Assert.Equal(["a", "b"], await Ids("../2024-01-01T00:00:00Z"));
        Assert.Equal(["d"], await Ids("2024-01-02/.."));
        Assert.Equal(["b", "c", "d"], await Ids("2024-01-01/2024-06-15"));
        Assert.Equal(["d"], await Ids("2024-06-15T10:00:00Z/2024-06-15T10:00:00Z"));
        Assert.Empty(await Ids("2025-01-01/"));

        foreach (var bad in new[] { "yesterday", "../..", "2024-02-01/2024-01-01", "2024-01-01T12:00:00" })
        {
            using var response = await _client.GetAsync("/ogc/collections/test-ogc-time/items?datetime=" + Uri.EscapeDataString(bad), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        var collection = await _client.GetJsonAsync("/ogc/collections/test-ogc-time");
        var interval = collection["extent"]!["temporal"]!["interval"]![0]!.AsArray();
        Assert.Equal("2023-12-31T00:00:00Z", interval[0]!.GetValue<string>());
        Assert.Equal("2024-06-15T10:00:00Z", interval[1]!.GetValue<string>());
        var queryables = await _client.GetJsonAsync("/ogc/collections/test-ogc-time/queryables");
        Assert.Equal("primary-instant", queryables["properties"]!["observed"]!["x-ogc-role"]!.GetValue<string>());
        Assert.Null((await _client.GetJsonAsync("/ogc/collections/municipalities"))["extent"]!["temporal"]);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Measures;

/// <summary>Editing through REST and WFS-T: ETags and If-Match, history, soft delete, validation that stores nothing
/// it refuses, bulk import, and the keys that may write. Each test edits measures of its own.</summary>
[Collection(MeasuresCollection.Name)]
public sealed class MeasureEditingTests(PostgisFixture db)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Measure(string id, string extra = "") => $$$"""
        {"id": "{{{id}}}", "title": "Besöksnäring i Vemdalen", "status": "decided", "programme": "Regional utvecklingsstrategi",
         "fund": "Regional", "themes": ["attractiveness"], "beneficiary": "Destination Vemdalen AB",
         "start_date": "2025-01-01", "end_date": "2026-12-31",
         "amounts": {"granted": {"sek": 400000, "source": "Regionstyrelsen beslut 2024-12-10", "year": 2024}, "paid": null},
         "source": {"url": "https://www.regionjh.se/", "snapshot": "2024-12-10", "licence": "Public record"},
         "links": [{"area_code": "2361", "kind": "impact_area", "basis": "stated"},
                   {"kind": "site", "basis": "drawn", "geometry": {"type": "Point", "coordinates": [13.87, 62.44]}}]{{{extra}}}
        """ + "}";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<HttpResponseMessage> Put(HttpClient client, string id, string body, string? ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/measures/{id}") { Content = Json(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        return await client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Create_update_and_delete_keep_every_version_and_the_history_rebuilds_the_deleted_measure_exactly()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        using var created = await editor.PostAsync("/api/measures", Json(Measure("test-vemdalen-1")), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"1\"", created.Headers.ETag!.Tag);
        Assert.Equal("/api/measures/test-vemdalen-1", created.Headers.Location!.OriginalString);

        using var anonymous = db.CreateClient();
        var stored = await anonymous.GetJsonAsync("/api/measures/test-vemdalen-1");
        Assert.Equal("own_buffered", stored["display_basis"]!.GetValue<string>());
        Assert.Equal(400000m, stored["amounts"]!["granted"]!["sek"]!.GetValue<decimal>());
        Assert.Null(stored["amounts"]!["paid"]);
        // The drawn point is in the layers (as a 250 m disc), its municipality in the links layer.
        var feature = await anonymous.GetJsonAsync("/ogc/collections/measures/items/test-vemdalen-1");
        Assert.Equal("own_buffered", feature["properties"]!["geometry_basis"]!.GetValue<string>());
        var area = await db.ScalarAsync<double>("SELECT ST_Area(geom) FROM layer_features WHERE layer_id = 'measures' AND fid = 'test-vemdalen-1'");
        Assert.InRange(area, 0.95 * Math.PI * 250 * 250, 1.01 * Math.PI * 250 * 250);

        using (var missing = await Put(editor, "test-vemdalen-1", Measure("test-vemdalen-1").Replace("decided", "ongoing", StringComparison.Ordinal), null))
        {
            Assert.Equal(HttpStatusCode.PreconditionRequired, missing.StatusCode);
        }
        using (var updated = await Put(editor, "test-vemdalen-1", Measure("test-vemdalen-1").Replace("decided", "ongoing", StringComparison.Ordinal), "\"1\""))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
            Assert.Equal("\"2\"", updated.Headers.ETag!.Tag);
        }
        using (var stale = await Put(editor, "test-vemdalen-1", Measure("test-vemdalen-1"), "\"1\""))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        }
        var beforeDelete = await anonymous.GetJsonAsync("/api/measures/test-vemdalen-1");
        Assert.Equal("ongoing", beforeDelete["status"]!.GetValue<string>());

        using (var deleted = await editor.DeleteAsync("/api/measures/test-vemdalen-1", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }
        Assert.Equal(404, (await anonymous.GetProblemAsync("/api/measures/test-vemdalen-1")).Status);
        Assert.Equal(404, (await anonymous.GetProblemAsync("/ogc/collections/measures/items/test-vemdalen-1")).Status);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'measure-links' AND properties ->> 'measure_id' = 'test-vemdalen-1'"));
        Assert.DoesNotContain("test-vemdalen-1", (await anonymous.GetJsonAsync("/api/measures/as-of/" + DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)))
            .Features().Select(f => f.Id()));

        var history = await anonymous.GetJsonAsync("/api/measures/test-vemdalen-1/history");
        var versions = history["versions"]!.AsArray();
        Assert.Equal(["create", "update", "delete"], versions.Select(v => v!["operation"]!.GetValue<string>()));
        Assert.All(versions, v => Assert.Equal("tests-editor", v!["changed_by"]!.GetValue<string>()));
        // The version before the delete is the measure exactly as it was served.
        Assert.True(JsonNode.DeepEquals(beforeDelete, versions[1]!["record"]), $"{beforeDelete}\n{versions[1]!["record"]}");
        var last = versions[2]!["record"]!.AsObject();
        Assert.True(last["deleted"]!.GetValue<bool>());
        foreach (var member in new[] { "title", "amounts", "links", "source", "themes", "start_date", "end_date", "beneficiary" })
        {
            Assert.True(JsonNode.DeepEquals(beforeDelete[member], last[member]), member);
        }
    }

    [Fact]
    public async Task Of_two_editors_racing_on_one_version_one_wins_and_the_other_gets_412()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        using (var created = await editor.PostAsync("/api/measures", Json(Measure("test-race-1")), Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var second = db.CreateClient(ApiRole.Admin);
        var results = await Task.WhenAll(
            Put(editor, "test-race-1", Measure("test-race-1").Replace("Besöksnäring i Vemdalen", "Editor A", StringComparison.Ordinal), "\"1\""),
            Put(second, "test-race-1", Measure("test-race-1").Replace("Besöksnäring i Vemdalen", "Editor B", StringComparison.Ordinal), "\"1\""));
        var statuses = results.Select(r => r.StatusCode).Order().ToList();
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.PreconditionFailed], statuses);
        var winner = results[0].StatusCode == HttpStatusCode.OK ? "Editor A" : "Editor B";
        Assert.Equal(winner, await db.ScalarAsync<string>("SELECT title FROM measures WHERE id = 'test-race-1'"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM measure_versions WHERE measure_id = 'test-race-1'"));
        foreach (var r in results)
        {
            r.Dispose();
        }
    }

    public static TheoryData<string, string> BadMeasures => new()
    {
        { Measure("test-bad").Replace("\"2361\"", "\"2399\"", StringComparison.Ordinal), "links[0].area_code" },
        { Measure("test-bad").Replace("\"2026-12-31\"", "\"2024-12-31\"", StringComparison.Ordinal), "end_date" },
        { Measure("test-bad").Replace("\"sek\": 400000", "\"sek\": -1", StringComparison.Ordinal), "amounts.granted.sek" },
        { Measure("test-bad").Replace("[13.87, 62.44]", "[]", StringComparison.Ordinal), "links[1].geometry" },
        { Measure("test-bad").Replace("\"type\": \"Point\", \"coordinates\": [13.87, 62.44]", "\"type\": \"Polygon\", \"coordinates\": []", StringComparison.Ordinal), "links[1].geometry" },
        { Measure("test-bad").Replace("\"type\": \"Point\", \"coordinates\": [13.87, 62.44]", "\"type\": \"Pointy\", \"coordinates\": [13.87, 62.44]", StringComparison.Ordinal), "links[1].geometry" },
        // Stockholm: far outside the county, refused unless forced.
        { Measure("test-bad").Replace("[13.87, 62.44]", "[18.07, 59.33]", StringComparison.Ordinal), "links[1].geometry" },
        { Measure("test-bad").Replace("\"status\": \"decided\"", "\"status\": \"dreamt\"", StringComparison.Ordinal), "status" },
        { Measure("test-bad").Replace("Destination Vemdalen AB", "Anna Andersson, anna@example.se", StringComparison.Ordinal), "beneficiary" },
        { Measure("test-bad").Replace("Besöksnäring i Vemdalen", "Bes\\u0000öksnäring", StringComparison.Ordinal), "title" },
        { Measure("test-bad").Replace("\"attractiveness\"", "\"astrology\"", StringComparison.Ordinal), "themes" },
        { Measure("test-bad", ", \"crs\": \"EPSG:999999\""), "crs" },
        { Measure("test-bad", ", \"title\": \"twice\""), "body" },
        { Measure("test-bad", ", \"colour\": \"red\""), "colour" },
        { "{\"a\":" + string.Concat(Enumerable.Repeat("[", 500)) + string.Concat(Enumerable.Repeat("]", 500)) + "}", "body" },
        { "[1, 2]", "body" },
    };

    [Theory]
    [MemberData(nameof(BadMeasures))]
    public async Task Bad_measures_are_refused_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        var versions = await db.ScalarAsync<long>("SELECT count(*) FROM measure_versions");
        using var response = await editor.PostAsync("/api/measures", Json(body), Ct);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {problem}");
        Assert.Equal(field, problem["parameter"]!.GetValue<string>());
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE id = 'test-bad'"));
        Assert.Equal(versions, await db.ScalarAsync<long>("SELECT count(*) FROM measure_versions"));
    }

    [Fact]
    public async Task Invalid_utf8_oversized_bodies_and_geometries_and_forced_far_geometries()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        var bytes = Encoding.UTF8.GetBytes(Measure("test-bytes")).Concat(new byte[] { 0xC3, 0x28 }).ToArray();
        using (var invalid = await editor.PostAsync("/api/measures", new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } }, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }
        var huge = Measure("test-huge").Replace("\"description\"", "\"x\"", StringComparison.Ordinal)
            .Replace("Besöksnäring i Vemdalen", new string('a', 3 * 1024 * 1024), StringComparison.Ordinal);
        using (var tooLarge = await editor.PostAsync("/api/measures", Json(huge), Ct))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        }
        // A ring of 120 000 vertices: within the body limit, over the vertex limit.
        var ring = string.Join(",", Enumerable.Range(0, 120_000).Select(i => FormattableString.Invariant($"[{14 + Math.Cos(i * 2 * Math.PI / 120_000):F4},{63 + Math.Sin(i * 2 * Math.PI / 120_000) / 2:F4}]")));
        var many = Measure("test-many").Replace("\"type\": \"Point\", \"coordinates\": [13.87, 62.44]", $"\"type\": \"Polygon\", \"coordinates\": [[{ring},[15.0000,63.0000]]]", StringComparison.Ordinal);
        using (var tooMany = await editor.PostAsync("/api/measures", Json(many), Ct))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany.StatusCode);
        }
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM measures WHERE id IN ('test-bytes', 'test-huge', 'test-many')"));

        var far = Measure("test-far").Replace("[13.87, 62.44]", "[18.07, 59.33]", StringComparison.Ordinal);
        using var forced = await editor.PostAsync("/api/measures?force=true", Json(far), Ct);
        Assert.Equal(HttpStatusCode.Created, forced.StatusCode);
        var answer = JsonNode.Parse(await forced.Content.ReadAsStringAsync(Ct))!;
        Assert.Contains("outside Jämtlands län", answer["warnings"]![0]!.GetValue<string>());

        // A self-intersecting polygon (a bow tie) in SWEREF 99 TM is repaired, as imports repair, and said so.
        var bowTie = Measure("test-bowtie", ", \"crs\": \"EPSG:3006\"").Replace("\"type\": \"Point\", \"coordinates\": [13.87, 62.44]",
            "\"type\": \"Polygon\", \"coordinates\": [[[470000, 7000000], [472000, 7002000], [472000, 7000000], [470000, 7002000], [470000, 7000000]]]", StringComparison.Ordinal);
        using var repaired = await editor.PostAsync("/api/measures", Json(bowTie), Ct);
        Assert.Equal(HttpStatusCode.Created, repaired.StatusCode);
        Assert.Contains("repaired", (await repaired.Content.ReadAsStringAsync(Ct)));
        Assert.True(await db.ScalarAsync<bool>("SELECT ST_IsValid(geom) AND ST_Area(geom) > 1900000 FROM measure_links WHERE measure_id = 'test-bowtie' AND geom IS NOT NULL"));
    }

    [Fact]
    public async Task Writes_need_an_editor_key_which_http_basic_may_carry_as_its_password()
    {
        using var anonymous = db.CreateClient();
        using (var refused = await anonymous.PostAsync("/api/measures", Json(Measure("test-auth-1")), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains(refused.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        }
        using var basic = db.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("qgis-user:" + db.Key(ApiRole.Editor))));
        using (var created = await basic.PostAsync("/api/measures", Json(Measure("test-auth-1")), Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Equal("tests-editor", await db.ScalarAsync<string>("SELECT changed_by FROM measure_versions WHERE measure_id = 'test-auth-1'"));
        using var wrong = db.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("qgis-user:not-a-key")));
        using var refusedBasic = await wrong.DeleteAsync("/api/measures/test-auth-1", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refusedBasic.StatusCode);
    }

    [Fact]
    public async Task Bulk_import_of_csv_is_idempotent_and_a_bad_row_stores_nothing()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        const string csv = "id,title,status,programme,fund,themes,start_date,end_date,granted_sek,municipalities,wkt\r\n"
            + "test-csv-1,Laddinfrastruktur Bräcke,decided,Klimatklivet,Naturvårdsverket,climate-energy,2024-01-01,2025-06-30,820000,2305,\r\n"
            + "test-csv-2,Skoterled Frostviken,planned,Regional utvecklingsstrategi,Regional,attractiveness;transport,2026-01-01,,,,\"LINESTRING (490000 7200000, 500000 7210000)\"\r\n";
        async Task<JsonNode> Import(string text)
        {
            using var response = await editor.PostAsync("/api/measures/import", new StringContent(text, Encoding.UTF8, "text/csv"), Ct);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        }
        var first = await Import(csv);
        Assert.Equal((2, 0, 0), (first["inserted"]!.GetValue<int>(), first["updated"]!.GetValue<int>(), first["unchanged"]!.GetValue<int>()));
        var again = await Import(csv);
        Assert.Equal((0, 0, 2), (again["inserted"]!.GetValue<int>(), again["updated"]!.GetValue<int>(), again["unchanged"]!.GetValue<int>()));
        var changed = await Import(csv.Replace("820000", "900000", StringComparison.Ordinal));
        Assert.Equal((0, 1, 1), (changed["inserted"]!.GetValue<int>(), changed["updated"]!.GetValue<int>(), changed["unchanged"]!.GetValue<int>()));
        Assert.Equal("route", await db.ScalarAsync<string>("SELECT kind FROM measure_links WHERE measure_id = 'test-csv-2'"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM measure_versions WHERE measure_id = 'test-csv-1'"));

        var versions = await db.ScalarAsync<long>("SELECT count(*) FROM measure_versions");
        using var bad = await editor.PostAsync("/api/measures/import", new StringContent(
            csv.Replace("820000", "1", StringComparison.Ordinal) + "test-csv-3,Broken,decided,,,,2025-01-01,2024-01-01,,,\r\n", Encoding.UTF8, "text/csv"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("end_date", await bad.Content.ReadAsStringAsync(Ct));
        Assert.Equal(versions, await db.ScalarAsync<long>("SELECT count(*) FROM measure_versions"));
        Assert.Equal(900000m, await db.ScalarAsync<decimal>("SELECT granted_sek FROM measures WHERE id = 'test-csv-1'"));
    }

    [Fact]
    public async Task Wfs_transactions_in_the_form_qgis_sends_insert_update_and_delete_with_history()
    {
        const string insert = """
            <Transaction xmlns="http://www.opengis.net/wfs" version="1.0.0" service="WFS" xmlns:sr="urn:spatialregion:features" xmlns:gml="http://www.opengis.net/gml">
              <Insert><sr:measures><sr:id>test-wfs-1</sr:id><sr:title>Gång- och cykelväg Krokom</sr:title><sr:status>planned</sr:status>
                <sr:municipalities>2309</sr:municipalities><sr:version>7</sr:version>
                <sr:geometry><gml:MultiPolygon srsName="EPSG:3006"><gml:polygonMember><gml:Polygon><gml:outerBoundaryIs><gml:LinearRing>
                  <gml:coordinates cs="," ts=" ">470000,7020000 471000,7020000 471000,7021000 470000,7021000 470000,7020000</gml:coordinates>
                </gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></gml:polygonMember></gml:MultiPolygon></sr:geometry>
              </sr:measures></Insert>
            </Transaction>
            """;
        using var anonymous = db.CreateClient();
        using (var refused = await anonymous.PostAsync("/wfs", new StringContent(insert, Encoding.UTF8, "text/xml"), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("ExceptionReport", await refused.Content.ReadAsStringAsync(Ct));
        }
        using var editor = db.CreateClient(ApiRole.Editor);
        async Task<string> Send(string xml, HttpStatusCode expected = HttpStatusCode.OK)
        {
            using var response = await editor.PostAsync("/wfs", new StringContent(xml, Encoding.UTF8, "text/xml"), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {text}");
            return text;
        }
        var inserted = await Send(insert);
        Assert.Contains("<ogc:FeatureId fid=\"measures.test-wfs-1\"", inserted);
        Assert.Contains("<wfs:SUCCESS", inserted);
        Assert.Equal("own", await db.ScalarAsync<string>("SELECT display_basis FROM measures WHERE id = 'test-wfs-1'"));
        // x/y as QGIS writes them in a 1.0.0 transaction, stored where they were drawn (Krokom).
        Assert.Equal(1_000_000d, await db.ScalarAsync<double>("SELECT round(ST_Area(geom)) FROM measure_links WHERE measure_id = 'test-wfs-1' AND geom IS NOT NULL"));

        await Send("""
            <Transaction xmlns="http://www.opengis.net/wfs" version="1.0.0" service="WFS" xmlns:sr="urn:spatialregion:features" xmlns:ogc="http://www.opengis.net/ogc">
              <Update typeName="sr:measures"><Property><Name>sr:status</Name><Value>decided</Value></Property>
                <Property><Name>sr:granted_sek</Name><Value>2500000</Value></Property>
                <ogc:Filter><ogc:FeatureId fid="measures.test-wfs-1"/></ogc:Filter></Update>
            </Transaction>
            """);
        using var reader = db.CreateClient();
        var measure = await reader.GetJsonAsync("/api/measures/test-wfs-1");
        Assert.Equal("decided", measure["status"]!.GetValue<string>());
        Assert.Equal(2500000m, measure["amounts"]!["granted"]!["sek"]!.GetValue<decimal>());
        Assert.Equal("Gång- och cykelväg Krokom", measure["title"]!.GetValue<string>());

        // A refused edit in a transaction undoes the whole transaction.
        var failed = await Send("""
            <Transaction xmlns="http://www.opengis.net/wfs" version="1.0.0" service="WFS" xmlns:sr="urn:spatialregion:features" xmlns:ogc="http://www.opengis.net/ogc">
              <Update typeName="sr:measures"><Property><Name>sr:status</Name><Value>ongoing</Value></Property>
                <ogc:Filter><ogc:FeatureId fid="measures.test-wfs-1"/></ogc:Filter></Update>
              <Update typeName="sr:measures"><Property><Name>sr:end_date</Name><Value>1999-01-01</Value></Property>
                <Property><Name>sr:start_date</Name><Value>2020-01-01</Value></Property>
                <ogc:Filter><ogc:FeatureId fid="measures.test-wfs-1"/></ogc:Filter></Update>
            </Transaction>
            """, HttpStatusCode.BadRequest);
        Assert.Contains("end_date", failed);
        Assert.Equal("decided", await db.ScalarAsync<string>("SELECT status FROM measures WHERE id = 'test-wfs-1'"));

        var readOnly = await Send("""
            <Transaction xmlns="http://www.opengis.net/wfs" version="1.0.0" service="WFS" xmlns:ogc="http://www.opengis.net/ogc">
              <Delete typeName="sr:municipalities"><ogc:Filter><ogc:FeatureId fid="municipalities.2380"/></ogc:Filter></Delete>
            </Transaction>
            """, HttpStatusCode.BadRequest);
        Assert.Contains("read-only", readOnly);

        var deleted = await Send("""
            <wfs:Transaction xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0" version="2.0.0" service="WFS">
              <wfs:Delete typeName="sr:measures" xmlns:sr="urn:spatialregion:features"><fes:Filter><fes:ResourceId rid="measures.test-wfs-1"/></fes:Filter></wfs:Delete>
            </wfs:Transaction>
            """);
        Assert.Contains("<wfs:totalDeleted>1</wfs:totalDeleted>", deleted);
        Assert.Equal(["create", "update", "delete"], (await reader.GetJsonAsync("/api/measures/test-wfs-1/history"))["versions"]!.AsArray()
            .Select(v => v!["operation"]!.GetValue<string>()));

        var capabilities = await reader.GetStringAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities", Ct);
        Assert.Contains("<ows:Operation name=\"Transaction\">", capabilities);
    }

    [Fact]
    public async Task Ogc_api_part_4_creates_updates_replaces_and_deletes_measures_and_declares_it()
    {
        using var anonymous = db.CreateClient();
        var conformance = await anonymous.GetJsonAsync("/ogc/conformance");
        var classes = conformance["conformsTo"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete", classes);
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update", classes);
        var api = await anonymous.GetJsonAsync("/ogc/api");
        Assert.NotNull(api["paths"]!["/collections/measures/items"]!["post"]);
        Assert.NotNull(api["paths"]!["/collections/measures/items/{featureId}"]!["patch"]);
        Assert.Null(api["paths"]!["/collections/municipalities/items"]!["post"]);
        using (var options = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/ogc/collections/measures/items"), Ct))
        {
            Assert.Contains("POST", options.Content.Headers.Allow);
        }
        using (var options = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/ogc/collections/municipalities/items"), Ct))
        {
            Assert.DoesNotContain("POST", options.Content.Headers.Allow);
        }

        const string feature = """
            {"type": "Feature", "id": "test-oapif-1", "properties": {"title": "Laddstation Funäsdalen", "status": "planned", "themes": "climate-energy",
             "granted_sek": 350000, "municipalities": "2361"}, "geometry": {"type": "Point", "coordinates": [12.55, 62.54]}}
            """;
        using (var refused = await anonymous.PostAsync("/ogc/collections/measures/items", new StringContent(feature, Encoding.UTF8, "application/geo+json"), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using var editor = db.CreateClient(ApiRole.Editor);
        using (var created = await editor.PostAsync("/ogc/collections/measures/items", new StringContent(feature, Encoding.UTF8, "application/geo+json"), Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.EndsWith("/ogc/collections/measures/items/test-oapif-1", created.Headers.Location!.ToString());
        }
        using (var read = await anonymous.GetAsync("/ogc/collections/measures/items/test-oapif-1", Ct))
        {
            Assert.Equal("\"1\"", read.Headers.ETag!.Tag);
        }
        async Task<HttpStatusCode> Send(HttpMethod method, string body, string? ifMatch = null, string? crs = null)
        {
            using var request = new HttpRequestMessage(method, "/ogc/collections/measures/items/test-oapif-1") { Content = new StringContent(body, Encoding.UTF8, "application/geo+json") };
            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }
            if (crs is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Crs", crs);
            }
            using var response = await editor.SendAsync(request, Ct);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.NoContent, await Send(HttpMethod.Patch, """{"properties": {"status": "decided"}}""", "\"1\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await Send(HttpMethod.Patch, """{"properties": {"status": "ongoing"}}""", "\"1\""));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(HttpMethod.Patch, """{"properties": {"end_date": "2020-01-01", "start_date": "2021-01-01"}}"""));
        var patched = await anonymous.GetJsonAsync("/api/measures/test-oapif-1");
        Assert.Equal("decided", patched["status"]!.GetValue<string>());
        Assert.Equal(350000m, patched["amounts"]!["granted"]!["sek"]!.GetValue<decimal>());

        // EPSG:3006 by URI is northing, easting (Part 2); it is stored easting first.
        Assert.Equal(HttpStatusCode.NoContent, await Send(HttpMethod.Put,
            """{"type": "Feature", "properties": {"title": "Laddstation Funäsdalen (ny plats)", "status": "ongoing"}, "geometry": {"type": "Point", "coordinates": [6935000, 383000]}}""",
            crs: "<http://www.opengis.net/def/crs/EPSG/0/3006>"));
        Assert.Equal("POINT(383000 6935000)", await db.ScalarAsync<string>("SELECT ST_AsText(geom) FROM measure_links WHERE measure_id = 'test-oapif-1' AND geom IS NOT NULL"));
        var replaced = await anonymous.GetJsonAsync("/api/measures/test-oapif-1");
        Assert.Null(replaced["amounts"]!["granted"]);
        Assert.Single(replaced["links"]!.AsArray());

        using (var gone = await editor.DeleteAsync("/ogc/collections/measures/items/test-oapif-1", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, gone.StatusCode);
        }
        Assert.Equal(404, (await anonymous.GetProblemAsync("/ogc/collections/measures/items/test-oapif-1")).Status);
        Assert.Equal(["create", "update", "update", "delete"], (await anonymous.GetJsonAsync("/api/measures/test-oapif-1/history"))["versions"]!.AsArray()
            .Select(v => v!["operation"]!.GetValue<string>()));
        using var readOnly = await editor.PostAsync("/ogc/collections/municipalities/items", new StringContent(feature, Encoding.UTF8, "application/geo+json"), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, readOnly.StatusCode);
    }
}

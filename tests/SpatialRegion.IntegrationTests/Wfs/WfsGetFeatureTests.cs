using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using SpatialRegion.IntegrationTests.Infrastructure;
using static SpatialRegion.IntegrationTests.Wfs.WfsHttp;

namespace SpatialRegion.IntegrationTests.Wfs;

/// <summary>GetFeature, GetPropertyValue and GetFeatureById against the real layers, checked against PostGIS.</summary>
public sealed class WfsGetFeatureTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    private Task<List<string>> DbIds(string layer, string where = "TRUE", params object[] parameters) =>
        db.ResourceIdsWhere(layer, where, parameters);

    [Fact]
    public async Task Paging_with_count_and_startindex_reaches_every_municipality_once_and_links_go_both_ways()
    {
        var seen = new List<string>();
        var url = GetFeature(("TYPENAMES", "sr:municipalities"), ("COUNT", "70"), ("STARTINDEX", "0"), ("PROPERTYNAME", "KOMMUNNAMN"));
        var pages = 0;
        string? secondPage = null;
        while (url is not null)
        {
            var page = await _client.GetXmlAsync(url);
            Assert.Equal(200, page.Status);
            Assert.Equal(290, page.NumberMatched);
            Assert.Equal(page.Features("municipalities").Count, page.NumberReturned);
            Assert.Equal(Math.Min(70, 290 - seen.Count), page.NumberReturned);
            Assert.Equal(pages == 0, page.Previous is null);
            // next exactly while features remain, keeping every other parameter.
            Assert.Equal(seen.Count + page.NumberReturned < 290, page.Next is not null);
            if (page.Next is { } n)
            {
                Assert.Contains("PROPERTYNAME=KOMMUNNAMN", n);
                Assert.Contains("COUNT=70", n);
            }
            seen.AddRange(page.Ids("municipalities"));
            if (pages == 1)
            {
                secondPage = url;
            }
            url = page.Next is null ? null : Relative(page.Next);
            pages++;
        }
        Assert.Equal(5, pages);
        Assert.Equal(await DbIds("municipalities"), seen);

        var second = await _client.GetXmlAsync(secondPage!);
        var back = await _client.GetXmlAsync(Relative(second.Previous!));
        Assert.Equal(seen.Take(70), back.Ids("municipalities"));

        var exact = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("COUNT", "290"), ("PROPERTYNAME", "KOM_KOD")));
        Assert.Null(exact.Next);
        var past = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("COUNT", "10"), ("STARTINDEX", "300")));
        Assert.Equal(0, past.NumberReturned);
        Assert.Null(past.Next);
        Assert.Contains("STARTINDEX=290", past.Previous);
    }

    [Fact]
    public async Task Hits_return_no_features_the_true_count_and_a_next_link_to_the_first_page()
    {
        var hits = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESULTTYPE", "hits"), ("COUNT", "2")));
        Assert.Equal(Ns.Wfs + "FeatureCollection", hits.Root.Name);
        Assert.Equal(0, hits.NumberReturned);
        Assert.Equal(290, hits.NumberMatched);
        Assert.Empty(hits.Root.Elements(Ns.Wfs + "member"));
        Assert.Null(hits.Previous);
        var first = await _client.GetXmlAsync(Relative(hits.Next!));
        Assert.Equal(2, first.NumberReturned);
        Assert.Equal((await DbIds("municipalities")).Take(2), first.Ids("municipalities"));

        var jamtland = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESULTTYPE", "hits"),
            ("FILTER", FesFilter("<fes:PropertyIsEqualTo><fes:ValueReference>LAN_KOD</fes:ValueReference><fes:Literal>23</fes:Literal></fes:PropertyIsEqualTo>"))));
        Assert.Equal(8, jamtland.NumberMatched);
        Assert.Equal(0, jamtland.NumberReturned);

        var grid = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:population-grid-1km"), ("RESULTTYPE", "hits")));
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'population-grid-1km'"), grid.NumberMatched);
    }

    public static TheoryData<string?, string, bool, int> SrsNames => new()
    {
        // srsName sent, srsName expected back, northing/latitude first, SRID of the coordinates
        { null, "urn:ogc:def:crs:EPSG::3006", true, 3006 },
        { "urn:ogc:def:crs:EPSG::3006", "urn:ogc:def:crs:EPSG::3006", true, 3006 },
        { "http://www.opengis.net/def/crs/EPSG/0/3006", "http://www.opengis.net/def/crs/EPSG/0/3006", true, 3006 },
        { "EPSG:3006", "EPSG:3006", false, 3006 },
        { "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG::4326", true, 4326 },
        { "http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/4326", true, 4326 },
        { "EPSG:4326", "EPSG:4326", false, 4326 },
        { "http://www.opengis.net/gml/srs/epsg.xml#4326", "http://www.opengis.net/gml/srs/epsg.xml#4326", false, 4326 },
        { "urn:ogc:def:crs:EPSG::3857", "urn:ogc:def:crs:EPSG::3857", false, 3857 },
    };

    [Theory]
    [MemberData(nameof(SrsNames))]
    public async Task Srsname_sets_crs_and_axis_order_by_its_form(string? srsName, string expectedName, bool northingFirst, int srid)
    {
        var parameters = new List<(string, string)> { ("TYPENAMES", "sr:municipalities"), ("RESOURCEID", "municipalities.2380") };
        if (srsName is not null)
        {
            parameters.Add(("SRSNAME", srsName));
        }
        var answer = await _client.GetXmlAsync(GetFeature([.. parameters]));
        var geometry = answer.Features("municipalities").Single().Element(Ns.Sr + "geometry")!.Elements().Single();
        Assert.Equal(Ns.Gml + "MultiSurface", geometry.Name);
        Assert.Equal(expectedName, (string?)geometry.Attribute("srsName"));

        var written = Positions(geometry).ToList();
        var column = srid == 4326 ? "f.geom_wgs84" : srid == 3006 ? "f.geom" : "ST_Transform(f.geom_wgs84, 3857)";
        var expected = await db.ScalarAsync<double[]>($"""
            SELECT array_agg(v.c ORDER BY d.ord, v.k)
            FROM layer_features f, ST_DumpPoints({column}) WITH ORDINALITY AS d(path, geom, ord),
                 LATERAL (VALUES (0, ST_X(d.geom)), (1, ST_Y(d.geom))) AS v(k, c)
            WHERE f.layer_id = 'municipalities' AND f.fid = '2380'
            """);
        Assert.Equal(expected.Length / 2, written.Count);
        var tolerance = srid == 4326 ? 1e-7 : srid == 3006 ? 1e-3 : 1e-2;
        for (var i = 0; i < written.Count; i++)
        {
            var (x, y) = (expected[2 * i], expected[2 * i + 1]);
            var (first, second) = written[i];
            Assert.Equal(northingFirst ? y : x, first, tolerance);
            Assert.Equal(northingFirst ? x : y, second, tolerance);
        }
    }

    public static TheoryData<string, string> BoxesAroundOstersund => new()
    {
        // BBOX value, the same box as (minE, minN, maxE, maxN) in EPSG:3006 or (minLon, minLat, maxLon, maxLat) in 4326
        { "6990000,440000,7020000,480000,urn:ogc:def:crs:EPSG::3006", "3006:440000,6990000,480000,7020000" },
        { "6990000,440000,7020000,480000,http://www.opengis.net/def/crs/EPSG/0/3006", "3006:440000,6990000,480000,7020000" },
        { "440000,6990000,480000,7020000,EPSG:3006", "3006:440000,6990000,480000,7020000" },
        { "6990000,440000,7020000,480000", "3006:440000,6990000,480000,7020000" },
        { "63.0,14.3,63.4,15.0,urn:ogc:def:crs:EPSG::4326", "4326:14.3,63.0,15.0,63.4" },
        { "14.3,63.0,15.0,63.4,EPSG:4326", "4326:14.3,63.0,15.0,63.4" },
    };

    [Theory]
    [MemberData(nameof(BoxesAroundOstersund))]
    public async Task Bbox_is_read_in_the_axis_order_of_its_crs(string bbox, string expected)
    {
        var answer = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("BBOX", bbox), ("PROPERTYNAME", "KOM_KOD")));
        var srid = int.Parse(expected[..4], CultureInfo.InvariantCulture);
        var n = expected[5..].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var column = srid == 3006 ? "geom" : "geom_wgs84";
        var ids = await DbIds("municipalities", $"ST_Intersects({column}, ST_MakeEnvelope($2, $3, $4, $5, {srid}))", n[0], n[1], n[2], n[3]);

        Assert.Contains("municipalities.2380", ids);
        Assert.InRange(ids.Count, 2, 10);
        Assert.Equal(ids, answer.Ids("municipalities"));
        Assert.Equal(ids.Count, answer.NumberMatched);
    }

    [Fact]
    public async Task Propertyname_selects_properties_in_schema_order_and_leaves_out_the_geometry_unless_named()
    {
        var answer = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESOURCEID", "municipalities.2380"),
            ("PROPERTYNAME", "sr:LAN_KOD,KOMMUNNAMN")));
        var feature = answer.Features("municipalities").Single();
        Assert.Equal(["KOMMUNNAMN", "LAN_KOD"], feature.Elements().Select(e => e.Name.LocalName));
        Assert.Equal("Östersund", feature.Element(Ns.Sr + "KOMMUNNAMN")!.Value);

        var withGeometry = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:tatorter"), ("COUNT", "3"), ("PROPERTYNAME", "geometry,name")));
        Assert.All(withGeometry.Features("tatorter"), f => Assert.Equal(["name", "geometry"], f.Elements().Select(e => e.Name.LocalName)));

        var full = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESOURCEID", "municipalities.2380")));
        Assert.Equal(["KOMMUNNAMN", "KKOD", "KATEGORI", "LANSNAMN", "KOMMUNKOD", "LANSKOD", "KOM_KOD", "LAN_KOD", "geometry"],
            full.Features("municipalities").Single().Elements().Select(e => e.Name.LocalName));
    }

    [Fact]
    public async Task Sortby_orders_by_typed_values_and_resourceid_selects_features()
    {
        var filter = FesFilter("<fes:PropertyIsEqualTo><fes:ValueReference>LAN_KOD</fes:ValueReference><fes:Literal>23</fes:Literal></fes:PropertyIsEqualTo>");
        var sorted = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("FILTER", filter), ("SORTBY", "KOMMUNKOD DESC"), ("PROPERTYNAME", "KOMMUNKOD")));
        Assert.Equal(["2380", "2361", "2326", "2321", "2313", "2309", "2305", "2303"],
            sorted.Features("municipalities").Select(f => f.Element(Ns.Sr + "KOMMUNKOD")!.Value));
        var byName = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("FILTER", filter), ("SORTBY", "sr:KOMMUNNAMN A"), ("PROPERTYNAME", "KOMMUNNAMN")));
        Assert.Equal("Berg", byName.Features("municipalities")[0].Element(Ns.Sr + "KOMMUNNAMN")!.Value);

        var two = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESOURCEID", "municipalities.2380,municipalities.0180")));
        Assert.Equal(["municipalities.0180", "municipalities.2380"], two.Ids("municipalities"));
        // The type may come from the ids alone.
        var untyped = await _client.GetXmlAsync(GetFeature(("RESOURCEID", "municipalities.2321")));
        Assert.Equal(["municipalities.2321"], untyped.Ids("municipalities"));
        var unknown = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESOURCEID", "test-3fa8b1")));
        Assert.Equal(200, unknown.Status);
        Assert.Equal(0, unknown.NumberMatched);
        var otherType = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESOURCEID", "counties.23")));
        Assert.Equal(400, otherType.Status);
        Assert.Equal(("InvalidParameterValue", "RESOURCEID"), (otherType.Exception.Code, otherType.Exception.Locator));
    }

    [Fact]
    public async Task Every_gml_id_in_a_large_response_is_unique_and_every_member_is_counted()
    {
        var answer = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:population-grid-1km")));
        var total = await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'population-grid-1km'");
        Assert.Equal(total, answer.NumberMatched);
        Assert.Equal(total, answer.NumberReturned);
        Assert.Equal(total, answer.Features("population-grid-1km").Count);
        Assert.Null(answer.Next);
        var ids = answer.Root.Descendants().Select(e => (string?)e.Attribute(Ns.Gml + "id")).Where(id => id is not null).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.True(ids.Count > 2 * total, "features, their geometries and the polygons inside each carry a gml:id");
        Assert.StartsWith(WfsFormatsGml, answer.ContentType);
    }

    private const string WfsFormatsGml = "application/gml+xml; version=3.2";

    [Fact]
    public async Task Geojson_output_keeps_the_wfs_ids_counts_links_and_xy_coordinates_in_the_requested_crs()
    {
        using var response = await _client.GetAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("OUTPUTFORMAT", "application/json"), ("COUNT", "100")),
            TestContext.Current.CancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var collection = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.Equal(290, collection["numberMatched"]!.GetValue<int>());
        Assert.Equal(100, collection["numberReturned"]!.GetValue<int>());
        Assert.Equal("urn:ogc:def:crs:EPSG::3006", collection["crs"]!["properties"]!["name"]!.GetValue<string>());
        Assert.Equal("municipalities.0114", collection.Features().First().Id());
        Assert.Contains("STARTINDEX=100", collection["links"]!.AsArray().Single(l => l!["rel"]!.GetValue<string>() == "next")!["href"]!.GetValue<string>());
        // Easting first in EPSG:3006, whatever the srsName form: GeoJSON is x/y.
        Assert.All(collection.Features().SelectMany(f => GeoJsonHttp.Positions(f["geometry"]!["coordinates"]!)), p =>
        {
            Assert.InRange(p.X, 200_000, 1_000_000);
            Assert.InRange(p.Y, 6_100_000, 7_700_000);
        });

        var lonLat = await _client.GetJsonAsync(GetFeature(("TYPENAMES", "sr:tatorter"), ("OUTPUTFORMAT", "json"), ("SRSNAME", "urn:ogc:def:crs:EPSG::4326"), ("RESOURCEID", "tatorter.2380TB103")));
        var point = lonLat.Features().Single()["geometry"]!["coordinates"]!.AsArray();
        Assert.Equal(await db.ScalarAsync<double>("SELECT ST_X(geom_wgs84) FROM layer_features WHERE layer_id = 'tatorter' AND fid = '2380TB103'"), point[0]!.GetValue<double>(), 1e-7);
    }

    [Fact]
    public async Task GetPropertyValue_returns_one_value_per_feature_with_paging()
    {
        var names = await _client.GetXmlAsync(Base + "&REQUEST=GetPropertyValue&TYPENAMES=sr:municipalities&VALUEREFERENCE=KOMMUNNAMN&COUNT=100");
        Assert.Equal(Ns.Wfs + "ValueCollection", names.Root.Name);
        Assert.Equal(290, names.NumberMatched);
        Assert.Equal(100, names.NumberReturned);
        Assert.NotNull(names.Next);
        var expected = new List<string>();
        await using (var cmd = db.DataSource.CreateCommand("SELECT properties->>'KOMMUNNAMN' FROM layer_features WHERE layer_id = 'municipalities' ORDER BY fid LIMIT 100"))
        await using (var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                expected.Add(reader.GetString(0));
            }
        }
        Assert.Equal(expected, names.Root.Elements(Ns.Wfs + "member").Select(m => m.Value));

        var ids = await _client.GetXmlAsync(Base + "&REQUEST=GetPropertyValue&TYPENAMES=sr:counties&VALUEREFERENCE=@gml:id");
        Assert.Equal(await DbIds("counties"), ids.Root.Elements(Ns.Wfs + "member").Select(m => m.Value));

        var geometry = await _client.GetXmlAsync(Base + "&REQUEST=GetPropertyValue&TYPENAMES=sr:tatorter&VALUEREFERENCE=geometry&COUNT=2");
        Assert.All(geometry.Root.Elements(Ns.Wfs + "member"), m => Assert.Equal(Ns.Gml + "Point", m.Elements().Single().Name));

        // Features without the value give no member, and the count says so.
        var dates = await _client.GetXmlAsync(Base + "&REQUEST=GetPropertyValue&TYPENAMES=sr:municipalities&VALUEREFERENCE=ADAT&RESULTTYPE=hits");
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'municipalities' AND properties->>'ADAT' IS NOT NULL"), dates.NumberMatched);

        var empty = await _client.GetXmlAsync(Base + "&REQUEST=GetPropertyValue&TYPENAMES=sr:municipalities&VALUEREFERENCE=");
        Assert.Equal(("InvalidParameterValue", "VALUEREFERENCE"), (empty.Exception.Code, empty.Exception.Locator));
    }

    [Fact]
    public async Task GetFeatureById_returns_the_bare_feature_or_404()
    {
        foreach (var id in new[] { "urn:ogc:def:query:OGC-WFS::GetFeatureById", "http://www.opengis.net/def/query/OGC-WFS/0/GetFeatureById" })
        {
            var feature = await _client.GetXmlAsync(GetFeature(("STOREDQUERY_ID", id), ("ID", "municipalities.2380")));
            Assert.Equal(200, feature.Status);
            Assert.Equal(Ns.Sr + "municipalities", feature.Root.Name);
            Assert.Equal("municipalities.2380", (string?)feature.Root.Attribute(Ns.Gml + "id"));
            Assert.Equal("Östersund", feature.Root.Element(Ns.Sr + "KOMMUNNAMN")!.Value);
        }

        var missing = await _client.GetXmlAsync(GetFeature(("STOREDQUERY_ID", "urn:ogc:def:query:OGC-WFS::GetFeatureById"), ("ID", "municipalities.9999")));
        Assert.Equal(404, missing.Status);
        Assert.Equal("NotFound", missing.Exception.Code);
        var noType = await _client.GetXmlAsync(GetFeature(("STOREDQUERY_ID", "urn:ogc:def:query:OGC-WFS::GetFeatureById"), ("ID", "nothing-at-all")));
        Assert.Equal(404, noType.Status);

        var json = await _client.GetJsonAsync(GetFeature(("STOREDQUERY_ID", "urn:ogc:def:query:OGC-WFS::GetFeatureById"), ("ID", "tatorter.2380TB103"), ("OUTPUTFORMAT", "application/json")));
        Assert.Equal("Feature", json["type"]!.GetValue<string>());
        Assert.Equal("tatorter.2380TB103", json.Id());
    }

    [Fact]
    public async Task Post_xml_getfeature_filters_sorts_and_pages_with_links_a_get_client_can_follow()
    {
        const string request = """
            <wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0"
                            xmlns:app="urn:spatialregion:features" service="WFS" version="2.0.0" count="3" startIndex="{0}">
              <wfs:Query typeNames="app:municipalities" srsName="EPSG:3006">
                <wfs:PropertyName>app:KOMMUNNAMN</wfs:PropertyName>
                <fes:Filter>
                  <fes:PropertyIsEqualTo><fes:ValueReference>app:LAN_KOD</fes:ValueReference><fes:Literal>23</fes:Literal></fes:PropertyIsEqualTo>
                </fes:Filter>
                <fes:SortBy><fes:SortProperty><fes:ValueReference>app:KOMMUNNAMN</fes:ValueReference><fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy>
              </wfs:Query>
            </wfs:GetFeature>
            """;
        var first = await _client.PostXmlAsync(string.Format(CultureInfo.InvariantCulture, request, 0));
        Assert.Equal(200, first.Status);
        Assert.Equal(8, first.NumberMatched);
        Assert.Equal(["Östersund", "Åre", "Strömsund"], first.Features("municipalities").Select(f => f.Element(Ns.Sr + "KOMMUNNAMN")!.Value));

        var viaLink = await _client.GetXmlAsync(Relative(first.Next!));
        var viaPost = await _client.PostXmlAsync(string.Format(CultureInfo.InvariantCulture, request, 3));
        Assert.Equal(viaPost.Ids("municipalities"), viaLink.Ids("municipalities"));
        Assert.Equal(3, viaLink.NumberReturned);
        Assert.Equal(["Ragunda", "Krokom", "Härjedalen"], viaLink.Features("municipalities").Select(f => f.Element(Ns.Sr + "KOMMUNNAMN")!.Value));

        var byId = await _client.PostXmlAsync("""
            <wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" version="2.0.0">
              <wfs:StoredQuery id="urn:ogc:def:query:OGC-WFS::GetFeatureById"><wfs:Parameter name="ID">counties.23</wfs:Parameter></wfs:StoredQuery>
            </wfs:GetFeature>
            """);
        Assert.Equal("counties.23", (string?)byId.Root.Attribute(Ns.Gml + "id"));

        var values = await _client.PostXmlAsync("""
            <wfs:GetPropertyValue xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:sr="urn:spatialregion:features" service="WFS" version="2.0.0" valueReference="@gml:id">
              <wfs:Query typeNames="sr:provinces"/>
            </wfs:GetPropertyValue>
            """);
        Assert.Equal(await DbIds("provinces"), values.Root.Elements(Ns.Wfs + "member").Select(m => m.Value));
    }

    [Fact]
    public async Task A_repeated_getfeature_is_revalidated_by_etag_with_the_layer_version()
    {
        var url = GetFeature(("TYPENAMES", "sr:counties"), ("COUNT", "5"));
        using var first = await _client.GetAsync(url, TestContext.Current.CancellationToken);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);

        var byId = GetFeature(("STOREDQUERY_ID", "urn:ogc:def:query:OGC-WFS::GetFeatureById"), ("ID", "counties.23"));
        using var feature = await _client.GetAsync(byId, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, feature.StatusCode);
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, byId);
        revalidate.Headers.IfNoneMatch.Add(feature.Headers.ETag!);
        using var unchanged = await _client.SendAsync(revalidate, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);

        // A POST body is not named by its URL: no validator, nothing kept.
        var posted = await _client.PostAsync("/wfs", new StringContent(
            "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" service=\"WFS\" version=\"2.0.0\" count=\"1\"><wfs:Query typeNames=\"counties\"/></wfs:GetFeature>",
            System.Text.Encoding.UTF8, "application/xml"), TestContext.Current.CancellationToken);
        Assert.Null(posted.Headers.ETag);
        Assert.Equal("no-store", posted.Headers.CacheControl?.ToString());
    }
}

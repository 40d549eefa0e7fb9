using System.Globalization;
using System.Xml.Linq;
using SpatialRegion.IntegrationTests.Infrastructure;
using static SpatialRegion.IntegrationTests.Wfs.WfsHttp;

namespace SpatialRegion.IntegrationTests.Wfs;

/// <summary>GetCapabilities, DescribeFeatureType and the stored-query operations, as QGIS, GDAL and the OGC
/// test suite read them.</summary>
public sealed class WfsCapabilitiesTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    private async Task<List<string>> LayerIds()
    {
        var ids = new List<string>();
        await using var cmd = db.DataSource.CreateCommand("SELECT id FROM layers ORDER BY id");
        await using var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    private static string Constraint(XElement parent, XNamespace ns, string name) =>
        parent.Elements(ns + "Constraint").Single(c => (string?)c.Attribute("name") == name).Element(Ns.Ows + "DefaultValue")!.Value;

    [Fact]
    public async Task Capabilities_declare_basic_wfs_with_paging_and_every_operation_with_get_and_post()
    {
        var caps = await _client.GetXmlAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities");

        Assert.Equal(200, caps.Status);
        Assert.Equal(Ns.Wfs + "WFS_Capabilities", caps.Root.Name);
        Assert.Equal("2.0.0", (string?)caps.Root.Attribute("version"));
        Assert.Equal(["ServiceIdentification", "ServiceProvider", "OperationsMetadata", "FeatureTypeList", "Filter_Capabilities"],
            caps.Root.Elements().Select(e => e.Name.LocalName));
        var identification = caps.Root.Element(Ns.Ows + "ServiceIdentification")!;
        Assert.Equal("WFS", identification.Element(Ns.Ows + "ServiceType")!.Value);
        Assert.Equal("2.0.0", identification.Element(Ns.Ows + "ServiceTypeVersion")!.Value);

        var operations = caps.Root.Element(Ns.Ows + "OperationsMetadata")!;
        var names = operations.Elements(Ns.Ows + "Operation").Select(o => (string)o.Attribute("name")!).ToList();
        Assert.Equal(["GetCapabilities", "DescribeFeatureType", "ListStoredQueries", "DescribeStoredQueries", "GetFeature", "Transaction", "GetPropertyValue"], names);
        foreach (var operation in operations.Elements(Ns.Ows + "Operation"))
        {
            var http = operation.Element(Ns.Ows + "DCP")!.Element(Ns.Ows + "HTTP")!;
            Assert.EndsWith("/wfs?", (string)http.Element(Ns.Ows + "Get")!.Attribute(Ns.Xlink + "href")!);
            Assert.EndsWith("/wfs", (string)http.Element(Ns.Ows + "Post")!.Attribute(Ns.Xlink + "href")!);
        }
        var getFeature = operations.Elements(Ns.Ows + "Operation").Single(o => (string?)o.Attribute("name") == "GetFeature");
        string[] ParameterValues(string name) => getFeature.Elements(Ns.Ows + "Parameter").Single(p => (string?)p.Attribute("name") == name)
            .Descendants(Ns.Ows + "Value").Select(v => v.Value).ToArray();
        Assert.Contains("local", ParameterValues("resolve"));
        Assert.Equal(["results", "hits"], ParameterValues("resultType"));
        Assert.Equal(["application/gml+xml; version=3.2", "text/xml; subtype=gml/3.2", "application/json"], ParameterValues("outputFormat"));

        Assert.Equal("TRUE", Constraint(operations, Ns.Ows, "ImplementsBasicWFS"));
        Assert.Equal("TRUE", Constraint(operations, Ns.Ows, "ImplementsResultPaging"));
        Assert.Equal("TRUE", Constraint(operations, Ns.Ows, "KVPEncoding"));
        Assert.Equal("TRUE", Constraint(operations, Ns.Ows, "XMLEncoding"));
        // Transactions edit the measures register (the other feature types refuse them); QGIS offers editing when Transaction is listed.
        Assert.Equal("TRUE", Constraint(operations, Ns.Ows, "ImplementsTransactionalWFS"));
        Assert.Equal("FALSE", Constraint(operations, Ns.Ows, "ImplementsStandardJoins"));
        Assert.Equal("10000", Constraint(operations, Ns.Ows, "CountDefault"));
        foreach (var required in new[] { "ImplementsLockingWFS", "ImplementsInheritance", "ImplementsRemoteResolve", "ImplementsSpatialJoins",
            "ImplementsTemporalJoins", "ImplementsFeatureVersioning", "ManageStoredQueries" })
        {
            Assert.Equal("FALSE", Constraint(operations, Ns.Ows, required));
        }
    }

    [Fact]
    public async Task Capabilities_and_schemas_follow_every_change_to_the_registry()
    {
        const string type = "sr:test-wfs-registry";
        async Task<(bool Listed, bool Described, string ETag)> Read()
        {
            using var response = await _client.GetAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities", TestContext.Current.CancellationToken);
            var caps = XDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            var schema = await _client.GetXmlAsync(Base + "&REQUEST=DescribeFeatureType");
            return (caps.Descendants(Ns.Wfs + "Name").Any(n => n.Value == type),
                schema.Root.Elements(Ns.Xs + "element").Any(e => (string?)e.Attribute("name") == "test-wfs-registry"),
                response.Headers.ETag!.Tag);
        }

        // The first read builds and caches the documents of this state; no change may be answered from that cache.
        await Read();
        var before = await Read();
        await db.CreatePointLayerAsync("test-wfs-registry");
        var added = await Read();
        await db.DeleteLayerAsync("test-wfs-registry");
        var removed = await Read();

        Assert.Equal((false, false), (before.Listed, before.Described));
        Assert.Equal((true, true), (added.Listed, added.Described));
        Assert.Equal((false, false), (removed.Listed, removed.Described));
        Assert.DoesNotContain(added.ETag, new[] { before.ETag, removed.ETag });
    }

    [Fact]
    public async Task Every_layer_is_a_feature_type_in_epsg_3006_with_a_wgs84_box_that_contains_all_its_data()
    {
        var caps = await _client.GetXmlAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities");
        var types = caps.Root.Element(Ns.Wfs + "FeatureTypeList")!.Elements(Ns.Wfs + "FeatureType").ToList();

        Assert.Equal((await LayerIds()).Select(id => "sr:" + id), types.Select(t => t.Element(Ns.Wfs + "Name")!.Value).Order(StringComparer.Ordinal));
        foreach (var type in types)
        {
            var id = type.Element(Ns.Wfs + "Name")!.Value["sr:".Length..];
            Assert.Equal(Ns.Sr.NamespaceName, type.Element(Ns.Wfs + "Name")!.GetNamespaceOfPrefix("sr")!.NamespaceName);
            Assert.Equal("urn:ogc:def:crs:EPSG::3006", type.Element(Ns.Wfs + "DefaultCRS")!.Value);
            Assert.Equal(["urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG::3857"], type.Elements(Ns.Wfs + "OtherCRS").Select(e => e.Value));
            Assert.Equal(await db.ScalarAsync<string>("SELECT title FROM layers WHERE id = $1", id), type.Element(Ns.Wfs + "Title")!.Value);

            var box = type.Element(Ns.Ows + "WGS84BoundingBox")!;
            var lower = box.Element(Ns.Ows + "LowerCorner")!.Value.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var upper = box.Element(Ns.Ows + "UpperCorner")!.Value.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            // Longitude first, and every vertex of every feature inside.
            var outside = await db.ScalarAsync<long>("""
                SELECT count(*) FROM layer_features, ST_DumpPoints(geom_wgs84) p
                WHERE layer_id = $1 AND NOT (ST_X(p.geom) BETWEEN $2 AND $4 AND ST_Y(p.geom) BETWEEN $3 AND $5)
                """, id, lower[0], lower[1], upper[0], upper[1]);
            Assert.Equal(0, outside);
            Assert.InRange(lower[0], -180, upper[0]);
            Assert.InRange(lower[1], -90, upper[1]);
        }
        var municipalities = types.Single(t => t.Element(Ns.Wfs + "Name")!.Value == "sr:municipalities").Element(Ns.Ows + "WGS84BoundingBox")!;
        Assert.StartsWith("10.", municipalities.Element(Ns.Ows + "LowerCorner")!.Value);
        Assert.StartsWith("24.", municipalities.Element(Ns.Ows + "UpperCorner")!.Value);
    }

    [Fact]
    public async Task Filter_capabilities_declare_exactly_the_operators_the_fes_parser_implements()
    {
        var caps = await _client.GetXmlAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities&SECTIONS=Filter_Capabilities");
        var filter = caps.Root.Element(Ns.Fes + "Filter_Capabilities")!;
        Assert.Single(caps.Root.Elements());

        var conformance = filter.Element(Ns.Fes + "Conformance")!;
        foreach (var yes in new[] { "ImplementsQuery", "ImplementsAdHocQuery", "ImplementsResourceId", "ImplementsMinStandardFilter",
            "ImplementsStandardFilter", "ImplementsMinSpatialFilter", "ImplementsSpatialFilter", "ImplementsSorting", "ImplementsMinimumXPath" })
        {
            Assert.Equal("TRUE", Constraint(conformance, Ns.Fes, yes));
        }
        foreach (var no in new[] { "ImplementsFunctions", "ImplementsMinTemporalFilter", "ImplementsTemporalFilter", "ImplementsVersionNav", "ImplementsExtendedOperators" })
        {
            Assert.Equal("FALSE", Constraint(conformance, Ns.Fes, no));
        }
        Assert.Equal(["PropertyIsEqualTo", "PropertyIsNotEqualTo", "PropertyIsLessThan", "PropertyIsGreaterThan", "PropertyIsLessThanOrEqualTo",
            "PropertyIsGreaterThanOrEqualTo", "PropertyIsLike", "PropertyIsNull", "PropertyIsNil", "PropertyIsBetween"],
            filter.Descendants(Ns.Fes + "ComparisonOperator").Select(o => (string)o.Attribute("name")!));
        Assert.Equal(["BBOX", "Equals", "Disjoint", "Intersects", "Touches", "Crosses", "Within", "Contains", "Overlaps", "DWithin", "Beyond"],
            filter.Descendants(Ns.Fes + "SpatialOperator").Select(o => (string)o.Attribute("name")!));
        Assert.Contains("gml:Envelope", filter.Descendants(Ns.Fes + "GeometryOperand").Select(o => (string)o.Attribute("name")!));
        Assert.Null(filter.Element(Ns.Fes + "Temporal_Capabilities"));
        Assert.Equal("fes:ResourceId", (string?)filter.Descendants(Ns.Fes + "ResourceIdentifier").Single().Attribute("name"));

        // Each declared comparison operator is accepted by the server.
        foreach (var op in filter.Descendants(Ns.Fes + "ComparisonOperator").Select(o => (string)o.Attribute("name")!))
        {
            var predicate = op switch
            {
                "PropertyIsLike" => "<fes:PropertyIsLike wildCard=\"*\" singleChar=\"?\" escapeChar=\"!\"><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><fes:Literal>Ö*</fes:Literal></fes:PropertyIsLike>",
                "PropertyIsNull" or "PropertyIsNil" => $"<fes:{op}><fes:ValueReference>ADAT</fes:ValueReference></fes:{op}>",
                "PropertyIsBetween" => "<fes:PropertyIsBetween><fes:ValueReference>KOMMUNKOD</fes:ValueReference><fes:LowerBoundary><fes:Literal>2303</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>2380</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>",
                _ => $"<fes:{op}><fes:ValueReference>KOMMUNKOD</fes:ValueReference><fes:Literal>2380</fes:Literal></fes:{op}>",
            };
            var answer = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESULTTYPE", "hits"), ("FILTER", FesFilter(predicate))));
            Assert.True(answer.Status == 200, $"{op}: {answer.Text}");
        }
        const string Point = "<gml:Point srsName=\"EPSG:3006\"><gml:pos>470000 7005000</gml:pos></gml:Point>";
        foreach (var op in filter.Descendants(Ns.Fes + "SpatialOperator").Select(o => (string)o.Attribute("name")!))
        {
            var predicate = op switch
            {
                "BBOX" => "<fes:BBOX><gml:Envelope srsName=\"EPSG:3006\"><gml:lowerCorner>460000 6990000</gml:lowerCorner><gml:upperCorner>480000 7010000</gml:upperCorner></gml:Envelope></fes:BBOX>",
                "DWithin" or "Beyond" => $"<fes:{op}><fes:ValueReference>geometry</fes:ValueReference>{Point}<fes:Distance uom=\"m\">1000</fes:Distance></fes:{op}>",
                _ => $"<fes:{op}><fes:ValueReference>geometry</fes:ValueReference>{Point}</fes:{op}>",
            };
            var answer = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("RESULTTYPE", "hits"), ("FILTER", FesFilter(predicate))));
            Assert.True(answer.Status == 200, $"{op}: {answer.Text}");
        }
    }

    [Fact]
    public async Task Version_negotiation_and_sections_follow_ows_common()
    {
        var negotiated = await _client.GetXmlAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=10.0.0,2.0.0,1.1.0");
        Assert.Equal("2.0.0", (string?)negotiated.Root.Attribute("version"));

        var failed = await _client.GetXmlAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=1.1.0,1.0.0");
        Assert.Equal(400, failed.Status);
        Assert.Equal(("VersionNegotiationFailed", "ACCEPTVERSIONS"), (failed.Exception.Code, failed.Exception.Locator));

        var two = await _client.GetXmlAsync("/wfs?SERVICE=WFS&REQUEST=GetCapabilities&SECTIONS=ServiceIdentification,FeatureTypeList");
        Assert.Equal(["ServiceIdentification", "FeatureTypeList"], two.Root.Elements().Select(e => e.Name.LocalName));

        var posted = await _client.PostXmlAsync("""
            <GetCapabilities xmlns="http://www.opengis.net/wfs/2.0" xmlns:ows="http://www.opengis.net/ows/1.1" service="WFS">
              <ows:AcceptVersions><ows:Version>2.0.0</ows:Version></ows:AcceptVersions>
              <ows:Sections><ows:Section>OperationsMetadata</ows:Section></ows:Sections>
            </GetCapabilities>
            """);
        Assert.Equal(["OperationsMetadata"], posted.Root.Elements().Select(e => e.Name.LocalName));
    }

    [Fact]
    public async Task DescribeFeatureType_is_one_flat_gml_32_schema_with_every_property_typed()
    {
        var all = await _client.GetXmlAsync(Base + "&REQUEST=DescribeFeatureType");
        Assert.Equal(200, all.Status);
        Assert.Equal(Ns.Xs + "schema", all.Root.Name);
        Assert.Equal("urn:spatialregion:features", (string?)all.Root.Attribute("targetNamespace"));
        Assert.Equal("qualified", (string?)all.Root.Attribute("elementFormDefault"));
        Assert.Empty(all.Root.Elements(Ns.Xs + "include"));
        // GML itself is the only schema imported.
        Assert.Equal(["http://www.opengis.net/gml/3.2"], all.Root.Elements(Ns.Xs + "import").Select(i => (string)i.Attribute("namespace")!));
        var layers = await LayerIds();
        Assert.Equal(layers.Order(StringComparer.Ordinal), all.Root.Elements(Ns.Xs + "element").Select(e => (string)e.Attribute("name")!).Order(StringComparer.Ordinal));

        foreach (var id in layers)
        {
            var element = all.Root.Elements(Ns.Xs + "element").Single(e => (string?)e.Attribute("name") == id);
            Assert.Equal("gml:AbstractFeature", (string?)element.Attribute("substitutionGroup"));
            var type = all.Root.Elements(Ns.Xs + "complexType").Single(t => "sr:" + (string?)t.Attribute("name") == (string?)element.Attribute("type"));
            Assert.Equal("gml:AbstractFeatureType", (string?)type.Descendants(Ns.Xs + "extension").Single().Attribute("base"));
            var declared = type.Descendants(Ns.Xs + "element").ToDictionary(e => (string)e.Attribute("name")!, e => (string)e.Attribute("type")!);

            var properties = System.Text.Json.Nodes.JsonNode.Parse(await db.ScalarAsync<string>("SELECT properties::text FROM layers WHERE id = $1", id))!.AsArray();
            Assert.Equal(properties.Count + 1, declared.Count);
            foreach (var p in properties)
            {
                var expected = p!["type"]!.GetValue<string>() switch
                {
                    "integer" => "xs:long",
                    "number" => "xs:double",
                    "boolean" => "xs:boolean",
                    _ => "xs:string",
                };
                Assert.Equal(expected, declared[p["name"]!.GetValue<string>()]);
            }
            var geometryType = await db.ScalarAsync<string>("SELECT geometry_type FROM layers WHERE id = $1", id);
            Assert.Equal(geometryType switch
            {
                "Point" => "gml:PointPropertyType",
                "MultiPolygon" => "gml:MultiSurfacePropertyType",
                "MultiLineString" => "gml:MultiCurvePropertyType",
                _ => "gml:MultiPointPropertyType",
            }, declared["geometry"]);
        }

        var one = await _client.GetXmlAsync(Base + "&REQUEST=DescribeFeatureType&TYPENAMES=sr:municipalities&NAMESPACES=xmlns(sr,urn:spatialregion:features)");
        Assert.Equal(["municipalities"], one.Root.Elements(Ns.Xs + "element").Select(e => (string)e.Attribute("name")!));
        Assert.Equal("xs:long", (string?)one.Root.Descendants(Ns.Xs + "element").Single(e => (string?)e.Attribute("name") == "KOMMUNKOD").Attribute("type"));

        // WFS 1.1 spelling (GDAL sends TYPENAME), several types at once, and the POST encoding.
        var two = await _client.GetXmlAsync(Base + "&REQUEST=DescribeFeatureType&TYPENAME=sr:counties,sr:tatorter");
        Assert.Equal(["counties", "tatorter"], two.Root.Elements(Ns.Xs + "element").Select(e => (string)e.Attribute("name")!));
        var posted = await _client.PostXmlAsync("""
            <DescribeFeatureType xmlns="http://www.opengis.net/wfs/2.0" xmlns:sr="urn:spatialregion:features" service="WFS" version="2.0.0">
              <TypeName>sr:pharmacies</TypeName>
            </DescribeFeatureType>
            """);
        Assert.Equal(["pharmacies"], posted.Root.Elements(Ns.Xs + "element").Select(e => (string)e.Attribute("name")!));
    }

    [Fact]
    public async Task Stored_queries_list_and_describe_GetFeatureById_for_every_type()
    {
        var list = await _client.GetXmlAsync(Base + "&REQUEST=ListStoredQueries");
        Assert.Equal(Ns.Wfs + "ListStoredQueriesResponse", list.Root.Name);
        var query = list.Root.Element(Ns.Wfs + "StoredQuery")!;
        Assert.Equal("urn:ogc:def:query:OGC-WFS::GetFeatureById", (string?)query.Attribute("id"));
        Assert.Equal((await LayerIds()).Select(id => "sr:" + id), query.Elements(Ns.Wfs + "ReturnFeatureType").Select(e => e.Value).Order(StringComparer.Ordinal));

        var described = await _client.GetXmlAsync(Base + "&REQUEST=DescribeStoredQueries&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById");
        var description = described.Root.Element(Ns.Wfs + "StoredQueryDescription")!;
        Assert.Equal("urn:ogc:def:query:OGC-WFS::GetFeatureById", (string?)description.Attribute("id"));
        Assert.Equal("ID", (string?)description.Element(Ns.Wfs + "Parameter")!.Attribute("name"));
        Assert.Contains("sr:municipalities", ((string)description.Element(Ns.Wfs + "QueryExpressionText")!.Attribute("returnFeatureTypes")!).Split(' '));

        var unknown = await _client.GetXmlAsync(Base + "&REQUEST=DescribeStoredQueries&STOREDQUERY_ID=urn:example:nothing");
        Assert.Equal(400, unknown.Status);
        Assert.Equal(("InvalidParameterValue", "STOREDQUERY_ID"), (unknown.Exception.Code, unknown.Exception.Locator));
    }
}

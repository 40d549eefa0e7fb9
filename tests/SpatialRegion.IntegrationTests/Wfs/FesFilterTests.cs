using System.Globalization;
using SpatialRegion.IntegrationTests.Infrastructure;
using static SpatialRegion.IntegrationTests.Wfs.WfsHttp;

namespace SpatialRegion.IntegrationTests.Wfs;

/// <summary>FES 2.0 filters select exactly what the same predicate selects in PostGIS.</summary>
public sealed class FesFilterTests(PostgisFixture db)
{
    private readonly HttpClient _client = db.CreateClient();

    private async Task<List<string>> Served(string predicate, string type = "municipalities", params (string, string)[] extra)
    {
        var answer = await _client.GetXmlAsync(GetFeature([("TYPENAMES", "sr:" + type), ("FILTER", FesFilter(predicate)), ("PROPERTYNAME", "sr:geometry"), .. extra]));
        Assert.True(answer.Status == 200, answer.Text);
        Assert.Equal(answer.NumberMatched, answer.NumberReturned);
        return answer.Ids(type);
    }

    private Task<List<string>> PostGis(string where, string type = "municipalities") => db.ResourceIdsWhere(type, where);

    private static string Compare(string op, string property, string literal, string attributes = "") =>
        $"<fes:{op}{attributes}><fes:ValueReference>{property}</fes:ValueReference><fes:Literal>{literal}</fes:Literal></fes:{op}>";

    public static TheoryData<string, string> Comparisons => new()
    {
        { Compare("PropertyIsEqualTo", "KOMMUNNAMN", "Åre"), "properties->>'KOMMUNNAMN' = 'Åre'" },
        { Compare("PropertyIsNotEqualTo", "LAN_KOD", "23"), "properties->>'LAN_KOD' <> '23'" },
        { Compare("PropertyIsLessThan", "KOMMUNKOD", "600"), "(properties->>'KOMMUNKOD')::numeric < 600" },
        { Compare("PropertyIsLessThanOrEqualTo", "sr:KOMMUNKOD", "0604"), "(properties->>'KOMMUNKOD')::numeric <= 604" },
        { Compare("PropertyIsGreaterThan", "sr:municipalities/sr:KOMMUNKOD", "2500.5"), "(properties->>'KOMMUNKOD')::numeric > 2500.5" },
        { Compare("PropertyIsGreaterThanOrEqualTo", "KOMMUNKOD[1]", "2380"), "(properties->>'KOMMUNKOD')::numeric >= 2380" },
        // Text compares as text (KOM_KOD is a string): '0999' < '1' in byte order.
        { Compare("PropertyIsLessThan", "KOM_KOD", "0180"), "properties->>'KOM_KOD' < '0180'" },
        { Compare("PropertyIsEqualTo", "KOMMUNNAMN", "åre", " matchCase=\"false\""), "lower(properties->>'KOMMUNNAMN' COLLATE \"und-x-icu\") = 'åre'" },
        { Compare("PropertyIsEqualTo", "KOMMUNNAMN", "åre", " matchCase=\"true\""), "FALSE" },
        { "<fes:PropertyIsLike wildCard=\"*\" singleChar=\"#\" escapeChar=\"!\"><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><fes:Literal>*s#nd</fes:Literal></fes:PropertyIsLike>",
            "properties->>'KOMMUNNAMN' LIKE '%s_nd'" },
        { "<fes:PropertyIsLike wildCard=\"%\" singleChar=\"_\" escapeChar=\"\\\" matchCase=\"false\"><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><fes:Literal>ö%</fes:Literal></fes:PropertyIsLike>",
            "lower(properties->>'KOMMUNNAMN' COLLATE \"und-x-icu\") LIKE 'ö%'" },
        // A literal wildcard character of SQL is only itself.
        { "<fes:PropertyIsLike wildCard=\"*\" singleChar=\"?\" escapeChar=\"!\"><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><fes:Literal>%</fes:Literal></fes:PropertyIsLike>", "FALSE" },
        { "<fes:PropertyIsNull><fes:ValueReference>ADAT</fes:ValueReference></fes:PropertyIsNull>", "properties->>'ADAT' IS NULL" },
        { "<fes:Not><fes:PropertyIsNil><fes:ValueReference>ADAT</fes:ValueReference></fes:PropertyIsNil></fes:Not>", "properties->>'ADAT' IS NOT NULL" },
        { "<fes:PropertyIsBetween><fes:ValueReference>KOMMUNKOD</fes:ValueReference><fes:LowerBoundary><fes:Literal>2303</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>2326</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>",
            "(properties->>'KOMMUNKOD')::numeric BETWEEN 2303 AND 2326" },
        { $"<fes:Or>{Compare("PropertyIsEqualTo", "LAN_KOD", "23")}{Compare("PropertyIsEqualTo", "LAN_KOD", "22")}</fes:Or>", "properties->>'LAN_KOD' IN ('22', '23')" },
        { $"<fes:And>{Compare("PropertyIsEqualTo", "LAN_KOD", "23")}<fes:Not>{Compare("PropertyIsLike", "KOMMUNNAMN", "S*", " wildCard=\"*\" singleChar=\".\" escapeChar=\"!\"")}</fes:Not></fes:And>",
            "properties->>'LAN_KOD' = '23' AND properties->>'KOMMUNNAMN' NOT LIKE 'S%'" },
        { "<fes:ResourceId rid=\"municipalities.2380\"/><fes:ResourceId rid=\"municipalities.2321\"/>", "fid IN ('2380', '2321')" },
        { $"<fes:And><fes:ResourceId rid=\"municipalities.2380\"/><fes:ResourceId rid=\"municipalities.0180\"/>{Compare("PropertyIsEqualTo", "LAN_KOD", "23")}</fes:And>", "fid = '2380'" },
    };

    [Theory]
    [MemberData(nameof(Comparisons))]
    public async Task Scalar_and_logical_predicates_select_what_postgis_selects(string predicate, string where)
    {
        var expected = await PostGis(where);
        Assert.Equal(expected, await Served(predicate));
    }

    [Fact]
    public async Task The_comparison_cases_are_not_trivial()
    {
        // Guards the theory above: each expectation selects some but not all municipalities (or none on purpose).
        var counts = new List<int>();
        foreach (var row in Comparisons)
        {
            counts.Add((await PostGis(row.Data.Item2)).Count);
        }
        Assert.All(counts, c => Assert.InRange(c, 0, 289));
        Assert.True(counts.Count(c => c > 0) >= 15);
    }

    [Fact]
    public async Task Sql_in_a_string_literal_matches_nothing_and_changes_nothing()
    {
        foreach (var literal in new[] { "x' OR '1'='1", "'; DROP TABLE layers; --", "Åre' --", "\\'; SELECT pg_sleep(5); --" })
        {
            var escaped = System.Security.SecurityElement.Escape(literal);
            Assert.Empty(await Served(Compare("PropertyIsEqualTo", "KOMMUNNAMN", escaped)));
            Assert.Empty(await Served($"<fes:PropertyIsLike wildCard=\"*\" singleChar=\"?\" escapeChar=\"!\"><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><fes:Literal>{escaped}</fes:Literal></fes:PropertyIsLike>"));
            Assert.Empty(await Served($"<fes:ResourceId rid=\"{escaped}\"/>"));
        }
        Assert.Equal(290, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'municipalities'"));
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = 'municipalities'"));
    }

    private static string Envelope(string srsName, string lower, string upper) =>
        $"<gml:Envelope srsName=\"{srsName}\"><gml:lowerCorner>{lower}</gml:lowerCorner><gml:upperCorner>{upper}</gml:upperCorner></gml:Envelope>";

    // A polygon around Östersund and Frösön, written in each axis order (easting/northing 3006, and lon/lat).
    private const string PolygonWkt3006 = "POLYGON((455000 6990000, 480000 6990000, 480000 7015000, 455000 7015000, 455000 6990000))";

    private static string Polygon3006NorthingFirst() =>
        "<gml:Polygon srsName=\"urn:ogc:def:crs:EPSG::3006\"><gml:exterior><gml:LinearRing><gml:posList>"
        + "6990000 455000 6990000 480000 7015000 480000 7015000 455000 6990000 455000</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>";

    public static TheoryData<string, string, string> Spatial => new()
    {
        { $"<fes:BBOX><fes:ValueReference>geometry</fes:ValueReference>{Envelope("urn:ogc:def:crs:EPSG::3006", "6990000 455000", "7015000 480000")}</fes:BBOX>",
            "municipalities", "ST_Intersects(geom, ST_MakeEnvelope(455000, 6990000, 480000, 7015000, 3006))" },
        { $"<fes:BBOX>{Envelope("EPSG:3006", "455000 6990000", "480000 7015000")}</fes:BBOX>",
            "municipalities", "ST_Intersects(geom, ST_MakeEnvelope(455000, 6990000, 480000, 7015000, 3006))" },
        { $"<fes:BBOX><fes:ValueReference>sr:geometry</fes:ValueReference>{Envelope("http://www.opengis.net/def/crs/EPSG/0/4326", "62.9 14.2", "63.5 15.1")}</fes:BBOX>",
            "tatorter", "ST_Intersects(geom_wgs84, ST_MakeEnvelope(14.2, 62.9, 15.1, 63.5, 4326))" },
        { $"<fes:BBOX>{Envelope("EPSG:4326", "14.2 62.9", "15.1 63.5")}</fes:BBOX>",
            "tatorter", "ST_Intersects(geom_wgs84, ST_MakeEnvelope(14.2, 62.9, 15.1, 63.5, 4326))" },
        { $"<fes:BBOX>{Envelope("urn:ogc:def:crs:EPSG::3857", "1580000 9100000", "1680000 9250000")}</fes:BBOX>",
            "tatorter", "ST_Intersects(ST_Transform(geom_wgs84, 3857), ST_MakeEnvelope(1580000, 9100000, 1680000, 9250000, 3857))" },
        { $"<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference>{Polygon3006NorthingFirst()}</fes:Intersects>",
            "municipalities", $"ST_Intersects(geom, ST_GeomFromText('{PolygonWkt3006}', 3006))" },
        { $"<fes:Within><fes:ValueReference>geometry</fes:ValueReference>{Polygon3006NorthingFirst()}</fes:Within>",
            "tatorter", $"ST_Within(geom, ST_GeomFromText('{PolygonWkt3006}', 3006))" },
        { "<fes:Within><fes:ValueReference>geometry</fes:ValueReference><gml:Polygon srsName=\"EPSG:4326\"><gml:exterior><gml:LinearRing><gml:posList>13 62 16 62 16 64 13 64 13 62</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Within>",
            "municipalities", "ST_Within(geom_wgs84, ST_MakeEnvelope(13, 62, 16, 64, 4326))" },
        { "<fes:Contains><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>63.18 14.64</gml:pos></gml:Point></fes:Contains>",
            "municipalities", "ST_Contains(geom_wgs84, ST_SetSRID(ST_MakePoint(14.64, 63.18), 4326))" },
        { "<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName=\"EPSG:3006\"><gml:pos>470000 7005000</gml:pos></gml:Point><fes:Distance uom=\"km\">30</fes:Distance></fes:DWithin>",
            "tatorter", "ST_DWithin(geom, ST_SetSRID(ST_MakePoint(470000, 7005000), 3006), 30000)" },
        { "<fes:Beyond><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName=\"EPSG:3006\"><gml:pos>470000 7005000</gml:pos></gml:Point><fes:Distance uom=\"m\">100000</fes:Distance></fes:Beyond>",
            "tatorter", "NOT ST_DWithin(geom, ST_SetSRID(ST_MakePoint(470000, 7005000), 3006), 100000)" },
        { "<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:LineString srsName=\"urn:ogc:def:crs:EPSG::3006\"><gml:posList>7000000 400000 7000000 600000</gml:posList></gml:LineString></fes:Intersects>",
            "municipalities", "ST_Intersects(geom, ST_GeomFromText('LINESTRING(400000 7000000, 600000 7000000)', 3006))" },
        // A geometry without srsName is in the query's srsName, here the default urn:ogc:def:crs:EPSG::3006 (northing first).
        { "<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>7004000 470000</gml:pos></gml:Point></fes:Intersects>",
            "municipalities", "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(470000, 7004000), 3006))" },
    };

    [Theory]
    [MemberData(nameof(Spatial))]
    public async Task Spatial_predicates_read_gml_in_its_crs_and_axis_order_and_select_what_postgis_selects(string predicate, string type, string where)
    {
        var expected = await PostGis(where, type);
        Assert.NotEmpty(expected);
        Assert.True(expected.Count < await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = $1", type));
        Assert.Equal(expected, await Served(predicate, type));
    }

    [Fact]
    public async Task Bbox_combines_with_a_filter_and_the_filter_geometry_follows_the_query_srsname()
    {
        var inJamtland = Compare("PropertyIsEqualTo", "LAN_KOD", "23");
        var combined = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("FILTER", FesFilter(inJamtland)),
            ("BBOX", "62.0,14.0,63.5,15.0,urn:ogc:def:crs:EPSG::4326"), ("PROPERTYNAME", "KOM_KOD")));
        Assert.Equal(await PostGis("properties->>'LAN_KOD' = '23' AND ST_Intersects(geom_wgs84, ST_MakeEnvelope(14, 62, 15, 63.5, 4326))"), combined.Ids("municipalities"));

        var point = "<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>63.18 14.64</gml:pos></gml:Point></fes:Intersects>";
        Assert.Equal(["municipalities.2380"], await Served(point, "municipalities", ("SRSNAME", "urn:ogc:def:crs:EPSG::4326")));
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { Compare("PropertyIsEqualTo", "colour", "red"), "InvalidParameterValue", "no property 'colour'" },
        { Compare("PropertyIsEqualTo", "KOMMUNKOD", "twenty"), "InvalidParameterValue", "not a number" },
        { Compare("PropertyIsLessThanOrEqualTo", "gml:boundedBy", "x"), "OperationProcessingFailed", "gml:boundedBy" },
        { "<fes:During><fes:ValueReference>ADAT</fes:ValueReference><fes:Literal>2020</fes:Literal></fes:During>", "OptionNotSupported", "Temporal" },
        { "<fes:PropertyIsEqualTo><fes:Function name=\"strToLower\"/><fes:Literal>x</fes:Literal></fes:PropertyIsEqualTo>", "OptionNotSupported", "functions" },
        { "<fes:PropertyIsLike><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><fes:Literal>x</fes:Literal></fes:PropertyIsLike>", "InvalidParameterValue", "wildCard" },
        { "<fes:PropertyIsLike wildCard=\"*\" singleChar=\"?\" escapeChar=\"!\"><fes:ValueReference>KOMMUNKOD</fes:ValueReference><fes:Literal>23*</fes:Literal></fes:PropertyIsLike>", "InvalidParameterValue", "number property" },
        { "<fes:Intersects><fes:ValueReference>KOMMUNNAMN</fes:ValueReference><gml:Point><gml:pos>1 2</gml:pos></gml:Point></fes:Intersects>", "InvalidParameterValue", "geometry property" },
        { "<fes:BBOX><gml:Envelope srsName=\"urn:ogc:def:crs:EPSG::2400\"><gml:lowerCorner>1 2</gml:lowerCorner><gml:upperCorner>3 4</gml:upperCorner></gml:Envelope></fes:BBOX>", "InvalidParameterValue", "Unsupported srsName" },
        { "<fes:BBOX><gml:Envelope srsName=\"EPSG:3006\"><gml:lowerCorner>480000 7015000</gml:lowerCorner><gml:upperCorner>455000 6990000</gml:upperCorner></gml:Envelope></fes:BBOX>", "InvalidParameterValue", "lower corner" },
        { "<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>1 2 3 4 5 6</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Intersects>", "InvalidParameterValue", "Invalid gml:Polygon" },
        { "<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point srsName=\"EPSG:4326\"><gml:pos>14 63</gml:pos></gml:Point><fes:Distance uom=\"deg\">1</fes:Distance></fes:DWithin>", "InvalidParameterValue", "never in degrees" },
        { "<fes:Frobnicate/>", "InvalidParameterValue", "Unknown filter predicate" },
        { $"{Compare("PropertyIsEqualTo", "LAN_KOD", "23")}{Compare("PropertyIsEqualTo", "LAN_KOD", "22")}", "InvalidParameterValue", "one predicate" },
        { "<fes:PropertyIsEqualTo><fes:ValueReference>KOMMUNNAMN</fes:ValueReference>", "InvalidParameterValue", "not well-formed" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_filter_the_service_cannot_run_is_an_exception_report_naming_the_filter(string predicate, string code, string message)
    {
        var answer = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("FILTER", FesFilter(predicate))));
        Assert.Equal(400, answer.Status);
        var (actualCode, locator, text) = answer.Exception;
        Assert.Equal(code, actualCode);
        Assert.Equal("FILTER", locator);
        Assert.Contains(message, text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Filters_in_the_fes_11_spelling_are_read_too()
    {
        var filter = "<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\"><ogc:PropertyIsEqualTo><ogc:PropertyName>KOMMUNNAMN</ogc:PropertyName>"
            + "<ogc:Literal>Berg</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>";
        var answer = await _client.GetXmlAsync(GetFeature(("TYPENAMES", "sr:municipalities"), ("FILTER", filter)));
        Assert.Equal(["municipalities.2326"], answer.Ids("municipalities"));
        Assert.Equal(1, answer.NumberMatched);
    }
}

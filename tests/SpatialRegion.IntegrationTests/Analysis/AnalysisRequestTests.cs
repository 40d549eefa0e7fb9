using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.Api.Analysis;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Analysis;

/// <summary>Bad requests, limits and GEOS failures: each a clear 4xx with problem details, never a 500.</summary>
public sealed class AnalysisRequestTests(PostgisFixture db)
{
    private const string Intersection = """
        {"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"layer": "fa-regions"}}
        """;

    private readonly HttpClient _client = db.CreateClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("this is not JSON", "not valid JSON", "body")]
    [InlineData("[1, 2, 3]", "must be a JSON object", "body")]
    [InlineData("{}", "needs 'operation'", "operation")]
    [InlineData("""{"operation": "erase", "a": {"layer": "municipalities"}}""", "Unknown operation 'erase'", "operation")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}}""", "needs a second input 'b'", "b")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "filter": {"LAN": "23"}}, "b": {"layer": "counties"}}""",
        "has no property 'LAN'", "a.filter.LAN")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "filter": {"KOMMUNKOD": "Östersund"}}, "b": {"layer": "counties"}}""",
        "not a valid integer", "a.filter.KOMMUNKOD")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "filter": "LAN_KOD = "}, "b": {"layer": "counties"}}""",
        "filter", "a.filter")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "filter": "LAN = '23'"}, "b": {"layer": "counties"}}""",
        "has no property 'LAN'", "a.filter")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"layer": "counties", "filter": {"op": "=", "args": [{"property": "LANSKOD"}, "x"]}}}""",
        "Cannot compare", "b.filter")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "filter": 23}, "b": {"layer": "counties"}}""",
        "must be a JSON object", "a.filter")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}, "filter_crs": "EPSG:3006"}, "b": {"layer": "counties"}}""",
        "no CQL2 filter", "a.filter_crs")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "properties": ["NAMN"]}, "b": {"layer": "counties"}}""",
        "has no property 'NAMN'", "a.properties")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"layer": "counties"}, "save-as": "x"}""",
        "Unknown member 'save-as'", "save-as")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"layer": "counties"}, "dissolve_by": "LAN_KOD"}""",
        "no attribute 'LAN_KOD' to dissolve by", "dissolve_by")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "prefix": ""}, "b": {"layer": "municipalities", "prefix": ""}}""",
        "two attributes named", "b.prefix")]
    [InlineData("""{"operation": "intersection", "a": {"geojson": {"type": "Feature", "properties": {"area_m2": 1}, "geometry": {"type": "Polygon", "coordinates": [[[14, 63], [15, 63], [15, 64], [14, 63]]]}}, "prefix": ""}, "b": {"layer": "counties"}}""",
        "two attributes named 'area_m2'", "a.prefix")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "prefix": 5}, "b": {"layer": "counties"}}""",
        "must be a string", "a.prefix")]
    [InlineData("""{"operation": "union", "a": {"layer": "municipalities"}, "b": {"layer": "tatorter"}}""", "one kind of geometry", "b")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"layer": "counties"}, "output_crs": "EPSG:2400"}""",
        "Unsupported output_crs", "output_crs")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities", "bbox_crs": "EPSG:3006"}, "b": {"layer": "counties"}}""",
        "without a bbox", "a.bbox_crs")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"geojson": {"type": "Polygon", "coordinates": [[[200, 63], [201, 63], [201, 64], [200, 63]]]}}}""",
        "outside longitude", "b.geojson")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"geojson": {"type": "Polygon", "coordinates": "here"}}}""",
        "malformed geometry", "b.geojson")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"geojson": {"type": "GeometryCollection", "geometries": []}}}""",
        "b.geojson", "b.geojson")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"geojson": {"type": "Point", "coordinates": [14.6, 63.2]}, "crs": "EPSG:999999"}}""",
        "Unknown CRS EPSG:999999", "b")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"layer": "counties", "geojson": {"type": "Point", "coordinates": [14.6, 63.2]}}}""",
        "both 'layer' and 'geojson'", "b")]
    [InlineData("""{"operation": "intersection", "a": {"layer": "municipalities"}, "b": {"layer": "counties"}, "save_as": "Not A Layer Id"}""",
        "not a valid layer id", "save_as")]
    public async Task A_bad_overlay_request_gets_400_naming_what_is_wrong(string body, string detail, string? parameter)
    {
        var answer = await _client.PostAsync("/api/analysis/overlay", body);
        AnalysisHttp.AssertProblem(answer, HttpStatusCode.BadRequest, detail, parameter);
    }

    [Fact]
    public async Task An_unknown_layer_is_404_and_a_body_that_is_not_json_is_415()
    {
        var unknown = await _client.PostAsync("/api/analysis/overlay", """
            {"operation": "intersection", "a": {"layer": "kommuner"}, "b": {"layer": "counties"}}
            """);
        AnalysisHttp.AssertProblem(unknown, HttpStatusCode.NotFound, "no layer 'kommuner'", "a.layer");

        var unknownTarget = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities"}, "target": {"layer": "deso"}, "variables": [{"name": "x", "type": "extensive", "property": "KOMMUNKOD"}]}
            """);
        AnalysisHttp.AssertProblem(unknownTarget, HttpStatusCode.NotFound, "no layer 'deso'", "target.layer");

        var text = await _client.PostAsync("/api/analysis/overlay", Intersection, "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.Status);
        Assert.Equal("application/problem+json", text.ContentType);

        var geoJson = await _client.PostAsync("/api/analysis/overlay", """{"operation": "intersection"}""", "application/geo+json");
        AnalysisHttp.AssertProblem(geoJson, HttpStatusCode.BadRequest, "needs 'a'", "a");
    }

    [Fact]
    public async Task Inline_geometry_beyond_the_size_or_vertex_limit_is_413_and_within_them_it_is_analysed()
    {
        await using var limited = db.App.WithWebHostBuilder(b => b
            .UseSetting("SpatialRegion:Analysis:MaxRequestBytes", "50000")
            .UseSetting("SpatialRegion:Analysis:MaxInlineVertices", "1000"));
        using var client = limited.CreateClient();

        var circle = await client.PostAsync("/api/analysis/overlay", $$$"""
            {"operation": "intersection", "a": {"geojson": {{{Circle(14.6, 63.2, 0.05, 1200)}}}}, "b": {"layer": "municipalities"}}
            """);
        AnalysisHttp.AssertProblem(circle, HttpStatusCode.RequestEntityTooLarge, "more than 1,000 vertices", "a.geojson");

        var big = await client.PostAsync("/api/analysis/overlay", $$$"""
            {"operation": "intersection", "a": {"geojson": {{{Circle(14.6, 63.2, 0.05, 3000)}}}}, "b": {"layer": "municipalities"}}
            """);
        AnalysisHttp.AssertProblem(big, HttpStatusCode.RequestEntityTooLarge, "larger than");

        var small = await client.PostOkAsync("/api/analysis/overlay", $$$"""
            {"operation": "intersection", "a": {"geojson": {{{Circle(14.6, 63.2, 0.05, 900)}}}}, "b": {"layer": "municipalities", "filter": {"KOM_KOD": "2380"} } }
            """);
        Assert.Single(small.Features);
    }

    [Fact]
    public async Task An_analysis_that_runs_past_the_statement_timeout_is_422_and_says_what_to_narrow()
    {
        await using var impatient = db.App.WithWebHostBuilder(b => b.UseSetting("SpatialRegion:Analysis:StatementTimeoutSeconds", "0.05"));
        using var client = impatient.CreateClient();

        var slow = await client.PostAsync("/api/analysis/overlay", Intersection);
        AnalysisHttp.AssertProblem(slow, (HttpStatusCode)422, "did not finish within the limit of 0.05 s");
        Assert.Contains("filter a or b", slow.Body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_overlay_that_GEOS_fails_on_is_computed_again_and_the_retry_is_reported()
    {
        await using var session = await AnalysisSession.OpenAsync(db.DataSource, 30, new LayerValidity(), Ct);
        // A self-intersecting ring makes GEOS throw a TopologyException, exact or snapped; only its repaired form overlays.
        const string BowTie = "'POLYGON((0 0,10 10,10 0,0 10,0 0))'::geometry";
        const string Square = "'POLYGON((5 0,15 0,15 10,5 10,5 0))'::geometry";

        Assert.Equal(25.0, await session.ScalarAsync<double>($"SELECT ST_Area(analysis_intersection({BowTie}, {Square}, 3))", Ct), 9);
        Assert.Equal(25.0, await session.ScalarAsync<double>($"SELECT ST_Area(analysis_difference({BowTie}, {Square}, 3))", Ct), 9);
        Assert.Equal(125.0, await session.ScalarAsync<double>($"SELECT ST_Area(analysis_union(ARRAY[{BowTie}, {Square}], 3))", Ct), 9);
        session.AddRetryWarnings();

        var warning = Assert.Single(session.Warnings);
        Assert.Contains("GEOS failed on 3 overlays", warning, StringComparison.Ordinal);
        Assert.Contains("TopologyException", warning, StringComparison.Ordinal);
        Assert.Contains("repaired (ST_MakeValid)", warning, StringComparison.Ordinal);
        // Valid input is overlaid exactly as ST_Intersection does, and announces nothing.
        Assert.True(await session.ScalarAsync<bool>($"SELECT ST_Equals(analysis_intersection({Square}, ST_Buffer({Square}, -1), 3), ST_Buffer({Square}, -1))", Ct));
        session.AddRetryWarnings();
        Assert.Single(session.Warnings);
    }

    [Fact]
    public async Task A_GEOS_error_that_escapes_is_422_not_500_and_the_next_analysis_runs()
    {
        var runner = db.App.Services.GetRequiredService<AnalysisRunner>();
        var plan = new AnalysisPlan("overlay", new Dictionary<string, AnalysisInput>(),
            (_, _) => Task.CompletedTask,
            (session, token) => session.ExecuteAsync("""
                INSERT INTO analysis_result (ordinal, fid, properties, geom)
                SELECT 1, '1', '{}', ST_Intersection('POLYGON((0 0,10 10,10 0,0 10,0 0))'::geometry, 'POLYGON((5 0,15 0,15 10,5 10,5 0))'::geometry)
                """, token),
            [], [], 4326, null, "");

        var failure = await Assert.ThrowsAsync<AnalysisException>(() => runner.RunAsync(plan, new DefaultHttpContext().Request, Ct));
        Assert.Equal(422, failure.Status);
        Assert.Contains("TopologyException", failure.Message, StringComparison.Ordinal);

        // The connection the driver gave up on is not handed out again.
        var next = await _client.PostOkAsync("/api/analysis/overlay", """
            {"operation": "intersection", "a": {"layer": "municipalities", "filter": {"KOM_KOD": "2380"}}, "b": {"layer": "counties"}}
            """);
        Assert.Single(next.Features);
    }

    [Fact]
    public async Task A_value_PostgreSQL_cannot_compute_with_is_422_not_500()
    {
        // Valid JSON, and a number, but beyond what a double holds.
        var answer = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"geojson": {"type": "Feature", "properties": {"v": 1e400},
                                    "geometry": {"type": "Polygon", "coordinates": [[[14.6, 63.1], [14.7, 63.1], [14.7, 63.2], [14.6, 63.1]]]}}},
             "target": {"layer": "municipalities", "filter": {"KOM_KOD": "2380"}},
             "variables": [{"type": "extensive", "property": "v"}]}
            """);
        AnalysisHttp.AssertProblem(answer, (HttpStatusCode)422, "out of range");
    }

    [Fact]
    public async Task Interpolation_and_spatial_join_refuse_bad_variables_weights_and_geometry_kinds()
    {
        var noVariables = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities"}, "target": {"layer": "counties"}}
            """);
        AnalysisHttp.AssertProblem(noVariables, HttpStatusCode.BadRequest, "at least one variable", "variables");

        var textVariable = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities"}, "target": {"layer": "counties"}, "variables": [{"type": "extensive", "property": "KOMMUNNAMN"}]}
            """);
        AnalysisHttp.AssertProblem(textVariable, HttpStatusCode.BadRequest, "not a number", "variables[0].property");

        var kind = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities"}, "target": {"layer": "counties"}, "variables": [{"name": "x", "type": "average", "property": "KOMMUNKOD"}]}
            """);
        AnalysisHttp.AssertProblem(kind, HttpStatusCode.BadRequest, "Unknown variable type 'average'", "variables[0].type");

        var weights = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities"}, "target": {"layer": "counties"}, "variables": [{"type": "extensive", "property": "KOMMUNKOD"}],
             "weights": "night_lights"}
            """);
        AnalysisHttp.AssertProblem(weights, HttpStatusCode.BadRequest, "Unknown weights 'night_lights'", "weights");

        var points = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "tatorter"}, "target": {"layer": "counties"}, "variables": [{"type": "extensive", "property": "pop"}]}
            """);
        AnalysisHttp.AssertProblem(points, HttpStatusCode.BadRequest, "from polygons to polygons", "source");

        var notANumber = await _client.PostAsync("/api/analysis/interpolate", """
            {"source": {"layer": "municipalities"}, "target": {"layer": "counties"}, "variables": [{"name": "x", "type": "extensive", "values": {"2380": "many"}}]}
            """);
        AnalysisHttp.AssertProblem(notANumber, HttpStatusCode.BadRequest, "must be a finite number", "variables[0].values.2380");

        var noJoins = await _client.PostAsync("/api/analysis/spatial-join", """{"target": {"layer": "municipalities"}}""");
        AnalysisHttp.AssertProblem(noJoins, HttpStatusCode.BadRequest, "at least one entry in 'joins'", "joins");
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_each_analysis_body_and_its_answers()
    {
        var document = await _client.GetJsonAsync("/openapi/v1.json");
        var schemas = document["components"]!["schemas"]!;
        foreach (var (path, schema, required) in new[]
        {
            ("/api/analysis/overlay", "OverlayRequest", new[] { "operation", "a" }),
            ("/api/analysis/spatial-join", "SpatialJoinRequest", ["target", "joins"]),
            ("/api/analysis/interpolate", "InterpolationRequest", ["source", "target", "variables"]),
        })
        {
            var post = document["paths"]![path]!["post"]!;
            Assert.Equal($"#/components/schemas/{schema}", post["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
            Assert.Equal(required, schemas[schema]!["required"]!.AsArray().Select(r => r!.GetValue<string>()));
            Assert.Contains("save_as", schemas[schema]!["properties"]!.AsObject().Select(p => p.Key));
            Assert.All(["200", "201", "400", "401", "413", "422", "503"], code => Assert.NotNull(post["responses"]![code]));
        }
        Assert.NotNull(document["paths"]!["/api/analysis/results/{layerId}"]!["delete"]);
    }

    /// <summary>A polygon of <paramref name="vertices"/> points around (lon, lat), as GeoJSON text.</summary>
    private static string Circle(double lon, double lat, double radius, int vertices)
    {
        var sb = new StringBuilder("""{"type": "Polygon", "coordinates": [[""");
        for (var i = 0; i <= vertices; i++)
        {
            var angle = 2 * Math.PI * (i % vertices) / vertices;
            sb.Append(i == 0 ? "" : ", ").Append(string.Create(CultureInfo.InvariantCulture,
                $"[{lon + radius * 2 * Math.Cos(angle):0.0000000}, {lat + radius * Math.Sin(angle):0.0000000}]"));
        }
        return sb.Append("]]}").ToString();
    }
}

using Microsoft.Extensions.DependencyInjection;
using NetTopologySuite.Geometries;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Layers;

/// <summary>Filter trees as the CQL2 and FES parsers produce them, run against the real municipalities.</summary>
public sealed class FilterSqlTests(PostgisFixture db)
{
    private static readonly PropertyReference Lan = new("LAN_KOD");
    private static readonly PropertyReference Name = new("KOMMUNNAMN");
    private static readonly PropertyReference Code = new("KOMMUNKOD");

    private async Task<List<string>> Ids(FilterExpression expression, IReadOnlyList<SortKey>? sortBy = null)
    {
        var catalog = db.App.Services.GetRequiredService<LayerCatalog>();
        var store = db.App.Services.GetRequiredService<FeatureStore>();
        var layer = (await catalog.FindAsync("municipalities", TestContext.Current.CancellationToken))!;
        var query = new FeatureQuery(new FeatureFilter(null, [], expression), 1000, 0, new GeometryOutput(4326, false, 7), ["KOM_KOD"], sortBy);
        await using var page = await store.OpenPageAsync(layer, query, TestContext.Current.CancellationToken);
        var ids = new List<string>();
        while (await page.Reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            ids.Add(page.Reader.GetString(0));
        }
        return ids;
    }

    [Fact]
    public async Task Comparisons_like_and_case_insensitivity_select_what_postgis_selects()
    {
        Assert.Equal(["2380"], await Ids(new AndExpression([
            new Comparison(ComparisonOperator.Equal, Lan, new Literal("23")),
            new LikeExpression(Name, new Literal("Ö%"))])));
        Assert.Equal(["2380"], await Ids(new Comparison(ComparisonOperator.Equal, new CaseInsensitive(Name), new CaseInsensitive(new Literal("östersund")))));
        Assert.Equal(["2303", "2305"], await Ids(new BetweenExpression(Code, new Literal(2303L), new Literal(2305L))));
        Assert.Equal(["2326", "2361"], await Ids(new InExpression(Name, [new Literal("Berg"), new Literal("Härjedalen")])));
        var expected = await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'municipalities' AND (properties->>'KOMMUNKOD')::int > 2300");
        Assert.Equal(expected, (await Ids(new Comparison(ComparisonOperator.Greater, Code, new Literal(2300.0)))).Count);
        var withoutDate = await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'municipalities' AND properties->>'ADAT' IS NULL");
        Assert.InRange(withoutDate, 1, 289);
        Assert.Equal(withoutDate, (await Ids(new IsNullExpression(new PropertyReference("ADAT")))).Count);
    }

    [Fact]
    public async Task Spatial_predicates_work_on_literals_in_either_crs()
    {
        var factory4326 = new GeometryFactory(new PrecisionModel(), 4326);
        var factory3006 = new GeometryFactory(new PrecisionModel(), 3006);
        // Östersund town centre.
        var point = factory4326.CreatePoint(new Coordinate(14.64, 63.18));
        var (e, n) = Sweref99Tm.FromLonLat(14.64, 63.18);
        var point3006 = factory3006.CreatePoint(new Coordinate(e, n));

        Assert.Equal(["2380"], await Ids(new SpatialPredicate(SpatialOperator.Intersects, new LayerGeometry(), new GeometryLiteral(point))));
        Assert.Equal(["2380"], await Ids(new SpatialPredicate(SpatialOperator.Contains, new LayerGeometry(), new GeometryLiteral(point3006))));
        var near = await Ids(new DistanceWithin(new LayerGeometry(), new GeometryLiteral(point3006), 20_000));
        Assert.Contains("2380", near);
        Assert.Contains("2309", near);
        Assert.DoesNotContain("0180", near);
    }

    [Fact]
    public async Task Sorting_by_a_numeric_property_and_ids_work()
    {
        var sorted = await Ids(new Comparison(ComparisonOperator.Equal, Lan, new Literal("23")), [new SortKey("KOMMUNKOD", Descending: true)]);
        Assert.Equal(["2380", "2361", "2326", "2321", "2313", "2309", "2305", "2303"], sorted);
        Assert.Equal(["0180", "2380"], await Ids(new IdExpression(["2380", "0180", "nope"])));
    }

    [Fact]
    public async Task Text_that_looks_like_sql_is_only_ever_a_value()
    {
        Assert.Empty(await Ids(new Comparison(ComparisonOperator.Equal, Name, new Literal("x' OR '1'='1"))));
        Assert.Empty(await Ids(new LikeExpression(Name, new Literal("%'; DROP TABLE layers; --"))));
        Assert.Equal(290, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'municipalities'"));
    }

    [Fact]
    public async Task Type_mismatches_and_unknown_properties_are_client_errors()
    {
        var mismatch = await Assert.ThrowsAsync<InvalidQueryException>(() => Ids(new Comparison(ComparisonOperator.Equal, Code, new Literal("2380"))));
        Assert.Contains("number property 'KOMMUNKOD'", mismatch.Message);
        var unknown = await Assert.ThrowsAsync<InvalidQueryException>(() => Ids(new IsNullExpression(new PropertyReference("colour"))));
        Assert.Contains("no property 'colour'", unknown.Message);
        var badCrs = await Assert.ThrowsAsync<InvalidQueryException>(() => Ids(new SpatialPredicate(SpatialOperator.Intersects, new LayerGeometry(),
            new GeometryLiteral(new GeometryFactory(new PrecisionModel(), 2400).CreatePoint(new Coordinate(1, 2))))));
        Assert.Contains("EPSG:2400", badCrs.Message);
    }
}

using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;

namespace SpatialRegion.Tests;

/// <summary>Counts are cached under the filter's key: two different filters must never share one.</summary>
public sealed class FilterKeyTests
{
    private static string Key(FilterExpression e) => new FeatureFilter(null, [], e).Key;

    [Fact]
    public void Filters_that_differ_only_inside_a_list_have_different_keys()
    {
        var a = new Comparison(ComparisonOperator.Equal, new PropertyReference("LAN_KOD"), new Literal("23"));
        var b = new Comparison(ComparisonOperator.Equal, new PropertyReference("LAN_KOD"), new Literal("22"));

        Assert.NotEqual(Key(new IdExpression(["2380"])), Key(new IdExpression(["0180"])));
        Assert.NotEqual(Key(new AndExpression([a])), Key(new AndExpression([b])));
        Assert.NotEqual(Key(new OrExpression([a, b])), Key(new OrExpression([a])));
        Assert.NotEqual(Key(new InExpression(new PropertyReference("LAN_KOD"), [new Literal("23")])),
            Key(new InExpression(new PropertyReference("LAN_KOD"), [new Literal("22")])));
        Assert.Equal(Key(new IdExpression(["2380"])), Key(new IdExpression(["2380"])));
        Assert.Contains("2380", Key(new IdExpression(["2380"])), StringComparison.Ordinal);
    }
}

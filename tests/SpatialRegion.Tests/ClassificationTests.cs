using SpatialRegion.Api.Indicators;

namespace SpatialRegion.Tests;

public sealed class ClassificationTests
{
    private static readonly double[] Ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    [Fact]
    public void Quantile_breaks_put_an_equal_count_in_each_class()
    {
        Assert.Equal([1, 2, 4, 6, 8, 10], Classification.Breaks(Ten, 5, ClassificationMethod.Quantile));
        var breaks = Classification.Breaks(Ten, 5, ClassificationMethod.Quantile);
        Assert.All(Ten.GroupBy(v => Classification.ClassOf(v, breaks)), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public void Equal_interval_breaks_split_the_range_evenly()
    {
        Assert.Equal([0, 25, 50, 75, 100], Classification.Breaks([0, 10, 20, 100], 4, ClassificationMethod.EqualInterval));
        Assert.Equal(1, Classification.ClassOf(0, [0, 25, 50, 75, 100]));
        Assert.Equal(1, Classification.ClassOf(25, [0, 25, 50, 75, 100]));
        Assert.Equal(2, Classification.ClassOf(25.01, [0, 25, 50, 75, 100]));
        Assert.Equal(4, Classification.ClassOf(100, [0, 25, 50, 75, 100]));
    }

    [Fact]
    public void Jenks_finds_the_natural_groups()
    {
        double[] values = [1, 2, 3, 10, 11, 12, 20, 21, 22];
        Assert.Equal([1, 3, 12, 22], Classification.Breaks(values, 3, ClassificationMethod.Jenks));
        // Östersund stands apart from the other seven municipalities of county 23 (population 2024).
        double[] county23 = [5146, 6035, 15680, 11023, 12693, 7108, 10175, 64979];
        Assert.Equal([5146, 15680, 64979], Classification.Breaks(county23, 2, ClassificationMethod.Jenks));
    }

    [Fact]
    public void Fewer_distinct_values_than_classes_give_fewer_classes()
    {
        Assert.Equal([5, 7], Classification.Breaks([5, 5, 7, 7], 5, ClassificationMethod.Quantile));
        Assert.Equal([3, 3], Classification.Breaks([3, 3, 3], 5, ClassificationMethod.Jenks));
        Assert.Empty(Classification.Breaks([], 5, ClassificationMethod.EqualInterval));
    }
}

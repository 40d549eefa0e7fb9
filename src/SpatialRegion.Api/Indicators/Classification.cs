namespace SpatialRegion.Api.Indicators;

public enum ClassificationMethod
{
    Quantile,
    EqualInterval,
    Jenks,
}

/// <summary>
/// Class breaks for a choropleth. Breaks are [minimum, upper bound of class 1, …, upper bound of class k =
/// maximum]; a value belongs to the first class whose upper bound it does not exceed. Fewer classes come out
/// when the data cannot fill them (fewer distinct values than classes, or quantile breaks that coincide).
/// </summary>
public static class Classification
{
    public const int MaxClasses = 12;

    public static ClassificationMethod? ParseMethod(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "quantile" => ClassificationMethod.Quantile,
        "equal" or "equal-interval" => ClassificationMethod.EqualInterval,
        "jenks" or "natural-breaks" => ClassificationMethod.Jenks,
        _ => null,
    };

    public static string Name(ClassificationMethod method) => method switch
    {
        ClassificationMethod.Quantile => "quantile",
        ClassificationMethod.EqualInterval => "equal",
        _ => "jenks",
    };

    public static double[] Breaks(IReadOnlyCollection<double> values, int classes, ClassificationMethod method)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (values.Count == 0)
        {
            return [];
        }
        var sorted = values.Order().ToArray();
        var distinct = sorted.Distinct().Count();
        var k = Math.Min(classes, distinct);
        if (k <= 1)
        {
            return [sorted[0], sorted[^1]];
        }
        var breaks = method switch
        {
            ClassificationMethod.Quantile => Quantile(sorted, k),
            ClassificationMethod.EqualInterval => EqualInterval(sorted, k),
            _ => Jenks(sorted, k),
        };
        // Coinciding breaks would make empty classes.
        return breaks.Distinct().ToArray() is var unique && unique.Length >= 2 ? unique : [sorted[0], sorted[^1]];
    }

    /// <summary>1-based class of a value under the given breaks.</summary>
    public static int ClassOf(double value, double[] breaks)
    {
        for (var i = 1; i < breaks.Length; i++)
        {
            if (value <= breaks[i])
            {
                return i;
            }
        }
        return breaks.Length - 1;
    }

    /// <summary>Equal counts: the upper bound of class i is the value at rank ⌈i·n/k⌉ (1-based) of the sorted values.</summary>
    private static double[] Quantile(double[] sorted, int k)
    {
        var n = sorted.Length;
        var breaks = new double[k + 1];
        breaks[0] = sorted[0];
        for (var i = 1; i <= k; i++)
        {
            var rank = (int)Math.Ceiling(i * (double)n / k);
            breaks[i] = sorted[Math.Clamp(rank, 1, n) - 1];
        }
        return breaks;
    }

    private static double[] EqualInterval(double[] sorted, int k)
    {
        double min = sorted[0], max = sorted[^1];
        var width = (max - min) / k;
        var breaks = new double[k + 1];
        breaks[0] = min;
        for (var i = 1; i < k; i++)
        {
            breaks[i] = min + (i * width);
        }
        breaks[k] = max;
        return breaks;
    }

    /// <summary>
    /// Fisher–Jenks natural breaks: the partition of the sorted values into k contiguous classes with the least
    /// total within-class sum of squared deviations, found exactly by dynamic programming (O(k·n²); n is at most
    /// a few hundred areas here).
    /// </summary>
    private static double[] Jenks(double[] sorted, int k)
    {
        var n = sorted.Length;
        var prefix = new double[n + 1];
        var prefixSquares = new double[n + 1];
        for (var i = 0; i < n; i++)
        {
            prefix[i + 1] = prefix[i] + sorted[i];
            prefixSquares[i + 1] = prefixSquares[i] + (sorted[i] * sorted[i]);
        }
        // Sum of squared deviations of sorted[from..to] (inclusive, 0-based).
        double Ssd(int from, int to)
        {
            var count = to - from + 1;
            var sum = prefix[to + 1] - prefix[from];
            return prefixSquares[to + 1] - prefixSquares[from] - (sum * sum / count);
        }

        // cost[c, j]: best cost of the first j+1 values in c+1 classes; start[c, j]: where its last class starts.
        var cost = new double[k, n];
        var start = new int[k, n];
        for (var j = 0; j < n; j++)
        {
            cost[0, j] = Ssd(0, j);
        }
        for (var c = 1; c < k; c++)
        {
            for (var j = c; j < n; j++)
            {
                var best = double.PositiveInfinity;
                var bestStart = c;
                for (var s = c; s <= j; s++)
                {
                    var candidate = cost[c - 1, s - 1] + Ssd(s, j);
                    if (candidate < best)
                    {
                        best = candidate;
                        bestStart = s;
                    }
                }
                cost[c, j] = best;
                start[c, j] = bestStart;
            }
        }

        var breaks = new double[k + 1];
        breaks[0] = sorted[0];
        breaks[k] = sorted[n - 1];
        var end = n - 1;
        for (var c = k - 1; c >= 1; c--)
        {
            var s = start[c, end];
            breaks[c] = sorted[s - 1];
            end = s - 1;
        }
        return breaks;
    }
}

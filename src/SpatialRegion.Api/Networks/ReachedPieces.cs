namespace SpatialRegion.Api.Networks;

/// <summary>
/// The pieces of edges a search from snapped points reached within each cut-off: edge, from and to fractions along it
/// (as <c>ST_LineSubstring</c> takes them), and the band (group) they belong to. Catchments draw them; the measures
/// list asks PostGIS which measures lie near them. One computation, so both mean the same by "reached".
/// </summary>
public sealed class ReachedPieces
{
    /// <summary>How far from a reached road a catchment reaches, in metres, unless asked otherwise.</summary>
    public const double DefaultBufferMetres = 500;

    public List<int> Edge { get; } = [];
    public List<double> From { get; } = [];
    public List<double> To { get; } = [];
    public List<int> Group { get; } = [];

    private void Add(int edge, double from, double to, int group)
    {
        if (to > from)
        {
            Edge.Add(edge);
            From.Add(Math.Clamp(from, 0, 1));
            To.Add(Math.Clamp(to, 0, 1));
            Group.Add(group);
        }
    }

    /// <summary>
    /// Searches outward from <paramref name="starts"/> (each beginning at <paramref name="offset"/>, its access leg) as far
    /// as the last of <paramref name="limits"/>, and returns the pieces reached within each limit, its index as the group.
    /// </summary>
    public static ReachedPieces Within(NetworkGraph graph, List<SnappedPoint> starts, Func<SnappedPoint, double> offset, Metric metric, double[] limits)
    {
        var tree = graph.Search(starts.SelectMany(p => graph.StartsAt(p.Snap!.Value, false, metric, offset(p), 0, p.Index)), false, metric, limits[^1]);
        var pieces = new ReachedPieces();
        for (var b = 0; b < limits.Length; b++)
        {
            pieces.Reach(graph, tree, starts, offset, metric, limits[b], b);
        }
        return pieces;
    }

    /// <summary>
    /// The parts of each edge reached within <paramref name="limit"/>: from each end that was reached, as far along as
    /// the remaining cost allows in the direction the road may be driven; from a facility's own point, both ways.
    /// </summary>
    private void Reach(NetworkGraph graph, NetworkGraph.Tree tree, List<SnappedPoint> starts, Func<SnappedPoint, double> offset,
        Metric metric, double limit, int group)
    {
        var own = starts.ToLookup(p => p.Snap!.Value.Edge);
        for (var e = 0; e < graph.EdgeCount; e++)
        {
            var fromSource = Share(limit - tree.Cost[graph.Source[e]], graph.Cost(e, true, metric));
            var fromTarget = Share(limit - tree.Cost[graph.Target[e]], graph.Cost(e, false, metric));
            var intervals = new List<(double From, double To)>();
            if (fromSource > 0)
            {
                intervals.Add((0, fromSource));
            }
            if (fromTarget > 0)
            {
                intervals.Add((1 - fromTarget, 1));
            }
            foreach (var p in own[e])
            {
                var left = limit - offset(p);
                if (left < 0)
                {
                    continue;
                }
                var f = p.Snap!.Value.Fraction;
                // At an end there is nothing to cover that way (and 0 · ∞ against a one-way edge would be NaN).
                var along = f >= 1 ? 0 : Share(left, graph.Cost(e, true, metric) * (1 - f)) * (1 - f);
                var against = f <= 0 ? 0 : Share(left, graph.Cost(e, false, metric) * f) * f;
                intervals.Add((f - against, f + along));
            }
            if (intervals.Count == 0)
            {
                continue;
            }
            intervals.Sort();
            var (from, to) = intervals[0];
            foreach (var (a, b) in intervals.Skip(1))
            {
                if (a <= to)
                {
                    to = Math.Max(to, b);
                }
                else
                {
                    Add(e, from, to, group);
                    (from, to) = (a, b);
                }
            }
            Add(e, from, to, group);
        }
    }

    /// <summary>How much of an edge (0–1) the cost left covers; all of it when the edge costs nothing.</summary>
    private static double Share(double left, double cost) =>
        left < 0 || double.IsNaN(left) || double.IsPositiveInfinity(cost) ? 0 : cost <= 0 ? 1 : Math.Min(1, left / cost);
}

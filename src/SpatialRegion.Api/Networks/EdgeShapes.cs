using NetTopologySuite.Geometries;

namespace SpatialRegion.Api.Networks;

/// <summary>
/// The lines of a network's edges (EPSG:3006), packed into flat arrays: edge e's vertices are the indices
/// First[e] to First[e + 1] - 1, each with the length along its edge up to it, so that a fraction of an edge is
/// found as ST_LineSubstring finds it (a share of the 2D length).
/// </summary>
public sealed class EdgeShapes
{
    private readonly int[] _first;
    private readonly double[] _x;
    private readonly double[] _y;
    private readonly double[] _along;

    private EdgeShapes(int[] first, double[] x, double[] y, double[] along)
    {
        _first = first;
        _x = x;
        _y = y;
        _along = along;
    }

    public long MemoryBytes => 4L * _first.Length + 8L * 3 * _x.Length;

    /// <summary>The bounding box of an edge's line.</summary>
    public Envelope Extent(int edge)
    {
        var box = new Envelope();
        for (var k = _first[edge]; k < _first[edge + 1]; k++)
        {
            box.ExpandToInclude(_x[k], _y[k]);
        }
        return box;
    }

    /// <summary>
    /// Points along the part of <paramref name="edge"/> between the fractions <paramref name="from"/> and
    /// <paramref name="to"/> of its length: both ends of that part, every vertex between, and enough points
    /// between them that none are more than <paramref name="step"/> metres apart.
    /// </summary>
    public void Walk<TVisitor>(int edge, double from, double to, double step, ref TVisitor visitor) where TVisitor : struct, IPointVisitor
    {
        int first = _first[edge], last = _first[edge + 1] - 1;
        var total = _along[last];
        if (total <= 0)
        {
            visitor.Visit(_x[first], _y[first]);
            return;
        }
        double start = from * total, end = to * total;
        for (var k = first; k < last; k++)
        {
            double s0 = _along[k], s1 = _along[k + 1];
            var a = Math.Max(start, s0);
            var b = Math.Min(end, s1);
            if (b < a)
            {
                continue;
            }
            var segment = s1 - s0;
            var n = Math.Max(1, (int)Math.Ceiling((b - a) / step));
            for (var j = 0; j <= n; j++)
            {
                var t = segment <= 0 ? 0 : (a + (b - a) * j / n - s0) / segment;
                visitor.Visit(_x[k] + (_x[k + 1] - _x[k]) * t, _y[k] + (_y[k + 1] - _y[k]) * t);
            }
        }
    }

    /// <summary>Receives the points of <see cref="Walk"/> (a struct, so that the calls are inlined).</summary>
    public interface IPointVisitor
    {
        void Visit(double x, double y);
    }

    public sealed class Builder
    {
        private readonly List<int> _first = [0];
        private readonly List<double> _x = [];
        private readonly List<double> _y = [];
        private readonly List<double> _along = [];

        public void Add(LineString line)
        {
            var along = 0.0;
            for (var i = 0; i < line.NumPoints; i++)
            {
                var c = line.GetCoordinateN(i);
                if (i > 0)
                {
                    along += Math.Sqrt((c.X - _x[^1]) * (c.X - _x[^1]) + (c.Y - _y[^1]) * (c.Y - _y[^1]));
                }
                _x.Add(c.X);
                _y.Add(c.Y);
                _along.Add(along);
            }
            _first.Add(_x.Count);
        }

        public EdgeShapes Build() => new([.. _first], [.. _x], [.. _y], [.. _along]);
    }
}

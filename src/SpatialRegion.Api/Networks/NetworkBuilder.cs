using System.Text.Json.Nodes;
using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Noding;

namespace SpatialRegion.Api.Networks;

/// <summary>Which way a road may be driven: both ways, only in the direction it is drawn, or only against it.</summary>
public enum Direction
{
    Both = 0,
    Along = 1,
    Against = -1,
}

/// <summary>A road line as read from a source, in EPSG:3006.</summary>
public sealed record RoadLine(Coordinate[] Points, string RoadClass, Direction Direction);

/// <summary>
/// The lines of one source and how they connect: ends within <paramref name="JoinTolerance"/> metres of another road
/// are joined to it, and with <paramref name="NodeCrossings"/> lines that cross without a shared vertex are split there
/// (generalised data that was never noded); otherwise only shared coordinates connect.
/// </summary>
public sealed record RoadSource(string Name, IReadOnlyList<RoadLine> Lines, double JoinTolerance, bool NodeCrossings);

public sealed record RoadEdge(int Source, int Target, Coordinate[] Points, string RoadClass, Direction Direction, bool Joined)
{
    public double Length { get; } = LengthOf(Points);

    public static double LengthOf(Coordinate[] points)
    {
        var length = 0.0;
        for (var i = 1; i < points.Length; i++)
        {
            length += points[i - 1].Distance(points[i]);
        }
        return length;
    }
}

public sealed record BuiltNetwork(IReadOnlyList<RoadEdge> Edges, int Nodes, JsonObject Report);

/// <summary>
/// Builds a routable graph from road lines: nodes where lines end at the same coordinates, where a line's end lies
/// on a vertex of another, and where lines share a vertex (the data says they connect there; lines that merely
/// cross, as at a bridge, stay apart). Ends within a source's join tolerance of another road are joined to it with a
/// short connector edge. The report counts what was built and joined, and the connected components.
/// </summary>
public static class NetworkBuilder
{
    public static BuiltNetwork Build(IReadOnlyList<RoadSource> sources)
    {
        var lines = new List<(RoadLine Line, int Source)>();
        var crossingsSplit = 0;
        for (var s = 0; s < sources.Count; s++)
        {
            var source = sources[s];
            var clean = source.Lines.Select(l => l with { Points = WithoutRepeats(l.Points) }).Where(l => l.Points.Length >= 2).ToList();
            if (source.NodeCrossings)
            {
                var before = clean.Count;
                clean = NodeCrossings(clean);
                crossingsSplit += clean.Count - before;
            }
            lines.AddRange(clean.Select(l => (l, s)));
        }

        // A vertex is a node where a line ends there or where two lines (or one line twice) pass through it.
        var uses = new Dictionary<(double, double), int>();
        var ends = new HashSet<(double, double)>();
        foreach (var (line, _) in lines)
        {
            ends.Add(Key(line.Points[0]));
            ends.Add(Key(line.Points[^1]));
            foreach (var p in line.Points)
            {
                uses[Key(p)] = uses.GetValueOrDefault(Key(p)) + 1;
            }
        }
        var nodeIds = new Dictionary<(double, double), int>();
        int NodeOf(Coordinate c)
        {
            if (!nodeIds.TryGetValue(Key(c), out var id))
            {
                id = nodeIds.Count;
                nodeIds[Key(c)] = id;
            }
            return id;
        }

        var edges = new List<RoadEdge>();
        var edgeSource = new List<int>();
        foreach (var (line, s) in lines)
        {
            var start = 0;
            for (var i = 1; i < line.Points.Length; i++)
            {
                var k = Key(line.Points[i]);
                if (i == line.Points.Length - 1 || ends.Contains(k) || uses[k] > 1)
                {
                    var points = line.Points[start..(i + 1)];
                    edges.Add(new RoadEdge(NodeOf(points[0]), NodeOf(points[^1]), points, line.RoadClass, line.Direction, false));
                    edgeSource.Add(s);
                    start = i;
                }
            }
        }

        var nodeCount = nodeIds.Count;
        var (joins, joinedMetres) = Join(sources, edges, edgeSource, ref nodeCount);
        var report = Report(edges, nodeCount, sources, lines.Count, crossingsSplit, joins, joinedMetres);
        return new BuiltNetwork(edges, nodeCount, report);
    }

    private static (double, double) Key(Coordinate c) => (c.X, c.Y);

    private static Coordinate[] WithoutRepeats(Coordinate[] points)
    {
        var kept = new List<Coordinate>(points.Length);
        foreach (var p in points)
        {
            if (kept.Count == 0 || !kept[^1].Equals2D(p))
            {
                kept.Add(p);
            }
        }
        return [.. kept];
    }

    /// <summary>Splits lines where they cross or touch each other, adding the crossing point to both.</summary>
    private static List<RoadLine> NodeCrossings(List<RoadLine> lines)
    {
        var strings = lines.Select(l => (ISegmentString)new NodedSegmentString(l.Points, l)).ToList();
        var noder = new MCIndexNoder(new IntersectionAdder(new RobustLineIntersector()));
        noder.ComputeNodes(strings);
        return noder.GetNodedSubstrings()
            .Select(s => ((RoadLine)s.Context) with { Points = WithoutRepeats(s.Coordinates) })
            .Where(l => l.Points.Length >= 2)
            .ToList();
    }

    /// <summary>
    /// Joins each dead end of a source with a join tolerance to the nearest road of any source within it: to that
    /// road's end node when the nearest point is within a metre of it, else to a new node splitting the road there.
    /// </summary>
    private static (int Joins, double Metres) Join(IReadOnlyList<RoadSource> sources, List<RoadEdge> edges, List<int> edgeSource, ref int nodeCount)
    {
        if (sources.All(s => s.JoinTolerance <= 0))
        {
            return (0, 0);
        }
        var degree = new int[nodeCount];
        for (var e = 0; e < edges.Count; e++)
        {
            degree[edges[e].Source]++;
            degree[edges[e].Target]++;
        }
        var index = new STRtree<int>();
        for (var e = 0; e < edges.Count; e++)
        {
            index.Insert(new Envelope(edges[e].Points), e);
        }
        index.Build();

        var splits = new Dictionary<int, List<(int Segment, double T, Coordinate Point, int Node)>>();
        var connectors = new List<RoadEdge>();
        var metres = 0.0;
        var originalCount = edges.Count;
        for (var e = 0; e < originalCount; e++)
        {
            var tolerance = sources[edgeSource[e]].JoinTolerance;
            if (tolerance <= 0)
            {
                continue;
            }
            foreach (var (node, point) in (ReadOnlySpan<(int, Coordinate)>)[(edges[e].Source, edges[e].Points[0]), (edges[e].Target, edges[e].Points[^1])])
            {
                if (degree[node] != 1)
                {
                    continue;
                }
                var best = (Edge: -1, Distance: double.MaxValue, Segment: 0, T: 0.0, Point: (Coordinate?)null);
                var search = new Envelope(point);
                search.ExpandBy(tolerance);
                foreach (var candidate in index.Query(search))
                {
                    var c = edges[candidate];
                    if (candidate == e || c.Source == node || c.Target == node)
                    {
                        continue;
                    }
                    for (var i = 1; i < c.Points.Length; i++)
                    {
                        var segment = new LineSegment(c.Points[i - 1], c.Points[i]);
                        var t = Math.Clamp(segment.ProjectionFactor(point), 0, 1);
                        var closest = segment.PointAlong(t);
                        var d = closest.Distance(point);
                        if (d < best.Distance)
                        {
                            best = (candidate, d, i - 1, t, closest);
                        }
                    }
                }
                if (best.Edge < 0 || best.Distance > tolerance)
                {
                    continue;
                }
                var target = edges[best.Edge];
                int joinTo;
                if (best.Point!.Distance(target.Points[0]) <= 1)
                {
                    joinTo = target.Source;
                }
                else if (best.Point.Distance(target.Points[^1]) <= 1)
                {
                    joinTo = target.Target;
                }
                else
                {
                    joinTo = nodeCount++;
                    if (!splits.TryGetValue(best.Edge, out var list))
                    {
                        splits[best.Edge] = list = [];
                    }
                    list.Add((best.Segment, best.T, best.Point, joinTo));
                }
                // One connector per pair: two dead ends facing each other are joined once.
                degree[node]++;
                if (joinTo < degree.Length)
                {
                    degree[joinTo]++;
                }
                connectors.Add(new RoadEdge(node, joinTo, [point, best.Point], edges[e].RoadClass, Direction.Both, true));
                metres += best.Distance;
            }
        }

        foreach (var (e, points) in splits.OrderByDescending(s => s.Key))
        {
            var edge = edges[e];
            var pieces = new List<RoadEdge>();
            var current = new List<Coordinate> { edge.Points[0] };
            var from = edge.Source;
            var ordered = points.OrderBy(p => p.Segment).ThenBy(p => p.T).ToList();
            var k = 0;
            for (var i = 1; i < edge.Points.Length; i++)
            {
                while (k < ordered.Count && ordered[k].Segment == i - 1)
                {
                    current.Add(ordered[k].Point);
                    pieces.Add(edge with { Source = from, Target = ordered[k].Node, Points = WithoutRepeats([.. current]) });
                    current = [ordered[k].Point];
                    from = ordered[k].Node;
                    k++;
                }
                current.Add(edge.Points[i]);
            }
            pieces.Add(edge with { Source = from, Points = WithoutRepeats([.. current]) });
            edges.RemoveAt(e);
            edges.AddRange(pieces.Where(p => p.Points.Length >= 2 || p.Source != p.Target)
                .Select(p => p.Points.Length >= 2 ? p : p with { Points = [p.Points[0], p.Points[0]] }));
        }
        edges.AddRange(connectors);
        return (connectors.Count, metres);
    }

    private static JsonObject Report(List<RoadEdge> edges, int nodeCount, IReadOnlyList<RoadSource> sources, int lines, int crossingsSplit, int joins, double joinedMetres)
    {
        var parent = Enumerable.Range(0, nodeCount).ToArray();
        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            return x;
        }
        foreach (var e in edges)
        {
            parent[Find(e.Source)] = Find(e.Target);
        }
        var components = edges.GroupBy(e => Find(e.Source))
            .Select(g => (Edges: g.Count(), Km: g.Sum(e => e.Length) / 1000))
            .OrderByDescending(c => c.Km)
            .ToList();
        var km = edges.Sum(e => e.Length) / 1000;
        return new JsonObject
        {
            ["sources"] = new JsonArray(sources.Select(s => (JsonNode?)new JsonObject
            {
                ["name"] = s.Name,
                ["lines"] = s.Lines.Count,
                ["join_tolerance_m"] = s.JoinTolerance,
                ["node_crossings"] = s.NodeCrossings,
            }).ToArray()),
            ["lines"] = lines,
            ["edges"] = edges.Count,
            ["nodes"] = nodeCount,
            ["km"] = Math.Round(km, 1),
            ["one_way_edges"] = edges.Count(e => e.Direction != Direction.Both),
            ["pieces_from_crossings"] = crossingsSplit,
            ["joined"] = new JsonObject { ["connectors"] = joins, ["km"] = Math.Round(joinedMetres / 1000, 2) },
            ["components"] = new JsonObject
            {
                ["count"] = components.Count,
                ["largest_km"] = components.Count == 0 ? 0 : Math.Round(components[0].Km, 1),
                ["largest_share"] = components.Count == 0 || km == 0 ? 0 : Math.Round(components[0].Km / km, 4),
                ["largest"] = new JsonArray(components.Take(10).Select(c => (JsonNode?)new JsonObject
                {
                    ["edges"] = c.Edges,
                    ["km"] = Math.Round(c.Km, 1),
                }).ToArray()),
            },
        };
    }
}

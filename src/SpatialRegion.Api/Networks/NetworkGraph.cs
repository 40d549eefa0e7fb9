using NetTopologySuite.Geometries;
using Npgsql;

namespace SpatialRegion.Api.Networks;

/// <summary>Where a point meets the network: an edge, the fraction along it (0 at its source), and how far away.</summary>
public readonly record struct Snap(int Edge, double Fraction, double Distance);

/// <summary>What a search should minimise: travel time, or network distance.</summary>
public enum Metric
{
    Seconds,
    Metres,
}

/// <summary>
/// One version of a road network held in memory as a compact adjacency (CSR): for each node the edges that
/// touch it, with costs each way. Searches are Dijkstra over it, from one or many sources at once; PostGIS
/// keeps the geometry and does the snapping.
/// </summary>
public sealed class NetworkGraph
{
    private readonly int[] _firstEdge;
    private readonly int[] _incident;

    public NetworkGraph(string id, long version, string speedTable, int nodes, int[] source, int[] target, float[] forward, float[] backward, float[] length,
        EdgeShapes shapes)
    {
        Shapes = shapes;
        Id = id;
        Version = version;
        SpeedTable = speedTable;
        NodeCount = nodes;
        Source = source;
        Target = target;
        Forward = forward;
        Backward = backward;
        Length = length;
        _firstEdge = new int[nodes + 1];
        foreach (var n in source) { _firstEdge[n + 1]++; }
        foreach (var n in target) { _firstEdge[n + 1]++; }
        for (var i = 0; i < nodes; i++) { _firstEdge[i + 1] += _firstEdge[i]; }
        _incident = new int[_firstEdge[nodes]];
        var fill = (int[])_firstEdge.Clone();
        for (var e = 0; e < source.Length; e++)
        {
            _incident[fill[source[e]]++] = e;
            _incident[fill[target[e]]++] = e;
        }
    }

    public string Id { get; }
    public long Version { get; }
    public string SpeedTable { get; }
    public int NodeCount { get; }
    public int EdgeCount => Source.Length;
    public int[] Source { get; }
    public int[] Target { get; }
    /// <summary>Seconds source → target; +∞ where the road is one-way the other way.</summary>
    public float[] Forward { get; }
    /// <summary>Seconds target → source.</summary>
    public float[] Backward { get; }
    public float[] Length { get; }
    /// <summary>The edges' lines, for drawing what a search reached.</summary>
    public EdgeShapes Shapes { get; }

    /// <summary>Bytes the arrays take (the graph's share of the process's memory).</summary>
    public long MemoryBytes => 4L * (Source.Length * 5 + _firstEdge.Length + _incident.Length) + Shapes.MemoryBytes;

    public static async Task<NetworkGraph> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string id, long version, string speedTable, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT edge_id, source, target, cost_s, reverse_cost_s, length_m, geom FROM network_edges WHERE network_id = $1 ORDER BY edge_id", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        var source = new List<int>();
        var target = new List<int>();
        var forward = new List<float>();
        var backward = new List<float>();
        var length = new List<float>();
        var shapes = new EdgeShapes.Builder();
        var nodes = 0;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (reader.GetInt32(0) != source.Count)
                {
                    throw new InvalidOperationException($"Network '{id}' has edge ids with gaps; import it again.");
                }
                source.Add(reader.GetInt32(1));
                target.Add(reader.GetInt32(2));
                forward.Add(Cost(reader.GetDouble(3)));
                backward.Add(Cost(reader.GetDouble(4)));
                length.Add((float)reader.GetDouble(5));
                shapes.Add(reader.GetFieldValue<LineString>(6));
                nodes = Math.Max(nodes, Math.Max(source[^1], target[^1]) + 1);
            }
        }
        return new NetworkGraph(id, version, speedTable, nodes, [.. source], [.. target], [.. forward], [.. backward], [.. length], shapes.Build());
    }

    private static float Cost(double seconds) => seconds < 0 ? float.PositiveInfinity : (float)seconds;

    private float CostOf(int edge, bool along, Metric metric)
    {
        var time = along ? Forward[edge] : Backward[edge];
        return metric == Metric.Seconds || float.IsPositiveInfinity(time) ? time : Length[edge];
    }

    /// <summary>Cost of going along an edge from its source to its target (<paramref name="along"/>) or back.</summary>
    public double Cost(int edge, bool along, Metric metric) => CostOf(edge, along, metric);

    /// <summary>A start of a search: a node reached at a cost and distance, labelled with who started there.</summary>
    public readonly record struct Start(int Node, double Cost, double Metres, int Label);

    /// <summary>Costs, distances and labels of every node after a search; unreached nodes cost +∞ and have label -1.</summary>
    public sealed record Tree(double[] Cost, double[] Metres, int[] Label);

    /// <summary>
    /// Dijkstra from all <paramref name="starts"/> at once: each node gets the cheapest start's cost and label.
    /// Outward (<paramref name="toStarts"/> false) follows roads in their direction from the starts; toward the starts
    /// follows them in reverse, giving each node its cost to reach the nearest start. Stops beyond <paramref name="limit"/>.
    /// </summary>
    public Tree Search(IEnumerable<Start> starts, bool toStarts, Metric metric, double limit = double.PositiveInfinity)
    {
        var cost = new double[NodeCount];
        var metres = new double[NodeCount];
        var label = new int[NodeCount];
        Array.Fill(cost, double.PositiveInfinity);
        Array.Fill(label, -1);
        var queue = new PriorityQueue<int, double>();
        foreach (var s in starts)
        {
            if (s.Cost < cost[s.Node] && s.Cost <= limit)
            {
                cost[s.Node] = s.Cost;
                metres[s.Node] = s.Metres;
                label[s.Node] = s.Label;
                queue.Enqueue(s.Node, s.Cost);
            }
        }
        while (queue.TryDequeue(out var node, out var reached))
        {
            if (reached > cost[node])
            {
                continue;
            }
            for (var i = _firstEdge[node]; i < _firstEdge[node + 1]; i++)
            {
                var e = _incident[i];
                var fromSource = Source[e] == node;
                var next = fromSource ? Target[e] : Source[e];
                // Outward from the source end means going along the edge; toward the starts, the traveller comes the other way.
                var along = fromSource != toStarts;
                var c = reached + CostOf(e, along, metric);
                if (c < cost[next] && c <= limit)
                {
                    cost[next] = c;
                    metres[next] = metres[node] + Length[e];
                    label[next] = label[node];
                    queue.Enqueue(next, c);
                }
            }
        }
        return new Tree(cost, metres, label);
    }

    /// <summary>The starts of a search at a snapped point: its edge's two ends, at the share of the edge's cost
    /// between the point and each end, plus <paramref name="offset"/> (the access leg).</summary>
    public IEnumerable<Start> StartsAt(Snap snap, bool toStarts, Metric metric, double offset, double offsetMetres, int label)
    {
        var e = snap.Edge;
        var f = snap.Fraction;
        // Outward from the point: to the target along the edge, to the source against it. Toward the point: the reverse.
        // A point at an end is at that node: 0 · ∞ (a one-way edge's cost against it) would be NaN, not 0.
        var toTarget = f >= 1 ? 0 : (1 - f) * CostOf(e, !toStarts, metric);
        var toSource = f <= 0 ? 0 : f * CostOf(e, toStarts, metric);
        if (!double.IsPositiveInfinity(toTarget))
        {
            yield return new Start(Target[e], offset + toTarget, offsetMetres + (1 - f) * Length[e], label);
        }
        if (!double.IsPositiveInfinity(toSource))
        {
            yield return new Start(Source[e], offset + toSource, offsetMetres + f * Length[e], label);
        }
    }

    /// <summary>Cost from a point on an edge to another point on the same edge, along it (+∞ against a one-way road).</summary>
    public (double Cost, double Metres) AlongEdge(int edge, double from, double to, Metric metric) =>
        to >= from
            ? ((to - from) * CostOf(edge, true, metric), (to - from) * Length[edge])
            : ((from - to) * CostOf(edge, false, metric), (from - to) * Length[edge]);
}

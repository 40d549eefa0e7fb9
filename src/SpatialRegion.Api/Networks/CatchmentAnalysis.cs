using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Networks;

/// <summary>
/// Catchments (isochrones) of facilities on a road network: for each cut-off, the roads reached within it, each
/// buffered by a stated width, an edge reached only partly cut where the time runs out; per facility or dissolved.
/// Or, in straight-line mode, circles. With population, the people of the 1 km grid inside each band, shared by area.
/// Bands are cumulative: the 20-minute band holds the 10-minute one.
/// </summary>
public static class CatchmentAnalysis
{
    public const int MaxFacilities = 500;
    public const int MaxBands = 6;
    private const string NarrowHint = "Narrow it: fewer facilities (filter or bbox), fewer or shorter cut-offs, or dissolve the bands.";

    private static readonly double[] DefaultMinutes = [10, 20, 30];

    public static async Task<AnalysisPlan> ReadAsync(
        JsonElement body, LayerCatalog catalog, AnalysisOptions options, NetworkGraphs graphs, CancellationToken ct)
    {
        var request = RequestJson.Of(body, "");
        var budget = new InlineBudget(options.MaxInlineVertices);
        var facilities = await NetworkInputs.ReadFacilitiesAsync(request, catalog, budget, ct);
        var mode = request.String("mode") ?? "network";
        if (mode is not ("network" or "straight_line"))
        {
            throw new InvalidQueryException("mode", $"Unknown mode '{mode}'. Use network (along the roads) or straight_line (circles, metres only).");
        }
        if (request.Has("minutes") && request.Has("metres"))
        {
            throw new InvalidQueryException("minutes", "Give the cut-offs in minutes or in metres, not both.");
        }
        var metric = request.Has("metres") || mode == "straight_line" ? Metric.Metres : Metric.Seconds;
        if (mode == "straight_line" && request.Has("minutes"))
        {
            throw new InvalidQueryException("minutes", "Straight-line catchments are in metres: send \"metres\": [..].");
        }
        var cutoffs = metric == Metric.Seconds
            ? NetworkInputs.ReadCutoffs(request, "minutes", DefaultMinutes, 180, MaxBands)
            : NetworkInputs.ReadCutoffs(request, "metres", [5000, 10000, 20000], 300_000, MaxBands);
        var dissolve = request.Boolean("dissolve") ?? false;
        var population = request.Boolean("population") ?? false;
        var networkId = request.String("network") ?? NetworkInputs.DefaultNetwork;
        var width = NetworkInputs.ReadPositive(request, "buffer_m", 500, 5000);
        var accessKmh = NetworkInputs.ReadPositive(request, "access_speed_kmh", 30, 200);
        var maxSnap = NetworkInputs.ReadPositive(request, "max_snap_m", 1000, 100_000);
        var nameProperty = NetworkInputs.NameProperty(facilities, request, "facility_name");
        var csv = NetworkInputs.ReadCsv(request);
        var outputSrid = AnalysisRequests.ReadOutputSrid(request);
        var saveAs = AnalysisRequests.ReadSaveAs(request);
        request.RejectUnknown();

        var unit = metric == Metric.Seconds ? "min" : "m";
        var parameters = new JsonObject
        {
            ["network"] = networkId,
            ["mode"] = mode,
            [metric == Metric.Seconds ? "minutes" : "metres"] = new JsonArray(cutoffs.Select(c => (JsonNode?)c).ToArray()),
            ["dissolve"] = dissolve,
            ["population"] = population,
            ["buffer_m"] = width,
            ["access_speed_kmh"] = accessKmh,
            ["max_snap_m"] = maxSnap,
            ["facility_name"] = nameProperty,
            ["output_crs"] = $"EPSG:{outputSrid}",
        };
        var inputs = new Dictionary<string, AnalysisInput> { ["facilities"] = facilities };
        List<LayerProperty> result =
        [
            new("facility", LayerProperty.String), new("facility_name", LayerProperty.String), new("cutoff", LayerProperty.Number),
            new("unit", LayerProperty.String), new("snap_m", LayerProperty.Number), new("reached_km", LayerProperty.Number),
        ];
        if (population)
        {
            result.Add(new LayerProperty("population", LayerProperty.Number));
        }

        Task Stage(AnalysisSession session, CancellationToken token) =>
            session.StageAsync("analysis_facilities", facilities, nameProperty is null ? [] : [nameProperty], "", token);

        async Task Compute(AnalysisSession session, CancellationToken token)
        {
            var (network, graph) = await NetworkInputs.OpenAsync(session, graphs, networkId, token);
            parameters["network_version"] = network.Version;
            parameters["speed_table"] = network.SpeedTable;
            var points = await NetworkInputs.SnapAsync(session, "analysis_facilities", network, nameProperty, null, false, token);
            if (points.Count == 0)
            {
                throw new InvalidQueryException("facilities", "No facility is left after filtering: the catchment needs at least one.");
            }
            if (!dissolve && points.Count > MaxFacilities)
            {
                throw new AnalysisException(StatusCodes.Status413PayloadTooLarge, "Too many facilities",
                    $"{points.Count} facilities; per-facility catchments are limited to {MaxFacilities}. Dissolve the bands, or filter the facilities.", "facilities");
            }
            NetworkInputs.WarnFarFacilities(session, points, maxSnap);
            session.Summary["facilities"] = new JsonArray(points.Select(p => (JsonNode?)new JsonObject
            {
                ["facility"] = p.Fid,
                ["name"] = p.Name,
                ["snap_m"] = p.Snap is { } s ? Math.Round(s.Distance, 1) : null,
            }).ToArray());

            var groups = new List<JsonObject>();
            var pieces = new Pieces();
            var scale = metric == Metric.Seconds ? 60.0 : 1.0;
            var legSpeed = accessKmh / 3.6;
            var sets = dissolve ? [points] : points.Select(p => (List<SnappedPoint>)[p]).ToList();
            foreach (var set in sets)
            {
                var snapped = set.Where(p => p.Snap is not null).ToList();
                var group0 = groups.Count;
                for (var b = 0; b < cutoffs.Length; b++)
                {
                    groups.Add(new JsonObject
                    {
                        ["facility"] = dissolve ? null : set[0].Fid,
                        ["facility_name"] = dissolve ? null : set[0].Name,
                        ["cutoff"] = cutoffs[b],
                        ["unit"] = unit,
                        ["snap_m"] = dissolve || set[0].Snap is null ? null : Math.Round(set[0].Snap!.Value.Distance, 1),
                    });
                }
                if (mode == "straight_line")
                {
                    continue;
                }
                double Offset(SnappedPoint p) => metric == Metric.Seconds ? p.Snap!.Value.Distance / legSpeed : p.Snap!.Value.Distance;
                var limit = cutoffs[^1] * scale;
                var tree = graph.Search(snapped.SelectMany(p => graph.StartsAt(p.Snap!.Value, false, metric, Offset(p), 0, p.Index)), false, metric, limit);
                for (var b = 0; b < cutoffs.Length; b++)
                {
                    Reach(graph, tree, snapped, Offset, metric, cutoffs[b] * scale, group0 + b, pieces);
                }
            }

            await session.ExecuteAsync("""
                CREATE TEMP TABLE catchment_groups ON COMMIT DROP AS
                SELECT ordinal, properties FROM unnest($1::jsonb[]) WITH ORDINALITY AS g(properties, ordinal)
                """, token, new NpgsqlParameter { Value = groups.Select(g => g.ToJsonString()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            var width3 = width.ToString(CultureInfo.InvariantCulture);
            if (mode == "straight_line")
            {
                // Circles around the facilities (their union when dissolved), numbered as the groups are.
                await session.ExecuteAsync($"""
                    INSERT INTO analysis_result (ordinal, fid, properties, geom)
                    SELECT g.ordinal, g.ordinal::text, g.properties || jsonb_build_object('reached_km', NULL),
                           (SELECT ST_Multi(ST_Union(ST_Buffer(f.geom, (g.properties ->> 'cutoff')::float8, 16))) FROM analysis_facilities f
                            WHERE g.properties ->> 'facility' IS NULL OR f.fid = g.properties ->> 'facility')
                    FROM catchment_groups g
                    """, token);
            }
            else
            {
                await session.ExecuteAsync("""
                    CREATE TEMP TABLE catchment_pieces ON COMMIT DROP AS
                    SELECT p.grp, CASE WHEN p.f <= 0 AND p.t >= 1 THEN e.geom ELSE ST_LineSubstring(e.geom, p.f, p.t) END AS geom
                    FROM unnest($2::int[], $3::float8[], $4::float8[], $5::int[]) AS p(edge_id, f, t, grp)
                    JOIN network_edges e ON e.network_id = $1 AND e.edge_id = p.edge_id
                    """, token, network.Id, pieces.Edge.ToArray(), pieces.From.ToArray(), pieces.To.ToArray(), pieces.Group.ToArray());
                // Buffered in 20 km cells, then the cells united: one buffer of everything spends its time uniting thousands of
                // overlapping outlines (five times slower on the county's pharmacies). In each cell two buffers: a thin one merges
                // the roads into few polygons cheaply, the second widens those (four times quicker than one wide buffer).
                // Simplifying by a fifth of the width first moves the outline by less than that.
                await session.ExecuteAsync($"""
                    INSERT INTO analysis_result (ordinal, fid, properties, geom)
                    SELECT g.ordinal, g.ordinal::text, g.properties || jsonb_build_object('reached_km', round((p.length / 1000)::numeric, 2)), p.geom
                    FROM catchment_groups g
                    JOIN (SELECT grp, sum(length) AS length, ST_Multi(ST_Union(geom)) AS geom FROM (
                            SELECT grp, sum(ST_Length(geom)) AS length,
                                   ST_Buffer(ST_Buffer(ST_Collect(ST_Simplify(geom, {width3} / 5)), {width3} / 20, 'quad_segs=1'), {width3} * 19 / 20, 'quad_segs=2') AS geom
                            FROM catchment_pieces
                            GROUP BY grp, floor(ST_X(ST_StartPoint(geom)) / 20000), floor(ST_Y(ST_StartPoint(geom)) / 20000)) AS cells
                          GROUP BY grp) p ON p.grp = g.ordinal
                    """, token);
                var unreached = groups.Count - (int)await session.ScalarAsync<long>("SELECT count(*) FROM analysis_result", token);
                if (unreached > 0)
                {
                    session.Warnings.Add($"{unreached} band(s) reach no road at all (a facility on a road of its own that leads nowhere within the cut-off); they are left out.");
                }
            }
            if (population)
            {
                await AddPopulationAsync(session, token);
            }
        }

        return new AnalysisPlan("catchment", inputs, Stage, Compute, result, parameters, outputSrid, saveAs, NarrowHint, csv);
    }

    /// <summary>People of the SCB 1 km grid in each result polygon, each square shared by the part of its area inside.</summary>
    public static Task AddPopulationAsync(AnalysisSession session, CancellationToken ct) => session.ExecuteAsync("""
        WITH parts AS (SELECT ordinal, ST_Subdivide(geom, 256) AS geom FROM analysis_result),
        shares AS (
          SELECT p.ordinal, sum((s.properties ->> 'beftotalt')::float8 * ST_Area(ST_Intersection(s.geom, p.geom)) / ST_Area(s.geom)) AS people
          FROM parts p JOIN layer_features s ON s.layer_id = 'population-grid-1km' AND s.geom && p.geom AND ST_Intersects(s.geom, p.geom)
          GROUP BY p.ordinal
        )
        UPDATE analysis_result r
        SET properties = r.properties || jsonb_build_object('population', round(coalesce((SELECT people FROM shares WHERE shares.ordinal = r.ordinal), 0)::numeric))
        """, ct);

    /// <summary>Pieces of edges reached: edge, from and to fractions, and the band (group) they belong to.</summary>
    private sealed class Pieces
    {
        public List<int> Edge { get; } = [];
        public List<double> From { get; } = [];
        public List<double> To { get; } = [];
        public List<int> Group { get; } = [];

        public void Add(int edge, double from, double to, int group)
        {
            if (to > from)
            {
                Edge.Add(edge);
                From.Add(Math.Clamp(from, 0, 1));
                To.Add(Math.Clamp(to, 0, 1));
                Group.Add(group + 1);
            }
        }
    }

    /// <summary>
    /// The parts of each edge reached within <paramref name="limit"/>: from each end that was reached, as far along as
    /// the remaining cost allows in the direction the road may be driven; from a facility's own point, both ways.
    /// </summary>
    private static void Reach(NetworkGraph graph, NetworkGraph.Tree tree, List<SnappedPoint> starts, Func<SnappedPoint, double> offset,
        Metric metric, double limit, int group, Pieces pieces)
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
                    pieces.Add(e, from, to, group);
                    (from, to) = (a, b);
                }
            }
            pieces.Add(e, from, to, group);
        }
    }

    /// <summary>How much of an edge (0–1) the cost left covers; all of it when the edge costs nothing.</summary>
    private static double Share(double left, double cost) =>
        left < 0 || double.IsNaN(left) || double.IsPositiveInfinity(cost) ? 0 : cost <= 0 ? 1 : Math.Min(1, left / cost);
}

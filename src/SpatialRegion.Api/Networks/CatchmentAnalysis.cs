using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Networks;

/// <summary>
/// Catchments (isochrones) of facilities on a road network: for each cut-off, the roads reached within it, each
/// buffered by a stated width, an edge reached only partly cut where the time runs out; per facility or dissolved.
/// The buffers are drawn on a raster of a fifth of the width (<see cref="CatchmentRaster"/>) and their outline traced
/// from it. Or, in straight-line mode, circles. With population, the people of the 1 km grid inside each band, shared
/// by area. Bands are cumulative: the 20-minute band holds the 10-minute one.
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
        var width = NetworkInputs.ReadPositive(request, "buffer_m", ReachedPieces.DefaultBufferMetres, 5000);
        var accessKmh = NetworkInputs.ReadPositive(request, "access_speed_kmh", NetworkInputs.DefaultAccessKmh, 200);
        var maxSnap = NetworkInputs.ReadPositive(request, "max_snap_m", NetworkInputs.DefaultMaxSnapMetres, 100_000);
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
            var outlines = new List<BandOutline>();
            var rasters = new List<(CatchmentRaster Raster, int Group0)>();
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
                var pieces = ReachedPieces.Within(graph, snapped, Offset, metric, [.. cutoffs.Select(c => c * scale)]);
                if (pieces.Edge.Count > 0)
                {
                    var raster = Draw(graph, pieces, width, cutoffs.Length, group0, outlines);
                    rasters.Add((raster, group0));
                    if (raster.Coarsened && rasters.Count(r => r.Raster.Coarsened) == 1)
                    {
                        session.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                            $"A catchment spans too much land for cells of a fifth of buffer_m; it is drawn on {raster.Cell} m cells, within {raster.Cell * Math.Sqrt(0.5):F0} m of the exact buffer{(raster.Cell * Math.Sqrt(0.5) > width ? $", and its roads are {raster.Cell * Math.Sqrt(0.5):F0} m wide rather than {width} m" : "")}."));
                    }
                }
            }

            await session.ExecuteAsync("""
                CREATE TEMP TABLE catchment_groups ON COMMIT DROP AS
                SELECT ordinal, properties FROM unnest($1::jsonb[]) WITH ORDINALITY AS g(properties, ordinal)
                """, token, new NpgsqlParameter { Value = groups.Select(g => g.ToJsonString()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
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
                if (population)
                {
                    await AddPopulationAsync(session, token);
                }
                return;
            }
            var people = population ? await PeopleInBandsAsync(session, rasters, cutoffs.Length, token) : null;
            await session.ExecuteAsync("""
                INSERT INTO analysis_result (ordinal, fid, properties, geom)
                SELECT g.ordinal, g.ordinal::text, g.properties || r.extra, r.geom
                FROM unnest($1::bigint[], $2::jsonb[], $3::geometry[]) AS r(ordinal, extra, geom)
                JOIN catchment_groups g ON g.ordinal = r.ordinal
                """, token,
                outlines.Select(o => (long)o.Group + 1).ToArray(),
                new NpgsqlParameter
                {
                    Value = outlines.Select(o => new JsonObject
                    {
                        ["reached_km"] = Math.Round(o.ReachedMetres / 1000, 2),
                        ["population"] = people is null ? null : Math.Round(people.GetValueOrDefault(o.Group)),
                    }.ToJsonString()).ToArray(),
                    NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
                },
                outlines.Select(o => (Geometry)o.Outline).ToArray());
            if (population && people is null)
            {
                await AddPopulationAsync(session, token);
            }
            var unreached = groups.Count - outlines.Count;
            if (unreached > 0)
            {
                session.Warnings.Add($"{unreached} band(s) reach no road at all (a facility on a road of its own that leads nowhere within the cut-off); they are left out.");
            }
        }

        return new AnalysisPlan("catchment", inputs, Stage, Compute, result, parameters, outputSrid, saveAs, NarrowHint, csv);
    }

    /// <summary>People of the SCB 1 km grid in each result polygon, each square shared by the part of its area inside.</summary>
    private static Task AddPopulationAsync(AnalysisSession session, CancellationToken ct) => session.ExecuteAsync("""
        WITH parts AS (SELECT ordinal, ST_Subdivide(geom, 256) AS geom FROM analysis_result),
        shares AS (
          SELECT p.ordinal, sum((s.properties ->> 'beftotalt')::float8 * ST_Area(ST_Intersection(s.geom, p.geom)) / ST_Area(s.geom)) AS people
          FROM parts p JOIN layer_features s ON s.layer_id = 'population-grid-1km' AND s.geom && p.geom AND ST_Intersects(s.geom, p.geom)
          GROUP BY p.ordinal
        )
        UPDATE analysis_result r
        SET properties = r.properties || jsonb_build_object('population', round(coalesce((SELECT people FROM shares WHERE shares.ordinal = r.ordinal), 0)::numeric))
        """, ct);

    private sealed record BandOutline(int Group, MultiPolygon Outline, double ReachedMetres);

    private static readonly GeometryFactory Sweref = new(new PrecisionModel(), 3006);

    /// <summary>Draws the bands of one set of facilities on a raster and traces their outlines, adding one per band
    /// that reached a road (its group is <paramref name="group0"/> plus the band).</summary>
    private static CatchmentRaster Draw(NetworkGraph graph, ReachedPieces pieces, double width, int bands, int group0, List<BandOutline> outlines)
    {
        var extent = new Envelope();
        var reached = new double[bands];
        for (var i = 0; i < pieces.Edge.Count; i++)
        {
            extent.ExpandToInclude(graph.Shapes.Extent(pieces.Edge[i]));
            reached[pieces.Group[i]] += (pieces.To[i] - pieces.From[i]) * graph.Length[pieces.Edge[i]];
        }
        var raster = new CatchmentRaster(extent, width);
        // Cells coarser than the width (a very wide catchment of a narrow buffer) are each reached by the road through them.
        var radius = Math.Max(width, raster.Cell * Math.Sqrt(0.5));
        for (var i = 0; i < pieces.Edge.Count; i++)
        {
            var cover = new DiscCover(raster, radius, (byte)pieces.Group[i]);
            graph.Shapes.Walk(pieces.Edge[i], pieces.From[i], pieces.To[i], raster.Cell / 2, ref cover);
        }
        for (var b = 0; b < bands; b++)
        {
            if (reached[b] > 0 || pieces.Group.Contains(b))
            {
                outlines.Add(new BandOutline(group0 + b, raster.Outline((byte)b, Sweref), reached[b]));
            }
        }
        return raster;
    }

    private readonly struct DiscCover(CatchmentRaster raster, double radius, byte band) : EdgeShapes.IPointVisitor
    {
        public void Visit(double x, double y) => raster.Cover(x, y, radius, band);
    }

    /// <summary>
    /// The people of the 1 km grid in each band (keyed by group), each square's people shared by the share of its
    /// cells in the band. Null when the grid's squares are not the 1 km squares of EPSG:3006 that the raster's cells
    /// nest in: the polygons then share them by area in PostGIS.
    /// </summary>
    private static async Task<Dictionary<int, double>?> PeopleInBandsAsync(
        AnalysisSession session, List<(CatchmentRaster Raster, int Group0)> rasters, int bands, CancellationToken ct)
    {
        var people = new Dictionary<int, double>();
        var counts = rasters.Select(r => (r.Raster, r.Group0, Cells: r.Raster.CellsPerSquare(bands))).ToList();
        var squares = counts.SelectMany(c => c.Cells.Keys).Distinct().ToArray();
        if (squares.Length == 0)
        {
            return people;
        }
        var inSquares = new Dictionary<(long, long), double>();
        var aligned = true;
        await using (var cmd = session.Command("""
                SELECT floor(ST_XMin(s.geom) / 1000)::bigint, floor(ST_YMin(s.geom) / 1000)::bigint,
                       ST_XMin(s.geom) = floor(ST_XMin(s.geom) / 1000) * 1000 AND ST_YMin(s.geom) = floor(ST_YMin(s.geom) / 1000) * 1000
                         AND ST_XMax(s.geom) - ST_XMin(s.geom) = 1000 AND ST_YMax(s.geom) - ST_YMin(s.geom) = 1000 AND abs(ST_Area(s.geom) - 1e6) < 1,
                       coalesce((s.properties ->> 'beftotalt')::float8, 0)
                FROM layer_features s
                WHERE s.layer_id = 'population-grid-1km'
                  AND s.geom && ST_MakeEnvelope($1 * 1000, $2 * 1000, ($3 + 1) * 1000, ($4 + 1) * 1000, 3006)
                """, [.. new[] { squares.Min(s => s.Item1), squares.Min(s => s.Item2), squares.Max(s => s.Item1), squares.Max(s => s.Item2) }
                   .Select(v => new NpgsqlParameter { Value = v })]))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                aligned &= reader.GetBoolean(2);
                inSquares[(reader.GetInt64(0), reader.GetInt64(1))] = reader.GetDouble(3);
            }
        }
        if (!aligned)
        {
            return null;
        }
        foreach (var (raster, group0, cells) in counts)
        {
            foreach (var (square, inBands) in cells)
            {
                if (inSquares.TryGetValue(square, out var living))
                {
                    for (var b = 0; b < bands; b++)
                    {
                        people[group0 + b] = people.GetValueOrDefault(group0 + b) + living * inBands[b] * raster.CellShareOfSquare;
                    }
                }
            }
        }
        return people;
    }
}

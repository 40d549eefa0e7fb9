using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Networks;

namespace SpatialRegion.Api.Measures;

/// <summary>
/// "Which measures lie within N minutes of a place?": the measures list's <c>within_minutes</c> filter. A measure
/// qualifies when its display geometry comes within the catchment's buffer width of a road piece reached within N
/// minutes from the place, that is when it touches the N-minute catchment of <c>/api/analysis/catchment</c>: the
/// same snapping, access leg and reached pieces (<see cref="ReachedPieces"/>), tested by PostGIS on the exact
/// pieces instead of the catchment's raster outline.
/// </summary>
public sealed record MeasureTravelTime(double Lon, double Lat, double Minutes, string NetworkId)
{
    public const double MaxMinutes = 180;

    /// <summary>The temporary table of reached road pieces the list's condition reads.</summary>
    private const string ReachTable = "measure_reach";

    /// <summary>Response headers naming the network version and speed table behind the answer, in every format
    /// (the CSV has no other place for them).</summary>
    public const string NetworkHeader = "Road-Network";
    public const string SpeedTableHeader = "Speed-Table";

    /// <summary>The filter of a list request, or null without within_minutes; refuses what cannot be answered.</summary>
    public static MeasureTravelTime? Read(IQueryCollection q, (double Lon, double Lat)? near)
    {
        if (q["within_minutes"].FirstOrDefault() is not { } text)
        {
            return q["network"].Count > 0 ? throw new InvalidQueryException("network", "network chooses the roads of within_minutes; give within_minutes too.") : null;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) || !(minutes > 0 && minutes <= MaxMinutes))
        {
            throw new InvalidQueryException("within_minutes", $"within_minutes must be a number of minutes above 0 and at most {MaxMinutes}; got '{text}'.");
        }
        if (q["within_metres"].Count > 0)
        {
            throw new InvalidQueryException("within_minutes", "Give within_minutes (by road) or within_metres (straight line), not both.");
        }
        if (near is not var (lon, lat))
        {
            throw new InvalidQueryException("within_minutes", "within_minutes needs near=lon,lat, the place the minutes are counted from.");
        }
        var network = q["network"].FirstOrDefault() ?? NetworkInputs.DefaultNetwork;
        return new MeasureTravelTime(lon, lat, minutes, network);
    }

    /// <summary>
    /// The list's condition: the measure lies within the buffer width of a reached piece. ST_DWithin straight against
    /// a measure's polygon (a union of municipalities, a thousand vertices) costs a full distance for every piece in
    /// its bounding box; so the pieces are first found by a prepared intersection with the measure buffered a little
    /// wider than the width (a coarse buffer, quick to draw: its chords, two per quarter circle, lie inside its arcs by
    /// up to 1 - cos(π/8) of it), and ST_DWithin decides on those alone.
    /// </summary>
    public static string Condition(Func<object, NpgsqlDbType, string> add)
    {
        var width = add(ReachedPieces.DefaultBufferMetres, NpgsqlDbType.Double);
        return $"""
            EXISTS (SELECT 1 FROM (SELECT ST_Buffer(m.display_geom, {width} / cos(pi() / 8) + 1, 'quad_segs=2') AS zone OFFSET 0) z
                    CROSS JOIN LATERAL (SELECT r.geom FROM {ReachTable} r WHERE ST_Intersects(z.zone, r.geom) OFFSET 0) r
                    WHERE ST_DWithin(r.geom, m.display_geom, {width}))
            """;
    }

    /// <summary>
    /// Snaps the place to the network, searches it, and stages the pieces reached within the minutes in the session's
    /// transaction (the network's version read there, so graph and edges agree). A place farther from a road than
    /// catchments' snap limit is refused: its answer would be the access leg's, not the roads'.
    /// </summary>
    public async Task<JsonObject> StageReachAsync(AnalysisSession session, NetworkGraphs graphs, CancellationToken ct)
    {
        var (network, graph) = await NetworkInputs.OpenAsync(session, graphs, NetworkId, ct);
        await session.StageEmptyAsync("measure_near", ct);
        await session.ExecuteAsync("""
            INSERT INTO measure_near (fid, properties, geom) VALUES ('near', '{}', ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 3006))
            """, ct, Lon, Lat);
        var point = (await NetworkInputs.SnapAsync(session, "measure_near", network, null, null, false, ct)).Single();
        if (point.Snap is not { } snap || snap.Distance > NetworkInputs.DefaultMaxSnapMetres)
        {
            var how = point.Snap is { } far ? string.Create(CultureInfo.InvariantCulture, $"{far.Distance:0} m") : "nowhere near";
            throw new InvalidQueryException("near", string.Create(CultureInfo.InvariantCulture,
                $"near={Lon},{Lat} lies {how} from the roads of network '{network.Id}'; within_minutes counts from a place at most {NetworkInputs.DefaultMaxSnapMetres} m from a road. Use within_metres, or a place nearer a road."));
        }
        var accessLeg = snap.Distance / (NetworkInputs.DefaultAccessKmh / 3.6);
        var pieces = ReachedPieces.Within(graph, [point], _ => accessLeg, Metric.Seconds, [Minutes * 60]);
        await session.ExecuteAsync($"""
            CREATE TEMP TABLE {ReachTable} ON COMMIT DROP AS
            SELECT ST_LineSubstring(e.geom, r.from_fraction, r.to_fraction) AS geom
            FROM unnest($1::integer[], $2::float8[], $3::float8[]) AS r(edge_id, from_fraction, to_fraction)
            JOIN network_edges e ON e.network_id = $4 AND e.edge_id = r.edge_id
            """, ct, pieces.Edge.ToArray(), pieces.From.ToArray(), pieces.To.ToArray(), network.Id);
        await session.ExecuteAsync($"CREATE INDEX ON {ReachTable} USING gist (geom)", ct);
        return new JsonObject
        {
            ["near"] = new JsonArray(Lon, Lat),
            ["minutes"] = Minutes,
            ["network"] = network.Id,
            ["network_version"] = network.Version,
            ["speed_table"] = network.SpeedTable,
            ["buffer_m"] = ReachedPieces.DefaultBufferMetres,
            ["access_speed_kmh"] = NetworkInputs.DefaultAccessKmh,
            ["snap_m"] = Math.Round(snap.Distance, 1),
        };
    }
}

using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Networks;

/// <summary>A staged point (a facility or an origin) where it meets the network; Snap is null when no road is near enough to search.</summary>
public sealed record SnappedPoint(int Index, string Fid, string Name, Snap? Snap, bool Detailed, string? Area, double Weight);

/// <summary>What the catchment and accessibility analyses read alike: the network, cut-offs, speeds of the access leg,
/// and points of a staged input snapped to the network by a nearest-neighbour search on its edges.</summary>
public static class NetworkInputs
{
    public const string DefaultNetwork = "roads";

    /// <summary>Speed of the straight access leg between a point and the road it snaps to, unless asked otherwise.</summary>
    public const double DefaultAccessKmh = 30;

    /// <summary>How far from a road a point may lie before it is named as far from the network.</summary>
    public const double DefaultMaxSnapMetres = 1000;

    public static double ReadPositive(RequestJson request, string name, double fallback, double max)
    {
        var value = request.Number(name) ?? fallback;
        return value > 0 && value <= max
            ? value
            : throw new InvalidQueryException(request.Member(name), $"{request.Member(name)} must be a number above 0 and at most {max}.");
    }

    /// <summary><c>"facilities"</c>: points of a layer (filter, bbox) or inline GeoJSON.</summary>
    public static async Task<AnalysisInput> ReadFacilitiesAsync(RequestJson request, LayerCatalog catalog, InlineBudget budget, CancellationToken ct)
    {
        var facilities = (await AnalysisInputs.ReadAsync(request.RequiredObject("facilities"), catalog, budget, null, ct)).Input;
        return facilities.Family == GeometryFamily.Point ? facilities : throw new InvalidQueryException("facilities", "Facilities are points.");
    }

    /// <summary><c>"format": "geojson"</c> (default, features) or <c>"csv"</c> (the same attributes as a table).</summary>
    public static bool ReadCsv(RequestJson request)
    {
        var format = request.String("format") ?? "geojson";
        if (format is not ("geojson" or "csv"))
        {
            throw new InvalidQueryException("format", $"Unknown format '{format}'. Use geojson or csv.");
        }
        if (format == "csv" && request.Has("save_as"))
        {
            throw new InvalidQueryException("format", "A saved result is a layer; leave out \"format\": \"csv\" with save_as.");
        }
        return format == "csv";
    }

    /// <summary>Cut-offs: increasing, positive, at most <paramref name="max"/>, at most <paramref name="maxCount"/> of them (422 beyond).</summary>
    public static double[] ReadCutoffs(RequestJson request, string name, double[] fallback, double max, int maxCount)
    {
        if (request.Element(name) is not { } element)
        {
            return fallback;
        }
        var path = request.Member(name);
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            throw new InvalidQueryException(path, $"{path} must be a non-empty array of increasing numbers.");
        }
        var values = element.EnumerateArray().Select(v => RequestJson.NumberValue(v, path)).ToArray();
        if (values.Length > maxCount)
        {
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Too many bands",
                $"{path} has {values.Length} cut-offs; at most {maxCount} are allowed.", path);
        }
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] <= 0 || values[i] > max)
            {
                throw new InvalidQueryException(path, $"{path}[{i}] is {values[i]}; cut-offs must be above 0 and at most {max}.");
            }
            if (i > 0 && values[i] <= values[i - 1])
            {
                throw new InvalidQueryException(path, $"{path} must be increasing: {values[i - 1]} is followed by {values[i]}.");
            }
        }
        return values;
    }

    /// <summary>The network an analysis runs on, as its transaction sees it, and its graph.</summary>
    public static async Task<(NetworkInfo Info, NetworkGraph Graph)> OpenAsync(AnalysisSession session, NetworkGraphs graphs, string id, CancellationToken ct)
    {
        var info = await NetworkGraphs.FindAsync(session.Connection, session.Transaction, id, ct)
            ?? throw new AnalysisException(StatusCodes.Status404NotFound, "Not found",
                $"There is no road network '{id}'. GET /api/networks lists them.", "network");
        return (info, await graphs.GetAsync(session.Connection, session.Transaction, info, ct));
    }

    /// <summary>The name attribute of an input: the one asked for, else the first named like a name.</summary>
    public static string? NameProperty(AnalysisInput input, RequestJson request, string member)
    {
        if (request.String(member) is { } asked)
        {
            return input.FindProperty(asked)?.Name ?? throw AnalysisInputs.UnknownProperty(input, request.Member(member), asked);
        }
        return input.Properties.FirstOrDefault(p => p.Type == LayerProperty.String
            && (p.Name.Equals("name", StringComparison.OrdinalIgnoreCase) || p.Name.Equals("namn", StringComparison.OrdinalIgnoreCase)
                || p.Name.Contains("NAMN", StringComparison.OrdinalIgnoreCase)))?.Name;
    }

    /// <summary>
    /// Snaps every feature of a staged table (its centroid) to the nearest edge of the network, with its name, weight,
    /// whether it lies where the network is detailed, and the area (of <c>analysis_areas</c>, if staged) that holds it or is nearest.
    /// </summary>
    public static async Task<List<SnappedPoint>> SnapAsync(
        AnalysisSession session, string table, NetworkInfo network, string? nameProperty, string? weightProperty, bool withAreas, CancellationToken ct)
    {
        var area = withAreas
            ? """
              (SELECT a.fid FROM analysis_areas a WHERE ST_Intersects(a.geom, p.pt)
               UNION ALL (SELECT a.fid FROM analysis_areas a ORDER BY a.geom <-> p.pt LIMIT 1) LIMIT 1)
              """
            : "NULL::text";
        await using var cmd = session.Command($"""
            SELECT p.fid, coalesce(p.properties ->> $2, p.fid), coalesce((p.properties ->> $3)::float8, 1),
                   s.edge_id, ST_LineLocatePoint(s.geom, p.pt), ST_Distance(s.geom, p.pt),
                   n.detailed_area IS NULL OR ST_Intersects(n.detailed_area, p.pt), {area}
            FROM (SELECT fid, properties, ST_Centroid(geom) AS pt FROM {table}) p
            CROSS JOIN (SELECT detailed_area FROM road_networks WHERE id = $1) n
            LEFT JOIN LATERAL (
              -- The index answers ORDER BY <-> alone; ties (a point on a node) are broken among the few nearest.
              SELECT k.edge_id, k.geom FROM (
                SELECT edge_id, geom FROM network_edges e WHERE e.network_id = $1 ORDER BY e.geom <-> p.pt LIMIT 4
              ) k ORDER BY ST_Distance(k.geom, p.pt), k.edge_id LIMIT 1
            ) s ON true
            ORDER BY p.fid
            """,
            [
                new NpgsqlParameter { Value = network.Id, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter { Value = (object?)nameProperty ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter { Value = (object?)weightProperty ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            ]);
        var points = new List<SnappedPoint>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var snap = reader.IsDBNull(3) ? (Snap?)null : new Snap(reader.GetInt32(3), reader.GetDouble(4), reader.GetDouble(5));
            points.Add(new SnappedPoint(points.Count, reader.GetString(0), reader.GetString(1), snap, reader.GetBoolean(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetDouble(2)));
        }
        return points;
    }

    /// <summary>A warning naming the facilities farther than <paramref name="limit"/> from the network (they still count, with their access leg).</summary>
    public static void WarnFarFacilities(AnalysisSession session, IEnumerable<SnappedPoint> facilities, double limit)
    {
        var far = facilities.Where(f => f.Snap is null || f.Snap.Value.Distance > limit).ToList();
        if (far.Count > 0)
        {
            session.Warnings.Add($"{far.Count} facilit{(far.Count == 1 ? "y lies" : "ies lie")} more than {limit:0} m from the network; their access leg is "
                + "part of every time from them: " + string.Join(", ", far.Take(20).Select(f =>
                    $"{f.Fid} ({f.Name}, {(f.Snap is { } s ? $"{s.Distance:0} m" : "no road")})")) + (far.Count > 20 ? ", …" : "") + ".");
        }
    }
}

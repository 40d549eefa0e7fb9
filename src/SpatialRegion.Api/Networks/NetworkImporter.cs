using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Networks;

/// <summary>One GeoJSON file of road lines and how to read it.</summary>
public sealed record NetworkSourceFile(
    string Name, Func<Stream> Open, string ClassProperty, double JoinTolerance, bool NodeCrossings = false,
    bool OutsideDetailedArea = false, string OneWayProperty = "oneway");

public sealed record NetworkImportRequest(
    string Id, string? Title, string SpeedTable, IReadOnlyList<NetworkSourceFile> Sources,
    Func<Stream>? DetailedArea = null, string? Source = null, string? Licence = null);

public sealed record NetworkImportReport(string Id, long Version, JsonObject Report, TimeSpan Elapsed)
{
    public override string ToString() => $"network {Id} v{Version}: {Report["edges"]} edges, {Report["nodes"]} nodes, {Report["km"]} km, "
        + $"{Report["components"]!["count"]} components (largest {Report["components"]!["largest_km"]} km), "
        + $"{Report["joined"]!["connectors"]} joins ({Report["joined"]!["km"]} km), {Elapsed.TotalSeconds:0.0} s";
}

/// <summary>
/// Imports a road network in one transaction: reads and checks the GeoJSON lines, builds the graph
/// (<see cref="NetworkBuilder"/>), costs each edge with the speed table, and replaces the network's edges together
/// with its two layers (the roads with class and speed, and where the network is detailed). On any error the
/// previous network stays as it was.
/// </summary>
public sealed class NetworkImporter(NpgsqlDataSource dataSource, LayerWriter writer, LayerCatalog catalog, NetworkGraphs graphs)
{
    /// <summary>SWEREF 99 TM coordinates of Sweden and its neighbours, with room: lines outside were drawn in another CRS.</summary>
    private static readonly Envelope Plausible = new(-500_000, 1_500_000, 5_800_000, 8_000_000);

    public static string CoverageLayerId(string id) => id + "-coverage";

    public async Task<NetworkImportReport> ImportAsync(NetworkImportRequest request, Action<string>? progress, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        if (!LayerIds.IsValid(request.Id) || !LayerIds.IsValid(CoverageLayerId(request.Id)))
        {
            throw new ImportException($"'{request.Id}' is not a valid network id: use 1 to 54 lower-case letters, digits, '-' or '_'.");
        }
        var speeds = SpeedTable.All.TryGetValue(request.SpeedTable, out var table)
            ? table
            : throw new ImportException($"Unknown speed table '{request.SpeedTable}'. Known: {string.Join(", ", SpeedTable.All.Keys)}.");
        if (request.Sources.Count == 0)
        {
            throw new ImportException("A network needs at least one file of road lines.");
        }

        var factory = new GeometryFactory(new PrecisionModel(), 3006);
        Geometry? detailed = null;
        if (request.DetailedArea is { } area)
        {
            await using var stream = area();
            var source = await GeoJsonSource.ReadAsync(stream, "the detailed area", null, false, null, ct);
            detailed = factory.BuildGeometry(source.Features.Select(f => f.Geometry!)).Union();
            CheckSweref(source, "the detailed area");
        }
        var prepared = detailed is null ? null : PreparedGeometryFactory.Prepare(detailed);

        var roadSources = new List<RoadSource>();
        var skipped = new JsonObject();
        foreach (var file in request.Sources)
        {
            GeoJsonSource source;
            await using (var stream = file.Open())
            {
                source = await GeoJsonSource.ReadAsync(stream, file.Name, null, false, null, ct);
            }
            if (GeoJsonSource.FamilyOf(source.GeometryType) != "LineString")
            {
                throw new ImportException($"{file.Name} holds {source.GeometryType}s; a road network is made of lines.");
            }
            CheckSweref(source, file.Name);
            var lines = new List<RoadLine>();
            var unroutable = 0;
            foreach (var feature in source.Features)
            {
                var (roadClass, direction) = ReadAttributes(feature.PropertiesJson, file);
                if (speeds.SpeedOf(roadClass) <= 0)
                {
                    unroutable++;
                    continue;
                }
                var geometry = feature.Geometry!;
                if (file.OutsideDetailedArea && prepared is not null)
                {
                    if (prepared.Covers(geometry))
                    {
                        continue;
                    }
                    if (prepared.Intersects(geometry))
                    {
                        geometry = geometry.Difference(detailed);
                    }
                }
                for (var i = 0; i < geometry.NumGeometries; i++)
                {
                    if (geometry.GetGeometryN(i) is LineString { IsEmpty: false } part)
                    {
                        lines.Add(new RoadLine(part.Coordinates.Select(c => new Coordinate(c.X, c.Y)).ToArray(), roadClass, direction));
                    }
                }
            }
            skipped[file.Name] = unroutable;
            roadSources.Add(new RoadSource(file.Name, lines, file.JoinTolerance, file.NodeCrossings));
            progress?.Invoke($"  read {file.Name}: {lines.Count:N0} lines");
        }
        if (roadSources.Sum(s => s.Lines.Count) == 0)
        {
            throw new ImportException("No usable road lines: the files hold no lines of a class the speed table can route.");
        }

        var built = NetworkBuilder.Build(roadSources);
        if (built.Edges.Count == 0)
        {
            throw new ImportException("No usable road lines: every line was shorter than a vertex apart.");
        }
        built.Report["unroutable_lines_skipped"] = skipped;
        built.Report["speed_table"] = speeds.Name;
        progress?.Invoke($"  built {built.Edges.Count:N0} edges, {built.Nodes:N0} nodes in {stopwatch.Elapsed.TotalSeconds:0.0} s; writing");

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var existing = await ScalarAsync<string>(connection, tx, "SELECT kind FROM layers WHERE id = $1 OR id = $2 ORDER BY kind <> 'network' DESC LIMIT 1", ct,
            request.Id, CoverageLayerId(request.Id));
        if (existing is not null && existing != LayerKinds.Network)
        {
            throw new ImportException($"'{request.Id}' or '{CoverageLayerId(request.Id)}' is already an {existing} layer; choose another network id.");
        }
        await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('network:' || $1))", ct, request.Id);
        var sources = new JsonArray(request.Sources.Select(s => (JsonNode?)new JsonObject
        {
            ["name"] = s.Name,
            ["class_property"] = s.ClassProperty,
            ["join_tolerance_m"] = s.JoinTolerance,
            ["node_crossings"] = s.NodeCrossings,
            ["outside_detailed_area"] = s.OutsideDetailedArea,
        }).ToArray());
        var version = await ScalarAsync<long>(connection, tx, """
            INSERT INTO road_networks AS n (id, title, speed_table, speeds, sources, report, detailed_area)
            VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, ST_Multi($7::geometry))
            ON CONFLICT (id) DO UPDATE SET title = $2, speed_table = $3, speeds = $4::jsonb, sources = $5::jsonb, report = $6::jsonb,
              detailed_area = ST_Multi($7::geometry), version = nextval('layer_version_seq'), updated_at = now()
            RETURNING version
            """, ct, request.Id, request.Title ?? request.Id, speeds.Name, speeds.Describe().ToJsonString(), sources.ToJsonString(),
            built.Report.ToJsonString(), new NpgsqlParameter { Value = (object?)detailed ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Geometry });
        await ExecuteAsync(connection, tx, "DELETE FROM network_edges WHERE network_id = $1", ct, request.Id);
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY network_edges (network_id, edge_id, source, target, road_class, speed_kmh, length_m, cost_s, reverse_cost_s, joined, geom) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < built.Edges.Count; i++)
            {
                var e = built.Edges[i];
                var kmh = speeds.SpeedOf(e.RoadClass);
                var seconds = e.Length / (kmh / 3.6);
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(request.Id, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(i, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(e.Source, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(e.Target, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(e.RoadClass, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(kmh, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(e.Length, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(e.Direction == Direction.Against ? -1 : seconds, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(e.Direction == Direction.Along ? -1 : seconds, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(e.Joined, NpgsqlDbType.Boolean, ct);
                await copy.WriteAsync(factory.CreateLineString(e.Points), NpgsqlDbType.Geometry, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await WriteLayersAsync(connection, tx, request, speeds, built, version, ct);
        await tx.CommitAsync(ct);
        await catalog.ReloadAsync(ct);
        graphs.Forget(request.Id);
        return new NetworkImportReport(request.Id, version, built.Report, stopwatch.Elapsed);
    }

    /// <summary>The roads as a layer (one feature per edge, with class, speed and minutes) and the coverage layer:
    /// where the network is detailed, and the rest of its extent, where it has only what the coarser sources bring.</summary>
    private async Task WriteLayersAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, NetworkImportRequest request, SpeedTable speeds, BuiltNetwork built, long version, CancellationToken ct)
    {
        var provenance = new JsonObject
        {
            ["network"] = request.Id,
            ["network_version"] = version,
            ["speed_table"] = speeds.Name,
            ["report"] = built.Report.DeepClone(),
        };
        var id = new NpgsqlParameter { Value = request.Id, NpgsqlDbType = NpgsqlDbType.Text };
        await writer.ReplaceAsync(connection, tx, new LayerDefinition(
            request.Id, request.Title ?? $"Road network {request.Id}",
            $"Routable road network '{request.Id}': one line per edge with its road class, speed (speed table {speeds.Name}) and minutes to drive it. "
            + "Connectors added to join ends within the join tolerance have joined = true.",
            request.Source ?? "", request.Licence ?? "", "edge_id", LayerKinds.Network, Provenance: provenance,
            Properties:
            [
                new LayerProperty("edge_id", LayerProperty.Integer), new LayerProperty("road_class", LayerProperty.String),
                new LayerProperty("speed_kmh", LayerProperty.Number), new LayerProperty("length_m", LayerProperty.Number),
                new LayerProperty("minutes", LayerProperty.Number), new LayerProperty("one_way", LayerProperty.String),
                new LayerProperty("joined", LayerProperty.Boolean),
            ]), """
            SELECT edge_id::text, jsonb_build_object('edge_id', edge_id, 'road_class', road_class, 'speed_kmh', speed_kmh,
                     'length_m', round(length_m::numeric, 1), 'minutes', round((greatest(cost_s, reverse_cost_s) / 60)::numeric, 3),
                     'one_way', CASE WHEN cost_s < 0 THEN 'against' WHEN reverse_cost_s < 0 THEN 'along' ELSE 'no' END, 'joined', joined), geom
            FROM network_edges WHERE network_id = $1
            """, [id], ct);
        await writer.ReplaceAsync(connection, tx, new LayerDefinition(
            CoverageLayerId(request.Id), $"Coverage of road network {request.Id}",
            "Where the network is detailed (all roads of the detailed sources) and where, within the network's extent, it has only the roads of the coarser sources (main roads only). Results for origins outside the detailed area are reported apart.",
            request.Source ?? "", request.Licence ?? "", "coverage", LayerKinds.Network, Provenance: provenance,
            Properties: [new LayerProperty("coverage", LayerProperty.String), new LayerProperty("area_km2", LayerProperty.Number)]), """
            WITH extent AS (SELECT ST_SetSRID(ST_Extent(geom)::geometry, 3006) AS geom FROM network_edges WHERE network_id = $1),
            parts AS (
              SELECT 'detailed' AS coverage, coalesce(n.detailed_area, e.geom) AS geom FROM road_networks n, extent e WHERE n.id = $1
              UNION ALL
              SELECT 'main_roads_only', ST_Difference(e.geom, n.detailed_area) FROM road_networks n, extent e
              WHERE n.id = $1 AND n.detailed_area IS NOT NULL
            )
            SELECT coverage, jsonb_build_object('coverage', coverage, 'area_km2', round((ST_Area(geom) / 1e6)::numeric, 1)), geom
            FROM parts WHERE NOT ST_IsEmpty(geom)
            """, [id], ct);
    }

    private static (string Class, Direction Direction) ReadAttributes(string propertiesJson, NetworkSourceFile file)
    {
        using var document = JsonDocument.Parse(propertiesJson);
        var root = document.RootElement;
        var roadClass = root.TryGetProperty(file.ClassProperty, out var c)
            ? c.ValueKind switch
            {
                JsonValueKind.String => c.GetString()!,
                JsonValueKind.Number => c.GetRawText(),
                _ => "",
            }
            : "";
        var direction = Direction.Both;
        if (root.TryGetProperty(file.OneWayProperty, out var o))
        {
            var text = o.ValueKind == JsonValueKind.String ? o.GetString()!.Trim().ToLowerInvariant() : o.GetRawText();
            direction = text switch
            {
                "yes" or "true" or "1" or "along" => Direction.Along,
                "-1" or "reverse" or "against" => Direction.Against,
                _ => Direction.Both,
            };
        }
        return (roadClass, direction);
    }

    /// <summary>The graph is built in SWEREF 99 TM metres; files in another CRS are refused rather than guessed at.</summary>
    private static void CheckSweref(GeoJsonSource source, string name)
    {
        if (source.Srid != 3006)
        {
            throw new ImportException($"{name} is in EPSG:{source.Srid}; road networks are imported in SWEREF 99 TM (EPSG:3006), "
                + "where lengths are metres. Name it in the file's \"crs\" member (urn:ogc:def:crs:EPSG::3006) after transforming it, for instance with ogr2ogr -t_srs EPSG:3006.");
        }
        foreach (var f in source.Features)
        {
            if (!Plausible.Contains(f.Geometry!.EnvelopeInternal))
            {
                throw new ImportException($"{name}: feature #{f.Position} lies outside Sweden in EPSG:3006 ({f.Geometry.EnvelopeInternal}); is the file in another CRS?");
            }
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Constant statements; values are parameters.")]
    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, object?[] args)
    {
        var cmd = new NpgsqlCommand(sql, connection, tx);
        foreach (var a in args)
        {
            cmd.Parameters.Add(a as NpgsqlParameter ?? new NpgsqlParameter { Value = a ?? DBNull.Value });
        }
        return cmd;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] args)
    {
        await using var cmd = Command(connection, tx, sql, args);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] args)
    {
        await using var cmd = Command(connection, tx, sql, args);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default : (T)value;
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Networks;

/// <summary>Road networks: list them with their import reports, and import one from GeoJSON lines (editor role).</summary>
public static class NetworksApi
{
    public static RouteGroupBuilder MapNetworksApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/networks").WithTags("Networks");
        api.MapGet("/", List).WithName("ListNetworks")
            .WithSummary("Road networks with version, speed table and import report (edges, nodes, km, components, joins).");
        api.MapGet("/{networkId}", Get).WithName("GetNetwork")
            .WithSummary("One road network: its import report, sources, speed table and layers.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/speed-tables", SpeedTables).WithName("ListSpeedTables")
            .WithSummary("The speed tables networks can be costed with: km/h per road class, and what each class is taken to be.");
        api.MapPut("/{networkId}", Put).WithName("ImportNetwork")
            .WithSummary("Create or replace a road network from GeoJSON lines in EPSG:3006 (editor role).")
            .WithDescription("Query parameters: class_property (default kkod), join_tolerance (metres, 0-1000, default 0: only shared coordinates connect), "
                + "node_crossings=true (split lines where they cross: for generalised data never noded), speed_table, title. Lines with oneway yes/true/1 "
                + "are one-way along their drawing, -1 against it. One transaction: on any error the previous network stays.")
            .Accepts<object>("application/geo+json", "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Auth.AuthPolicies.Editor)
            .LimitBodyTo(LayersApi.MaxUploadBytes);
        return api;
    }

    private static async Task<IResult> List(HttpRequest request, NpgsqlDataSource dataSource, CancellationToken ct) =>
        TypedResults.Ok(new JsonObject { ["networks"] = new JsonArray((await ReadAsync(dataSource, null, request, ct)).ToArray()) });

    private static async Task<IResult> Get(string networkId, HttpRequest request, NpgsqlDataSource dataSource, CancellationToken ct) =>
        (await ReadAsync(dataSource, networkId, request, ct)).FirstOrDefault() is { } network
            ? TypedResults.Ok(network)
            : Problems.NotFound($"There is no road network '{networkId}'. GET /api/networks lists them.");

    private static IResult SpeedTables() => TypedResults.Ok(new JsonObject
    {
        ["speed_tables"] = new JsonArray(SpeedTable.All.Values.Select(t => (JsonNode?)new JsonObject
        {
            ["name"] = t.Name,
            ["title"] = t.Title,
            ["description"] = t.Description,
            ["unknown_kmh"] = t.UnknownKmh,
            ["classes"] = new JsonObject(t.Classes.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)new JsonObject
            {
                ["kmh"] = c.Value.Kmh,
                ["meaning"] = c.Value.Meaning,
            }))),
        }).ToArray()),
    });

    private static async Task<List<JsonNode?>> ReadAsync(NpgsqlDataSource dataSource, string? id, HttpRequest request, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT id, title, version, speed_table, speeds::text, sources::text, report::text, updated_at FROM road_networks
            WHERE $1::text IS NULL OR id = $1 ORDER BY id
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<JsonNode?>();
        var baseUrl = RequestUrls.Base(request);
        while (await reader.ReadAsync(ct))
        {
            var networkId = reader.GetString(0);
            list.Add(new JsonObject
            {
                ["id"] = networkId,
                ["title"] = reader.GetString(1),
                ["version"] = reader.GetInt64(2),
                ["speed_table"] = JsonNode.Parse(reader.GetString(4)),
                ["sources"] = JsonNode.Parse(reader.GetString(5)),
                ["report"] = JsonNode.Parse(reader.GetString(6)),
                ["updated_at"] = reader.GetFieldValue<DateTimeOffset>(7).ToString("O", CultureInfo.InvariantCulture),
                ["layers"] = new JsonObject
                {
                    ["roads"] = $"{baseUrl}/api/layers/{Uri.EscapeDataString(networkId)}",
                    ["coverage"] = $"{baseUrl}/api/layers/{Uri.EscapeDataString(NetworkImporter.CoverageLayerId(networkId))}",
                },
            });
        }
        return list;
    }

    private static async Task<IResult> Put(string networkId, HttpRequest request, NetworkImporter importer, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var q = request.Query;
        string[] allowed = ["class_property", "join_tolerance", "node_crossings", "speed_table", "title"];
        if (q.Keys.FirstOrDefault(k => !allowed.Contains(k)) is { } unknown)
        {
            return Problems.BadRequest($"Unknown query parameter '{unknown}'. Allowed here: {string.Join(", ", allowed)}.", unknown);
        }
        var tolerance = 0.0;
        if (q["join_tolerance"] is { Count: > 0 } t
            && !(double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out tolerance) && tolerance >= 0 && tolerance <= 1000))
        {
            return Problems.BadRequest("join_tolerance must be a number of metres from 0 to 1000.", "join_tolerance");
        }
        var nodeCrossings = false;
        if (q["node_crossings"] is { Count: > 0 } n && !bool.TryParse(n, out nodeCrossings))
        {
            return Problems.BadRequest("node_crossings must be true or false.", "node_crossings");
        }
        var speedTable = q["speed_table"].FirstOrDefault() ?? SpeedTable.Default;
        if (!SpeedTable.All.ContainsKey(speedTable))
        {
            return Problems.BadRequest($"Unknown speed table '{speedTable}'. Known: {string.Join(", ", SpeedTable.All.Keys)}.", "speed_table");
        }
        var existed = await NetworkExistsAsync(dataSource, networkId, ct);
        var report = await importer.ImportAsync(new NetworkImportRequest(networkId, q["title"].FirstOrDefault(), speedTable,
            [new NetworkSourceFile("the request body", () => request.Body, q["class_property"].FirstOrDefault() ?? "kkod", tolerance, nodeCrossings)]),
            null, ct);
        var body = new JsonObject { ["id"] = report.Id, ["version"] = report.Version, ["report"] = report.Report };
        return existed
            ? TypedResults.Ok(body)
            : TypedResults.Created($"{RequestUrls.Base(request)}/api/networks/{Uri.EscapeDataString(networkId)}", body);
    }

    private static async Task<bool> NetworkExistsAsync(NpgsqlDataSource dataSource, string id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM road_networks WHERE id = $1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Networks;

/// <summary>
/// Accessibility: for every origin (by default the populated 1 km squares of Jämtland) the nearest facility by travel
/// time, found for all origins at once by one Dijkstra from all facilities toward them; the access leg from origin to
/// road is a straight line at a stated speed. Summed per facility (the people each serves) and per area (mean and
/// median minutes, people within each cut-off, and apart from them the people outside the detailed network, too far
/// from any road, or with no facility reachable). A scenario closes and opens facilities and reports the change.
/// </summary>
public static class AccessibilityAnalysis
{
    public const int MaxFacilities = 5000;
    public const int MaxOrigins = 250_000;
    public const int MaxCutoffs = 8;
    public static readonly string[] Outputs = ["origins", "facilities", "service_areas", "areas"];
    private const string NarrowHint = "Narrow it: fewer origins (filter or bbox) or fewer facilities.";

    private const string DefaultOrigins = """{"layer": "population-grid-1km", "filter": {"lan_join": "Jämtlands"}}""";
    private const string DefaultAreas = """{"layer": "municipalities", "filter": {"LAN_KOD": "23"}}""";

    /// <summary>Nearest facility of one origin: which (index into the facility list, -1 none), seconds and metres on the road, access leg.</summary>
    private readonly record struct Nearest(int Facility, double Seconds, double Metres);

    public static async Task<AnalysisPlan> ReadAsync(
        JsonElement body, LayerCatalog catalog, AnalysisOptions options, NetworkGraphs graphs, CancellationToken ct)
    {
        var request = RequestJson.Of(body, "");
        var budget = new InlineBudget(options.MaxInlineVertices);
        var facilities = await NetworkInputs.ReadFacilitiesAsync(request, catalog, budget, ct);
        using var defaultOrigins = JsonDocument.Parse(DefaultOrigins);
        using var defaultAreas = JsonDocument.Parse(DefaultAreas);
        var originsGiven = request.Object("origins");
        var origins = (await AnalysisInputs.ReadAsync(originsGiven ?? RequestJson.Of(defaultOrigins.RootElement, "origins"), catalog, budget, null, ct)).Input;
        var areas = (await AnalysisInputs.ReadAsync(request.Object("areas") ?? RequestJson.Of(defaultAreas.RootElement, "areas"), catalog, budget, null, ct)).Input;
        if (areas.Family != GeometryFamily.Polygon)
        {
            throw new InvalidQueryException("areas", "Areas are polygons.");
        }
        var populationProperty = request.String("population") ?? (origins.FindProperty("beftotalt") is not null ? "beftotalt"
            : origins.FindProperty("pop") is not null ? "pop" : null);
        if (populationProperty is not null)
        {
            AnalysisInputs.NumericProperty(origins, "population", populationProperty);
        }
        var areaName = NetworkInputs.NameProperty(areas, request, "area_name");
        var facilityName = NetworkInputs.NameProperty(facilities, request, "facility_name");
        var cutoffs = NetworkInputs.ReadCutoffs(request, "minutes", [5, 10, 20, 30], 180, MaxCutoffs);
        var networkId = request.String("network") ?? NetworkInputs.DefaultNetwork;
        var accessKmh = NetworkInputs.ReadPositive(request, "access_speed_kmh", NetworkInputs.DefaultAccessKmh, 200);
        var maxAccess = NetworkInputs.ReadPositive(request, "max_access_m", 2000, 100_000);
        var maxSnap = NetworkInputs.ReadPositive(request, "max_snap_m", NetworkInputs.DefaultMaxSnapMetres, 100_000);
        var output = request.String("output") ?? "origins";
        if (!Outputs.Contains(output))
        {
            throw new InvalidQueryException("output", $"Unknown output '{output}'. Use {string.Join(", ", Outputs)}.");
        }

        IReadOnlyList<string> close = [];
        AnalysisInput? opened = null;
        if (request.Object("scenario") is { } scenario)
        {
            close = scenario.Strings("close") ?? [];
            if (scenario.Object("open") is { } open)
            {
                opened = (await AnalysisInputs.ReadAsync(open, catalog, budget, null, ct)).Input;
                if (opened.Family != GeometryFamily.Point)
                {
                    throw new InvalidQueryException("scenario.open", "Opened facilities are points.");
                }
            }
            scenario.RejectUnknown();
            if (close.Count == 0 && opened is null)
            {
                throw new InvalidQueryException("scenario", "A scenario closes facilities (\"close\": [ids]) or opens them (\"open\": {\"geojson\": points}), or both.");
            }
        }
        var csv = NetworkInputs.ReadCsv(request);
        var outputSrid = AnalysisRequests.ReadOutputSrid(request);
        var saveAs = AnalysisRequests.ReadSaveAs(request);
        request.RejectUnknown();
        var withScenario = close.Count > 0 || opened is not null;

        var parameters = new JsonObject
        {
            ["network"] = networkId,
            ["minutes"] = new JsonArray(cutoffs.Select(c => (JsonNode?)c).ToArray()),
            ["population"] = populationProperty,
            ["area_name"] = areaName,
            ["facility_name"] = facilityName,
            ["access_speed_kmh"] = accessKmh,
            ["max_access_m"] = maxAccess,
            ["max_snap_m"] = maxSnap,
            ["output"] = output,
            ["scenario"] = withScenario ? new JsonObject { ["close"] = AnalysisRequests.ToJson(close), ["open"] = opened?.Describe(null) } : null,
            ["output_crs"] = $"EPSG:{outputSrid}",
        };
        var inputs = new Dictionary<string, AnalysisInput> { ["facilities"] = facilities, ["origins"] = origins, ["areas"] = areas };
        if (opened is not null)
        {
            inputs["opened"] = opened;
        }
        var result = ResultProperties(output, cutoffs, withScenario);

        async Task Stage(AnalysisSession session, CancellationToken token)
        {
            await session.StageAsync("analysis_facilities", facilities, facilityName is null ? [] : [facilityName], "", token);
            await session.StageAsync("analysis_origins", origins, populationProperty is null ? [] : [populationProperty], "", token);
            await session.StageAsync("analysis_areas", areas, areaName is null ? [] : [areaName], "", token);
            if (opened is not null)
            {
                await session.StageAsync("analysis_opened", opened, facilityName is not null && opened.FindProperty(facilityName) is not null ? [facilityName] : [], "", token);
            }
        }

        async Task Compute(AnalysisSession session, CancellationToken token)
        {
            var (network, graph) = await NetworkInputs.OpenAsync(session, graphs, networkId, token);
            parameters["network_version"] = network.Version;
            parameters["speed_table"] = network.SpeedTable;
            var baseline = await NetworkInputs.SnapAsync(session, "analysis_facilities", network, facilityName, null, false, token);
            if (baseline.Count == 0)
            {
                throw new InvalidQueryException("facilities", "No facility is left after filtering: accessibility needs at least one.");
            }
            var originCount = await session.ScalarAsync<long>("SELECT count(*) FROM analysis_origins", token);
            if (baseline.Count > MaxFacilities || originCount > MaxOrigins)
            {
                throw new AnalysisException(StatusCodes.Status413PayloadTooLarge, "Too many points",
                    $"{baseline.Count} facilities and {originCount} origins; the limits are {MaxFacilities} facilities and {MaxOrigins} origins.",
                    baseline.Count > MaxFacilities ? "facilities" : "origins");
            }
            if (originCount == 0)
            {
                throw new InvalidQueryException("origins", "No origin is left after filtering.");
            }
            var points = await NetworkInputs.SnapAsync(session, "analysis_origins", network, null, populationProperty, true, token);
            NetworkInputs.WarnFarFacilities(session, baseline, maxSnap);
            var legSpeed = accessKmh / 3.6;
            var before = Evaluate(graph, baseline, points, legSpeed, maxAccess);
            List<SnappedPoint> facilitySet = baseline;
            Nearest[] after = before;
            if (withScenario)
            {
                var unknown = close.Where(id => baseline.All(f => f.Fid != id)).ToList();
                if (unknown.Count > 0)
                {
                    throw new InvalidQueryException("scenario.close", $"Not among the facilities: {string.Join(", ", unknown.Take(10))}.");
                }
                facilitySet = baseline.Where(f => !close.Contains(f.Fid)).ToList();
                if (opened is not null)
                {
                    var added = await NetworkInputs.SnapAsync(session, "analysis_opened", network, facilityName, null, false, token);
                    NetworkInputs.WarnFarFacilities(session, added, maxSnap);
                    facilitySet.AddRange(added.Select(a => a with { Fid = "opened-" + a.Fid, Name = a.Name == a.Fid ? "opened " + a.Fid : a.Name }));
                }
                facilitySet = facilitySet.Select((f, i) => f with { Index = i }).ToList();
                after = Evaluate(graph, facilitySet, points, legSpeed, maxAccess);
            }

            var rows = points.Select(p => Classify(p, after[p.Index], maxAccess)).ToArray();
            var areaNames = new Dictionary<string, string?>(StringComparer.Ordinal);
            await using (var names = session.Command("SELECT fid, properties ->> $1 FROM analysis_areas",
                [new NpgsqlParameter { Value = (object?)areaName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }]))
            await using (var reader = await names.ExecuteReaderAsync(token))
            {
                while (await reader.ReadAsync(token))
                {
                    areaNames[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
                }
            }
            Summarise(session, points, rows, before, after, facilitySet, baseline, cutoffs, withScenario, maxAccess, areaNames);
            await WriteResultAsync(session, output, points, rows, before, after, facilitySet, baseline, withScenario, cutoffs, token);
        }

        return new AnalysisPlan("accessibility", inputs, Stage, Compute, result, parameters, outputSrid, saveAs, NarrowHint, csv);
    }

    /// <summary>Nearest facility of every origin: one search from all facilities toward the origins.</summary>
    private static Nearest[] Evaluate(NetworkGraph graph, List<SnappedPoint> facilities, List<SnappedPoint> origins, double legSpeed, double maxAccess)
    {
        var snapped = facilities.Where(f => f.Snap is not null).ToList();
        var tree = graph.Search(snapped.SelectMany(f => graph.StartsAt(f.Snap!.Value, true, Metric.Seconds, f.Snap!.Value.Distance / legSpeed, 0, f.Index)),
            true, Metric.Seconds);
        var onEdge = snapped.ToLookup(f => f.Snap!.Value.Edge);
        var nearest = new Nearest[origins.Count];
        foreach (var o in origins)
        {
            nearest[o.Index] = new Nearest(-1, double.PositiveInfinity, double.PositiveInfinity);
            if (o.Snap is not { } s || s.Distance > maxAccess)
            {
                continue;
            }
            var e = s.Edge;
            var best = nearest[o.Index];
            void Consider(int facility, double seconds, double metres)
            {
                if (facility >= 0 && seconds < best.Seconds)
                {
                    best = new Nearest(facility, seconds, metres);
                }
            }
            var source = graph.Source[e];
            var target = graph.Target[e];
            Consider(tree.Label[source], s.Fraction * graph.Cost(e, false, Metric.Seconds) + tree.Cost[source], s.Fraction * graph.Length[e] + tree.Metres[source]);
            Consider(tree.Label[target], (1 - s.Fraction) * graph.Cost(e, true, Metric.Seconds) + tree.Cost[target],
                (1 - s.Fraction) * graph.Length[e] + tree.Metres[target]);
            foreach (var f in onEdge[e])
            {
                var (seconds, metres) = graph.AlongEdge(e, s.Fraction, f.Snap!.Value.Fraction, Metric.Seconds);
                Consider(f.Index, seconds + f.Snap!.Value.Distance / legSpeed, metres);
            }
            nearest[o.Index] = best.Facility < 0 ? best : best with { Seconds = best.Seconds + s.Distance / legSpeed };
        }
        return nearest;
    }

    private const string Routed = "detailed";
    private const string MainRoadsOnly = "main_roads_only";
    private const string NoRoad = "no_road";
    private const string Unreachable = "unreachable";

    /// <summary>Which group an origin falls in; only "detailed" origins count toward the cut-off groups.</summary>
    private static string Classify(SnappedPoint origin, Nearest nearest, double maxAccess) =>
        origin.Snap is not { } s || s.Distance > maxAccess ? NoRoad
        : !origin.Detailed ? MainRoadsOnly
        : nearest.Facility < 0 ? Unreachable
        : Routed;

    private static double? Minutes(Nearest n) => n.Facility < 0 ? null : Math.Round(n.Seconds / 60, 2);

    private static double WeightedMedian(IEnumerable<(double Minutes, double Weight)> values)
    {
        var sorted = values.OrderBy(v => v.Minutes).ToList();
        var half = sorted.Sum(v => v.Weight) / 2;
        var sum = 0.0;
        foreach (var (minutes, weight) in sorted)
        {
            sum += weight;
            if (sum >= half)
            {
                return minutes;
            }
        }
        return double.NaN;
    }

    private static string Key(double cutoff) => cutoff.ToString(CultureInfo.InvariantCulture);

    private static void Summarise(AnalysisSession session, List<SnappedPoint> origins, string[] rows, Nearest[] before, Nearest[] after,
        List<SnappedPoint> facilities, List<SnappedPoint> baseline, double[] cutoffs, bool scenario, double maxAccess,
        IReadOnlyDictionary<string, string?> areaNames)
    {
        JsonObject Group(IEnumerable<SnappedPoint> members)
        {
            var list = members.ToList();
            var routed = list.Where(o => rows[o.Index] == Routed).ToList();
            var people = list.Sum(o => o.Weight);
            var routedPeople = routed.Sum(o => o.Weight);
            var summary = new JsonObject
            {
                ["population"] = people,
                ["origins"] = list.Count,
                ["mean_minutes"] = routedPeople > 0 ? Math.Round(routed.Sum(o => o.Weight * after[o.Index].Seconds / 60) / routedPeople, 2) : null,
                ["median_minutes"] = routedPeople > 0 ? Math.Round(WeightedMedian(routed.Select(o => (after[o.Index].Seconds / 60, o.Weight))), 2) : null,
            };
            var within = new JsonObject();
            var shares = new JsonObject();
            foreach (var c in cutoffs)
            {
                var n = routed.Where(o => after[o.Index].Seconds <= c * 60).Sum(o => o.Weight);
                within[Key(c)] = n;
                shares[Key(c)] = people > 0 ? Math.Round(n / people, 4) : null;
            }
            summary["within"] = within;
            summary["share_within"] = shares;
            summary["beyond_last"] = routed.Where(o => after[o.Index].Seconds > cutoffs[^1] * 60).Sum(o => o.Weight);
            summary[Unreachable] = list.Where(o => rows[o.Index] == Unreachable).Sum(o => o.Weight);
            summary[MainRoadsOnly] = list.Where(o => rows[o.Index] == MainRoadsOnly).Sum(o => o.Weight);
            var mainRoutes = list.Where(o => rows[o.Index] == MainRoadsOnly && after[o.Index].Facility >= 0).ToList();
            summary["main_roads_only_within"] = new JsonObject(cutoffs.Select(c => KeyValuePair.Create(Key(c),
                (JsonNode?)mainRoutes.Where(o => after[o.Index].Seconds <= c * 60).Sum(o => o.Weight))));
            summary[NoRoad] = list.Where(o => rows[o.Index] == NoRoad).Sum(o => o.Weight);
            if (scenario)
            {
                var losers = list.Where(o => after[o.Index].Seconds > before[o.Index].Seconds + 1e-6).ToList();
                var crossing = new JsonObject();
                foreach (var c in cutoffs)
                {
                    crossing[Key(c)] = new JsonObject
                    {
                        ["lost"] = list.Where(o => before[o.Index].Seconds <= c * 60 && after[o.Index].Seconds > c * 60).Sum(o => o.Weight),
                        ["gained"] = list.Where(o => before[o.Index].Seconds > c * 60 && after[o.Index].Seconds <= c * 60).Sum(o => o.Weight),
                    };
                }
                summary["change"] = new JsonObject
                {
                    ["people_slower"] = losers.Sum(o => o.Weight),
                    ["people_faster"] = list.Where(o => after[o.Index].Seconds < before[o.Index].Seconds - 1e-6).Sum(o => o.Weight),
                    ["mean_minutes_lost_by_slower"] = losers.Count == 0 ? 0 : Math.Round(
                        losers.Sum(o => o.Weight * Math.Min(after[o.Index].Seconds - before[o.Index].Seconds, 1e9) / 60) / Math.Max(1e-9, losers.Sum(o => o.Weight)), 2),
                    ["people_losing_all_access"] = losers.Where(o => after[o.Index].Facility < 0).Sum(o => o.Weight),
                    ["crossing"] = crossing,
                };
            }
            return summary;
        }

        var areas = new JsonArray();
        foreach (var area in origins.GroupBy(o => o.Area ?? "").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var group = Group(area);
            group.Insert(0, "area", area.Key);
            group.Insert(1, "name", areaNames.GetValueOrDefault(area.Key));
            areas.Add(group);
        }
        var served = new JsonArray();
        foreach (var f in facilities)
        {
            var mine = origins.Where(o => after[o.Index].Facility == f.Index && rows[o.Index] is Routed or MainRoadsOnly).ToList();
            var farthest = mine.MaxBy(o => after[o.Index].Seconds);
            served.Add(new JsonObject
            {
                ["facility"] = f.Fid,
                ["name"] = f.Name,
                ["snap_m"] = f.Snap is { } s ? Math.Round(s.Distance, 1) : null,
                ["population_served"] = mine.Sum(o => o.Weight),
                ["origins_served"] = mine.Count,
                ["farthest_origin"] = farthest?.Fid,
                ["farthest_minutes"] = farthest is null ? null : Minutes(after[farthest.Index]),
            });
        }
        session.Summary["total"] = Group(origins);
        session.Summary["population_served"] = origins.Where(o => rows[o.Index] is Routed or MainRoadsOnly && after[o.Index].Facility >= 0).Sum(o => o.Weight);
        session.Summary["areas"] = areas;
        session.Summary["facilities"] = served;
        session.Summary["groups"] = new JsonObject
        {
            [Routed] = "origin on the detailed network with a time to its nearest facility (the cut-off counts are of these)",
            [Unreachable] = "origin on the detailed network whose roads lead to no facility",
            [MainRoadsOnly] = "origin outside the detailed network: routed on main roads only, so its time is less certain (counted apart, with its own cut-off counts)",
            [NoRoad] = $"origin more than {maxAccess:0} m from any road of the network (max_access_m)",
        };
    }

    private static List<LayerProperty> ResultProperties(string output, double[] cutoffs, bool scenario)
    {
        List<LayerProperty> p = output switch
        {
            "origins" =>
            [
                new("origin", LayerProperty.String), new("area", LayerProperty.String), new("population", LayerProperty.Number),
                new("coverage", LayerProperty.String), new("facility", LayerProperty.String), new("facility_name", LayerProperty.String),
                new("minutes", LayerProperty.Number), new("network_km", LayerProperty.Number), new("access_m", LayerProperty.Number),
            ],
            "facilities" or "service_areas" =>
            [
                new("facility", LayerProperty.String), new("name", LayerProperty.String), new("snap_m", LayerProperty.Number),
                new("population_served", LayerProperty.Number), new("origins_served", LayerProperty.Integer),
                new("farthest_origin", LayerProperty.String), new("farthest_minutes", LayerProperty.Number),
            ],
            _ =>
            [
                new("area", LayerProperty.String), new("area_name", LayerProperty.String), new("population", LayerProperty.Number),
                new("mean_minutes", LayerProperty.Number),
                new("median_minutes", LayerProperty.Number),
                .. cutoffs.SelectMany(c => (LayerProperty[])[new($"within_{Key(c)}", LayerProperty.Number), new($"share_within_{Key(c)}", LayerProperty.Number)]),
                new("beyond_last", LayerProperty.Number), new(Unreachable, LayerProperty.Number), new(MainRoadsOnly, LayerProperty.Number),
                new(NoRoad, LayerProperty.Number),
            ],
        };
        if (scenario && output == "origins")
        {
            p.AddRange([new("facility_before", LayerProperty.String), new("minutes_before", LayerProperty.Number), new("minutes_change", LayerProperty.Number)]);
        }
        if (scenario && output == "areas")
        {
            p.AddRange([new("people_slower", LayerProperty.Number), new("mean_minutes_lost_by_slower", LayerProperty.Number)]);
        }
        return p;
    }

    private static async Task WriteResultAsync(AnalysisSession session, string output, List<SnappedPoint> origins, string[] rows,
        Nearest[] before, Nearest[] after, List<SnappedPoint> facilities, List<SnappedPoint> baseline, bool scenario, double[] cutoffs, CancellationToken ct)
    {
        JsonArray Rows(IEnumerable<JsonObject> objects) => new(objects.Select(o => (JsonNode?)o).ToArray());
        JsonArray properties;
        string geometry;
        switch (output)
        {
            case "origins":
                properties = Rows(origins.Select(o =>
                {
                    var n = after[o.Index];
                    var row = new JsonObject
                    {
                        ["origin"] = o.Fid,
                        ["area"] = o.Area,
                        ["population"] = o.Weight,
                        ["coverage"] = rows[o.Index],
                        ["facility"] = n.Facility >= 0 ? facilities[n.Facility].Fid : null,
                        ["facility_name"] = n.Facility >= 0 ? facilities[n.Facility].Name : null,
                        ["minutes"] = Minutes(n),
                        ["network_km"] = n.Facility >= 0 ? Math.Round(n.Metres / 1000, 3) : null,
                        ["access_m"] = o.Snap is { } s ? Math.Round(s.Distance, 1) : null,
                    };
                    if (scenario)
                    {
                        var b = before[o.Index];
                        row["facility_before"] = b.Facility >= 0 ? baseline[b.Facility].Fid : null;
                        row["minutes_before"] = Minutes(b);
                        row["minutes_change"] = n.Facility >= 0 && b.Facility >= 0 ? Math.Round((n.Seconds - b.Seconds) / 60, 2) : null;
                    }
                    return row;
                }));
                geometry = "(SELECT geom FROM analysis_origins o WHERE o.fid = r.properties ->> 'origin')";
                break;
            case "facilities":
            case "service_areas":
                properties = Rows(session.Summary["facilities"]!.AsArray().Select(f => f!.AsObject().DeepClone().AsObject()).Select(f =>
                {
                    f["name"] = f["name"]?.GetValue<string>();
                    return f;
                }));
                geometry = output == "facilities"
                    ? "(SELECT geom FROM analysis_facilities f WHERE f.fid = r.properties ->> 'facility' UNION ALL SELECT geom FROM analysis_opened f WHERE 'opened-' || f.fid = r.properties ->> 'facility' LIMIT 1)"
                    : "(SELECT ST_Multi(ST_Union(o.geom)) FROM access_served s JOIN analysis_origins o ON o.fid = s.origin WHERE s.facility = r.properties ->> 'facility')";
                break;
            default:
                properties = Rows(session.Summary["areas"]!.AsArray().Select(a =>
                {
                    var area = a!.AsObject();
                    var row = new JsonObject
                    {
                        ["area"] = area["area"]!.GetValue<string>(),
                        ["area_name"] = area["name"]?.GetValue<string>(),
                        ["population"] = area["population"]!.DeepClone(),
                        ["mean_minutes"] = area["mean_minutes"]?.DeepClone(),
                        ["median_minutes"] = area["median_minutes"]?.DeepClone(),
                    };
                    foreach (var c in cutoffs)
                    {
                        row[$"within_{Key(c)}"] = area["within"]![Key(c)]!.DeepClone();
                        row[$"share_within_{Key(c)}"] = area["share_within"]![Key(c)]?.DeepClone();
                    }
                    foreach (var g in (string[])["beyond_last", Unreachable, MainRoadsOnly, NoRoad])
                    {
                        row[g] = area[g]!.DeepClone();
                    }
                    if (scenario)
                    {
                        row["people_slower"] = area["change"]!["people_slower"]!.DeepClone();
                        row["mean_minutes_lost_by_slower"] = area["change"]!["mean_minutes_lost_by_slower"]!.DeepClone();
                    }
                    return row;
                }));
                geometry = "(SELECT geom FROM analysis_areas a WHERE a.fid = r.properties ->> 'area')";
                break;
        }
        if (output == "service_areas")
        {
            await session.ExecuteAsync("""
                CREATE TEMP TABLE access_served ON COMMIT DROP AS
                SELECT * FROM unnest($1::text[], $2::text[]) AS s(origin, facility);
                CREATE INDEX ON access_served (facility)
                """, ct,
                origins.Where(o => after[o.Index].Facility >= 0 && rows[o.Index] is Routed or MainRoadsOnly).Select(o => o.Fid).ToArray(),
                origins.Where(o => after[o.Index].Facility >= 0 && rows[o.Index] is Routed or MainRoadsOnly).Select(o => facilities[after[o.Index].Facility].Fid).ToArray());
        }
        if (output == "facilities" && !await session.ScalarAsync<bool>("SELECT to_regclass('pg_temp.analysis_opened') IS NOT NULL", ct))
        {
            await session.StageEmptyAsync("analysis_opened", ct);
        }
        var idProperty = output switch { "origins" => "origin", "areas" => "area", _ => "facility" };
        await session.ExecuteAsync($"""
            INSERT INTO analysis_result (ordinal, fid, properties, geom)
            SELECT r.ordinal, r.properties ->> '{idProperty}', r.properties, {geometry}
            FROM unnest($1::jsonb[]) WITH ORDINALITY AS r(properties, ordinal)
            """, ct, new NpgsqlParameter
        {
            Value = properties.Select(p => p!.ToJsonString()).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        });
        await session.ExecuteAsync("DELETE FROM analysis_result WHERE geom IS NULL", ct);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Areal interpolation of values given per source polygon (an indicator per municipality) onto other target
/// polygons (labour markets, a project area, a hand-drawn zone), following tobler's area_interpolate:
/// extensive variables (counts, sums) are shared out and keep their totals, intensive ones (rates, means) are
/// weighted means. Weights are areas, or for the dasymetric variant population from a weight layer: the SCB
/// 1 km grid (shared by area within each square) or tätorter (points, each wholly in one place).
/// </summary>
public static class InterpolationAnalysis
{
    public static readonly string[] Kinds = ["extensive", "intensive"];

    /// <summary>Named weight layers: the population grid and the tätort points with their population.</summary>
    public static readonly IReadOnlyDictionary<string, (string Layer, string Property)> WeightPresets =
        new Dictionary<string, (string, string)>
        {
            ["population_grid"] = ("population-grid-1km", "beftotalt"),
            ["tatorter"] = ("tatorter", "pop"),
        };

    private const string NarrowHint = "Narrow it: filter the source or the target by attribute or by \"bbox\", or use area weights.";

    private sealed record Variable(string Name, string Kind, string? Property, IReadOnlyDictionary<string, double>? Values);

    public static async Task<AnalysisPlan> ReadAsync(JsonElement body, LayerCatalog catalog, AnalysisOptions options, CancellationToken ct)
    {
        var request = RequestJson.Of(body, "");
        var budget = new InlineBudget(options.MaxInlineVertices);
        var source = (await AnalysisInputs.ReadAsync(request.RequiredObject("source"), catalog, budget, null, ct)).Input;
        var target = await AnalysisInputs.ReadAsync(request.RequiredObject("target"), catalog, budget, "", ct);
        if (source.Family != GeometryFamily.Polygon || target.Input.Family != GeometryFamily.Polygon)
        {
            throw new InvalidQueryException(source.Family != GeometryFamily.Polygon ? "source" : "target",
                "Areal interpolation goes from polygons to polygons.");
        }

        var variables = new List<Variable>();
        foreach (var (spec, _) in request.Objects("variables"))
        {
            var kind = spec.RequiredString("type");
            if (!Kinds.Contains(kind))
            {
                throw new InvalidQueryException(spec.Member("type"),
                    $"Unknown variable type '{kind}'. Use extensive (counts and sums, which keep their totals) or intensive (rates and means).");
            }
            var property = spec.String("property");
            var values = spec.Element("values");
            if ((property is null) == (values is null))
            {
                throw new InvalidQueryException(spec.Path,
                    $"{spec.Path} needs either 'property' (a numeric attribute of the source) or 'values' (an object {{source id: number}}).");
            }
            Dictionary<string, double>? map = null;
            if (property is not null)
            {
                AnalysisInputs.NumericProperty(source, spec.Member("property"), property);
            }
            else
            {
                var members = RequestJson.Of(values!.Value, spec.Member("values"));
                map = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var member in members.AllMembers())
                {
                    if (member.Value.ValueKind != JsonValueKind.Null)
                    {
                        map[member.Name] = RequestJson.NumberValue(member.Value, members.Member(member.Name));
                    }
                }
                if (map.Count == 0)
                {
                    throw new InvalidQueryException(spec.Member("values"), $"{spec.Member("values")} holds no numbers.");
                }
            }
            var name = spec.String("name") ?? property ?? throw new InvalidQueryException(spec.Member("name"),
                $"{spec.Path} needs a 'name' for the result attribute.");
            spec.RejectUnknown();
            variables.Add(new Variable(name, kind, property, map));
        }
        if (variables.Count == 0)
        {
            throw new InvalidQueryException("variables",
                "Name at least one variable: \"variables\": [{\"name\": \"population\", \"type\": \"extensive\", \"values\": {\"2380\": 64499}}].");
        }

        var (weightsName, weights, weightProperty) = await ReadWeightsAsync(request, catalog, budget, ct);
        var allocateTotal = request.Boolean("allocate_total") ?? true;
        var outputSrid = AnalysisRequests.ReadOutputSrid(request);
        var saveAs = AnalysisRequests.ReadSaveAs(request);
        request.RejectUnknown();

        var result = new List<LayerProperty>(target.ResultProperties);
        result.AddRange(variables.Select(v => new LayerProperty(v.Name, LayerProperty.Number)));
        AnalysisRequests.RequireDistinct(result, _ => "variables", "name the variables apart from the target's attributes");

        var inputs = new Dictionary<string, AnalysisInput> { ["source"] = source, ["target"] = target.Input };
        if (weights is not null)
        {
            inputs["weights"] = weights;
        }
        var parameters = new JsonObject
        {
            ["variables"] = new JsonArray(variables.Select(v => (JsonNode?)new JsonObject
            {
                ["name"] = v.Name,
                ["type"] = v.Kind,
                ["property"] = v.Property,
                ["values"] = v.Values is null ? null : new JsonObject(v.Values.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            }).ToArray()),
            ["weights"] = weightsName,
            ["weight_property"] = weightProperty,
            ["allocate_total"] = allocateTotal,
            ["target_properties"] = AnalysisRequests.ToJson(target.KeptNames),
            ["output_crs"] = $"EPSG:{outputSrid}",
        };

        async Task Stage(AnalysisSession session, CancellationToken token)
        {
            await session.StageAsync("analysis_source", source,
                variables.Where(v => v.Property is not null).Select(v => v.Property!).Distinct().ToList(), "", token);
            await target.StageAsync(session, "analysis_target", token);
            if (weights is not null)
            {
                await session.StageAsync("analysis_weights", weights, [weightProperty!], "", token);
            }
            await StageValuesAsync(session, variables, token);
        }

        async Task Compute(AnalysisSession session, CancellationToken token)
        {
            await session.ExecuteAsync(AnalysisSession.Sql("interpolate_pieces"), token, weights is not null);
            if (allocateTotal && variables.Any(v => v.Kind == "extensive"))
            {
                var partly = await session.ScalarAsync<string[]>("""
                    SELECT array_agg(s.fid ORDER BY s.fid) FROM analysis_source s
                    JOIN (SELECT source_fid, sum(area) AS area FROM analysis_pieces GROUP BY source_fid) p ON p.source_fid = s.fid
                    WHERE p.area < 0.9 * s.measure
                    """, token) ?? [];
                if (partly.Length > 0)
                {
                    session.Warnings.Add($"{partly.Length} source feature(s) lie less than 90% inside the targets ({string.Join(", ", partly.Take(10))}"
                        + $"{(partly.Length > 10 ? ", …" : "")}); with allocate_total their whole values went to the targets. "
                        + "Send \"allocate_total\": false to count only the shares inside.");
                }
            }
            await session.ExecuteAsync("""
                CREATE TEMP TABLE analysis_zone_weights (source_fid text COLLATE "C", target_fid text COLLATE "C", weight float8) ON COMMIT DROP;
                CREATE TEMP TABLE analysis_source_weights (source_fid text COLLATE "C", weight float8) ON COMMIT DROP;
                """, token);
            if (weights is null)
            {
                await session.ExecuteAsync("""
                    INSERT INTO analysis_zone_weights SELECT source_fid, target_fid, area FROM analysis_pieces;
                    INSERT INTO analysis_source_weights SELECT fid, measure FROM analysis_source;
                    """, token);
            }
            else
            {
                var weightSql = AnalysisSession.Sql(weights.Family == GeometryFamily.Point ? "interpolate_weights_points" : "interpolate_weights_polygons");
                // The weight in each zone (source_fid, target_fid, geom) into analysis_zone_weights. Zones are
                // subdivided, so that the index does the work even for large, detailed polygons.
                async Task WeighZonesAsync(string zones)
                {
                    await session.ExecuteAsync($"""
                        DROP TABLE IF EXISTS analysis_zones;
                        CREATE TEMP TABLE analysis_zones ON COMMIT DROP AS
                        SELECT source_fid, target_fid, ST_Subdivide(geom, 256) AS geom FROM ({zones}) AS zones;
                        CREATE INDEX ON analysis_zones USING gist (geom); ANALYZE analysis_zones;
                        """, token);
                    await session.ExecuteAsync(weightSql, token, weightProperty);
                }
                if (!allocateTotal && variables.Any(v => v.Kind == "extensive"))
                {
                    // Weight of each whole source, for shares of it that some targets may not cover.
                    await WeighZonesAsync("""SELECT fid AS source_fid, NULL::text COLLATE "C" AS target_fid, geom FROM analysis_source""");
                    await session.ExecuteAsync("""
                        INSERT INTO analysis_source_weights SELECT source_fid, weight FROM analysis_zone_weights;
                        TRUNCATE analysis_zone_weights;
                        """, token);
                }
                await WeighZonesAsync("SELECT source_fid, target_fid, geom FROM analysis_pieces");
                var unweighted = await session.ScalarAsync<long>("""
                    SELECT count(DISTINCT p.source_fid) FROM analysis_pieces p
                    WHERE NOT EXISTS (SELECT 1 FROM analysis_zone_weights w WHERE w.source_fid = p.source_fid AND w.weight > 0)
                    """, token);
                if (unweighted > 0)
                {
                    session.Warnings.Add($"{unweighted} source feature(s) have no {weightProperty} of '{weightsName}' where they meet the targets; "
                        + "their values were shared by area instead.");
                }
            }
            await session.ExecuteAsync(AnalysisSession.Sql("interpolate_allocate"), token,
                allocateTotal, variables.Select(v => v.Kind).ToArray(), variables.Select(v => v.Name).ToArray());
        }

        return new AnalysisPlan("interpolation", inputs, Stage, Compute, result, parameters, outputSrid, saveAs, NarrowHint);
    }

    /// <summary><c>"weights": "area" | "population_grid" | "tatorter" | {"layer": .., "property": .., "filter": ..}</c>.</summary>
    private static async Task<(string Name, AnalysisInput? Input, string? Property)> ReadWeightsAsync(
        RequestJson request, LayerCatalog catalog, InlineBudget budget, CancellationToken ct)
    {
        var element = request.Element("weights");
        if (element is null || element.Value.ValueKind == JsonValueKind.String && element.Value.GetString() == "area")
        {
            return ("area", null, null);
        }
        string name;
        AnalysisInput input;
        string property;
        if (element.Value.ValueKind == JsonValueKind.String)
        {
            name = element.Value.GetString()!;
            if (!WeightPresets.TryGetValue(name, out var preset))
            {
                throw new InvalidQueryException("weights",
                    $"Unknown weights '{name}'. Use area, {string.Join(", ", WeightPresets.Keys)}, or {{\"layer\": id, \"property\": numeric attribute}}.");
            }
            input = new LayerInput("weights", await AnalysisInputs.FindLayerAsync(catalog, preset.Layer, "weights", ct), FeatureFilter.None, null);
            property = preset.Property;
        }
        else
        {
            var spec = RequestJson.Of(element.Value, "weights");
            property = spec.RequiredString("property");
            input = (await AnalysisInputs.ReadAsync(spec, catalog, budget, null, ct)).Input;
            name = input is LayerInput l ? l.Layer.Id : "inline";
        }
        AnalysisInputs.NumericProperty(input, "weights.property", property);
        if (input.Family == GeometryFamily.Line)
        {
            throw new InvalidQueryException("weights", "Weights come from polygons (shared by area) or points (each wholly where it lies), not lines.");
        }
        return (name, input, property);
    }

    private static async Task StageValuesAsync(AnalysisSession session, IReadOnlyList<Variable> variables, CancellationToken ct)
    {
        await session.ExecuteAsync("CREATE TEMP TABLE analysis_values (fid text COLLATE \"C\", variable int, value float8) ON COMMIT DROP", ct);
        for (var i = 0; i < variables.Count; i++)
        {
            var variable = variables[i];
            var index = i + 1;
            if (variable.Property is not null)
            {
                await session.ExecuteAsync("""
                    INSERT INTO analysis_values
                    SELECT fid, $1, (properties ->> $2::text)::float8 FROM analysis_source WHERE jsonb_typeof(properties -> $2::text) = 'number'
                    """, ct, index, variable.Property);
            }
            else
            {
                var keys = variable.Values!.Keys.ToArray();
                var unknown = await session.ScalarAsync<string[]>("""
                    SELECT array_agg(k ORDER BY k) FROM unnest($1::text[]) AS k WHERE NOT EXISTS (SELECT 1 FROM analysis_source s WHERE s.fid = k)
                    """, ct, (object)keys) ?? [];
                if (unknown.Length == keys.Length)
                {
                    throw new InvalidQueryException($"variables[{i}].values",
                        $"None of the ids in variables[{i}].values is a feature of the source (for instance '{keys[0]}'). "
                        + "The ids are the source's feature ids, such as municipality codes \"2380\".");
                }
                if (unknown.Length > 0)
                {
                    session.Warnings.Add($"variables[{i}].values: {unknown.Length} id(s) are not features of the source and were ignored: "
                        + string.Join(", ", unknown.Take(10)) + (unknown.Length > 10 ? ", …" : "") + ".");
                }
                await session.ExecuteAsync("INSERT INTO analysis_values SELECT k, $1, v FROM unnest($2::text[], $3::float8[]) AS u(k, v)", ct,
                    index, keys, variable.Values.Values.ToArray());
            }
            var missing = await session.ScalarAsync<long>(
                "SELECT count(*) FROM analysis_source s WHERE NOT EXISTS (SELECT 1 FROM analysis_values v WHERE v.fid = s.fid AND v.variable = $1)",
                ct, index);
            if (missing > 0)
            {
                session.Warnings.Add($"{missing} source feature(s) have no value for '{variable.Name}' and contribute nothing to it.");
            }
        }
    }
}

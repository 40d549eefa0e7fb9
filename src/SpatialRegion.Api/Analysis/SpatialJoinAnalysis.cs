using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Features of one or more source inputs summarised per polygon of a target input: count, sum, mean, min and
/// max of numeric attributes, and ratios between them (facilities per 10 000 inhabitants). Sources are
/// matched by containment, by intersection, or by their centroid (each source to exactly one target). The
/// targets are subdivided (ST_Subdivide) so that the index does the work even for large, detailed polygons.
/// </summary>
public static class SpatialJoinAnalysis
{
    public static readonly string[] Predicates = ["contains", "intersects", "centroid"];
    public static readonly string[] Operations = ["count", "sum", "mean", "min", "max"];

    private const string NarrowHint = "Narrow it: filter the target or the sources by attribute or by \"bbox\", or join fewer sources at once.";

    private sealed record Statistic(string Name, string Operation, LayerProperty? Property);

    private sealed record Join(AnalysisInput Source, string Predicate, IReadOnlyList<Statistic> Statistics);

    private sealed record Ratio(string Name, string Numerator, string Denominator, double Per);

    public static async Task<AnalysisPlan> ReadAsync(JsonElement body, LayerCatalog catalog, AnalysisOptions options, CancellationToken ct)
    {
        var request = RequestJson.Of(body, "");
        var budget = new InlineBudget(options.MaxInlineVertices);
        var target = await AnalysisInputs.ReadAsync(request.RequiredObject("target"), catalog, budget, "", ct);
        if (target.Input.Family != GeometryFamily.Polygon)
        {
            throw new InvalidQueryException("target", "The target of a spatial join must be polygons: the areas the sources are summarised in.");
        }

        var joins = new List<Join>();
        foreach (var (spec, index) in request.Objects("joins"))
        {
            var source = (await AnalysisInputs.ReadAsync(spec.RequiredObject("source"), catalog, budget, null, ct)).Input;
            var predicate = spec.String("predicate") ?? "contains";
            if (!Predicates.Contains(predicate))
            {
                throw new InvalidQueryException(spec.Member("predicate"), $"Unknown predicate '{predicate}'. Use one of: {string.Join(", ", Predicates)}.");
            }
            var statistics = new List<Statistic>();
            foreach (var (stat, _) in spec.Objects("statistics"))
            {
                var op = stat.RequiredString("op");
                if (!Operations.Contains(op))
                {
                    throw new InvalidQueryException(stat.Member("op"), $"Unknown statistic '{op}'. Use one of: {string.Join(", ", Operations)}.");
                }
                LayerProperty? property = null;
                if (op != "count")
                {
                    property = AnalysisInputs.NumericProperty(source, stat.Member("property"), stat.RequiredString("property"));
                }
                else if (stat.Has("property"))
                {
                    throw new InvalidQueryException(stat.Member("property"), "A count counts features; it takes no property.");
                }
                statistics.Add(new Statistic(stat.String("as") ?? (property is null ? op : $"{op}_{property.Name}"), op, property));
                stat.RejectUnknown();
            }
            if (statistics.Count == 0)
            {
                statistics.Add(new Statistic("count", "count", null));
            }
            spec.RejectUnknown();
            joins.Add(new Join(source, predicate, statistics));
        }
        if (joins.Count == 0)
        {
            throw new InvalidQueryException("joins", "A spatial join needs at least one entry in 'joins': {\"source\": {\"layer\": ...}, \"statistics\": [...]}.");
        }

        var result = new List<LayerProperty>(target.ResultProperties);
        foreach (var statistic in joins.SelectMany(j => j.Statistics))
        {
            result.Add(new LayerProperty(statistic.Name, statistic.Operation switch
            {
                "count" => LayerProperty.Integer,
                "sum" or "min" or "max" when statistic.Property!.Type == LayerProperty.Integer => LayerProperty.Integer,
                _ => LayerProperty.Number,
            }));
        }
        AnalysisRequests.RequireDistinct(result, _ => "joins", "name the statistics apart with \"as\"");

        var ratios = new List<Ratio>();
        foreach (var (spec, _) in request.Objects("ratios"))
        {
            var name = spec.RequiredString("as");
            string Operand(string member)
            {
                var operand = spec.RequiredString(member);
                var property = result.FirstOrDefault(p => p.Name == operand) ?? throw new InvalidQueryException(spec.Member(member),
                    $"'{operand}' is neither a statistic nor an attribute of the target. Available: {string.Join(", ", result.Select(p => p.Name))}.");
                return property.Type is LayerProperty.Integer or LayerProperty.Number
                    ? operand
                    : throw new InvalidQueryException(spec.Member(member), $"'{operand}' is not a number.");
            }
            var ratio = new Ratio(name, Operand("numerator"), Operand("denominator"), spec.Number("per") ?? 1);
            spec.RejectUnknown();
            ratios.Add(ratio);
            result.Add(new LayerProperty(name, LayerProperty.Number));
        }
        AnalysisRequests.RequireDistinct(result, _ => "ratios", "name the ratios apart from the statistics and attributes");

        var outputSrid = AnalysisRequests.ReadOutputSrid(request);
        var saveAs = AnalysisRequests.ReadSaveAs(request);
        request.RejectUnknown();

        var inputs = new Dictionary<string, AnalysisInput> { ["target"] = target.Input };
        for (var i = 0; i < joins.Count; i++)
        {
            inputs[$"joins[{i}].source"] = joins[i].Source;
        }
        var parameters = new JsonObject
        {
            ["target_properties"] = AnalysisRequests.ToJson(target.KeptNames),
            ["joins"] = new JsonArray(joins.Select(j => (JsonNode?)new JsonObject
            {
                ["predicate"] = j.Predicate,
                ["statistics"] = new JsonArray(j.Statistics.Select(s => (JsonNode?)new JsonObject
                {
                    ["op"] = s.Operation,
                    ["property"] = s.Property?.Name,
                    ["as"] = s.Name,
                }).ToArray()),
            }).ToArray()),
            ["ratios"] = new JsonArray(ratios.Select(r => (JsonNode?)new JsonObject
            {
                ["as"] = r.Name,
                ["numerator"] = r.Numerator,
                ["denominator"] = r.Denominator,
                ["per"] = r.Per,
            }).ToArray()),
            ["output_crs"] = $"EPSG:{outputSrid}",
        };

        async Task Stage(AnalysisSession session, CancellationToken token)
        {
            await target.StageAsync(session, "analysis_target", token);
            await session.ExecuteAsync(AnalysisSession.Sql("spatial_join_subdivide"), token);
        }

        async Task Compute(AnalysisSession session, CancellationToken token)
        {
            await session.ExecuteAsync("CREATE TEMP TABLE analysis_join_stats (target_fid text COLLATE \"C\", stats jsonb) ON COMMIT DROP", token);
            foreach (var join in joins)
            {
                var used = join.Statistics.Where(s => s.Property is not null).Select(s => s.Property!.Name).Distinct().ToList();
                await session.StageAsync("analysis_source", join.Source, used, "", token);
                await session.ExecuteAsync(AnalysisSession.Sql("spatial_join_" + join.Predicate), token);
                await session.ExecuteAsync(StatisticsSql(join.Statistics, out var statParameters), statParameters, token);
                await session.ExecuteAsync("DROP TABLE analysis_matches, analysis_source", token);
            }

            var defaults = new JsonObject();
            foreach (var statistic in joins.SelectMany(j => j.Statistics).Where(s => s.Operation is "count" or "sum"))
            {
                defaults[statistic.Name] = 0;
            }
            await session.ExecuteAsync(AnalysisSession.Sql("spatial_join_assemble"),
                [new NpgsqlParameter { Value = defaults.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb }], token);
            foreach (var ratio in ratios)
            {
                await session.ExecuteAsync("""
                    UPDATE analysis_result SET properties = properties || jsonb_build_object($1::text,
                      CASE WHEN (properties ->> $3::text)::numeric <> 0
                           THEN round((properties ->> $2::text)::numeric / (properties ->> $3::text)::numeric * $4::numeric, 6) END)
                    """, token, ratio.Name, ratio.Numerator, ratio.Denominator, (decimal)ratio.Per);
            }
        }

        return new AnalysisPlan("spatial-join", inputs, Stage, Compute, result, parameters, outputSrid, saveAs, NarrowHint);
    }

    /// <summary>One grouped statement per join; names of statistics and properties are parameters.</summary>
    private static string StatisticsSql(IReadOnlyList<Statistic> statistics, out List<NpgsqlParameter> parameters)
    {
        var list = new List<NpgsqlParameter>();
        string Add(string value)
        {
            list.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Text });
            return "$" + list.Count.ToString(CultureInfo.InvariantCulture);
        }
        var pairs = new StringBuilder();
        foreach (var s in statistics)
        {
            var value = s.Property is null ? "" : $"(s.properties ->> {Add(s.Property.Name)})::numeric";
            var aggregate = s.Operation switch
            {
                "count" => "count(*)",
                "sum" => $"sum({value})",
                "mean" => $"round(avg({value}), 6)",
                "min" => $"min({value})",
                _ => $"max({value})",
            };
            pairs.Append(pairs.Length == 0 ? "" : ", ").Append(Add(s.Name)).Append("::text, ").Append(aggregate);
        }
        parameters = list;
        return $"""
            INSERT INTO analysis_join_stats (target_fid, stats)
            SELECT m.target_fid, jsonb_build_object({pairs})
            FROM analysis_matches m JOIN analysis_source s ON s.fid = m.source_fid
            GROUP BY m.target_fid
            """;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Overlay of two inputs, with the meanings GIS users know from QGIS and ArcGIS:
/// <list type="bullet">
/// <item><c>intersection</c>: the part each pair of A and B features share, with the attributes of both;</item>
/// <item><c>union</c>: those parts, plus the parts of A outside B and of B outside A (without B: A's features merged);</item>
/// <item><c>difference</c>: each A feature minus everything in B;</item>
/// <item><c>symmetric_difference</c>: the parts of A outside B and of B outside A;</item>
/// <item><c>identity</c>: A cut up by B: the shared parts with B's attributes, and the rest of A without;</item>
/// <item><c>clip</c>: each A feature cut to the area B covers, with A's attributes only.</item>
/// </list>
/// Overlaps among the features of one input are not resolved: every piece comes from one A and at most one B feature.
/// </summary>
public static class OverlayAnalysis
{
    public static readonly string[] Operations = ["intersection", "union", "difference", "symmetric_difference", "identity", "clip"];

    private const string NarrowHint = "Narrow it: filter a or b by attribute (\"filter\": {\"LAN_KOD\": \"23\"}) or by \"bbox\", "
        + "or send fewer or simpler inline features.";

    public static async Task<AnalysisPlan> ReadAsync(JsonElement body, LayerCatalog catalog, AnalysisOptions options, CancellationToken ct)
    {
        var request = RequestJson.Of(body, "");
        var operation = request.RequiredString("operation");
        if (!Operations.Contains(operation))
        {
            throw new InvalidQueryException("operation", $"Unknown operation '{operation}'. Use one of: {string.Join(", ", Operations)}.");
        }
        var budget = new InlineBudget(options.MaxInlineVertices);
        var a = await AnalysisInputs.ReadAsync(request.RequiredObject("a"), catalog, budget, "a_", ct);
        var bSpec = request.Object("b");
        if (bSpec is null && operation != "union")
        {
            throw new InvalidQueryException("b", $"The {operation} needs a second input 'b'.");
        }
        var b = bSpec is null ? null : await AnalysisInputs.ReadAsync(bSpec, catalog, budget, "b_", ct);
        var dissolveBy = request.Strings("dissolve_by");
        // Union of one input is the merge of its features: everything into one, unless grouped by attributes.
        var dissolve = request.Boolean("dissolve") ?? (b is null || dissolveBy is not null);
        var outputSrid = AnalysisRequests.ReadOutputSrid(request);
        var saveAs = AnalysisRequests.ReadSaveAs(request);
        request.RejectUnknown();

        var familyA = a.Input.Family;
        var familyB = b?.Input.Family ?? familyA;
        var family = operation switch
        {
            "intersection" => (GeometryFamily)Math.Min((int)familyA, (int)familyB),
            "union" or "symmetric_difference" when familyA != familyB => throw new InvalidQueryException("b",
                $"A {operation} needs inputs of one kind of geometry; a has {familyA.ToString().ToLowerInvariant()}s and b has {familyB.ToString().ToLowerInvariant()}s."),
            "identity" or "clip" when familyB < familyA => throw new InvalidQueryException("b",
                $"An {operation} cuts a by b, so b must be of the same or a higher dimension (a: {familyA.ToString().ToLowerInvariant()}s, b: {familyB.ToString().ToLowerInvariant()}s)."),
            _ => familyA,
        };
        if (dissolveBy is not null && !dissolve)
        {
            throw new InvalidQueryException("dissolve", "dissolve_by merges features; it cannot go with \"dissolve\": false.");
        }

        var withB = b is not null && operation is "intersection" or "union" or "identity" or "symmetric_difference";
        var measure = AnalysisRequests.MeasureName(family);
        var pieceProperties = new List<LayerProperty> { new("a_fid", LayerProperty.String) };
        pieceProperties.AddRange(a.ResultProperties);
        if (withB)
        {
            pieceProperties.Add(new LayerProperty("b_fid", LayerProperty.String));
            pieceProperties.AddRange(b!.ResultProperties);
        }
        // A clash with one of b's attributes is b's prefix to change; any other, a's.
        string PrefixMember(string name) => withB && b!.ResultProperties.Any(p => p.Name == name) ? "b.prefix" : "a.prefix";
        AnalysisRequests.RequireDistinct(pieceProperties, PrefixMember, "set another \"prefix\" on a or b");

        var result = new List<LayerProperty>();
        string[] keys = [];
        if (dissolve)
        {
            keys = (dissolveBy ?? []).Distinct().ToArray();
            foreach (var key in keys)
            {
                result.Add(pieceProperties.FirstOrDefault(p => p.Name == key) ?? throw new InvalidQueryException("dissolve_by",
                    $"The result has no attribute '{key}' to dissolve by. It has: {string.Join(", ", pieceProperties.Select(p => p.Name))}."));
            }
        }
        else
        {
            result.AddRange(pieceProperties);
        }
        if (measure is not null)
        {
            result.Add(new LayerProperty(measure, LayerProperty.Number));
            result.Add(new LayerProperty("share_of_a", LayerProperty.Number));
            if (withB)
            {
                result.Add(new LayerProperty("share_of_b", LayerProperty.Number));
            }
        }
        AnalysisRequests.RequireDistinct(result, PrefixMember, "set another \"prefix\" on a or b");
        string[] generated = ["a_fid", "b_fid", "area_m2", "length_m", "share_of_a", "share_of_b"];
        var notProduced = generated.Where(g => result.All(p => p.Name != g)).ToArray();

        var parameters = new JsonObject
        {
            ["operation"] = operation,
            ["dissolve"] = dissolve,
            ["dissolve_by"] = AnalysisRequests.ToJson(dissolveBy),
            ["a_properties"] = AnalysisRequests.ToJson(a.KeptNames),
            ["b_properties"] = b is null ? null : AnalysisRequests.ToJson(b.KeptNames),
            ["a_prefix"] = a.Prefix,
            ["b_prefix"] = b?.Prefix,
            ["output_crs"] = $"EPSG:{outputSrid}",
        };
        var inputs = new Dictionary<string, AnalysisInput> { ["a"] = a.Input };
        if (b is not null)
        {
            inputs["b"] = b.Input;
        }

        async Task Stage(AnalysisSession session, CancellationToken token)
        {
            await a.StageAsync(session, "analysis_a", token);
            if (b is null)
            {
                await session.StageEmptyAsync("analysis_b", token);
            }
            else
            {
                // b's attributes reach the result only with its features (not in a difference or a clip).
                await (withB ? b : b with { Kept = [] }).StageAsync(session, "analysis_b", token);
            }
        }

        async Task Compute(AnalysisSession session, CancellationToken token)
        {
            await session.ExecuteAsync("""
                CREATE TEMP TABLE analysis_pieces (a_fid text COLLATE "C", b_fid text COLLATE "C", geom geometry) ON COMMIT DROP;
                ALTER TABLE analysis_pieces ALTER COLUMN geom SET STORAGE EXTERNAL
                """, token);
            if (operation is "intersection" or "union" or "identity")
            {
                await session.ExecuteAsync(AnalysisSession.Sql("overlay_intersection"), token, (int)family);
            }
            if (operation is "union" or "identity" or "difference" or "symmetric_difference")
            {
                var bOutsideA = operation is "union" or "symmetric_difference";
                await session.ExecuteAsync(AnalysisSession.Sql("overlay_remainders"), token, (int)family, bOutsideA, (int)familyA, (int)familyB);
            }
            if (operation == "clip")
            {
                await session.ExecuteAsync(AnalysisSession.Sql("overlay_clip"), token, (int)family, (int)familyB);
            }

            if (dissolve)
            {
                await session.ExecuteAsync(AnalysisSession.Sql("overlay_dissolve"), token, keys, (int)family, measure, notProduced);
            }
            else
            {
                await session.ExecuteAsync(AnalysisSession.Sql("overlay_assemble"), token, measure, (int)family, notProduced);
            }
        }

        return new AnalysisPlan("overlay", inputs, Stage, Compute, result, parameters, outputSrid, saveAs, NarrowHint);
    }
}

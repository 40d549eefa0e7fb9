using System.Text.Json.Nodes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// A validated analysis, ready to run: how to stage its inputs, how to compute the result table
/// (<c>analysis_result</c>: ordinal, fid, properties, geom in EPSG:3006), and what the result looks like.
/// Built by the request readers; run by <see cref="AnalysisRunner"/>. With <c>Csv</c> the result is a table of the
/// result's attributes (no geometry) instead of GeoJSON.
/// </summary>
public sealed record AnalysisPlan(
    string Analysis,
    IReadOnlyDictionary<string, AnalysisInput> Inputs,
    Func<AnalysisSession, CancellationToken, Task> StageAsync,
    Func<AnalysisSession, CancellationToken, Task> ComputeAsync,
    IReadOnlyList<LayerProperty> ResultProperties,
    JsonObject Parameters,
    int OutputSrid,
    SaveAs? SaveAs,
    string NarrowHint,
    bool Csv = false);

/// <summary>Where to keep a result: a new layer of kind "analysis" (or one such layer replaced).</summary>
public sealed record SaveAs(string Id, string? Title, string? Description, bool Replace);

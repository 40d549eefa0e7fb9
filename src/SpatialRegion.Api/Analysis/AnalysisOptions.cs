namespace SpatialRegion.Api.Analysis;

/// <summary>Limits of the analysis endpoints (section SpatialRegion:Analysis).</summary>
public sealed class AnalysisOptions
{
    public const string Section = "SpatialRegion:Analysis";

    /// <summary>Largest request body, inline GeoJSON included.</summary>
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most vertices all inline geometries of one request may have together.</summary>
    public int MaxInlineVertices { get; set; } = 250_000;

    /// <summary>How long any one statement of an analysis may run before it is cancelled (fractions allowed).</summary>
    public double StatementTimeoutSeconds { get; set; } = 60;

    /// <summary>Analyses computed at the same time; further requests wait their turn.</summary>
    public int MaxConcurrentAnalyses { get; set; } = 2;
}

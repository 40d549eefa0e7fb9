namespace SpatialRegion.Api.Analysis;

/// <summary>An analysis that cannot be done as asked, with the HTTP status that says why (413 too large,
/// 409 name taken, 422 too heavy or not computable). Plain bad input is an <see cref="Layers.InvalidQueryException"/> (400).</summary>
public sealed class AnalysisException(int status, string title, string detail, string? parameter = null) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public string? Parameter { get; } = parameter;
}

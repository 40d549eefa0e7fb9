namespace SpatialRegion.Api.Layers;

/// <summary>A request parameter that cannot be honoured. Each front-end renders it in its own error format
/// (ProblemDetails, OGC exception JSON, OWS ExceptionReport); it never reaches the database.</summary>
public sealed class InvalidQueryException(string parameter, string message) : Exception(message)
{
    public string Parameter { get; } = parameter;
}

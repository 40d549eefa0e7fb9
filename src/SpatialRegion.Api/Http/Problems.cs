using Microsoft.AspNetCore.Http.HttpResults;

namespace SpatialRegion.Api.Http;

/// <summary>RFC 9457 problem responses for the REST API.</summary>
public static class Problems
{
    /// <summary>A problem of any status; <paramref name="parameter"/> names the request member at fault.</summary>
    public static ProblemHttpResult WithStatus(int status, string title, string detail, string? parameter = null) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: status,
            title: title,
            extensions: parameter is null ? null : new Dictionary<string, object?> { ["parameter"] = parameter });

    public static ProblemHttpResult BadRequest(string detail, string? parameter = null) =>
        WithStatus(StatusCodes.Status400BadRequest, "Invalid request", detail, parameter);

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");
}

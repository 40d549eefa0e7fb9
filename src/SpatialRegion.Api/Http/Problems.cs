using Microsoft.AspNetCore.Http.HttpResults;

namespace SpatialRegion.Api.Http;

/// <summary>RFC 9457 problem responses for the REST API.</summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string detail, string? parameter = null) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid request",
            extensions: parameter is null ? null : new Dictionary<string, object?> { ["parameter"] = parameter });

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");
}

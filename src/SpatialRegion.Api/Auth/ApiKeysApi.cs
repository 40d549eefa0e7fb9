using Microsoft.AspNetCore.Http.HttpResults;
using SpatialRegion.Api.Http;

namespace SpatialRegion.Api.Auth;

/// <summary>Key management for administrators; the command line (create-api-key) does the same on the server.</summary>
public static class ApiKeysApi
{
    public sealed record NewKey(string Name, string Role);

    public sealed record CreatedKey(string Name, string Role, string Key);

    public static RouteGroupBuilder MapApiKeysApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/admin/api-keys").WithTags("Administration").RequireAuthorization(AuthPolicies.Admin);
        api.MapGet("/", async (ApiKeyStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct)))
            .WithName("ListApiKeys").WithSummary("API keys: names, roles and use, never the keys themselves (admin role).");
        api.MapPost("/", CreateKey).WithName("CreateApiKey")
            .WithSummary("Create an API key; the answer is the only time the key is shown (admin role).");
        api.MapDelete("/{name}", async Task<Results<NoContent, ProblemHttpResult>> (string name, ApiKeyStore store, CancellationToken ct) =>
                await store.RevokeAsync(name, ct) ? TypedResults.NoContent() : Problems.NotFound($"No active API key named '{name}'."))
            .WithName("RevokeApiKey").WithSummary("Revoke an API key (admin role).");
        return api;
    }

    private static async Task<Results<Created<CreatedKey>, ProblemHttpResult>> CreateKey(NewKey request, ApiKeyStore store, CancellationToken ct)
    {
        try
        {
            var key = await store.CreateAsync(request.Name, request.Role, ct);
            return TypedResults.Created($"/api/admin/api-keys/{Uri.EscapeDataString(request.Name)}", new CreatedKey(request.Name, request.Role, key));
        }
        catch (ArgumentException e)
        {
            return Problems.BadRequest(e.Message);
        }
    }
}

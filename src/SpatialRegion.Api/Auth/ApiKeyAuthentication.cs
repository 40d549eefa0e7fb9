using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SpatialRegion.Api.Auth;

/// <summary>
/// Authenticates "Authorization: Bearer &lt;key&gt;", "X-Api-Key: &lt;key&gt;" or HTTP Basic with the key as the
/// password (the user name is not read): QGIS's authentication configurations send Basic. No key means an anonymous caller,
/// which is all a read needs; endpoints that write answer 401 (no or no valid key) or 403 (a key whose role
/// may not) as problem details.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyStore store, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request);
        if (key is null)
        {
            return AuthenticateResult.NoResult();
        }
        var caller = await store.ValidateCachedAsync(key, Context.RequestAborted);
        if (caller is null)
        {
            return AuthenticateResult.Fail("The API key is not valid or has been revoked.");
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, caller.Name), new Claim(ClaimTypes.Role, caller.Role)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        // Basic is offered too, so that clients which only answer a challenge (QGIS, GDAL) send the key.
        Response.Headers.WWWAuthenticate = new Microsoft.Extensions.Primitives.StringValues(["Bearer", "Basic realm=\"SpatialRegion\", charset=\"UTF-8\""]);
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Authentication required",
                Detail = failure?.Message ?? "This operation changes data: send an API key as 'Authorization: Bearer <key>', 'X-Api-Key: <key>' or as the password of HTTP Basic.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Not allowed",
                Detail = $"The key '{Context.User.Identity?.Name}' has the role '{Context.User.FindFirstValue(ClaimTypes.Role)}', which may not do this.",
            },
        });
    }

    private static string? ReadKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization[7..].Trim();
        }
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return BasicPassword(authorization[6..].Trim());
        }
        var header = request.Headers["X-Api-Key"].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }

    /// <summary>The password of "user:password" in base64; an unreadable credential is an empty key, which no key matches.</summary>
    private static string BasicPassword(string credentials)
    {
        var bytes = new byte[credentials.Length];
        if (!Convert.TryFromBase64String(credentials, bytes, out var length))
        {
            return "";
        }
        var text = System.Text.Encoding.UTF8.GetString(bytes, 0, length);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? "" : text[(colon + 1)..];
    }
}

public static class ApiKeyAuthenticationSetup
{
    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Editor, p => p.RequireAuthenticatedUser().RequireRole(ApiRoles.Editor, ApiRoles.Admin))
            .AddPolicy(AuthPolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole(ApiRoles.Admin));
        return services;
    }
}

namespace SpatialRegion.Api.Http;

// INTERIM: the write endpoints of indicators and jobs call RequireEditor(); when the shared API-key
// authentication is merged from main this becomes RequireAuthorization(AuthPolicies.Editor).
public static class EditorAccess
{
    public static TBuilder RequireEditor<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder => builder;

    public static string CallerName(HttpContext context) => context.User.Identity?.Name ?? "anonymous";
}

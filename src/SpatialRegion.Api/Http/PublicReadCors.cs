namespace SpatialRegion.Api.Http;

/// <summary>
/// Cross-origin reads, as pygeoapi, tipg and pg_featureserv allow them, so that a municipality's own web map can
/// draw the region's layers and tiles: GET and HEAD (with their preflight) from the origins in
/// SpatialRegion:Cors:AllowedOrigins (default any; empty turns cross-origin access off). Writes are not opened to
/// other origins: a preflight for PUT, POST or DELETE gets no Access-Control-Allow-Methods, so a browser never
/// sends them from another site, and no credentials are ever allowed.
/// </summary>
public static class PublicReadCors
{
    public const string Section = "SpatialRegion:Cors:AllowedOrigins";

    /// <summary>Headers a cross-origin script may read: revalidation, the CRS of a response, where a created
    /// resource is, and the road network and speeds a travel-time answer used.</summary>
    private static readonly string[] Exposed =
        ["ETag", "Content-Crs", "Location", "Retry-After", Measures.MeasureTravelTime.NetworkHeader, Measures.MeasureTravelTime.SpeedTableHeader];

    public static IServiceCollection AddPublicReadCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection(Section).Get<string[]>()
            ?? (configuration[Section] is { } text ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : ["*"]);
        services.AddCors(o => o.AddDefaultPolicy(policy =>
        {
            if (origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(origins);
            }
            policy.WithMethods(HttpMethods.Get, HttpMethods.Head, HttpMethods.Options)
                .AllowAnyHeader()
                .WithExposedHeaders(Exposed)
                .SetPreflightMaxAge(TimeSpan.FromHours(1));
        }));
        return services;
    }
}

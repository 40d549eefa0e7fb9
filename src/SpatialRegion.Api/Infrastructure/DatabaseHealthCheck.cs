using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SpatialRegion.Api.Infrastructure;

/// <summary>Ready means: PostGIS answers and the schema is the one this build expects.</summary>
public sealed class DatabaseHealthCheck(Migrator migrator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await migrator.IsUpToDateAsync(cancellationToken)
                ? HealthCheckResult.Healthy("PostGIS reachable, schema up to date.")
                : HealthCheckResult.Unhealthy("PostGIS reachable, but the schema is not migrated.");
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("PostGIS is not reachable.", e);
        }
    }
}

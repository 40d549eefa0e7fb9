namespace SpatialRegion.Api.Infrastructure;

/// <summary>Brings the schema up to date before the server starts accepting requests.</summary>
public sealed class MigrationService(Migrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

namespace SpatialRegion.Api.Indicators;

/// <summary>Brings the shipped catalogue (data/indicators.json) into the database once the schema is migrated.</summary>
public sealed class IndicatorCatalogueStartup(IndicatorCatalogue catalogue) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => catalogue.SyncShippedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

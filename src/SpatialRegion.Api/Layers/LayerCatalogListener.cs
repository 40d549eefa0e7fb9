using Npgsql;

namespace SpatialRegion.Api.Layers;

/// <summary>
/// Keeps the catalogue in step with the registry: LISTENs for layers_changed (sent by a trigger on every
/// registry change, whichever process made it) and reloads. After a lost connection it reloads once, since
/// notifications sent while it was away are gone.
/// </summary>
public sealed partial class LayerCatalogListener(
    NpgsqlDataSource dataSource, LayerCatalog catalog, ILogger<LayerCatalogListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retryDelay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                var changed = 0;
                connection.Notification += (_, _) => Interlocked.Exchange(ref changed, 1);
                await using (var listen = new NpgsqlCommand("LISTEN layers_changed", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                await catalog.ReloadAsync(stoppingToken);
                retryDelay = TimeSpan.FromSeconds(1);

                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                    // An import touches its registry row several times; drain what is queued and reload once.
                    while (await connection.WaitAsync(TimeSpan.FromMilliseconds(20), stoppingToken))
                    {
                    }
                    if (Interlocked.Exchange(ref changed, 0) == 1)
                    {
                        await catalog.ReloadAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
            {
                LogListenFailed(e, retryDelay.TotalSeconds);
                await Task.Delay(retryDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                retryDelay = TimeSpan.FromSeconds(Math.Min(retryDelay.TotalSeconds * 2, 30));
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Lost the layers_changed subscription; retrying in {Seconds} s")]
    private partial void LogListenFailed(Exception e, double seconds);
}

using Npgsql;

namespace SpatialRegion.Api.Infrastructure;

/// <summary>An in-memory snapshot of a table whose trigger announces every change on a NOTIFY channel.</summary>
public interface INotifiedCatalog
{
    /// <summary>The channel the table's trigger notifies (a plain SQL identifier).</summary>
    string Channel { get; }

    Task ReloadAsync(CancellationToken ct);
}

/// <summary>
/// Keeps the in-memory catalogues in step with their tables: LISTENs on each one's channel (notified by a trigger
/// on every change, whichever process made it) and reloads the ones that changed. After a lost connection it
/// reloads them all once, since notifications sent while it was away are gone.
/// </summary>
public sealed partial class CatalogListener(
    NpgsqlDataSource dataSource, IEnumerable<INotifiedCatalog> catalogs, ILogger<CatalogListener> logger) : BackgroundService
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Channel names are constants of the catalogues.")]
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var byChannel = catalogs.ToDictionary(c => c.Channel, StringComparer.Ordinal);
        var retryDelay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                var changed = new HashSet<string>(StringComparer.Ordinal);
                connection.Notification += (_, e) =>
                {
                    lock (changed)
                    {
                        changed.Add(e.Channel);
                    }
                };
                foreach (var channel in byChannel.Keys)
                {
                    await using var listen = new NpgsqlCommand("LISTEN " + channel, connection);
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                foreach (var catalog in byChannel.Values)
                {
                    await catalog.ReloadAsync(stoppingToken);
                }
                retryDelay = TimeSpan.FromSeconds(1);

                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                    // A write touches its rows several times; drain what is queued and reload each catalogue once.
                    while (await connection.WaitAsync(TimeSpan.FromMilliseconds(20), stoppingToken))
                    {
                    }
                    string[] reload;
                    lock (changed)
                    {
                        reload = [.. changed];
                        changed.Clear();
                    }
                    foreach (var channel in reload)
                    {
                        await byChannel[channel].ReloadAsync(stoppingToken);
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
                // Short, because until the catalogues are reloaded a layer replaced during the outage would be answered
                // from the cache at its old version; one connection attempt every two seconds costs PostgreSQL nothing.
                retryDelay = TimeSpan.FromSeconds(Math.Min(retryDelay.TotalSeconds * 2, 2));
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Lost the catalogue notifications; retrying in {Seconds} s")]
    private partial void LogListenFailed(Exception e, double seconds);
}

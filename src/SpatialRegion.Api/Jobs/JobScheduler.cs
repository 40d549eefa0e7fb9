using Cronos;
using Microsoft.Extensions.Options;

namespace SpatialRegion.Api.Jobs;

/// <summary>
/// Starts each job at the occurrences of its cron schedule, read in the configured time zone (Europe/Stockholm:
/// a 06:30 job runs at 06:30 local time in winter and in summer). Every instance keeps the schedule; the run
/// record decides which one runs an occurrence. An occurrence missed while no instance was up runs once when the
/// service comes back (the misfire policy of Quartz's "fire once now" and systemd's Persistent=true): however many
/// were missed, only the latest runs, and its record says it ran late.
/// </summary>
public sealed partial class JobScheduler(
    IOptions<JobsOptions> options, JobRunner runner, JobRunStore store, TimeProvider time, ILogger<JobScheduler> logger)
    : BackgroundService
{
    public DateTimeOffset? NextOccurrence(string jobId)
    {
        var o = options.Value;
        return o.Definitions.TryGetValue(jobId, out var job) && job.Schedule is { Length: > 0 } s && JobSchedules.TryParse(s) is { } cron
            ? cron.GetNextOccurrence(time.GetUtcNow(), o.Zone)
            : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.SchedulerEnabled)
        {
            LogDisabled();
            return;
        }
        var zone = o.Zone;
        var schedules = Schedules();
        if (schedules.Count == 0)
        {
            return;
        }
        await CatchUpAsync(stoppingToken);
        var next = schedules.ToDictionary(s => s.Id, s => s.Cron.GetNextOccurrence(time.GetUtcNow(), zone));
        foreach (var (id, when) in next)
        {
            LogNext(id, when);
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var due = next.Where(n => n.Value is not null).Select(n => n.Value!.Value).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
            if (due == DateTimeOffset.MaxValue)
            {
                return;
            }
            var wait = due - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            foreach (var (id, cron) in schedules)
            {
                if (next[id] is { } occurrence && occurrence <= due)
                {
                    _ = RunAsync(id, occurrence, stoppingToken);
                    next[id] = cron.GetNextOccurrence(occurrence, zone);
                }
            }
        }
    }

    private List<(string Id, CronExpression Cron)> Schedules() => options.Value.Definitions
        .Where(d => !string.IsNullOrWhiteSpace(d.Value.Schedule))
        .Select(d => (Id: d.Key, Cron: JobSchedules.TryParse(d.Value.Schedule!)!))
        .ToList();

    /// <summary>Starts, for each job that has run on schedule before, the latest occurrence that passed since its last
    /// scheduled run without one, and returns what it started. Occurrences are claimed as usual, so of several
    /// instances starting together one runs it. A job never run on schedule is not started at once (a new
    /// installation waits for its first occurrence); with PostGIS away at start-up, nothing is caught up.</summary>
    public async Task<IReadOnlyList<(string JobId, DateTimeOffset Occurrence)>> CatchUpAsync(CancellationToken ct)
    {
        var started = new List<(string, DateTimeOffset)>();
        var now = time.GetUtcNow();
        foreach (var (id, cron) in Schedules())
        {
            DateTimeOffset? last;
            try
            {
                last = await store.LatestOccurrenceAsync(id, ct);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                LogCatchUpFailed(e, id);
                continue;
            }
            if (last is { } since && cron.GetOccurrences(since, now, options.Value.Zone, fromInclusive: false).LastOrDefault() is var missed
                && missed != default)
            {
                LogCatchUp(id, missed);
                _ = RunAsync(id, missed, ct);
                started.Add((id, missed));
            }
        }
        return started;
    }

    /// <summary>Runs in progress end with the service (their token is the application's stopping token); wait for
    /// them to record how they ended before the process goes.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await Task.WhenAll(runner.Running).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
    }

    private async Task RunAsync(string jobId, DateTimeOffset occurrence, CancellationToken ct)
    {
        try
        {
            await runner.RunScheduledAsync(jobId, occurrence, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e, jobId, occurrence);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(LogLevel.Information, "Job scheduler disabled (Jobs:SchedulerEnabled is false); jobs run only when triggered")]
    private partial void LogDisabled();

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: the occurrence of {Occurrence} was missed while the service was down; running it now")]
    private partial void LogCatchUp(string jobId, DateTimeOffset occurrence);

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: could not look for missed occurrences")]
    private partial void LogCatchUpFailed(Exception e, string jobId);

    [LoggerMessage(LogLevel.Information, "Job {JobId}: next run {Next}")]
    private partial void LogNext(string jobId, DateTimeOffset? next);

    [LoggerMessage(LogLevel.Error, "Job {JobId}: the run for {Occurrence} could not start")]
    private partial void LogFailed(Exception e, string jobId, DateTimeOffset occurrence);
}

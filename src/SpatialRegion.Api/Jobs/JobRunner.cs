using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using SpatialRegion.Api.Indicators;
using SpatialRegion.Api.Jobs.Sources;

namespace SpatialRegion.Api.Jobs;

public abstract record RunStart
{
    public sealed record Started(long RunId) : RunStart;

    public sealed record Busy(long? RunningRunId) : RunStart;

    public sealed record UnknownJob : RunStart;
}

/// <summary>
/// Runs refresh jobs. A run holds the job's PostgreSQL advisory lock from start to end, so two runs of one job
/// never overlap, whichever instance started them; a scheduled occurrence is first claimed in job_runs (unique per
/// job and occurrence), so that with several instances on one database exactly one of them runs it. Values are
/// fetched first, then written in one transaction per indicator: an indicator whose source failed, answered
/// malformed data or values that do not check keeps exactly the values it had.
/// </summary>
public sealed partial class JobRunner(
    NpgsqlDataSource dataSource,
    IOptions<JobsOptions> options,
    IServiceProvider services,
    IndicatorValueWriter writer,
    IndicatorCatalogue catalogue,
    JobRunStore store,
    IHostApplicationLifetime lifetime,
    ILogger<JobRunner> logger)
{
    // The class of the two-key advisory lock; the second key is hashtext(job id).
    private const int LockClass = 0x4A4F42;

    private readonly ConcurrentDictionary<long, Task> _running = new();

    /// <summary>Names this process in the run records.</summary>
    public string Instance { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Runs in progress in this process (tests and shutdown wait on them).</summary>
    public IReadOnlyCollection<Task> Running => _running.Values.ToList();

    public JobDefinition? Find(string jobId) => options.Value.Definitions.GetValueOrDefault(jobId);

    /// <summary>Starts a run now, in the background; Busy when a run of the job is in progress anywhere.</summary>
    public async Task<RunStart> StartAsync(string jobId, string requestedBy, CancellationToken ct)
    {
        var job = Find(jobId);
        if (job is null)
        {
            return new RunStart.UnknownJob();
        }
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            // The lock is held from just before a run's row is inserted until just after it is finished: while it
            // is taken and no row says running, a run is starting or finishing; look again shortly.
            var locked = false;
            for (var attempt = 0; attempt < 40 && !locked; attempt++)
            {
                locked = await TryLockAsync(connection, jobId, ct);
                if (!locked)
                {
                    if (await store.RunningRunIdAsync(jobId, ct) is { } running)
                    {
                        await connection.DisposeAsync();
                        return new RunStart.Busy(running);
                    }
                    await Task.Delay(50, ct);
                }
            }
            if (!locked)
            {
                await connection.DisposeAsync();
                return new RunStart.Busy(null);
            }
            await JobRunStore.MarkInterruptedAsync(connection, jobId, ct);
            var runId = await JobRunStore.InsertRunningAsync(connection, jobId, requestedBy, Instance, ct);
            Track(runId, Task.Run(() => ExecuteAndReleaseAsync(connection, runId, jobId, job, lifetime.ApplicationStopping), CancellationToken.None));
            return new RunStart.Started(runId);
        }
        catch
        {
            await ReleaseAsync(connection, 0, jobId);
            throw;
        }
    }

    /// <summary>Runs a scheduled occurrence if this instance claims it; returns the run id, or null when another
    /// instance had claimed it.</summary>
    public async Task<long?> RunScheduledAsync(string jobId, DateTimeOffset occurrence, CancellationToken ct)
    {
        var job = Find(jobId) ?? throw new InvalidOperationException($"No job '{jobId}'.");
        var runId = await store.ClaimOccurrenceAsync(jobId, occurrence, Instance, ct);
        if (runId is not { } id)
        {
            LogOccurrenceTaken(jobId, occurrence);
            return null;
        }
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            // Waits while a manual run of the job finishes; the claimed row says "queued" meanwhile.
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock($1, hashtext($2))", connection))
            {
                lockCommand.Parameters.Add(new NpgsqlParameter { Value = LockClass });
                lockCommand.Parameters.Add(new NpgsqlParameter { Value = jobId });
                await lockCommand.ExecuteNonQueryAsync(ct);
            }
            await JobRunStore.MarkInterruptedAsync(connection, jobId, ct);
            await JobRunStore.MarkStartedAsync(connection, id, ct);
        }
        catch
        {
            await ReleaseAsync(connection, runId: id, jobId);
            throw;
        }
        var task = ExecuteAndReleaseAsync(connection, id, jobId, job, ct);
        Track(id, task);
        await task;
        return id;
    }

    private void Track(long runId, Task task)
    {
        _running[runId] = task;
        task.ContinueWith(_ => _running.TryRemove(runId, out Task? _), TaskScheduler.Default);
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string jobId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1, hashtext($2))", connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = LockClass });
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Executes the run on the connection that holds the lock, and releases the lock at the end.</summary>
    private async Task ExecuteAndReleaseAsync(NpgsqlConnection connection, long runId, string jobId, JobDefinition job, CancellationToken ct)
    {
        try
        {
            await ExecuteAsync(connection, runId, jobId, job, ct);
        }
        finally
        {
            await ReleaseAsync(connection, runId, jobId);
        }
    }

    /// <summary>Releases the job's lock explicitly (a pooled connection is reset only when it is next used, and
    /// would hold the lock until then) and returns the connection.</summary>
    private async Task ReleaseAsync(NpgsqlConnection connection, long runId, string jobId)
    {
        try
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken connection has lost its session, and with it the lock.
            LogRunCrashed(e, runId, jobId, "could not release the job lock");
        }
        await connection.DisposeAsync();
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, long runId, string jobId, JobDefinition job, CancellationToken ct)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = runId, ["JobId"] = jobId });
        var counter = new RunCounter();
        RequestCountingHandler.Current = counter;
        var outcomes = new List<IndicatorOutcome>();
        var started = DateTimeOffset.UtcNow;
        LogRunStarted(runId, jobId, job.Source, string.Join(", ", job.Indicators));
        try
        {
            var source = services.GetKeyedService<IIndicatorSource>(job.Source)
                ?? throw new InvalidOperationException($"Job '{jobId}' names the unknown source '{job.Source}'.");
            var indicators = new List<Indicator>();
            foreach (var id in job.Indicators)
            {
                if (await catalogue.FindAsync(id, ct) is { } indicator)
                {
                    indicators.Add(indicator);
                }
                else
                {
                    outcomes.Add(new IndicatorOutcome(id, "failed", 0, 0, 0, 0, $"indicator '{id}' is not in the catalogue"));
                }
            }

            var fetches = indicators.Count == 0 ? [] : await source.FetchAsync(indicators, job, ct);
            var knownAreas = await IndicatorValueWriter.KnownAreasAsync(connection, null, ct);
            foreach (var fetch in fetches)
            {
                var outcome = await WriteAsync(connection, runId, fetch, knownAreas, ct);
                outcomes.Add(outcome);
                LogIndicator(runId, outcome.Indicator, outcome.Status, outcome.Inserted, outcome.Updated, outcome.Unchanged, outcome.Error ?? "");
                await JobRunStore.RecordAsync(connection, runId, null, counter.Requests, outcomes, null, ct);
            }

            var succeeded = outcomes.Count(o => o.Status == "succeeded");
            var status = succeeded == outcomes.Count ? "succeeded" : succeeded == 0 ? "failed" : "partial";
            var error = status == "succeeded" ? null : string.Join("; ", outcomes.Where(o => o.Error is not null).Select(o => $"{o.Indicator}: {o.Error}"));
            await JobRunStore.RecordAsync(connection, runId, status, counter.Requests, outcomes, error, CancellationToken.None);
            if (outcomes.Any(o => o.Inserted + o.Updated > 0))
            {
                await catalogue.ReloadAfterWriteAsync(CancellationToken.None);
            }
            LogRunFinished(runId, jobId, status, counter.Requests, outcomes.Sum(o => o.Inserted), outcomes.Sum(o => o.Updated),
                outcomes.Sum(o => o.Unchanged), (DateTimeOffset.UtcNow - started).TotalSeconds);
        }
        catch (Exception e)
        {
            var reason = e is OperationCanceledException ? "cancelled: the service is stopping" : $"{e.GetType().Name}: {e.Message}";
            LogRunCrashed(e, runId, jobId, reason);
            try
            {
                await JobRunStore.RecordAsync(connection, runId, "failed", counter.Requests, outcomes, reason, CancellationToken.None);
            }
            catch (NpgsqlException recordFailure)
            {
                LogRunCrashed(recordFailure, runId, jobId, "could not record the failure");
            }
        }
        finally
        {
            RequestCountingHandler.Current = null;
        }
    }

    private async Task<IndicatorOutcome> WriteAsync(
        NpgsqlConnection connection, long runId, IndicatorFetch fetch, IReadOnlyDictionary<string, string> knownAreas, CancellationToken ct)
    {
        if (fetch.Error is not null)
        {
            return new IndicatorOutcome(fetch.IndicatorId, "failed", 0, 0, 0, 0, fetch.Error);
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var indicator = await IndicatorCatalogue.FindAsync(connection, tx, fetch.IndicatorId, forUpdate: true, ct);
        if (indicator is null)
        {
            return new IndicatorOutcome(fetch.IndicatorId, "failed", 0, 0, 0, 0, "the indicator was deleted during the run");
        }
        var (rows, errors) = IndicatorValueWriter.Check(indicator, fetch.Values, knownAreas);
        if (errors.Count > 0)
        {
            await tx.RollbackAsync(ct);
            return new IndicatorOutcome(indicator.Id, "failed", 0, 0, 0, fetch.Values.Count,
                $"{errors.Count} value(s) from {fetch.Source} do not check, nothing was written: {string.Join("; ", errors.Take(3))}");
        }
        var changes = await writer.UpsertAsync(connection, tx, indicator, rows,
            new ValueProvenance(fetch.Source, fetch.ApiVersion, DateTimeOffset.UtcNow, runId), ct);
        await tx.CommitAsync(ct);
        return new IndicatorOutcome(indicator.Id, "succeeded", changes.Inserted, changes.Updated, changes.Unchanged, rows.Count, null);
    }

    [LoggerMessage(LogLevel.Information, "Run {RunId} of job {JobId} started: {Source}, indicators {Indicators}")]
    private partial void LogRunStarted(long runId, string jobId, string source, string indicators);

    [LoggerMessage(LogLevel.Information, "Run {RunId}: indicator {Indicator} {Status}: {Inserted} inserted, {Updated} updated, {Unchanged} unchanged {Error}")]
    private partial void LogIndicator(long runId, string indicator, string status, int inserted, int updated, int unchanged, string error);

    [LoggerMessage(LogLevel.Information, "Run {RunId} of job {JobId} {Status}: {Requests} requests, {Inserted} inserted, {Updated} updated, {Unchanged} unchanged in {Seconds:F1} s")]
    private partial void LogRunFinished(long runId, string jobId, string status, int requests, int inserted, int updated, int unchanged, double seconds);

    [LoggerMessage(LogLevel.Error, "Run {RunId} of job {JobId} failed: {Reason}")]
    private partial void LogRunCrashed(Exception e, long runId, string jobId, string reason);

    [LoggerMessage(LogLevel.Information, "Job {JobId}: the occurrence {Occurrence} is run by another instance")]
    private partial void LogOccurrenceTaken(string jobId, DateTimeOffset occurrence);
}

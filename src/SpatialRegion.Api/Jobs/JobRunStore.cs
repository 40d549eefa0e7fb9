using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace SpatialRegion.Api.Jobs;

/// <summary>One run of a job as recorded in job_runs.</summary>
public sealed record JobRun(
    long Id, string JobId, string Trigger, DateTimeOffset? ScheduledFor, string? RequestedBy, string Instance, string Status,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int Requests, int Inserted, int Updated,
    int Unchanged, string? Error, JsonArray Indicators)
{
    /// <summary>A scheduled run that started more than a minute after its occurrence: caught up after the service
    /// was down, or queued behind another run of the job.</summary>
    public bool Late => ScheduledFor is { } due && StartedAt is { } started && started - due > TimeSpan.FromMinutes(1);
}

/// <summary>Per indicator outcome of a run.</summary>
public sealed record IndicatorOutcome(string Indicator, string Status, int Inserted, int Updated, int Unchanged, int Values, string? Error);

/// <summary>Reads and writes job_runs.</summary>
public sealed class JobRunStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, job_id, trigger, scheduled_for, requested_by, instance, status, created_at, started_at, finished_at,
        requests, inserted, updated, unchanged, error, indicators::text
        """;

    public async Task<JobRun?> FindAsync(long runId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM job_runs WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<JobRun>> ListAsync(string jobId, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM job_runs WHERE job_id = $1 ORDER BY id DESC LIMIT $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        var runs = new List<JobRun>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            runs.Add(Read(reader));
        }
        return runs;
    }

    /// <summary>The latest run of each of the jobs that has one, in one query.</summary>
    public async Task<Dictionary<string, JobRun>> LatestAsync(IReadOnlyCollection<string> jobIds, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT DISTINCT ON (job_id) {Columns} FROM job_runs WHERE job_id = ANY ($1) ORDER BY job_id, id DESC");
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobIds.ToArray() });
        var runs = new Dictionary<string, JobRun>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var run = Read(reader);
            runs[run.JobId] = run;
        }
        return runs;
    }

    public static async Task<long> InsertRunningAsync(NpgsqlConnection connection, string jobId, string requestedBy, string instance, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO job_runs (job_id, trigger, requested_by, instance, status, started_at)
            VALUES ($1, 'manual', $2, $3, 'running', now()) RETURNING id
            """, connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = requestedBy });
        cmd.Parameters.Add(new NpgsqlParameter { Value = instance });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Claims a scheduled occurrence; null when another instance already has it.</summary>
    /// <summary>The latest occurrence of the job that was claimed by a scheduled run, if any ever was.</summary>
    public async Task<DateTimeOffset?> LatestOccurrenceAsync(string jobId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT max(scheduled_for) FROM job_runs WHERE job_id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return await cmd.ExecuteScalarAsync(ct) is DateTime latest ? new DateTimeOffset(latest, TimeSpan.Zero) : null;
    }

    public async Task<long?> ClaimOccurrenceAsync(string jobId, DateTimeOffset occurrence, string instance, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO job_runs (job_id, trigger, scheduled_for, instance, status)
            VALUES ($1, 'schedule', $2, $3, 'queued')
            ON CONFLICT (job_id, scheduled_for) WHERE scheduled_for IS NOT NULL DO NOTHING
            RETURNING id
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = occurrence.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = instance });
        return await cmd.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    public static async Task MarkStartedAsync(NpgsqlConnection connection, long runId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("UPDATE job_runs SET status = 'running', started_at = now() WHERE id = $1", connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Holding the job's lock proves no process is running it, so a run still marked running was cut off.</summary>
    public static async Task MarkInterruptedAsync(NpgsqlConnection connection, string jobId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE job_runs SET status = 'failed', finished_at = now(),
                   error = 'interrupted: the instance running it stopped before it finished'
            WHERE job_id = $1 AND status = 'running'
            """, connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<long?> RunningRunIdAsync(string jobId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT max(id) FROM job_runs WHERE job_id = $1 AND status = 'running'");
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return await cmd.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    public static async Task RecordAsync(
        NpgsqlConnection connection, long runId, string? status, int requests, IReadOnlyList<IndicatorOutcome> outcomes, string? error, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE job_runs SET
              status = coalesce($2, status),
              finished_at = CASE WHEN $2 IS NULL THEN NULL ELSE now() END,
              requests = $3, inserted = $4, updated = $5, unchanged = $6, error = $7, indicators = $8::jsonb
            WHERE id = $1
            """, connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = requests });
        cmd.Parameters.Add(new NpgsqlParameter { Value = outcomes.Sum(o => o.Inserted) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = outcomes.Sum(o => o.Updated) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = outcomes.Sum(o => o.Unchanged) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(outcomes, JobJson.Options) });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static JobRun Read(NpgsqlDataReader r)
    {
        DateTimeOffset? Time(int i) => r.IsDBNull(i) ? null : new DateTimeOffset(r.GetDateTime(i), TimeSpan.Zero);
        return new JobRun(
            r.GetInt64(0), r.GetString(1), r.GetString(2), Time(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.GetString(6),
            Time(7)!.Value, Time(8), Time(9), r.GetInt32(10), r.GetInt32(11), r.GetInt32(12), r.GetInt32(13),
            r.IsDBNull(14) ? null : r.GetString(14), JsonNode.Parse(r.GetString(15))!.AsArray());
    }
}

public static class JobJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}

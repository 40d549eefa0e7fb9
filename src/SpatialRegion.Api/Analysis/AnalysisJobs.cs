using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Http;
using Npgsql;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>One asynchronous analysis, described as OGC API - Processes Part 1 describes a job (statusInfo).</summary>
public sealed record AnalysisJob(
    string Id, string Analysis, string Status, string Message, int Progress,
    DateTimeOffset Created, DateTimeOffset? Started, DateTimeOffset? Finished, string? ResultType)
{
    public JsonObject StatusInfo(string baseUrl) => new()
    {
        ["jobID"] = Id,
        ["processID"] = Analysis,
        ["type"] = "process",
        ["status"] = Status,
        ["message"] = Message,
        ["progress"] = Progress,
        ["created"] = Created.ToString("O", CultureInfo.InvariantCulture),
        ["started"] = Started?.ToString("O", CultureInfo.InvariantCulture),
        ["finished"] = Finished?.ToString("O", CultureInfo.InvariantCulture),
        ["links"] = new JsonArray(
            new JsonObject { ["rel"] = "self", ["type"] = "application/json", ["href"] = $"{baseUrl}/api/analysis/jobs/{Id}" },
            Status == "successful"
                ? new JsonObject { ["rel"] = "http://www.opengis.net/def/rel/ogc/1.0/results", ["type"] = ResultType, ["href"] = $"{baseUrl}/api/analysis/jobs/{Id}/results" }
                : null),
    };
}

/// <summary>A whole answer held in memory: status, content type, body, and the headers it was computed with (Server-Timing, Content-Crs).</summary>
public sealed record AnalysisAnswer(int Status, string ContentType, byte[] Body, IReadOnlyDictionary<string, string>? Headers = null) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        foreach (var (name, value) in Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        context.Response.StatusCode = Status;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = Body.Length;
        await context.Response.Body.WriteAsync(Body, context.RequestAborted);
    }
}

/// <summary>
/// Long analyses as jobs (a request with <c>Prefer: respond-async</c> gets 202 and a status URL, as in OGC API -
/// Processes), and the results of the network analyses cached by their request and the versions of everything they
/// read (layers and network), so that a changed input is never answered from the cache. Jobs and their answers are
/// kept in PostGIS for <see cref="KeptDays"/> days: any instance of the service answers for a job another one runs,
/// and a restart loses only the jobs it was running, which then read as failed.
/// </summary>
public sealed partial class AnalysisJobs(AnalysisRunner runner, ResponseCache cache, NpgsqlDataSource dataSource, IServiceProvider services, ILogger<AnalysisJobs> logger)
{
    public const int KeptDays = 7;

    /// <summary>How often a running job's instance says it is still at work, and how long a silence means it is not.</summary>
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);
    private const string LostAfter = "60 seconds";

    /// <summary>The jobs this instance is running: alive whatever their heartbeat says (a heartbeat may be late under load).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _running = new(StringComparer.Ordinal);

    /// <summary>Per-facility catchments of more facilities than this run as a job even unasked.</summary>
    public const int SynchronousFacilities = 100;

    public async Task<AnalysisJob?> FindAsync(string id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT id, analysis,
                   CASE WHEN status IN ('accepted', 'running') AND alive < now() - interval '{LostAfter}' THEN 'failed' ELSE status END,
                   CASE WHEN status IN ('accepted', 'running') AND alive < now() - interval '{LostAfter}'
                        THEN 'The service instance running this job stopped before it finished; send the request again.' ELSE message END,
                   progress, created, started, finished, answer_type
            FROM analysis_jobs WHERE id = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
        var job = new AnalysisJob(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
            reader.GetFieldValue<DateTimeOffset>(5), At(6), At(7), reader.IsDBNull(8) ? null : reader.GetString(8));
        return _running.ContainsKey(id) && job.Status == "failed" && job.Finished is null
            ? job with { Status = job.Started is null ? "accepted" : "running", Message = "computing" }
            : job;
    }

    /// <summary>The answer a finished job keeps (a refusal too), or null while it runs or when it failed without one.</summary>
    public async Task<AnalysisAnswer?> FindAnswerAsync(string id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT answer_status, answer_type, answer_headers::text, answer_body FROM analysis_jobs WHERE id = $1 AND answer_body IS NOT NULL");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        var headers = reader.IsDBNull(2) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2));
        return new AnalysisAnswer(reader.GetInt32(0), reader.GetString(1), reader.GetFieldValue<byte[]>(3), headers);
    }

    /// <summary>
    /// Whether a plan is too large for one synchronous answer: per-facility catchments of more than
    /// <see cref="SynchronousFacilities"/> facilities (each a search and a buffer of its own), counted after the filter.
    /// </summary>
    public async Task<bool> TooLargeToWaitAsync(AnalysisPlan plan, CancellationToken ct)
    {
        if (plan.Analysis != "catchment" || plan.Parameters["dissolve"]?.GetValue<bool>() != false)
        {
            return false;
        }
        switch (plan.Inputs.GetValueOrDefault("facilities"))
        {
            case InlineInput inline:
                return inline.Source.Features.Count > SynchronousFacilities;
            case LayerInput { Layer.FeatureCount: > SynchronousFacilities } layer:
                await using (var batch = dataSource.CreateBatch())
                {
                    batch.BatchCommands.Add(LayerSql.Count(layer.Layer, layer.Filter));
                    return (long)(await batch.ExecuteScalarAsync(ct))! > SynchronousFacilities;
                }
            default:
                return false;
        }
    }

    /// <summary>The cache key of a plan: the analysis, the request body and the versions of its layers and network. Null: not cached.</summary>
    public async Task<string?> CacheKeyAsync(AnalysisPlan plan, string body, CancellationToken ct)
    {
        if (plan.SaveAs is not null || plan.Parameters["network"] is not JsonValue network)
        {
            return null;
        }
        await using var cmd = dataSource.CreateCommand("SELECT version FROM road_networks WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = network.GetValue<string>() });
        var version = await cmd.ExecuteScalarAsync(ct);
        var versions = string.Join(",", plan.Inputs.Values.OfType<LayerInput>().Select(l => $"{l.Layer.Id}@{l.Layer.Version}"));
        return $"analysis:{plan.Analysis}:{version}:{versions}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))}";
    }

    public bool TryCached(string? key, out AnalysisAnswer answer)
    {
        answer = null!;
        if (key is null || !cache.TryGetBody(key, out var body) || !cache.TryGetBody(key + ":type", out var type))
        {
            return false;
        }
        var headers = cache.TryGetBody(key + ":headers", out var stored)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(stored)!
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        headers["X-Cache"] = "hit";
        answer = new AnalysisAnswer(StatusCodes.Status200OK, Encoding.UTF8.GetString(type), body, headers);
        return true;
    }

    /// <summary>Runs a plan to the end and keeps the whole answer (and caches it when it can be).</summary>
    public async Task<AnalysisAnswer> RenderAsync(AnalysisPlan plan, RequestOrigin origin, string? cacheKey, CancellationToken ct)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Scheme = origin.Scheme;
        context.Request.Host = origin.Host;
        context.Request.PathBase = origin.PathBase;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        var result = await runner.RunAsync(plan, context.Request, ct);
        await result.ExecuteAsync(context);
        var headers = context.Response.Headers.Where(h => h.Key is "Server-Timing" or "Content-Crs" or "Location")
            .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var answer = new AnalysisAnswer(context.Response.StatusCode, context.Response.ContentType ?? "application/octet-stream", buffer.ToArray(), headers);
        if (cacheKey is not null && answer.Status == StatusCodes.Status200OK && answer.Body.Length <= cache.MaxEntryBytes)
        {
            cache.SetBody(cacheKey, answer.Body);
            cache.SetBody(cacheKey + ":type", Encoding.UTF8.GetBytes(answer.ContentType));
            // Content-Crs and the like belong to the answer; Server-Timing only to the computation that made it.
            cache.SetBody(cacheKey + ":headers", JsonSerializer.SerializeToUtf8Bytes(headers.Where(h => h.Key != "Server-Timing").ToDictionary()));
        }
        return answer;
    }

    /// <summary>Starts a plan in the background; the job says how it goes.</summary>
    public async Task<AnalysisJob> StartAsync(AnalysisPlan plan, RequestOrigin origin, string? cacheKey, Func<Exception, AnalysisAnswer?> problem, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N");
        await using (var batch = dataSource.CreateBatch())
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE FROM analysis_jobs WHERE created < now() - interval '{KeptDays} days'"));
            var insert = new NpgsqlBatchCommand("INSERT INTO analysis_jobs (id, analysis, status, message, progress) VALUES ($1, $2, 'accepted', 'queued', 0)");
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = plan.Analysis });
            batch.BatchCommands.Add(insert);
            await batch.ExecuteNonQueryAsync(ct);
        }
        // The job outlives the request that started it.
        _running[id] = true;
        _ = Task.Run(() => RunJobAsync(id, plan, origin, cacheKey, problem), CancellationToken.None);
        return (await FindAsync(id, ct))!;
    }

    private async Task RunJobAsync(string id, AnalysisPlan plan, RequestOrigin origin, string? cacheKey, Func<Exception, AnalysisAnswer?> problem)
    {
        using var stop = new CancellationTokenSource();
        try
        {
            await UpdateAsync(id, "status = 'running', started = now(), progress = 10, message = 'computing'", CancellationToken.None);
            var heartbeat = BeatAsync(id, stop.Token);
            AnalysisAnswer? answer;
            string status, message;
            try
            {
                answer = await RenderAsync(plan, origin, cacheKey, CancellationToken.None);
                (status, message) = answer.Status < 400 ? ("successful", "done") : ("failed", "the analysis was refused");
            }
            catch (Exception e) when (problem(e) is { } refusal)
            {
                (answer, status, message) = (refusal, "failed", e.Message);
            }
            catch (Exception e)
            {
                LogJobFailed(logger, e, id);
                (answer, status, message) = (null, "failed", "The analysis failed unexpectedly.");
            }
            await stop.CancelAsync();
            await heartbeat;
            await UpdateAsync(id, """
                status = $2, message = $3, progress = 100, finished = now(),
                answer_status = $4, answer_type = $5, answer_headers = $6::jsonb, answer_body = $7
                """, CancellationToken.None, status, message, answer?.Status, answer?.ContentType,
                answer?.Headers is { } h ? JsonSerializer.Serialize(h) : null, answer?.Body);
        }
        catch (Exception e)
        {
            // PostGIS went away while the job ran: its row stays 'running' and reads as failed once its heartbeat is old.
            LogJobFailed(logger, e, id);
        }
        finally
        {
            _running.TryRemove(id, out _);
        }
    }

    private async Task BeatAsync(string id, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Heartbeat, stop);
                await UpdateAsync(id, "alive = now()", stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // A missed beat is not the job's failure; the next one may get through.
                LogHeartbeatMissed(logger, e, id);
            }
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "The assignments are fixed text of this class; values travel as parameters.")]
    private async Task UpdateAsync(string id, string assignments, CancellationToken ct, params object?[] values)
    {
        await using var cmd = dataSource.CreateCommand($"UPDATE analysis_jobs SET alive = now(), {assignments} WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        foreach (var value in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(LogLevel.Warning, "Analysis job {JobId} could not say it is alive")]
    private static partial void LogHeartbeatMissed(ILogger logger, Exception e, string jobId);

    [LoggerMessage(LogLevel.Error, "Analysis job {JobId} failed")]
    private static partial void LogJobFailed(ILogger logger, Exception e, string jobId);
}

/// <summary>Where a request came from, kept for links in answers computed after it ended.</summary>
public sealed record RequestOrigin(string Scheme, HostString Host, PathString PathBase)
{
    public static RequestOrigin Of(HttpRequest request) => new(request.Scheme, request.Host, request.PathBase);

    public string BaseUrl => $"{Scheme}://{Host}{PathBase}";
}

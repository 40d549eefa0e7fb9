using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>One asynchronous analysis, described as OGC API - Processes Part 1 describes a job (statusInfo).</summary>
public sealed class AnalysisJob(string id, string analysis)
{
    public string Id { get; } = id;
    public string Analysis { get; } = analysis;
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? Started { get; set; }
    public DateTimeOffset? Finished { get; set; }
    public string Status { get; set; } = "accepted";
    public int Progress { get; set; }
    public string Message { get; set; } = "queued";
    public AnalysisAnswer? Answer { get; set; }

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
                ? new JsonObject { ["rel"] = "http://www.opengis.net/def/rel/ogc/1.0/results", ["type"] = Answer?.ContentType, ["href"] = $"{baseUrl}/api/analysis/jobs/{Id}/results" }
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
/// read (layers and network), so that a changed input is never answered from the cache. Jobs live in memory: the
/// last <see cref="KeptJobs"/> are kept, and a restart forgets them.
/// </summary>
public sealed partial class AnalysisJobs(AnalysisRunner runner, ResponseCache cache, NpgsqlDataSource dataSource, IServiceProvider services, ILogger<AnalysisJobs> logger)
{
    public const int KeptJobs = 200;
    private readonly ConcurrentDictionary<string, AnalysisJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>Per-facility catchments of more facilities than this run as a job even unasked.</summary>
    public const int SynchronousFacilities = 100;

    public AnalysisJob? Find(string id) => _jobs.GetValueOrDefault(id);

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
        answer = new AnalysisAnswer(StatusCodes.Status200OK, Encoding.UTF8.GetString(type), body, new Dictionary<string, string> { ["X-Cache"] = "hit" });
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
        }
        return answer;
    }

    /// <summary>Starts a plan in the background; the job says how it goes.</summary>
    public AnalysisJob Start(AnalysisPlan plan, RequestOrigin origin, string? cacheKey, Func<Exception, AnalysisAnswer?> problem)
    {
        var job = new AnalysisJob(Guid.NewGuid().ToString("N"), plan.Analysis);
        _jobs[job.Id] = job;
        foreach (var old in _jobs.Values.OrderByDescending(j => j.Created).Skip(KeptJobs))
        {
            _jobs.TryRemove(old.Id, out _);
        }
        _ = Task.Run(async () =>
        {
            job.Status = "running";
            job.Started = DateTimeOffset.UtcNow;
            job.Progress = 10;
            job.Message = "computing";
            try
            {
                job.Answer = await RenderAsync(plan, origin, cacheKey, CancellationToken.None);
                job.Status = job.Answer.Status < 400 ? "successful" : "failed";
                job.Message = job.Status == "successful" ? "done" : "the analysis was refused";
            }
            catch (Exception e) when (problem(e) is { } answer)
            {
                job.Answer = answer;
                job.Status = "failed";
                job.Message = e.Message;
            }
            catch (Exception e)
            {
                LogJobFailed(logger, e, job.Id);
                job.Status = "failed";
                job.Message = "The analysis failed unexpectedly.";
            }
            job.Progress = 100;
            job.Finished = DateTimeOffset.UtcNow;
        });
        return job;
    }

    [LoggerMessage(LogLevel.Error, "Analysis job {JobId} failed")]
    private static partial void LogJobFailed(ILogger logger, Exception e, string jobId);
}

/// <summary>Where a request came from, kept for links in answers computed after it ended.</summary>
public sealed record RequestOrigin(string Scheme, HostString Host, PathString PathBase)
{
    public static RequestOrigin Of(HttpRequest request) => new(request.Scheme, request.Host, request.PathBase);

    public string BaseUrl => $"{Scheme}://{Host}{PathBase}";
}

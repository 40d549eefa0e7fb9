using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Jobs;

/// <summary>The refresh jobs of the configuration, their runs, and starting one now.</summary>
public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/jobs").WithTags("Jobs");
        api.MapGet("/", ListJobs).WithName("ListJobs").WithSummary("The refresh jobs: source, indicators, schedule, next and last run.");
        api.MapGet("/runs/{runId:long}", GetRun).WithName("GetJobRun")
            .WithSummary("One run: status, start and end, requests made, values inserted, updated and unchanged, errors.");
        api.MapGet("/{jobId}", GetJob).WithName("GetJob").WithSummary("One refresh job.");
        api.MapGet("/{jobId}/runs", ListRuns).WithName("ListJobRuns").WithSummary("Runs of a job, newest first (limit, default 20).");
        api.MapPost("/{jobId}/runs", StartRun).WithName("StartJobRun")
            .WithSummary("Starts a run now (editor); 202 with the run, 409 while a run of the job is in progress.")
            .RequireAuthorization(AuthPolicies.Editor);
        return api;
    }

    public sealed record JobResource(
        string Id, string Description, string Source, IReadOnlyList<string> Indicators, string? Schedule, string TimeZone,
        bool SchedulerEnabled, DateTimeOffset? NextRun, IReadOnlyList<string> Areas, IReadOnlyList<string> Periods, int? LatestPeriods,
        IReadOnlyList<string> Genders, JobRun? LastRun, string Runs);

    private static async Task<Ok<List<JobResource>>> ListJobs(
        HttpRequest request, IOptions<JobsOptions> options, JobScheduler scheduler, JobRunStore store, CancellationToken ct)
    {
        var ids = options.Value.Definitions.Keys.Order(StringComparer.Ordinal).ToList();
        var latest = await store.LatestAsync(ids, ct);
        return TypedResults.Ok(ids.Select(id => Resource(request, id, options.Value, scheduler, latest.GetValueOrDefault(id))).ToList());
    }

    private static async Task<Results<Ok<JobResource>, ProblemHttpResult>> GetJob(
        string jobId, HttpRequest request, IOptions<JobsOptions> options, JobScheduler scheduler, JobRunStore store, CancellationToken ct) =>
        options.Value.Definitions.ContainsKey(jobId)
            ? TypedResults.Ok(Resource(request, jobId, options.Value, scheduler, (await store.LatestAsync([jobId], ct)).GetValueOrDefault(jobId)))
            : UnknownJob(jobId);

    private static async Task<Results<Ok<IReadOnlyList<JobRun>>, ProblemHttpResult>> ListRuns(
        string jobId, string? limit, IOptions<JobsOptions> options, JobRunStore store, CancellationToken ct)
    {
        if (!options.Value.Definitions.ContainsKey(jobId))
        {
            return UnknownJob(jobId);
        }
        var count = QueryValues.ParseLimit(limit, defaultValue: 20, max: 1000, clampToMax: false);
        return TypedResults.Ok(await store.ListAsync(jobId, count, ct));
    }

    private static async Task<Results<Ok<JobRun>, ProblemHttpResult>> GetRun(long runId, JobRunStore store, CancellationToken ct) =>
        await store.FindAsync(runId, ct) is { } run ? TypedResults.Ok(run) : Problems.NotFound($"There is no job run {runId}.");

    private static async Task<IResult> StartRun(string jobId, HttpContext context, JobRunner runner, JobRunStore store, CancellationToken ct)
    {
        var start = await runner.StartAsync(jobId, context.User.Identity?.Name ?? "unknown", ct);
        switch (start)
        {
            case RunStart.Started started:
                var run = await store.FindAsync(started.RunId, ct);
                return TypedResults.Accepted($"/api/jobs/runs/{started.RunId}", run);
            case RunStart.Busy busy:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A run is in progress",
                    detail: busy.RunningRunId is { } id
                        ? $"Run {id} of job '{jobId}' is in progress; GET /api/jobs/runs/{id} follows it."
                        : $"A run of job '{jobId}' is in progress.",
                    extensions: new Dictionary<string, object?> { ["runningRunId"] = busy.RunningRunId });
            default:
                return UnknownJob(jobId);
        }
    }

    private static JobResource Resource(HttpRequest request, string id, JobsOptions options, JobScheduler scheduler, JobRun? last)
    {
        var job = options.Definitions[id];
        return new JobResource(
            id, job.Description, job.Source, job.Indicators, job.Schedule, options.TimeZone, options.SchedulerEnabled,
            options.SchedulerEnabled ? scheduler.NextOccurrence(id) : null, job.Areas, job.Periods,
            job.Periods.Length == 0 ? job.LatestPeriods : null, job.WantedGenders, last,
            $"{RequestUrls.Base(request)}/api/jobs/{Uri.EscapeDataString(id)}/runs");
    }

    private static ProblemHttpResult UnknownJob(string id) => Problems.NotFound($"There is no job '{id}'. GET /api/jobs lists them.");
}

using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Import;
using Npgsql;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>The analysis endpoints: overlays, spatial joins and areal interpolation over any layers or inline GeoJSON,
/// streamed back as GeoJSON or saved as layers of kind "analysis" (editor role), which can be listed and deleted.</summary>
public static class AnalysisApi
{
    public delegate Task<AnalysisPlan> PlanReader(JsonElement body, LayerCatalog catalog, AnalysisOptions options, CancellationToken ct);

    public static RouteGroupBuilder MapAnalysisApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/analysis").WithTags("Analysis");
        var maxRequestBytes = routes.ServiceProvider.GetRequiredService<IOptions<AnalysisOptions>>().Value.MaxRequestBytes;

        api.MapPost("/overlay", Overlay).WithName("Overlay")
            .WithSummary("Intersect, unite, subtract, identity or clip two inputs (layers or inline GeoJSON).")
            .WithDescription("Each result feature carries its area (m²) or length (m) and its share of the A and B features it came from.")
            .AnalysisEndpoint<AnalysisSchemas.OverlayRequest>().LimitBodyTo(maxRequestBytes);
        api.MapPost("/spatial-join", SpatialJoin).WithName("SpatialJoin")
            .WithSummary("Summarise features of one or more layers per polygon of another: count, sum, mean, min, max, ratios.")
            .WithDescription("For instance tätort population and number of tätorter per municipality, or health facilities per 10 000 inhabitants.")
            .AnalysisEndpoint<AnalysisSchemas.SpatialJoinRequest>().LimitBodyTo(maxRequestBytes);
        api.MapPost("/interpolate", Interpolate).WithName("Interpolate")
            .WithSummary("Areal interpolation of values per source polygon onto target polygons, by area or by population.")
            .WithDescription("Extensive variables (counts) keep their totals; intensive ones (rates) become weighted means.")
            .AnalysisEndpoint<AnalysisSchemas.InterpolationRequest>().LimitBodyTo(maxRequestBytes);

        api.MapPost("/catchment", Catchment).WithName("Catchment")
            .WithSummary("Catchments (isochrones) of facilities on the road network: bands in minutes or metres, per facility or dissolved, with population.")
            .WithDescription("Polygons are the roads reached within each cut-off, buffered by buffer_m, an edge reached partly cut where the time runs out. "
                + "Bands are cumulative. Facilities farther than max_snap_m from a road are named in the warnings. The metadata names the network version and speed table.")
            .AnalysisEndpoint<AnalysisSchemas.CatchmentRequest>().LimitBodyTo(maxRequestBytes);
        api.MapPost("/accessibility", Accessibility).WithName("Accessibility")
            .WithSummary("Nearest facility by travel time for every origin (default: the populated 1 km squares of Jämtland), summed per facility and per area, with closure and opening scenarios.")
            .WithDescription("output: origins (default), facilities, service_areas or areas; the per-area and per-facility tables are in analysis.summary. "
                + "People outside the detailed network, too far from a road or with no facility reachable are counted apart.")
            .AnalysisEndpoint<AnalysisSchemas.AccessibilityRequest>().LimitBodyTo(maxRequestBytes);

        api.MapGet("/jobs/{jobId}", GetJob).WithName("GetAnalysisJob")
            .WithSummary("Status of an analysis started with Prefer: respond-async (OGC API - Processes statusInfo: accepted, running, successful, failed).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/jobs/{jobId}/results", GetJobResults).WithName("GetAnalysisJobResults")
            .WithSummary("The result of a finished analysis job, as the synchronous request would have answered it.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/results", ListResults).WithName("ListAnalysisResults")
            .WithSummary("Saved analysis results: layers of kind \"analysis\" with their provenance.");
        api.MapGet("/results/{layerId}", GetResult).WithName("GetAnalysisResult")
            .WithSummary("One saved analysis result with its provenance (inputs, their versions, parameters, time).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/results/{layerId}", DeleteResult).WithName("DeleteAnalysisResult")
            .WithSummary("Delete a saved analysis result (editor role). Imported and indicator layers cannot be deleted here.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(AuthPolicies.Editor);
        return api;
    }

    /// <summary>What every analysis endpoint takes and answers: JSON in; GeoJSON out, or the saved layer (201) with save_as.</summary>
    private static RouteHandlerBuilder AnalysisEndpoint<TRequest>(this RouteHandlerBuilder endpoint) where TRequest : notnull => endpoint
        .Accepts<TRequest>("application/json", "application/geo+json")
        .Produces(StatusCodes.Status200OK, contentType: LayersApi.GeoJson)
        .Produces<LayersApi.LayerSummary>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<Ok<LayersApi.LayerList>> ListResults(HttpRequest request, LayerCatalog catalog, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var layers = await catalog.AllAsync(ct);
        var now = await SavedResultInputs.CurrentAsync(catalog, dataSource, ct);
        return TypedResults.Ok(new LayersApi.LayerList(
            layers.Where(l => l.Kind == LayerKinds.Analysis).Select(l => Describe(request, l, now)).ToList()));
    }

    private static async Task<Results<Ok<LayersApi.LayerSummary>, ProblemHttpResult>> GetResult(
        string layerId, HttpRequest request, LayerCatalog catalog, NpgsqlDataSource dataSource, CancellationToken ct) =>
        await catalog.FindAsync(layerId, ct) is { Kind: LayerKinds.Analysis } layer
            ? TypedResults.Ok(Describe(request, layer, await SavedResultInputs.CurrentAsync(catalog, dataSource, ct)))
            : NoSuchResult(layerId);

    private static LayersApi.LayerSummary Describe(HttpRequest request, Layer layer, SavedResultInputs.Versions now) =>
        LayersApi.Summarise(request, layer) with { InputsChanged = SavedResultInputs.Changed(layer, now) };

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteResult(
        string layerId, LayerCatalog catalog, LayerImporter importer, CancellationToken ct)
    {
        if (await catalog.FindAsync(layerId, ct) is not { Kind: LayerKinds.Analysis })
        {
            return NoSuchResult(layerId);
        }
        return await importer.DeleteAsync(layerId, ct) ? TypedResults.NoContent() : NoSuchResult(layerId);
    }

    private static ProblemHttpResult NoSuchResult(string layerId) =>
        Problems.NotFound($"There is no saved analysis result '{layerId}'. GET /api/analysis/results lists them.");

    private static Task<IResult> Overlay(HttpContext context, AnalysisRunner runner, LayerCatalog catalog, IOptions<AnalysisOptions> options) =>
        RunAsync(context, runner, catalog, options.Value, OverlayAnalysis.ReadAsync);

    private static Task<IResult> SpatialJoin(HttpContext context, AnalysisRunner runner, LayerCatalog catalog, IOptions<AnalysisOptions> options) =>
        RunAsync(context, runner, catalog, options.Value, SpatialJoinAnalysis.ReadAsync);

    private static Task<IResult> Interpolate(HttpContext context, AnalysisRunner runner, LayerCatalog catalog, IOptions<AnalysisOptions> options) =>
        RunAsync(context, runner, catalog, options.Value, InterpolationAnalysis.ReadAsync);

    private static Task<IResult> Catchment(
        HttpContext context, AnalysisRunner runner, LayerCatalog catalog, IOptions<AnalysisOptions> options, Networks.NetworkGraphs graphs, AnalysisJobs jobs) =>
        RunAsync(context, runner, catalog, options.Value, (body, c, o, ct) => Networks.CatchmentAnalysis.ReadAsync(body, c, o, graphs, ct), jobs);

    private static Task<IResult> Accessibility(
        HttpContext context, AnalysisRunner runner, LayerCatalog catalog, IOptions<AnalysisOptions> options, Networks.NetworkGraphs graphs, AnalysisJobs jobs) =>
        RunAsync(context, runner, catalog, options.Value, (body, c, o, ct) => Networks.AccessibilityAnalysis.ReadAsync(body, c, o, graphs, ct), jobs);

    private static async Task<IResult> GetJob(string jobId, HttpRequest request, AnalysisJobs jobs, CancellationToken ct) =>
        await jobs.FindAsync(jobId, ct) is { } job ? TypedResults.Ok(job.StatusInfo(RequestUrls.Base(request))) : NoSuchJob(jobId);

    private static async Task<IResult> GetJobResults(string jobId, AnalysisJobs jobs, CancellationToken ct) => await jobs.FindAsync(jobId, ct) switch
    {
        null => NoSuchJob(jobId),
        { Status: "successful" or "failed" } job when await jobs.FindAnswerAsync(jobId, ct) is { } answer => answer,
        { Status: "failed" } job => Problems.WithStatus(StatusCodes.Status500InternalServerError, "Job failed", job.Message),
        _ => Problems.WithStatus(StatusCodes.Status404NotFound, "Result not ready", $"Job '{jobId}' is still running; GET /api/analysis/jobs/{jobId} says how far it is."),
    };

    private static ProblemHttpResult NoSuchJob(string jobId) =>
        Problems.NotFound($"There is no analysis job '{jobId}' (jobs are kept {AnalysisJobs.KeptDays} days).");

    /// <summary>A refusal raised while a job ran, as the problem the synchronous request would have answered
    /// (the one mapping of exceptions to answers), PostGIS out of reach included (503, Retry-After); null when the
    /// server itself failed.</summary>
    private static AnalysisAnswer? ProblemOf(Exception e)
    {
        if (ErrorAnswers.For(e) is not { Status: < 500 or StatusCodes.Status503ServiceUnavailable } answer)
        {
            return null;
        }
        var problem = new System.Text.Json.Nodes.JsonObject
        {
            ["title"] = answer.Title, ["status"] = answer.Status, ["detail"] = answer.Detail, ["parameter"] = answer.Parameter,
        };
        return new AnalysisAnswer(answer.Status, "application/problem+json", System.Text.Encoding.UTF8.GetBytes(problem.ToJsonString()),
            answer.Status == StatusCodes.Status503ServiceUnavailable ? new Dictionary<string, string> { ["Retry-After"] = ErrorAnswers.RetryAfterSeconds } : null);
    }

    private static async Task<IResult> RunAsync(
        HttpContext context, AnalysisRunner runner, LayerCatalog catalog, AnalysisOptions options, PlanReader read, AnalysisJobs? jobs = null)
    {
        var ct = context.RequestAborted;
        AnalysisPlan plan;
        string text;
        using (var body = await RequestBody.ReadAsync(context.Request, options.MaxRequestBytes, ct))
        {
            plan = await read(body.RootElement, catalog, options, ct);
            text = body.RootElement.GetRawText();
        }
        if (plan.SaveAs is not null)
        {
            // Computing is open to everyone; keeping the result as a layer is writing data.
            var authorization = await context.RequestServices.GetRequiredService<IAuthorizationService>()
                .AuthorizeAsync(context.User, AuthPolicies.Editor);
            if (!authorization.Succeeded)
            {
                return context.User.Identity?.IsAuthenticated == true ? TypedResults.Forbid() : TypedResults.Challenge();
            }
        }
        if (jobs is null)
        {
            return await runner.RunAsync(plan, context.Request, ct);
        }
        var key = await jobs.CacheKeyAsync(plan, text, ct);
        // Cache-Control: no-cache asks for a fresh computation (benchmarks, or a client that doubts the cache).
        var fresh = context.Request.Headers.CacheControl.Any(c => c?.Contains("no-cache", StringComparison.OrdinalIgnoreCase) == true);
        if (!fresh && jobs.TryCached(key, out var cached))
        {
            return cached;
        }
        var origin = RequestOrigin.Of(context.Request);
        if (await jobs.TooLargeToWaitAsync(plan, ct)
            || context.Request.Headers["Prefer"].Any(p => p?.Contains("respond-async", StringComparison.OrdinalIgnoreCase) == true))
        {
            var job = await jobs.StartAsync(plan, origin, key, ProblemOf, ct);
            var status = job.StatusInfo(origin.BaseUrl);
            context.Response.Headers["Preference-Applied"] = "respond-async";
            context.Response.Headers.Location = $"{origin.BaseUrl}/api/analysis/jobs/{job.Id}";
            return Results.Json(status, statusCode: StatusCodes.Status202Accepted);
        }
        return await jobs.RenderAsync(plan, origin, key, ct);
    }
}

using System.Text.Json;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>The analysis endpoints: overlays, spatial joins and areal interpolation over any layers or inline GeoJSON.</summary>
public static class AnalysisApi
{
    public delegate Task<AnalysisPlan> PlanReader(JsonElement body, LayerCatalog catalog, AnalysisOptions options, CancellationToken ct);

    public static RouteGroupBuilder MapAnalysisApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/analysis").WithTags("Analysis");

        api.MapPost("/overlay", Overlay)
            .WithName("Overlay")
            .WithSummary("Intersect, unite, subtract, identity or clip two inputs (layers or inline GeoJSON).")
            .WithDescription("Each result feature carries its area (m²) or length (m) and its share of the A and B features it came from. "
                + "With save_as the result becomes a layer of kind \"analysis\".")
            .Produces(StatusCodes.Status200OK, contentType: LayersApi.GeoJson)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapPost("/spatial-join", SpatialJoin)
            .WithName("SpatialJoin")
            .WithSummary("Summarise features of one or more layers per polygon of another: count, sum, mean, min, max, ratios.")
            .WithDescription("For instance tätort population and number of tätorter per municipality, or health facilities per 10 000 inhabitants.")
            .Produces(StatusCodes.Status200OK, contentType: LayersApi.GeoJson)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapPost("/interpolate", Interpolate)
            .WithName("Interpolate")
            .WithSummary("Areal interpolation of values per source polygon onto target polygons, by area or by population.")
            .WithDescription("Extensive variables (counts) keep their totals; intensive ones (rates) become weighted means. "
                + "weights: area, population_grid (SCB 1 km squares), tatorter, or any layer with a numeric attribute.")
            .Produces(StatusCodes.Status200OK, contentType: LayersApi.GeoJson)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static Task<IResult> Overlay(HttpContext context, AnalysisRunner runner, LayerCatalog catalog, IOptions<AnalysisOptions> options) =>
        RunAsync(context, runner, catalog, options.Value, OverlayAnalysis.ReadAsync);

    private static Task<IResult> SpatialJoin(HttpContext context, AnalysisRunner runner, LayerCatalog catalog, IOptions<AnalysisOptions> options) =>
        RunAsync(context, runner, catalog, options.Value, SpatialJoinAnalysis.ReadAsync);

    private static Task<IResult> Interpolate(HttpContext context, AnalysisRunner runner, LayerCatalog catalog, IOptions<AnalysisOptions> options) =>
        RunAsync(context, runner, catalog, options.Value, InterpolationAnalysis.ReadAsync);

    private static async Task<IResult> RunAsync(
        HttpContext context, AnalysisRunner runner, LayerCatalog catalog, AnalysisOptions options, PlanReader read)
    {
        var ct = context.RequestAborted;
        try
        {
            AnalysisPlan plan;
            using (var body = await RequestBody.ReadAsync(context.Request, options.MaxRequestBytes, ct))
            {
                plan = await read(body.RootElement, catalog, options, ct);
            }
            return await runner.RunAsync(plan, ct);
        }
        catch (InvalidQueryException e)
        {
            return Problems.BadRequest(e.Message, e.Parameter);
        }
        catch (AnalysisException e)
        {
            return Problem(e);
        }
    }

    private static IResult Problem(AnalysisException e) => TypedResults.Problem(
        detail: e.Message,
        statusCode: e.Status,
        title: e.Title,
        extensions: e.Parameter is null ? null : new Dictionary<string, object?> { ["parameter"] = e.Parameter });
}

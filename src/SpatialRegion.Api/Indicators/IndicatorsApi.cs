using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Indicators;

/// <summary>The indicator catalogue, values as JSON or CSV, uploads, and choropleth maps.</summary>
public static class IndicatorsApi
{
    public const string CsvType = "text/csv";

    /// <summary>An indicator's definition: titles, source and reference.</summary>
    public const long MaxDefinitionBytes = 256 * 1024;

    /// <summary>A values upload: every municipality and county of Sweden over decades, as CSV, is a few MB.</summary>
    public const long MaxValuesBytes = 32 * 1024 * 1024;

    public static RouteGroupBuilder MapIndicatorsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/indicators").WithTags("Indicators");

        api.MapGet("/", ListIndicators).WithName("ListIndicators")
            .WithSummary("The indicator catalogue.");
        api.MapGet("/{indicatorId}", GetIndicator).WithName("GetIndicator")
            .WithSummary("One indicator: titles, unit, source and reference, area levels, period type, licence.");
        api.MapMethods("/{indicatorId}/values", [HttpMethods.Get, HttpMethods.Head], IndicatorValuesEndpoint.GetValues).WithName("GetIndicatorValues")
            .WithSummary("Values of an indicator as JSON, or CSV with Accept: text/csv.")
            .WithDescription("Filters: area (comma-separated codes), level, from and to (periods, inclusive), gender (T, K, M or all; default T).")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status200OK, contentType: CsvType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapMethods("/{indicatorId}/map", [HttpMethods.Get, HttpMethods.Head], ChoroplethEndpoint.GetMap).WithName("GetIndicatorMap")
            .WithSummary("A GeoJSON choropleth: each area with its value, class and the change since change_from; class breaks at the top.")
            .WithDescription("period (default: the latest), classes (1-12, default 5), method (quantile, equal, jenks), change_from (a period), "
                + "classify (value, change or change_percent), gender (T, K, M), level, county (e.g. 23), crs.")
            .Produces(StatusCodes.Status200OK, contentType: LayersApi.GeoJson)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        var writes = api.MapGroup("/").RequireAuthorization(AuthPolicies.Editor);
        writes.MapPost("/", CreateIndicator).WithName("CreateIndicator").LimitBodyTo(MaxDefinitionBytes)
            .WithSummary("Adds an indicator to the catalogue (editor).");
        writes.MapPut("/{indicatorId}", PutIndicator).WithName("PutIndicator").LimitBodyTo(MaxDefinitionBytes)
            .WithSummary("Creates or replaces an indicator's definition (editor). Its values stay.");
        writes.MapDelete("/{indicatorId}", DeleteIndicator).WithName("DeleteIndicator")
            .WithSummary("Removes an indicator with its values and its layer (editor).");
        writes.MapPost("/{indicatorId}/values", IndicatorValuesEndpoint.PostValues).WithName("PostIndicatorValues").LimitBodyTo(MaxValuesBytes)
            .WithSummary("Uploads values as CSV (text/csv) or JSON (editor): checked in full, written in one transaction.")
            .WithDescription("CSV header: area,period,value[,gender][,status]. JSON: [{\"area\",\"period\",\"value\",\"gender\",\"status\"}]. "
                + "Answers the counts of inserted, updated and unchanged values; any bad row gives 400 naming it, and nothing is stored.")
            .Accepts<string>(CsvType, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return api;
    }

    public sealed record IndicatorList(IReadOnlyList<IndicatorResource> Indicators);

    public sealed record IndicatorResource(
        string Id, IndicatorTitle Title, string Unit, string Description, string Source, IndicatorSourceReference SourceReference,
        IReadOnlyList<string> AreaLevels, string PeriodType, bool DividedByGender, int Decimals, string Licence, string Attribution,
        string DefinedIn, long Version, DateTimeOffset UpdatedAt, string LayerId, IReadOnlyList<LayersApi.Link> Links);

    private static async Task<Ok<IndicatorList>> ListIndicators(HttpRequest request, IndicatorCatalogue catalogue, CancellationToken ct) =>
        TypedResults.Ok(new IndicatorList((await catalogue.ListAsync(ct)).Select(i => Resource(request, i)).ToList()));

    private static async Task<Results<Ok<IndicatorResource>, ProblemHttpResult>> GetIndicator(
        string indicatorId, HttpRequest request, IndicatorCatalogue catalogue, CancellationToken ct) =>
        await catalogue.FindAsync(indicatorId, ct) is { } indicator ? TypedResults.Ok(Resource(request, indicator)) : UnknownIndicator(indicatorId);

    private static async Task<IResult> CreateIndicator(HttpRequest request, IndicatorCatalogue catalogue, CancellationToken ct)
    {
        var (definition, problem) = await ReadDefinitionAsync(request, null, ct);
        if (problem is not null)
        {
            return problem;
        }
        var write = await catalogue.SaveAsync(definition!, mustBeNew: true, ct);
        return write.Outcome == CatalogueWriteOutcome.AlreadyExists
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                detail: $"Indicator '{definition!.Id}' exists; PUT /api/indicators/{definition.Id} replaces it.")
            : TypedResults.Created($"/api/indicators/{write.Indicator.Id}", Resource(request, write.Indicator));
    }

    private static async Task<IResult> PutIndicator(string indicatorId, HttpRequest request, IndicatorCatalogue catalogue, CancellationToken ct)
    {
        var (definition, problem) = await ReadDefinitionAsync(request, indicatorId, ct);
        if (problem is not null)
        {
            return problem;
        }
        var write = await catalogue.SaveAsync(definition!, mustBeNew: false, ct);
        return write.Outcome switch
        {
            CatalogueWriteOutcome.ConflictsWithValues => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: write.Conflict),
            CatalogueWriteOutcome.Created => TypedResults.Created($"/api/indicators/{write.Indicator.Id}", Resource(request, write.Indicator)),
            _ => TypedResults.Ok(Resource(request, write.Indicator)),
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteIndicator(string indicatorId, IndicatorCatalogue catalogue, CancellationToken ct) =>
        await catalogue.DeleteAsync(indicatorId, ct) ? TypedResults.NoContent() : UnknownIndicator(indicatorId);

    private static async Task<(IndicatorDefinition?, IResult?)> ReadDefinitionAsync(HttpRequest request, string? routeId, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the indicator as application/json."));
        }
        IndicatorDefinition? definition;
        try
        {
            definition = await JsonSerializer.DeserializeAsync<IndicatorDefinition>(request.Body, IndicatorJson.Options, ct);
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest($"The body is not a valid indicator: {e.Message}"));
        }
        if (definition is null)
        {
            return (null, Problems.BadRequest("The body is empty."));
        }
        if (routeId is not null && definition.Id is null)
        {
            definition = definition with { Id = routeId };
        }
        var errors = definition.Validate();
        if (routeId is not null && definition.Id != routeId)
        {
            errors["id"] = [$"The body's id '{definition.Id}' differs from the address's '{routeId}'."];
        }
        if (definition.Seed is not null)
        {
            errors["seed"] = ["Seed files belong in data/indicators.json; upload values with POST /api/indicators/{id}/values."];
        }
        return errors.Count > 0 ? (null, TypedResults.ValidationProblem(errors, title: "Invalid indicator")) : (definition, null);
    }

    public static IndicatorResource Resource(HttpRequest request, Indicator i)
    {
        var self = $"{RequestUrls.Base(request)}/api/indicators/{Uri.EscapeDataString(i.Id)}";
        var layer = $"{RequestUrls.Base(request)}/api/layers/{Uri.EscapeDataString(i.LayerId)}";
        return new IndicatorResource(
            i.Id, new IndicatorTitle(i.TitleSv, i.TitleEn), i.Unit, i.Description, i.Source, i.SourceReference, i.AreaLevels,
            PeriodTypes.ToName(i.PeriodType), i.DividedByGender, i.Decimals, i.Licence, i.Attribution, i.DefinedIn, i.Version, i.UpdatedAt,
            i.LayerId,
            [
                new("self", self, "application/json"),
                new("values", self + "/values", "application/json", "Values as JSON"),
                new("values", self + "/values", CsvType, "Values as CSV"),
                new("map", self + "/map", LayersApi.GeoJson, "Choropleth of the latest period"),
                new("layer", layer, "application/json", "The indicator as a layer: one feature per area and period"),
            ]);
    }

    /// <summary>
    /// What the reads of an indicator's values and map begin with: the indicator the address names (404 when there
    /// is none) and the request's parameters, checked against the ones the endpoint allows and parsed for that
    /// indicator (400 naming the parameter at fault). Then the endpoint's answer.
    /// </summary>
    internal static async Task<IResult> ReadAsync<T>(
        string indicatorId, HttpRequest request, IndicatorCatalogue catalogue, string[] allowed,
        Func<Indicator, HttpRequest, T> parse, Func<Indicator, T, ValueTask<IResult>> answer, CancellationToken ct)
    {
        if (await catalogue.FindAsync(indicatorId, ct) is not { } indicator)
        {
            return UnknownIndicator(indicatorId);
        }
        QueryValues.RejectUnknown(request.Query, allowed);
        return await answer(indicator, parse(indicator, request));
    }

    public static ProblemHttpResult UnknownIndicator(string id) =>
        Problems.NotFound($"There is no indicator '{id}'. GET /api/indicators lists them.");

    /// <summary>
    /// The validator and the response-cache key of a read of an indicator. Its version names its definition and
    /// values; the versions of the boundary layers name the area names and geometries an answer carries. The key
    /// adds the query, which with the representation determines the body.
    /// </summary>
    internal static async ValueTask<(string ETag, string CacheKey)> VersionedAsync(
        string representation, Indicator indicator, LayerCatalog layers, HttpRequest request, CancellationToken ct)
    {
        var versions = new StringBuilder(LayerCatalog.FormatVersion(indicator.Version));
        foreach (var id in AreaCodes.Layers)
        {
            versions.Append('.').Append(LayerCatalog.FormatVersion((await layers.FindAsync(id, ct))?.Version ?? 0));
        }
        var etag = $"W/\"{representation}-{indicator.Id}-{versions}\"";
        return (etag, $"{etag}|{request.QueryString}");
    }
}

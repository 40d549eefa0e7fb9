using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scalar.AspNetCore;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Indicators;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Jobs;
using SpatialRegion.Api.Jobs.Sources;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Ogc;
using SpatialRegion.Api.Web;
using SpatialRegion.Api.Wfs;

namespace SpatialRegion.Api;

public static class SpatialRegionServices
{
    /// <summary>What both the web service and the command line need: options, PostGIS, the layer registry, import.</summary>
    public static IServiceCollection AddSpatialRegionCore(this IServiceCollection services)
    {
        services.AddOptions<SpatialRegionOptions>().BindConfiguration(SpatialRegionOptions.Section)
            .Validate(o => o.DefaultPageSize >= 1 && o.DefaultPageSize <= o.MaxPageSize, "DefaultPageSize must be between 1 and MaxPageSize.")
            .ValidateOnStart();
        services.AddPostgis();
        services.AddSingleton<LayerCatalog>();
        services.AddSingleton<ResponseCache>();
        services.AddSingleton<FeatureStore>();
        services.AddSingleton<LayerWriter>();
        services.AddSingleton<LayerImporter>();
        services.AddSingleton<DefaultLayers>();
        services.AddOptions<AnalysisOptions>().BindConfiguration(AnalysisOptions.Section)
            .Validate(o => o.MaxRequestBytes > 0 && o.MaxInlineVertices > 0 && o.StatementTimeoutSeconds > 0 && o.MaxConcurrentAnalyses > 0,
                "SpatialRegion:Analysis limits must be positive.")
            .ValidateOnStart();
        services.AddSingleton<LayerValidity>();
        services.AddSingleton<AnalysisRunner>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<IndicatorLayers>();
        services.AddSingleton<IndicatorCatalogue>();
        services.AddSingleton<IndicatorValueWriter>();
        services.AddSingleton<IndicatorSeeds>();
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<JobsOptions>, JobsOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddIndicatorSources();
        services.AddSingleton<JobRunStore>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobScheduler>();
        return services;
    }

    public static WebApplicationBuilder AddSpatialRegion(this WebApplicationBuilder builder)
    {
        builder.Services.AddSpatialRegionCore();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull);
        // Registered before the catalogue listener, so the schema exists before anything reads the registry.
        builder.Services.AddHostedService<MigrationService>();
        builder.Services.AddHostedService<IndicatorCatalogueStartup>();
        builder.Services.AddHostedService<CatalogListener>();
        // The in-memory catalogues the listener keeps in step with their tables.
        builder.Services.AddSingleton<INotifiedCatalog>(sp => sp.GetRequiredService<LayerCatalog>());
        builder.Services.AddSingleton<INotifiedCatalog>(sp => sp.GetRequiredService<IndicatorCatalogue>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobScheduler>());
        builder.Services.AddContentCoding();
        builder.Services.AddOgcApi();
        builder.Services.AddPublicReadCors(builder.Configuration);
        builder.Services.AddProblemDetails();
        builder.Services.AddApiKeyAuthentication();
        builder.Services.AddExceptionHandler<KnownExceptionHandler>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("postgis", tags: ["ready"]);
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "SpatialRegion API";
            document.Info.Description = "Municipal boundaries, regional indicators and spatial analyses for Region Jämtland Härjedalen, served from PostGIS.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication MapSpatialRegion(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseResponseCompression();
        // URL forms are normalised before routing chooses an endpoint.
        app.UseOgcUrlForms();
        app.UseWebPages();
        app.UseRouting();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapLayersApi();
        app.MapAnalysisApi();
        app.MapApiKeysApi();
        app.MapOgcApi();
        app.MapWfs();
        app.MapIndicatorsApi();
        app.MapJobsApi();

        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false })
            .WithTags("Health").WithSummary("Liveness: the process answers.");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResultStatusCodes = { [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable },
        }).WithTags("Health").WithSummary("Readiness: PostGIS answers and the schema is migrated.");

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", options => options.WithTitle("SpatialRegion API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}

/// <summary>Exceptions that are not the server's fault, or not a bug: a request the server refused while reading
/// it (too large, malformed) keeps its 4xx; a database that cannot be reached is a 503, not a 500.</summary>
internal sealed class KnownExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            Npgsql.NpgsqlException { IsTransient: true } or TimeoutException =>
                (StatusCodes.Status503ServiceUnavailable, "Database unavailable", "PostGIS did not answer; try again shortly."),
            _ => (0, "", ""),
        };
        if (status == 0)
        {
            return false;
        }
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}

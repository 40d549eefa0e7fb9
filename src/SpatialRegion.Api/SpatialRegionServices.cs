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
using SpatialRegion.Api.Networks;
using SpatialRegion.Api.Measures;
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
        services.AddSingleton<Networks.NetworkGraphs>();
        services.AddSingleton<Networks.NetworkImporter>();
        services.AddSingleton<Networks.DefaultNetworks>();
        services.AddOptions<AnalysisOptions>().BindConfiguration(AnalysisOptions.Section)
            .Validate(o => o.MaxRequestBytes > 0 && o.MaxInlineVertices > 0 && o.StatementTimeoutSeconds > 0 && o.MaxConcurrentAnalyses > 0,
                "SpatialRegion:Analysis limits must be positive.")
            .ValidateOnStart();
        services.AddSingleton<LayerValidity>();
        services.AddSingleton<AnalysisRunner>();
        services.AddSingleton<AnalysisJobs>();
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
        services.AddSingleton<MeasureLayers>();
        services.AddSingleton<MeasureStore>();
        services.AddSingleton<MeasureSeeds>();
        return services;
    }

    public static WebApplicationBuilder AddSpatialRegion(this WebApplicationBuilder builder)
    {
        builder.Services.AddSpatialRegionCore();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.Bounded();
        });
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
        builder.Services.AddExceptionHandler<ErrorAnswerHandler>();
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
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages(ErrorAnswers.WriteStatusAsync);
        app.UseResponseCompression();
        // URL forms are normalised before routing chooses an endpoint.
        app.UseOgcUrlForms();
        app.UseWebPages();
        app.UseRouting();
        app.UseRequestTextCheck();
        app.UseRequestBodyLimits();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapLayersApi();
        app.MapAnalysisApi();
        app.MapNetworksApi();
        app.MapApiKeysApi();
        app.MapOgcApi();
        app.MapWfs();
        app.MapIndicatorsApi();
        app.MapJobsApi();
        app.MapMeasuresApi();

        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false })
            .WithTags("Health").WithSummary("Liveness: the process answers.");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResultStatusCodes = { [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable },
            ResponseWriter = WriteReadiness,
        }).WithTags("Health").WithSummary("Readiness: PostGIS answers and the schema is migrated.");

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", options => options.WithTitle("SpatialRegion API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }

    /// <summary>The plain-text status as the default writer gives it, and a load balancer's hint for when to ask again.</summary>
    private static Task WriteReadiness(HttpContext context, HealthReport report)
    {
        if (report.Status == HealthStatus.Unhealthy)
        {
            context.Response.Headers.RetryAfter = ErrorAnswers.RetryAfterSeconds;
        }
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(report.Status.ToString());
    }
}

using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Indicators;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Jobs;

/// <summary>
/// A second service instance on the tests' database, whose sources point at a fake server on 127.0.0.1 and
/// whose job definitions are the test's. Retries, timeouts and throttles are shortened so faults play out in
/// a few seconds. The request timeout is kept at seconds, not fractions: the suite's test classes run in
/// parallel, a request that waits half a second for a thread on a busy machine would time out and be retried,
/// and a retry changes what a test counts and can fail a run.
/// </summary>
public sealed class JobsTestApp(string connectionString, FakeStatisticsServer fake, IReadOnlyDictionary<string, string?> settings)
    : WebApplicationFactory<Program>
{
    /// <summary>How long a source request may take before it is given up and retried.</summary>
    public const int TimeoutSeconds = 3;

    public static string DataDir { get; } = DataDirectory.Resolve(null, AppContext.BaseDirectory);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgis", connectionString);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Jobs:SchedulerEnabled", "false");
        foreach (var (source, url) in new[] { ("Kolada", fake.KoladaBase), ("ScbV1", fake.ScbV1Base), ("ScbV2", fake.ScbV2Base) })
        {
            builder.UseSetting($"Jobs:{source}:BaseUrl", url);
            builder.UseSetting($"Jobs:{source}:TimeoutSeconds", TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting($"Jobs:{source}:MaxRetries", "2");
            builder.UseSetting($"Jobs:{source}:RetryBaseDelaySeconds", "0.05");
            builder.UseSetting($"Jobs:{source}:CallsPerWindow", "100");
            builder.UseSetting($"Jobs:{source}:WindowSeconds", "1");
        }
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Settings of one job: Jobs:Definitions:{id}:….</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Job(string id, string source, string[] indicators, string[] areas, string[] periods,
        string[]? genders = null, string? format = null, string? schedule = null)
    {
        var prefix = $"Jobs:Definitions:{id}:";
        yield return new(prefix + "Source", source);
        for (var i = 0; i < indicators.Length; i++)
        {
            yield return new($"{prefix}Indicators:{i}", indicators[i]);
        }
        for (var i = 0; i < areas.Length; i++)
        {
            yield return new($"{prefix}Areas:{i}", areas[i]);
        }
        for (var i = 0; i < periods.Length; i++)
        {
            yield return new($"{prefix}Periods:{i}", periods[i]);
        }
        for (var i = 0; i < (genders ?? []).Length; i++)
        {
            yield return new($"{prefix}Genders:{i}", genders![i]);
        }
        if (format is not null)
        {
            yield return new(prefix + "Format", format);
        }
        if (schedule is not null)
        {
            yield return new(prefix + "Schedule", schedule);
        }
    }

    public async Task<HttpClient> EditorClientAsync(string name)
    {
        var key = await Services.GetRequiredService<ApiKeyStore>().CreateAsync(name + "-" + Guid.NewGuid().ToString("N")[..6], ApiRoles.Editor, CancellationToken.None);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public Task<CatalogueWrite> DefineAsync(IndicatorDefinition definition) =>
        Services.GetRequiredService<IndicatorCatalogue>().SaveAsync(definition, mustBeNew: false, CancellationToken.None);

    public static IndicatorDefinition Indicator(string id, IndicatorSourceReference reference, string[] levels, bool byGender = true) => new(
        id, new IndicatorTitle("Test " + id, "Test " + id), "persons", "", "SCB", reference, levels, "year", byGender, 0, "CC0", "Källa: SCB", null);
}

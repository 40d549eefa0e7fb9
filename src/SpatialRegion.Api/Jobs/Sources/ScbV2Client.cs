using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Indicators;

namespace SpatialRegion.Api.Jobs.Sources;

/// <summary>
/// SCB Statistikdatabasen, PxWebApi 2: reads /config first and keeps to what it says (maxDataCells per query,
/// maxCallsPerTimeWindow per timeWindow seconds), then POSTs selections to /tables/{id}/data for JSON-stat 2.0.
/// </summary>
public sealed partial class ScbV2Client(HttpClient http, IOptions<JobsOptions> options, SourceThrottles throttles, ILogger<ScbV2Client> logger)
    : IIndicatorSource
{
    public sealed record ApiConfig(string ApiVersion, long MaxDataCells, int MaxCalls, double TimeWindowSeconds, string? License);

    public async Task<IReadOnlyList<IndicatorFetch>> FetchAsync(IReadOnlyList<Indicator> indicators, JobDefinition job, CancellationToken ct)
    {
        ApiConfig config;
        try
        {
            config = await GetConfigAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var reason = SourceErrors.Describe(e, "SCB v2 /config");
            LogFailed("config", reason);
            return indicators.Select(i => IndicatorFetch.Failed(i.Id, reason, "SCB", "pxwebapi-v2")).ToList();
        }
        return await ScbQueries.FetchGroupsAsync(indicators, s => s.V2Table, "v2Table", "pxwebapi-" + config.ApiVersion,
            group => FetchGroupAsync(group, job, config, ct), LogFailed, ct);
    }

    public async Task<ApiConfig> GetConfigAsync(CancellationToken ct)
    {
        using var response = await http.GetAsync("config", ct);
        await SourceErrors.EnsureSuccessAsync(response, "GET config", ct);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("maxDataCells", out var cells) || !cells.TryGetInt64(out var maxCells)
            || !root.TryGetProperty("maxCallsPerTimeWindow", out var calls) || !calls.TryGetInt32(out var maxCalls)
            || !root.TryGetProperty("timeWindow", out var window) || !window.TryGetDouble(out var seconds))
        {
            throw new SourceFormatException("/config lacks maxDataCells, maxCallsPerTimeWindow or timeWindow");
        }
        var config = new ApiConfig(
            root.TryGetProperty("apiVersion", out var v) ? v.GetString() ?? "2" : "2", maxCells, maxCalls, seconds,
            root.TryGetProperty("license", out var l) ? l.GetString() : null);
        // Never faster than SCB allows, nor than our own configuration says.
        var own = options.Value.ScbV2;
        throttles.For(JobSources.ScbV2, () => own).SetLimit(Math.Min(config.MaxCalls, own.CallsPerWindow), TimeSpan.FromSeconds(Math.Max(config.TimeWindowSeconds, own.WindowSeconds)));
        LogConfig(config.ApiVersion, config.MaxDataCells, config.MaxCalls, config.TimeWindowSeconds);
        return config;
    }

    private async Task<Dictionary<string, List<ValueInput>>> FetchGroupAsync(ScbQueries.TableGroup group, JobDefinition job, ApiConfig config, CancellationToken ct)
    {
        var path = $"tables/{Uri.EscapeDataString(group.Table)}/data?lang=sv&outputFormat=json-stat2";
        var maxCells = Math.Min(config.MaxDataCells, options.Value.ScbV2.MaxCells);
        // Without explicit periods, the latest n: PxWebApi 2's top(n) selection expression, n periods in one entry.
        var (times, periodsPerTime) = job.Periods.Length > 0
            ? (job.Periods.Select(ToScbTime).ToList(), 1)
            : ([$"top({job.LatestPeriods.ToString(CultureInfo.InvariantCulture)})"], job.LatestPeriods);
        return await ScbQueries.FetchAsync(group, job, times, periodsPerTime, maxCells, new Uri(http.BaseAddress!, path).ToString(),
            Selection, async selection =>
            {
                using var response = await http.PostAsJsonAsync(path, new JsonObject { ["selection"] = selection }, ct);
                await SourceErrors.EnsureSuccessAsync(response, $"POST {path}", ct);
                using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
                return ScbCells.FromJsonStat(document.RootElement);
            });
    }

    private static string ToScbTime(string period) => period.Length == 7 && period[4] == '-' && period[5] == 'Q'
        ? $"{period[..4]}K{period[6]}"
        : period.Length == 7 && period[4] == '-' ? $"{period[..4]}M{period[5..]}" : period;

    private static JsonObject Selection(string code, IEnumerable<string> values) => new()
    {
        ["variableCode"] = code,
        ["valueCodes"] = new JsonArray(values.Select(v => (JsonNode)v!).ToArray()),
    };

    [LoggerMessage(LogLevel.Information, "SCB PxWebApi {Version}: at most {MaxCells} cells per query, {MaxCalls} calls per {Window} s")]
    private partial void LogConfig(string version, long maxCells, int maxCalls, double window);

    [LoggerMessage(LogLevel.Warning, "SCB v2 {What} failed: {Reason}")]
    private partial void LogFailed(string what, string reason);
}

using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Indicators;

namespace SpatialRegion.Api.Jobs.Sources;

/// <summary>
/// SCB Statistikdatabasen, PxWeb API v1: GET a table for its metadata (variables and their codes, what may be
/// eliminated, the published years), then POST queries in the configured format (json, json-stat or
/// json-stat2), split below the cell limit.
/// </summary>
public sealed partial class ScbV1Client(HttpClient http, IOptions<JobsOptions> options, ILogger<ScbV1Client> logger) : IIndicatorSource
{
    public const string ApiVersion = "pxweb-v1";

    public async Task<IReadOnlyList<IndicatorFetch>> FetchAsync(IReadOnlyList<Indicator> indicators, JobDefinition job, CancellationToken ct) =>
        await ScbQueries.FetchGroupsAsync(indicators, s => s.V1Table, "v1Table", ApiVersion,
            group => FetchGroupAsync(group, job, options.Value.ScbV1, ct), LogFailed, ct);

    private async Task<Dictionary<string, List<ValueInput>>> FetchGroupAsync(ScbQueries.TableGroup group, JobDefinition job, ScbV1Options source, CancellationToken ct)
    {
        var r = group.Reference;
        var metadata = await GetMetadataAsync(group.Table, ct);
        string[] Codes(string variable) => metadata.TryGetValue(variable, out var v) ? v.Codes
            : throw new SourceFormatException($"table {group.Table} has no variable '{variable}' (it has {string.Join(", ", metadata.Keys)})");

        var missingContents = group.ContentsCodes.Except(Codes("ContentsCode")).ToList();
        if (missingContents.Count > 0)
        {
            throw new SourceFormatException($"table {group.Table} has no ContentsCode {string.Join(", ", missingContents)}");
        }
        foreach (var (variable, code) in r.Fixed ?? new Dictionary<string, string>())
        {
            if (!Codes(variable).Contains(code))
            {
                throw new SourceFormatException($"table {group.Table}: variable {variable} has no code '{code}'");
            }
        }
        var published = Codes(r.TimeVariable);
        var times = job.Periods.Length > 0
            ? published.Where(p => job.Periods.Contains(ScbQueries.PeriodFromScb(p))).ToList()
            : published.TakeLast(job.LatestPeriods).ToList();
        if (times.Count == 0)
        {
            throw new SourceFormatException($"table {group.Table} publishes none of the periods {string.Join(", ", job.Periods)}");
        }

        if (ScbQueries.RegionEliminated(job))
        {
            if (metadata.TryGetValue(r.RegionVariable, out var rv) && !rv.Elimination)
            {
                throw new SourceFormatException($"table {group.Table} cannot leave out {r.RegionVariable}; name the areas");
            }
        }
        else if (ScbQueries.Regions(job).Except(Codes(r.RegionVariable)).ToList() is { Count: > 0 } unknownRegions)
        {
            throw new SourceFormatException($"table {group.Table} has no region {string.Join(", ", unknownRegions)}");
        }

        var format = job.Format ?? source.Format;
        return await ScbQueries.FetchAsync(group, job, times, periodsPerTime: 1, source.MaxCells, new Uri(http.BaseAddress!, group.Table).ToString(),
            Selection, async query =>
            {
                var body = new JsonObject { ["query"] = query, ["response"] = new JsonObject { ["format"] = format } };
                using var response = await http.PostAsJsonAsync(group.Table, body, ct);
                await SourceErrors.EnsureSuccessAsync(response, $"POST {group.Table}", ct);
                using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
                return format == "json" ? ScbCells.FromPxWebJson(document.RootElement) : ScbCells.FromJsonStat(document.RootElement);
            });
    }

    private static JsonObject Selection(string code, IEnumerable<string> values) => new()
    {
        ["code"] = code,
        ["selection"] = new JsonObject { ["filter"] = "item", ["values"] = new JsonArray(values.Select(v => (JsonNode)v!).ToArray()) },
    };

    private sealed record Variable(string[] Codes, bool Elimination);

    private async Task<Dictionary<string, Variable>> GetMetadataAsync(string table, CancellationToken ct)
    {
        using var response = await http.GetAsync(table, ct);
        await SourceErrors.EnsureSuccessAsync(response, $"GET {table}", ct);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        if (!document.RootElement.TryGetProperty("variables", out var variables) || variables.ValueKind != JsonValueKind.Array)
        {
            throw new SourceFormatException($"the metadata of {table} has no \"variables\" array");
        }
        var result = new Dictionary<string, Variable>(StringComparer.Ordinal);
        foreach (var v in variables.EnumerateArray())
        {
            result[v.GetProperty("code").GetString()!] = new Variable(
                v.GetProperty("values").EnumerateArray().Select(x => x.GetString()!).ToArray(),
                v.TryGetProperty("elimination", out var e) && e.ValueKind == JsonValueKind.True);
        }
        return result;
    }

    [LoggerMessage(LogLevel.Warning, "SCB v1 table {Table} failed: {Reason}")]
    private partial void LogFailed(string table, string reason);
}

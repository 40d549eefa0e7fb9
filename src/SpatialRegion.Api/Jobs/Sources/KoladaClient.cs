using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Indicators;

namespace SpatialRegion.Api.Jobs.Sources;

/// <summary>
/// Kolada API v2: /data/kpi/{kpi}/municipality/{ids}/year/{years}, following next_page until it is absent.
/// Rows of municipality groups (ids starting with G) are dropped: their value is an unweighted mean of the
/// members, not a figure for an area. Counties and Sweden are 00NN in Kolada and stored under SCB's codes.
/// </summary>
public sealed partial class KoladaClient(HttpClient http, IOptions<JobsOptions> options, ILogger<KoladaClient> logger) : IIndicatorSource
{
    public const string ApiVersion = "kolada-v2";
    private const int MaxPages = 1000;

    public async Task<IReadOnlyList<IndicatorFetch>> FetchAsync(IReadOnlyList<Indicator> indicators, JobDefinition job, CancellationToken ct)
    {
        var source = options.Value.Kolada;
        var results = new List<IndicatorFetch>();
        foreach (var indicator in indicators)
        {
            if (indicator.SourceReference.Kolada is not { } reference)
            {
                results.Add(IndicatorFetch.Failed(indicator.Id, "its source reference names no Kolada KPI (sourceReference.kolada.kpi)", "Kolada", ApiVersion));
                continue;
            }
            if (indicator.PeriodType != PeriodType.Year)
            {
                results.Add(IndicatorFetch.Failed(indicator.Id, "Kolada publishes yearly values; the indicator's periods are not years", "Kolada", ApiVersion));
                continue;
            }
            try
            {
                var values = new List<ValueInput>();
                var areas = job.Areas.Length == 0 ? [AreaCodes.Sweden] : job.Areas.Select(AreaCodes.Normalise).Distinct().ToArray();
                var years = job.Periods.Length > 0
                    ? job.Periods
                    : Enumerable.Range(DateTime.UtcNow.Year - job.LatestPeriods, job.LatestPeriods + 1).Select(y => y.ToString(CultureInfo.InvariantCulture)).ToArray();
                foreach (var chunk in areas.Chunk(source.MaxIdsPerCall))
                {
                    var path = $"data/kpi/{Uri.EscapeDataString(reference.Kpi)}/municipality/{string.Join(',', chunk.Select(AreaCodes.ToKolada))}/year/{string.Join(',', years)}";
                    if (source.PageSize > 0)
                    {
                        path += "?per_page=" + source.PageSize.ToString(CultureInfo.InvariantCulture);
                    }
                    await ReadPagesAsync(new Uri(http.BaseAddress!, path), reference.Kpi, indicator, job, values, ct);
                }
                results.Add(new IndicatorFetch(indicator.Id, values, null, "Kolada", ApiVersion));
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var reason = SourceErrors.Describe(e, $"Kolada KPI {reference.Kpi}");
                LogFailed(reference.Kpi, reason);
                results.Add(IndicatorFetch.Failed(indicator.Id, reason, "Kolada", ApiVersion));
            }
        }
        return results;
    }

    private async Task ReadPagesAsync(Uri first, string kpi, Indicator indicator, JobDefinition job, List<ValueInput> values, CancellationToken ct)
    {
        var wanted = job.WantedGenders.Select(Genders.Normalise).OfType<string>().ToHashSet();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (Uri? next = first; next is not null;)
        {
            if (!seen.Add(next.AbsoluteUri) || seen.Count > MaxPages)
            {
                throw new SourceFormatException($"next_page leads in a circle or past {MaxPages} pages ({next})");
            }
            using var response = await http.GetAsync(next, ct);
            await SourceErrors.EnsureSuccessAsync(response, $"GET {next.PathAndQuery}", ct);
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            var page = document.RootElement;
            if (page.ValueKind != JsonValueKind.Object || !page.TryGetProperty("values", out var rows) || rows.ValueKind != JsonValueKind.Array
                || !page.TryGetProperty("count", out var count) || !count.TryGetInt32(out var n))
            {
                throw new SourceFormatException("a page is not {\"values\": [...], \"count\": n}");
            }
            if (n != rows.GetArrayLength())
            {
                throw new SourceFormatException($"a page says count {n} but holds {rows.GetArrayLength()} rows");
            }
            foreach (var row in rows.EnumerateArray())
            {
                ReadRow(row, kpi, indicator, wanted, next, values);
            }
            next = page.TryGetProperty("next_page", out var np) && np.ValueKind == JsonValueKind.String && np.GetString() is { Length: > 0 } link
                ? FollowLink(link)
                : null;
        }
    }

    private static void ReadRow(JsonElement row, string kpi, Indicator indicator, HashSet<string> wanted, Uri url, List<ValueInput> values)
    {
        if (row.ValueKind != JsonValueKind.Object || !row.TryGetProperty("kpi", out var k) || !row.TryGetProperty("municipality", out var m)
            || !row.TryGetProperty("period", out var p) || !row.TryGetProperty("values", out var cells) || cells.ValueKind != JsonValueKind.Array)
        {
            throw new SourceFormatException("a row lacks kpi, municipality, period or values");
        }
        if (k.GetString() != kpi)
        {
            throw new SourceFormatException($"a row is for KPI {k.GetString()}, not {kpi}");
        }
        var municipality = m.GetString() ?? throw new SourceFormatException("a row's municipality is not a string");
        if (municipality.StartsWith('G'))
        {
            return;
        }
        // The README documents a string; clients in the wild receive an integer year.
        var period = p.ValueKind switch
        {
            JsonValueKind.Number => p.GetInt32().ToString(CultureInfo.InvariantCulture),
            JsonValueKind.String => p.GetString()!,
            _ => throw new SourceFormatException("a row's period is neither a string nor a number"),
        };
        foreach (var cell in cells.EnumerateArray())
        {
            if (cell.TryGetProperty("count", out var c) && c.TryGetInt32(out var members) && members > 1)
            {
                continue;
            }
            var gender = Genders.Normalise(cell.TryGetProperty("gender", out var g) ? g.GetString() : null)
                ?? throw new SourceFormatException($"unknown gender in a row for {municipality}");
            if (!wanted.Contains(gender) || (gender != Genders.Total && !indicator.DividedByGender))
            {
                continue;
            }
            string? value = cell.TryGetProperty("value", out var v) ? v.ValueKind switch
            {
                JsonValueKind.Number => v.GetRawText(),
                JsonValueKind.Null => null,
                _ => throw new SourceFormatException($"value for {municipality} {period} is {v.ValueKind}, not a number or null"),
            } : null;
            var status = cell.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() is { Length: > 0 } st ? st : null;
            values.Add(new ValueInput(values.Count + 1, municipality, period, gender, value, status, url.ToString()));
        }
    }

    /// <summary>next_page must stay on the configured Kolada host: a response is not allowed to send us elsewhere.</summary>
    private Uri FollowLink(string link)
    {
        if (!Uri.TryCreate(http.BaseAddress, link, out var uri))
        {
            throw new SourceFormatException($"next_page '{link}' is not a URL");
        }
        var origin = http.BaseAddress!;
        if (uri.Scheme != origin.Scheme || uri.Host != origin.Host || uri.Port != origin.Port)
        {
            throw new SourceFormatException($"next_page '{link}' leaves the configured Kolada address {origin}");
        }
        return uri;
    }

    [LoggerMessage(LogLevel.Warning, "Kolada KPI {Kpi} failed: {Reason}")]
    private partial void LogFailed(string kpi, string reason);
}

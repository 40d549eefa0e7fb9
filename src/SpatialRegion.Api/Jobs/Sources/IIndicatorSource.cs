using SpatialRegion.Api.Indicators;

namespace SpatialRegion.Api.Jobs.Sources;

/// <summary>A statistics API a refresh job reads: fetches the values of some indicators for a job's areas and periods.
/// Registered under the name of <see cref="JobSources"/> that a job's Source gives.</summary>
public interface IIndicatorSource
{
    /// <summary>Fetches every indicator; an indicator whose requests failed comes back with its error and no values.</summary>
    Task<IReadOnlyList<IndicatorFetch>> FetchAsync(IReadOnlyList<Indicator> indicators, JobDefinition job, CancellationToken ct);
}

/// <summary>What one indicator got from a source: the values as read, or why there are none.</summary>
public sealed record IndicatorFetch(string IndicatorId, IReadOnlyList<ValueInput> Values, string? Error, string Source, string? ApiVersion)
{
    public static IndicatorFetch Failed(string indicatorId, string error, string source, string? apiVersion = null) =>
        new(indicatorId, [], error, source, apiVersion);
}

/// <summary>A response that is not what the source documents: the run fails for the indicators it was for.</summary>
public sealed class SourceFormatException(string message) : Exception(message);

/// <summary>A request that failed after all retries, or a status that is not retried.</summary>
public sealed class SourceRequestException(string message, Exception? inner = null) : Exception(message, inner);

public static class SourceErrors
{
    /// <summary>A one-line reason for the run record, naming what was asked.</summary>
    public static string Describe(Exception e, string what) => e switch
    {
        SourceFormatException or SourceRequestException => $"{what}: {e.Message}",
        Polly.Timeout.TimeoutRejectedException => $"{what}: timed out after every retry",
        TaskCanceledException => $"{what}: timed out",
        HttpRequestException h => $"{what}: {(h.StatusCode is { } s ? $"HTTP {(int)s}" : h.Message)}",
        System.Text.Json.JsonException j => $"{what}: malformed JSON ({j.Message})",
        _ => $"{what}: {e.GetType().Name}: {e.Message}",
    };

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var body = await response.Content.ReadAsStringAsync(ct);
        if (body.Length > 300)
        {
            body = body[..300] + "…";
        }
        throw new SourceRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase} for {what}{(body.Length > 0 ? ": " + body : "")}");
    }
}

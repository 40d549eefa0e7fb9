using Cronos;
using Microsoft.Extensions.Options;

namespace SpatialRegion.Api.Jobs;

/// <summary>The "Jobs" configuration section: the scheduler, the sources' addresses and limits, and the jobs.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Whether this instance runs jobs on their schedule. Manual runs work either way.</summary>
    public bool SchedulerEnabled { get; set; } = true;

    /// <summary>The time zone cron schedules are read in; daylight saving is handled by Cronos.</summary>
    public string TimeZone { get; set; } = "Europe/Stockholm";

    public KoladaOptions Kolada { get; set; } = new()
    {
        BaseUrl = "https://api.kolada.se/v2/",
        CallsPerWindow = 5,
        WindowSeconds = 1,
        MaxIdsPerCall = 25,
    };

    public ScbV1Options ScbV1 { get; set; } = new()
    {
        BaseUrl = "https://api.scb.se/OV0104/v1/doris/sv/ssd/",
        CallsPerWindow = 10,
        WindowSeconds = 10,
        MaxCells = 100_000,
        Format = "json-stat2",
    };

    public ScbOptions ScbV2 { get; set; } = new()
    {
        BaseUrl = "https://statistikdatabasen.scb.se/api/v2/",
        CallsPerWindow = 30,
        WindowSeconds = 10,
        MaxCells = 150_000,
    };

    public Dictionary<string, JobDefinition> Definitions { get; set; } = new(StringComparer.Ordinal);

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public IEnumerable<string> Validate()
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        {
            yield return $"Jobs:TimeZone '{TimeZone}' is not a known time zone.";
        }
        foreach (var (name, source) in new (string, SourceOptions)[] { ("Kolada", Kolada), ("ScbV1", ScbV1), ("ScbV2", ScbV2) })
        {
            if (!Uri.TryCreate(source.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !source.BaseUrl.EndsWith('/'))
            {
                yield return $"Jobs:{name}:BaseUrl must be an absolute http(s) URL ending in '/'.";
            }
            if (source.CallsPerWindow < 1 || source.WindowSeconds <= 0 || source.TimeoutSeconds <= 0 || source.MaxRetries < 0)
            {
                yield return $"Jobs:{name}: CallsPerWindow, WindowSeconds and TimeoutSeconds must be positive, MaxRetries not negative.";
            }
        }
        if (Kolada.MaxIdsPerCall < 1 || Kolada.PageSize < 0)
        {
            yield return "Jobs:Kolada: MaxIdsPerCall must be positive, PageSize not negative.";
        }
        if (ScbV1.MaxCells < 1 || ScbV2.MaxCells < 1)
        {
            yield return "Jobs:ScbV1 and Jobs:ScbV2: MaxCells must be positive.";
        }
        if (!ScbV1Options.Formats.Contains(ScbV1.Format))
        {
            yield return $"Jobs:ScbV1:Format must be one of {string.Join(", ", ScbV1Options.Formats)}.";
        }
        foreach (var (id, job) in Definitions)
        {
            if (!JobIds.IsValid(id))
            {
                yield return $"Job id '{id}' must be 1-63 lower-case letters, digits, '-' or '_' (and not 'runs').";
            }
            if (job.Source is not (JobSources.Kolada or JobSources.ScbV1 or JobSources.ScbV2))
            {
                yield return $"Job '{id}': Source must be {JobSources.Kolada}, {JobSources.ScbV1} or {JobSources.ScbV2}.";
            }
            if (job.Indicators.Length == 0)
            {
                yield return $"Job '{id}' names no indicators.";
            }
            if (!string.IsNullOrWhiteSpace(job.Schedule) && JobSchedules.TryParse(job.Schedule) is null)
            {
                yield return $"Job '{id}': '{job.Schedule}' is not a cron expression (5 fields, or 6 with seconds first).";
            }
            if (job.LatestPeriods is < 1 && job.Periods.Length == 0)
            {
                yield return $"Job '{id}': give Periods or LatestPeriods.";
            }
            if (job.Format is not null && (job.Source != JobSources.ScbV1 || !ScbV1Options.Formats.Contains(job.Format)))
            {
                yield return $"Job '{id}': Format is for {JobSources.ScbV1} jobs only, one of {string.Join(", ", ScbV1Options.Formats)}.";
            }
        }
    }
}

/// <summary>What every source is configured with: its address, the self-throttle, timeouts and retries.</summary>
public class SourceOptions
{
    public string BaseUrl { get; set; } = "";

    /// <summary>Self-throttling: at most this many calls in any window of <see cref="WindowSeconds"/>.</summary>
    public int CallsPerWindow { get; set; } = 10;

    public double WindowSeconds { get; set; } = 10;

    /// <summary>Time allowed for one attempt.</summary>
    public double TimeoutSeconds { get; set; } = 30;

    /// <summary>Retries after a 5xx, 408, 429 or a timeout; exponential backoff with jitter, Retry-After honoured.</summary>
    public int MaxRetries { get; set; } = 4;

    public double RetryBaseDelaySeconds { get; set; } = 2;
}

public sealed class KoladaOptions : SourceOptions
{
    /// <summary>Area ids per call: the URL must stay short.</summary>
    public int MaxIdsPerCall { get; set; } = 25;

    /// <summary>Items per page (per_page); 0 leaves it to Kolada (5000).</summary>
    public int PageSize { get; set; }
}

public class ScbOptions : SourceOptions
{
    /// <summary>Cells per query; v2 also keeps below the limit its /config publishes.</summary>
    public int MaxCells { get; set; } = 100_000;
}

public sealed class ScbV1Options : ScbOptions
{
    public static readonly string[] Formats = ["json", "json-stat", "json-stat2"];

    /// <summary>The response format asked for: json, json-stat or json-stat2.</summary>
    public string Format { get; set; } = "json-stat2";
}

/// <summary>One refresh job: which indicators, from which source, for which areas and periods, and when.</summary>
public sealed class JobDefinition
{
    public string Description { get; set; } = "";

    public string Source { get; set; } = "";

    public string[] Indicators { get; set; } = [];

    /// <summary>Cron in <see cref="JobsOptions.TimeZone"/>; empty: run only when triggered.</summary>
    public string? Schedule { get; set; }

    /// <summary>Area codes (SCB form: 2380, 23, 00). Empty or only 00: Sweden as a whole.</summary>
    public string[] Areas { get; set; } = [];

    /// <summary>Explicit periods; when empty, the latest <see cref="LatestPeriods"/> the source publishes.</summary>
    public string[] Periods { get; set; } = [];

    public int LatestPeriods { get; set; } = 5;

    /// <summary>T, K, M: which genders to fetch for indicators divided by gender; empty means T (total) only.
    /// (Empty by default: the configuration binder would add to a non-empty default, not replace it.)</summary>
    public string[] Genders { get; set; } = [];

    /// <summary>SCB v1 only: the response format for this job (json, json-stat, json-stat2); default the source's.</summary>
    public string? Format { get; set; }

    public string[] WantedGenders => Genders.Length == 0 ? ["T"] : Genders;
}

public static class JobSources
{
    public const string Kolada = "kolada";
    public const string ScbV1 = "scb-v1";
    public const string ScbV2 = "scb-v2";
}

public static partial class JobIds
{
    public static bool IsValid(string id) => id != "runs" && Pattern().IsMatch(id);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}

public static class JobSchedules
{
    /// <summary>Five fields (minute first) or six (seconds first).</summary>
    public static CronExpression? TryParse(string expression)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return CronExpression.TryParse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard, out var cron) ? cron : null;
    }
}

/// <summary>Refuses to start with a job configuration that cannot work, naming every problem.</summary>
public sealed class JobsOptionsValidator : IValidateOptions<JobsOptions>
{
    public ValidateOptionsResult Validate(string? name, JobsOptions options)
    {
        var problems = options.Validate().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

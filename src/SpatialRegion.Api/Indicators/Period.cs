using System.Globalization;
using System.Text.RegularExpressions;

namespace SpatialRegion.Api.Indicators;

/// <summary>
/// The time a value refers to, in one canonical text per kind: a year <c>2024</c>, a quarter <c>2024-Q3</c> or a
/// month <c>2024-07</c>. Start and end are the first and last day; the end is the date a layer feature carries,
/// because stock measures such as population are counted at the end of their period (SCB: "31 december").
/// </summary>
public readonly partial record struct Period(string Text, PeriodType Type, DateOnly Start, DateOnly End)
{
    public static bool TryParse(string? text, PeriodType type, out Period period)
    {
        period = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var t = text.Trim();
        switch (type)
        {
            case PeriodType.Year when YearPattern().IsMatch(t):
                {
                    var year = int.Parse(t, CultureInfo.InvariantCulture);
                    period = new Period(t, type, new DateOnly(year, 1, 1), new DateOnly(year, 12, 31));
                    return true;
                }
            case PeriodType.Quarter when QuarterPattern().Match(t) is { Success: true } m:
                {
                    var year = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                    var quarter = m.Groups[2].Value[0] - '0';
                    var start = new DateOnly(year, (quarter * 3) - 2, 1);
                    period = new Period($"{year:D4}-Q{quarter}", type, start, start.AddMonths(3).AddDays(-1));
                    return true;
                }
            case PeriodType.Month when MonthPattern().Match(t) is { Success: true } m:
                {
                    var year = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                    var month = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                    var start = new DateOnly(year, month, 1);
                    period = new Period(t, type, start, start.AddMonths(1).AddDays(-1));
                    return true;
                }
            default:
                return false;
        }
    }

    public static Period Parse(string text, PeriodType type) =>
        TryParse(text, type, out var p) ? p : throw new FormatException($"'{text}' is not a {Describe(type)}.");

    /// <summary>Reads a date as published in a table ("2024-12-31") as the period of the given kind that ends on it;
    /// false when the date is not such an end (a 30 June count is not a year's value).</summary>
    public static bool TryFromEndDate(string text, PeriodType type, out Period period)
    {
        period = default;
        if (!DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return false;
        }
        var candidate = type switch
        {
            PeriodType.Year => date.Year.ToString("D4", CultureInfo.InvariantCulture),
            PeriodType.Quarter => $"{date.Year:D4}-Q{((date.Month - 1) / 3) + 1}",
            _ => date.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        };
        return TryParse(candidate, type, out period) && period.End == date;
    }

    public static string Describe(PeriodType type) => type switch
    {
        PeriodType.Year => "year (YYYY)",
        PeriodType.Quarter => "quarter (YYYY-Qn)",
        _ => "month (YYYY-MM)",
    };

    public override string ToString() => Text;

    [GeneratedRegex(@"^(1[89]|2[01])\d\d$")]
    private static partial Regex YearPattern();

    [GeneratedRegex(@"^((?:1[89]|2[01])\d\d)-?[QK]([1-4])$")]
    private static partial Regex QuarterPattern();

    [GeneratedRegex(@"^((?:1[89]|2[01])\d\d)-(0[1-9]|1[0-2])$")]
    private static partial Regex MonthPattern();
}

public enum PeriodType
{
    Year,
    Quarter,
    Month,
}

public static class PeriodTypes
{
    public static string ToName(PeriodType type) => type switch
    {
        PeriodType.Year => "year",
        PeriodType.Quarter => "quarter",
        _ => "month",
    };

    public static PeriodType? FromName(string? name) => name switch
    {
        "year" => PeriodType.Year,
        "quarter" => PeriodType.Quarter,
        "month" => PeriodType.Month,
        _ => null,
    };
}

namespace SpatialRegion.Api.Indicators;

/// <summary>
/// Area codes as SCB writes them: 2-digit county (län), 4-digit municipality (kommun), tätort codes such as
/// 2380TC114, and 00 for Sweden. Kolada writes counties and Sweden with four digits (0023, 0000); those are
/// read as the SCB codes, so that one area has one code whichever source delivered its values.
/// </summary>
public static class AreaCodes
{
    public const string Municipality = "municipality";
    public const string County = "county";
    public const string Tatort = "tatort";
    public const string Country = "country";
    public const string Sweden = "00";

    public static readonly string[] Levels = [Municipality, County, Tatort, Country];

    /// <summary>The default layers the view indicator_areas (schema 0020) takes area names and geometries from.</summary>
    public static readonly string[] Layers = ["municipalities", "counties", "tatorter"];

    public static string Normalise(string code)
    {
        var c = code.Trim();
        return c.Length == 4 && c.StartsWith("00", StringComparison.Ordinal) && c.All(char.IsAsciiDigit) ? c[2..] : c;
    }

    /// <summary>The Kolada id of an area: municipalities as they are, counties and Sweden as 00NN.</summary>
    public static string ToKolada(string code) => code.Length == 2 ? "00" + code : code;

    public static string? LevelOf(string code) => code switch
    {
        Sweden => Country,
        { Length: 2 } when code.All(char.IsAsciiDigit) => County,
        { Length: 4 } when code.All(char.IsAsciiDigit) => Municipality,
        { Length: > 4 } when code[..4].All(char.IsAsciiDigit) => Tatort,
        _ => null,
    };
}

/// <summary>Kolada and SCB both say T (total), K (kvinnor, women), M (män, men).</summary>
public static class Genders
{
    public const string Total = "T";
    public const string Women = "K";
    public const string Men = "M";

    public static readonly string[] All = [Total, Women, Men];

    public static string? Normalise(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        null or "" or "T" or "TOTAL" or "TOTALT" or "1+2" => Total,
        "K" or "F" or "KVINNOR" or "WOMEN" or "FEMALES" or "FEMALE" or "2" => Women,
        "M" or "MÄN" or "MEN" or "MALES" or "MALE" or "1" => Men,
        _ => null,
    };
}

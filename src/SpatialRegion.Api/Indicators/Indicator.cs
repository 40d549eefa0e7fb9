using System.Text.Json;
using System.Text.Json.Serialization;
using SpatialRegion.Api.Http;

namespace SpatialRegion.Api.Indicators;

/// <summary>One catalogue entry as stored: what the API lists, what the jobs fetch, what the maps classify.</summary>
public sealed record Indicator(
    string Id,
    string TitleSv,
    string TitleEn,
    string Unit,
    string Description,
    string Source,
    IndicatorSourceReference SourceReference,
    IReadOnlyList<string> AreaLevels,
    PeriodType PeriodType,
    bool DividedByGender,
    int Decimals,
    string Licence,
    string Attribution,
    string DefinedIn,
    long Version,
    DateTimeOffset UpdatedAt)
{
    public const int MaxIdLength = 52;

    /// <summary>The registry layer that serves this indicator as features (OGC API, WFS, REST).</summary>
    public string LayerId => LayerIdFor(Id);

    public static string LayerIdFor(string indicatorId) => "indicator-" + indicatorId;

    public IndicatorDefinition ToDefinition() => new(
        Id, new IndicatorTitle(TitleSv, TitleEn), Unit, Description, Source, SourceReference, AreaLevels,
        PeriodTypes.ToName(PeriodType), DividedByGender, Decimals, Licence, Attribution, Seed: null);
}

/// <summary>Where an indicator's numbers come from: a human-readable reference, and what a refresh job needs to
/// ask Kolada or SCB for them.</summary>
public sealed record IndicatorSourceReference(
    [property: JsonPropertyName("text")] string? Text = null,
    [property: JsonPropertyName("kolada")] KoladaReference? Kolada = null,
    [property: JsonPropertyName("scb")] ScbReference? Scb = null);

/// <summary>A Kolada KPI, e.g. N01951 (population).</summary>
public sealed record KoladaReference([property: JsonPropertyName("kpi")] string Kpi);

/// <summary>
/// A value series of an SCB table: the table (path under the v1 database root, and the v2 table id), the
/// ContentsCode, and variables fixed to one value each. Variables not named are eliminated by SCB (summed).
/// </summary>
public sealed record ScbReference(
    [property: JsonPropertyName("v1Table")] string? V1Table,
    [property: JsonPropertyName("v2Table")] string? V2Table,
    [property: JsonPropertyName("contentsCode")] string ContentsCode,
    [property: JsonPropertyName("fixed")] IReadOnlyDictionary<string, string>? Fixed = null,
    [property: JsonPropertyName("regionVariable")] string RegionVariable = "Region",
    [property: JsonPropertyName("timeVariable")] string TimeVariable = "Tid",
    [property: JsonPropertyName("genderVariable")] string? GenderVariable = "Kon");

public sealed record IndicatorTitle(
    [property: JsonPropertyName("sv")] string Sv,
    [property: JsonPropertyName("en")] string En);

/// <summary>The JSON form of an indicator, shared by data/indicators.json and the API.</summary>
public sealed record IndicatorDefinition(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("title")] IndicatorTitle Title,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("sourceReference")] IndicatorSourceReference? SourceReference,
    [property: JsonPropertyName("areaLevels")] IReadOnlyList<string> AreaLevels,
    [property: JsonPropertyName("periodType")] string PeriodType,
    [property: JsonPropertyName("dividedByGender")] bool DividedByGender,
    [property: JsonPropertyName("decimals")] int Decimals,
    [property: JsonPropertyName("licence")] string? Licence,
    [property: JsonPropertyName("attribution")] string? Attribution,
    [property: JsonPropertyName("seed"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SeedFile>? Seed)
{
    /// <summary>Every problem with this definition, as field → message; empty when it is valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Id) || !IndicatorIds.IsValid(Id))
        {
            errors["id"] = [$"Use 1 to {Indicator.MaxIdLength} lower-case letters, digits, '-' or '_', starting with a letter or digit."];
        }
        if (Title is null || string.IsNullOrWhiteSpace(Title.Sv) || string.IsNullOrWhiteSpace(Title.En))
        {
            errors["title"] = ["A title in Swedish (sv) and English (en) is required."];
        }
        if (string.IsNullOrWhiteSpace(Unit))
        {
            errors["unit"] = ["A unit is required, e.g. \"persons\" or \"SEK thousands per inhabitant\"."];
        }
        if (string.IsNullOrWhiteSpace(Source))
        {
            errors["source"] = ["A source is required, e.g. \"SCB\" or \"Kolada\"."];
        }
        if (AreaLevels is null || AreaLevels.Count == 0 || AreaLevels.Any(l => !AreaCodes.Levels.Contains(l)) || AreaLevels.Distinct().Count() != AreaLevels.Count)
        {
            errors["areaLevels"] = [$"One or more distinct of: {string.Join(", ", AreaCodes.Levels)}."];
        }
        else if (AreaLevels.Contains(AreaCodes.Tatort) && AreaLevels.Any(l => l is AreaCodes.Municipality or AreaCodes.County))
        {
            // One layer holds one kind of geometry: tätorter are points, municipalities and counties polygons.
            errors["areaLevels"] = ["tatort (points) cannot be combined with municipality or county (polygons) in one indicator."];
        }
        if (PeriodTypes.FromName(PeriodType) is null)
        {
            errors["periodType"] = ["One of: year, quarter, month."];
        }
        if (Decimals is < 0 or > 6)
        {
            errors["decimals"] = ["Between 0 and 6."];
        }
        if (SourceReference?.Kolada is { } k && string.IsNullOrWhiteSpace(k.Kpi))
        {
            errors["sourceReference.kolada.kpi"] = ["The KPI id is required, e.g. N01951."];
        }
        if (SourceReference?.Scb is { } s && (string.IsNullOrWhiteSpace(s.ContentsCode) || (s.V1Table is null && s.V2Table is null)))
        {
            errors["sourceReference.scb"] = ["contentsCode and a v1Table path or v2Table id are required."];
        }
        return errors;
    }
}

/// <summary>
/// A file of ../shared/data/statistics that gives an indicator its first values (loaded by setup when the
/// indicator has none). Kind "csv" maps columns; kind "layer-sum" sums a property of a layer's features over
/// the areas whose polygon contains each feature's centroid, which PostGIS does on the indexed layers.
/// </summary>
public sealed record SeedFile(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("file")] string? File = null,
    [property: JsonPropertyName("area")] string? Area = null,
    [property: JsonPropertyName("period")] string? Period = null,
    [property: JsonPropertyName("periodIsEndDate")] bool PeriodIsEndDate = false,
    [property: JsonPropertyName("value")] string? Value = null,
    [property: JsonPropertyName("gender")] string? Gender = null,
    [property: JsonPropertyName("where")] IReadOnlyDictionary<string, string>? Where = null,
    [property: JsonPropertyName("sum")] bool Sum = false,
    [property: JsonPropertyName("origin")] string? Origin = null,
    [property: JsonPropertyName("layer")] string? Layer = null,
    [property: JsonPropertyName("property")] string? Property = null,
    [property: JsonPropertyName("areaLayer")] string? AreaLayer = null,
    [property: JsonPropertyName("areaFilter")] IReadOnlyDictionary<string, string>? AreaFilter = null,
    [property: JsonPropertyName("fixedPeriod")] string? FixedPeriod = null);

public static partial class IndicatorIds
{
    public static bool IsValid(string id) => Pattern().IsMatch(id);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,51}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}

public static class IndicatorJson
{
    public static JsonSerializerOptions Options { get; } = new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    }.Bounded();
}

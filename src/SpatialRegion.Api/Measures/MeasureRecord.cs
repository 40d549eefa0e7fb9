using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Measures;

/// <summary>
/// A measure as an editor writes it, whichever way it arrives: the REST document, a flat feature from QGIS (WFS-T,
/// OGC API Part 4) or a row of a bulk file. Everything that can be checked without the database is checked when it
/// is read; a refusal is an <see cref="InvalidQueryException"/> that names the field.
/// </summary>
public sealed record MeasureInput
{
    public string? Id { get; init; }
    public required string Title { get; init; }
    public string Description { get; init; } = "";
    public required string Status { get; init; }
    public string? MeasureType { get; init; }
    public string? Funder { get; init; }
    public string? Fund { get; init; }
    public string? Programme { get; init; }
    public string? ProgrammingPeriod { get; init; }
    public string? PriorityAxis { get; init; }
    public string? ThematicObjective { get; init; }
    public IReadOnlyList<string> Themes { get; init; } = [];
    public string? Beneficiary { get; init; }
    public DateOnly? StartDate { get; init; }
    public DateOnly? EndDate { get; init; }
    public IReadOnlyDictionary<string, MeasureAmount?> Amounts { get; init; } = new Dictionary<string, MeasureAmount?>();
    public string? Scope { get; init; }
    public string? SourceUrl { get; init; }
    public DateOnly? SourceSnapshot { get; init; }
    public string? Licence { get; init; }
    public string? SourceNote { get; init; }
    public IReadOnlyList<MeasureLinkInput> Links { get; init; } = [];

    /// <summary>The CRS of the links' geometries (EPSG code); GeoJSON's WGS 84 unless the request says otherwise.</summary>
    public int GeometrySrid { get; init; } = 4326;
}

/// <summary>An amount in SEK with where the figure comes from and the year it refers to.</summary>
public sealed record MeasureAmount(decimal Sek, string? Source, int? Year);

/// <summary>A place of a measure: a declared area code (with an optional weight) or a geometry of its own (GeoJSON text).</summary>
public sealed record MeasureLinkInput(string Kind, string Basis, string? AreaCode, decimal? Weight, string? GeometryJson, string? Note);

public static partial class MeasureVocabulary
{
    public static readonly string[] Statuses = ["planned", "decided", "ongoing", "completed", "cancelled", "in_plan", "not_in_plan"];
    public static readonly string[] AmountKinds = ["granted", "paid", "total_eligible", "eu_share", "co_financing"];
    public static readonly string[] LinkKinds = ["impact_area", "site", "route", "programme_area"];
    public static readonly string[] LinkBases = ["stated", "derived_from_place_name", "inferred", "drawn"];
    public static readonly string[] Scopes = ["local", "multi_county", "national"];

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    public static partial Regex IdPattern();

    [GeneratedRegex(@"^(\d{2}|\d{4})$")]
    public static partial Regex AreaCodePattern();

    // Personal contact details are never stored: an e-mail address or a phone number in a text is refused.
    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|(\+46|\b0)[1-9][0-9 -]{6,12}[0-9]\b")]
    public static partial Regex ContactDetails();
}

/// <summary>Reads <see cref="MeasureInput"/> from the REST document.</summary>
public static class MeasureDocumentReader
{
    private static readonly string[] Members =
    [
        "id", "title", "description", "status", "measure_type", "funder", "fund", "programme", "programming_period",
        "priority_axis", "thematic_objective", "themes", "beneficiary", "start_date", "end_date", "amounts", "scope",
        "source", "links", "crs",
        // Written by the server; accepted back unchanged so that a GET body can be edited and PUT.
        "version", "updated_at", "updated_by", "created_at", "deleted", "display_basis", "etag",
    ];

    public static MeasureInput Read(JsonObject body)
    {
        foreach (var (name, _) in body)
        {
            if (!Members.Contains(name))
            {
                throw new InvalidQueryException(name, $"Unknown member '{name}'. A measure has: {string.Join(", ", Members.Take(20))}.");
            }
        }
        var srid = body["crs"] is { } crs ? ParseCrs(Text(crs, "crs")!) : 4326;
        var source = body["source"] as JsonObject;
        if (body["source"] is not null and not JsonObject)
        {
            throw new InvalidQueryException("source", "source must be an object {url, snapshot, licence, note}.");
        }
        return Validated(new MeasureInput
        {
            Id = Text(body["id"], "id"),
            Title = Text(body["title"], "title") ?? throw new InvalidQueryException("title", "title is required."),
            Description = Text(body["description"], "description") ?? "",
            Status = Text(body["status"], "status") ?? throw new InvalidQueryException("status", $"status is required: one of {string.Join(", ", MeasureVocabulary.Statuses)}."),
            MeasureType = Text(body["measure_type"], "measure_type"),
            Funder = Text(body["funder"], "funder"),
            Fund = Text(body["fund"], "fund"),
            Programme = Text(body["programme"], "programme"),
            ProgrammingPeriod = Text(body["programming_period"], "programming_period"),
            PriorityAxis = Text(body["priority_axis"], "priority_axis"),
            ThematicObjective = Text(body["thematic_objective"], "thematic_objective"),
            Themes = body["themes"] switch
            {
                null => [],
                JsonArray a => a.Select((t, i) => Text(t, $"themes[{i}]") ?? throw new InvalidQueryException($"themes[{i}]", "A theme cannot be null.")).ToList(),
                _ => throw new InvalidQueryException("themes", "themes must be an array of theme ids."),
            },
            Beneficiary = Text(body["beneficiary"], "beneficiary"),
            StartDate = Date(body["start_date"], "start_date"),
            EndDate = Date(body["end_date"], "end_date"),
            Amounts = ReadAmounts(body["amounts"]),
            Scope = Text(body["scope"], "scope"),
            SourceUrl = Text(source?["url"], "source.url"),
            SourceSnapshot = Date(source?["snapshot"], "source.snapshot"),
            Licence = Text(source?["licence"], "source.licence"),
            SourceNote = Text(source?["note"], "source.note"),
            Links = body["links"] switch
            {
                null => [],
                JsonArray a => a.Select((l, i) => ReadLink(l, $"links[{i}]")).ToList(),
                _ => throw new InvalidQueryException("links", "links must be an array."),
            },
            GeometrySrid = srid,
        });
    }

    /// <summary>The checks every way in shares: vocabularies, dates, amounts, personal data.</summary>
    public static MeasureInput Validated(MeasureInput m)
    {
        if (m.Id is { } id && !MeasureVocabulary.IdPattern().IsMatch(id))
        {
            throw new InvalidQueryException("id", $"'{id}' is not a measure id: 1 to 100 lower-case letters, digits, '.', '-' or '_', naming its source (tvv-erdf-20200061).");
        }
        if (string.IsNullOrWhiteSpace(m.Title))
        {
            throw new InvalidQueryException("title", "title cannot be empty.");
        }
        if (!MeasureVocabulary.Statuses.Contains(m.Status))
        {
            throw new InvalidQueryException("status", $"Unknown status '{m.Status}'. Use one of {string.Join(", ", MeasureVocabulary.Statuses)}.");
        }
        if (m.Scope is { } scope && !MeasureVocabulary.Scopes.Contains(scope))
        {
            throw new InvalidQueryException("scope", $"Unknown scope '{scope}'. Use one of {string.Join(", ", MeasureVocabulary.Scopes)}.");
        }
        if (m.StartDate is { } start && m.EndDate is { } end && end < start)
        {
            throw new InvalidQueryException("end_date", $"end_date {end:yyyy-MM-dd} is before start_date {start:yyyy-MM-dd}.");
        }
        foreach (var (kind, amount) in m.Amounts)
        {
            if (amount is { Sek: < 0 })
            {
                throw new InvalidQueryException($"amounts.{kind}.sek", $"The {kind} amount cannot be negative ({amount.Sek.ToString(CultureInfo.InvariantCulture)} SEK).");
            }
        }
        foreach (var (field, text) in new[] { ("beneficiary", m.Beneficiary), ("description", m.Description), ("title", m.Title), ("source.note", m.SourceNote) })
        {
            if (text is not null && MeasureVocabulary.ContactDetails().IsMatch(text))
            {
                throw new InvalidQueryException(field, $"{field} holds personal contact details (an e-mail address or phone number); the register keeps organisations only.");
            }
        }
        for (var i = 0; i < m.Links.Count; i++)
        {
            var link = m.Links[i];
            if (!MeasureVocabulary.LinkKinds.Contains(link.Kind))
            {
                throw new InvalidQueryException($"links[{i}].kind", $"Unknown link kind '{link.Kind}'. Use one of {string.Join(", ", MeasureVocabulary.LinkKinds)}.");
            }
            if (!MeasureVocabulary.LinkBases.Contains(link.Basis))
            {
                throw new InvalidQueryException($"links[{i}].basis", $"Unknown basis '{link.Basis}'. Use one of {string.Join(", ", MeasureVocabulary.LinkBases)}.");
            }
            if ((link.AreaCode is null) == (link.GeometryJson is null))
            {
                throw new InvalidQueryException($"links[{i}]", "A link has either an area_code or a geometry.");
            }
            if (link.AreaCode is { } code && !MeasureVocabulary.AreaCodePattern().IsMatch(code))
            {
                throw new InvalidQueryException($"links[{i}].area_code", $"'{code}' is not a municipality (4 digits) or county (2 digits) code.");
            }
            if (link.Weight is { } w && (w <= 0 || w > 1))
            {
                throw new InvalidQueryException($"links[{i}].weight", "A weight is a share greater than 0 and at most 1.");
            }
        }
        return m;
    }

    public static int ParseCrs(string text)
    {
        var t = text.Trim();
        foreach (var prefix in new[] { "EPSG:", "urn:ogc:def:crs:EPSG::", "http://www.opengis.net/def/crs/EPSG/0/" })
        {
            if (t.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                && int.TryParse(t[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code > 0)
            {
                return code;
            }
        }
        return t is "http://www.opengis.net/def/crs/OGC/1.3/CRS84" or "OGC:CRS84"
            ? 4326
            : throw new InvalidQueryException("crs", $"'{text}' is not an EPSG CRS (EPSG:3006, urn:ogc:def:crs:EPSG::3006 or http://www.opengis.net/def/crs/EPSG/0/3006).");
    }

    private static MeasureLinkInput ReadLink(JsonNode? node, string path)
    {
        if (node is not JsonObject link)
        {
            throw new InvalidQueryException(path, "A link is an object {kind, basis, area_code | geometry, weight, note}.");
        }
        foreach (var (name, _) in link)
        {
            if (name is not ("kind" or "basis" or "area_code" or "weight" or "geometry" or "note"))
            {
                throw new InvalidQueryException($"{path}.{name}", $"Unknown link member '{name}'.");
            }
        }
        var geometry = link["geometry"];
        if (geometry is not null and not JsonObject)
        {
            throw new InvalidQueryException($"{path}.geometry", "geometry must be a GeoJSON geometry object.");
        }
        return new MeasureLinkInput(
            Text(link["kind"], $"{path}.kind") ?? (geometry is null ? "impact_area" : "site"),
            Text(link["basis"], $"{path}.basis") ?? (geometry is null ? "stated" : "drawn"),
            Text(link["area_code"], $"{path}.area_code"),
            Number(link["weight"], $"{path}.weight"),
            geometry?.ToJsonString(),
            Text(link["note"], $"{path}.note"));
    }

    private static Dictionary<string, MeasureAmount?> ReadAmounts(JsonNode? node)
    {
        var amounts = new Dictionary<string, MeasureAmount?>(StringComparer.Ordinal);
        if (node is null)
        {
            return amounts;
        }
        if (node is not JsonObject o)
        {
            throw new InvalidQueryException("amounts", $"amounts must be an object with any of {string.Join(", ", MeasureVocabulary.AmountKinds)}.");
        }
        foreach (var (kind, value) in o)
        {
            if (!MeasureVocabulary.AmountKinds.Contains(kind))
            {
                throw new InvalidQueryException($"amounts.{kind}", $"Unknown amount '{kind}'. Amounts: {string.Join(", ", MeasureVocabulary.AmountKinds)}.");
            }
            amounts[kind] = value switch
            {
                null => null,
                JsonObject a => new MeasureAmount(
                    Number(a["sek"], $"amounts.{kind}.sek") ?? throw new InvalidQueryException($"amounts.{kind}.sek", "An amount needs its sek (or is null when unknown)."),
                    Text(a["source"], $"amounts.{kind}.source"),
                    (int?)Number(a["year"], $"amounts.{kind}.year")),
                _ => throw new InvalidQueryException($"amounts.{kind}", "An amount is {sek, source, year} or null when unknown."),
            };
        }
        return amounts;
    }

    public static string? Text(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => CleanText(v.GetValue<string>(), field),
        _ => throw new InvalidQueryException(field, $"{field} must be a string."),
    };

    /// <summary>Text as stored: trimmed, empty as absent, control characters (NUL above all) refused.</summary>
    public static string? CleanText(string text, string field)
    {
        if (text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            throw new InvalidQueryException(field, $"{field} contains control characters.");
        }
        var trimmed = text.Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }

    private static decimal? Number(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<decimal>(out var d) => d,
        _ => throw new InvalidQueryException(field, $"{field} must be a number."),
    };

    private static DateOnly? Date(JsonNode? node, string field) =>
        Text(node, field) is { } text ? ParseDate(text, field) : null;

    public static DateOnly ParseDate(string text, string field) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new InvalidQueryException(field, $"{field} must be a date YYYY-MM-DD; got '{text}'.");
}

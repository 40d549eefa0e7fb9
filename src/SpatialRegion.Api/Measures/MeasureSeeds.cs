using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Measures;

/// <summary>
/// The register's first records, read from the data directory's measures/ folder: the ERDF 2014–2020 projects of
/// Tillväxtverket's Projektbanken with their declared municipalities, and the transcribed examples. Loading is an
/// import like any other (idempotent by id), so running setup again changes nothing, and a corrected file only
/// adds versions where a record changed. The theme taxonomy (data/measure-themes.json) is loaded first.
/// </summary>
public sealed partial class MeasureSeeds(NpgsqlDataSource dataSource, MeasureStore store, DefaultLayers defaults)
{
    public const string Caller = "setup";
    private const string ErdfFile = "measures/projektbanken_erdf_2014-2020_jamtland.csv";
    private const string LinksFile = "measures/projektbanken_erdf_2014-2020_jamtland_municipality_links.csv";
    private const string ExamplesFile = "measures/anchored_examples_jamtland.csv";
    private static readonly DateOnly ErdfSnapshot = new(2016, 10, 14);

    public async Task<MeasureImportReport> LoadAsync(Action<string>? progress, CancellationToken ct)
    {
        await LoadThemesAsync(ct);
        var records = ReadRecords(defaults.DataDir);
        var report = await store.ImportAsync(records, Caller, ct);
        progress?.Invoke($"Measures: {report.Inserted} inserted, {report.Updated} updated, {report.Unchanged} unchanged.");
        return report;
    }

    public async Task LoadThemesAsync(CancellationToken ct)
    {
        using var themes = JsonDocument.Parse(EmbeddedResources.Read("measure-themes.json"));
        await using var batch = dataSource.CreateBatch();
        foreach (var theme in themes.RootElement.EnumerateArray())
        {
            var cmd = new NpgsqlBatchCommand("""
                INSERT INTO measure_themes (id, title_sv, title_en, description) VALUES ($1, $2, $3, $4)
                ON CONFLICT (id) DO UPDATE SET title_sv = $2, title_en = $3, description = $4
                """);
            foreach (var name in new[] { "id", "title_sv", "title_en", "description" })
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = theme.GetProperty(name).GetString() });
            }
            batch.BatchCommands.Add(cmd);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    public static IReadOnlyList<MeasureInput> ReadRecords(string dataDir) =>
        [.. ReadErdf(dataDir), .. ReadExamples(dataDir)];

    private static IEnumerable<MeasureInput> ReadErdf(string dataDir)
    {
        var links = Rows(Path.Combine(dataDir, LinksFile)).ToLookup(r => r["measure_id"]);
        foreach (var r in Rows(Path.Combine(dataDir, ErdfFile)))
        {
            // The equal share over every municipality the source lists, in the county or not, kept exact.
            var listed = int.Parse(r["n_municipalities"], CultureInfo.InvariantCulture);
            yield return MeasureDocumentReader.Validated(new MeasureInput
            {
                Id = r["measure_id"],
                Title = r["name"],
                Description = r["description"],
                Status = "decided",
                MeasureType = "erdf_project",
                Funder = r["funder"],
                Fund = r["fund"],
                Programme = r["programme"],
                ProgrammingPeriod = r["programming_period"],
                PriorityAxis = r["priority_axis"],
                ThematicObjective = r["thematic_objective"],
                Themes = ThemeOfObjective(r["thematic_objective"]) is { } theme ? [theme] : [],
                Beneficiary = r["beneficiary"],
                StartDate = Date(r["start_date"]),
                EndDate = Date(r["end_date"]),
                Amounts = new Dictionary<string, MeasureAmount?>
                {
                    ["granted"] = new(decimal.Parse(r["granted_amount_sek"], CultureInfo.InvariantCulture), "Tillväxtverket, Projektbanken: beviljat belopp (granted, not a total budget)", ErdfSnapshot.Year),
                },
                Scope = r["scope"] == "jamtland_only" ? "local" : r["scope"],
                SourceUrl = r["source_url"],
                SourceSnapshot = ErdfSnapshot,
                Licence = "Not stated; public information published by Tillväxtverket. Källa: Tillväxtverket, Projektbanken.",
                SourceNote = $"Decision granted as of the snapshot {ErdfSnapshot:yyyy-MM-dd} (later changes not known); declared area lists {listed} municipalities in {r["lan_names"]}.",
                Links = links[r["measure_id"]].Select(l => new MeasureLinkInput("impact_area", "stated", l["KOM_KOD"], 1m / listed, null, null)).ToList(),
            });
        }
    }

    private static IEnumerable<MeasureInput> ReadExamples(string dataDir)
    {
        foreach (var r in Rows(Path.Combine(dataDir, ExamplesFile)))
        {
            var type = r["measure_type"];
            var (start, end) = Period(r["period"]);
            var codes = r["kom_kod"].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var basisText = r["kom_kod_basis"];
            var basis = basisText.StartsWith("stated", StringComparison.Ordinal) ? "stated"
                : basisText.StartsWith("derived", StringComparison.Ordinal) ? "derived_from_place_name" : "inferred";
            var pageDate = Regex.Match(r["source_page_date"], @"\d{4}-\d{2}-\d{2}") is { Success: true } m ? Date(m.Value) : null;
            var pageYear = Regex.Match(r["source_page_date"], @"\d{4}") is { Success: true } y ? int.Parse(y.Value, CultureInfo.InvariantCulture) : (int?)null;
            yield return MeasureDocumentReader.Validated(new MeasureInput
            {
                Id = r["example_id"],
                Title = r["name"],
                Description = string.Join(" ", new[] { $"Place: {r["place_text"]}.", r["amount_note"] is { Length: > 0 } note ? $"Amount: {note}." : "" }).Trim(),
                Status = ExampleStatus(r["status"]),
                MeasureType = type,
                Funder = r["funder_or_programme"],
                Programme = type == "programme_area" ? r["name"] : null,
                ProgrammingPeriod = r["period"] is { Length: > 0 } p ? p : null,
                Themes = [ExampleTheme(type, r["name"])],
                StartDate = start,
                EndDate = end,
                Amounts = r["amount_sek"] is { Length: > 0 } amount
                    ? new Dictionary<string, MeasureAmount?> { ["granted"] = new(decimal.Parse(amount, CultureInfo.InvariantCulture), r["amount_note"], pageYear) }
                    : new Dictionary<string, MeasureAmount?>(),
                // Programme areas reach beyond the county (Västernorrland, Trøndelag, the north of Sweden).
                Scope = type == "programme_area" ? "multi_county" : "local",
                SourceUrl = r["source_url"],
                SourceSnapshot = pageDate,
                Licence = "No licence stated; facts (names, amounts, dates) transcribed from the public page.",
                SourceNote = $"Transcribed; page date: {r["source_page_date"]}; status in source: {r["status"]}.",
                Links = codes.Select(c => new MeasureLinkInput(type == "programme_area" ? "programme_area" : "impact_area", basis, c, null, null, basisText)).ToList(),
            });
        }
    }

    private static string ExampleStatus(string text) => text switch
    {
        _ when text.StartsWith("granted", StringComparison.Ordinal) || text == "decided" => "decided",
        _ when text.StartsWith("in national plan", StringComparison.Ordinal) => "in_plan",
        _ when text.StartsWith("not in plan", StringComparison.Ordinal) => "not_in_plan",
        "programme" => "ongoing",
        _ => throw new ImportException($"{ExamplesFile}: unknown status '{text}'."),
    };

    private static string ExampleTheme(string type, string name) => type switch
    {
        "broadband" => "digital-infrastructure",
        "transport_infrastructure" => "transport",
        "leader_area" => "local-development",
        _ when name.StartsWith("Interreg", StringComparison.Ordinal) => "cross-border-cooperation",
        _ => "business-innovation",
    };

    private static string? ThemeOfObjective(string objective) => objective switch
    {
        _ when objective.Contains("SMF", StringComparison.Ordinal) || objective.Contains("forskning", StringComparison.Ordinal) => "business-innovation",
        _ when objective.Contains("koldioxidsnål", StringComparison.Ordinal) => "climate-energy",
        _ when objective.Contains("transporter", StringComparison.Ordinal) => "transport",
        _ when objective.Contains("IKT", StringComparison.Ordinal) => "digital-infrastructure",
        _ => null,
    };

    /// <summary>"2022-2033" or "2022-2024 (build)" as the first and last day of those years.</summary>
    private static (DateOnly?, DateOnly?) Period(string text) =>
        YearRange().Match(text) is { Success: true } m
            ? (new DateOnly(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 1, 1),
               new DateOnly(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), 12, 31))
            : (null, null);

    [GeneratedRegex(@"^(\d{4})-(\d{4})")]
    private static partial Regex YearRange();

    private static DateOnly? Date(string text) => text.Length == 0 ? null : MeasureDocumentReader.ParseDate(text, "date");

    private static IEnumerable<Dictionary<string, string>> Rows(string path)
    {
        if (!File.Exists(path))
        {
            throw new ImportException($"The measures file {path} is missing from the data directory.");
        }
        using var reader = new StreamReader(path);
        string[]? header = null;
        foreach (var (line, fields) in Csv.Read(reader))
        {
            if (header is null)
            {
                header = fields;
                continue;
            }
            if (fields.Length != header.Length)
            {
                throw new ImportException($"{path} line {line}: {fields.Length} fields where the header has {header.Length}.");
            }
            yield return header.Zip(fields).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        }
    }
}

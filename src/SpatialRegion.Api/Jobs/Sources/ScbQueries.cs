using System.Globalization;
using SpatialRegion.Api.Indicators;

namespace SpatialRegion.Api.Jobs.Sources;

/// <summary>What SCB's v1 and v2 clients share: grouping indicators into table queries, splitting queries below the
/// cell limit, and reading cells back as indicator values.</summary>
public static class ScbQueries
{
    /// <summary>Indicators of one table with the same fixed variables, asked for together (one ContentsCode each).</summary>
    public sealed record TableGroup(string Table, ScbReference Reference, IReadOnlyList<Indicator> Indicators)
    {
        public IReadOnlyList<string> ContentsCodes => Indicators.Select(i => i.SourceReference.Scb!.ContentsCode).Distinct().ToList();
    }

    public static List<TableGroup> Group(IEnumerable<Indicator> indicators, Func<ScbReference, string?> table) =>
        indicators
            .Where(i => i.SourceReference.Scb is { } s && table(s) is not null)
            .GroupBy(i =>
            {
                var s = i.SourceReference.Scb!;
                var fixedKey = string.Join('&', (s.Fixed ?? new Dictionary<string, string>()).OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value));
                return (table(s)!, fixedKey, s.RegionVariable, s.TimeVariable, s.GenderVariable ?? "");
            })
            .Select(g => new TableGroup(g.Key.Item1, g.First().SourceReference.Scb!, g.ToList()))
            .ToList();

    /// <summary>
    /// Fetches each table group of the indicators that name a table of this API version; a group that fails gives
    /// its indicators the reason, and indicators naming no such table are failed with a reason too.
    /// </summary>
    public static async Task<List<IndicatorFetch>> FetchGroupsAsync(
        IReadOnlyList<Indicator> indicators, Func<ScbReference, string?> table, string tableField, string apiVersion,
        Func<TableGroup, Task<Dictionary<string, List<ValueInput>>>> fetchGroup, Action<string, string> logFailed, CancellationToken ct)
    {
        var results = new List<IndicatorFetch>();
        foreach (var group in Group(indicators, table))
        {
            try
            {
                var values = await fetchGroup(group);
                results.AddRange(group.Indicators.Select(i => new IndicatorFetch(i.Id, values.GetValueOrDefault(i.Id) ?? [], null, "SCB", apiVersion)));
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var reason = SourceErrors.Describe(e, $"SCB table {group.Table}");
                logFailed(group.Table, reason);
                results.AddRange(group.Indicators.Select(i => IndicatorFetch.Failed(i.Id, reason, "SCB", apiVersion)));
            }
        }
        results.AddRange(indicators.Where(i => i.SourceReference.Scb is not { } s || table(s) is null)
            .Select(i => IndicatorFetch.Failed(i.Id, $"its source reference names no SCB table for this API (sourceReference.scb.{tableField})", "SCB", apiVersion)));
        return results;
    }

    /// <summary>Sweden as a whole is asked for by leaving the region variable out (SCB eliminates it to 00).</summary>
    public static bool RegionEliminated(JobDefinition job) => job.Areas.Length == 0 || job.Areas.All(a => AreaCodes.Normalise(a) == AreaCodes.Sweden);

    /// <summary>The region codes a job asks for; none when the region variable is left out.</summary>
    public static IReadOnlyList<string> Regions(JobDefinition job) =>
        RegionEliminated(job) ? [] : job.Areas.Select(AreaCodes.Normalise).Distinct().ToList();

    /// <summary>
    /// Asks for every cell a group needs, in data queries below the source's cell limit (a run of queries per
    /// gender selection, regions chunked before times), and reads each answer's cells as the indicators' values.
    /// The API versions differ only in how a selection is spelled and how a query is sent and read. One entry of
    /// <paramref name="times"/> stands for <paramref name="periodsPerTime"/> periods (v2's top(n) for n).
    /// </summary>
    public static async Task<Dictionary<string, List<ValueInput>>> FetchAsync(
        TableGroup group, JobDefinition job, IReadOnlyList<string> times, int periodsPerTime, long maxCells, string origin,
        Func<string, IEnumerable<string>, System.Text.Json.Nodes.JsonNode> selection,
        Func<System.Text.Json.Nodes.JsonArray, Task<List<ScbCell>>> query)
    {
        var regionEliminated = RegionEliminated(job);
        var regions = Regions(job);
        var values = new Dictionary<string, List<ValueInput>>(StringComparer.Ordinal);
        foreach (var genders in GenderSelections(group, job))
        {
            var otherCells = group.ContentsCodes.Count * (genders?.Length ?? 1) * periodsPerTime;
            foreach (var (regionChunk, timeChunk) in Split(regions, times, otherCells, maxCells))
            {
                var cells = await query(Selections(group, regionEliminated, regionChunk, genders, timeChunk, selection));
                AddCells(cells, group, regionEliminated, genders is null, job, values, origin);
            }
        }
        return values;
    }

    /// <summary>The gender selections to ask for: null = the variable left out (total), else the codes for women and men.</summary>
    public static List<string[]?> GenderSelections(TableGroup group, JobDefinition job)
    {
        var wanted = job.WantedGenders.Select(Genders.Normalise).OfType<string>().Distinct().ToList();
        var selections = new List<string[]?>();
        if (wanted.Contains(Genders.Total) || group.Reference.GenderVariable is null)
        {
            selections.Add(null);
        }
        var byGender = wanted.Where(g => g != Genders.Total).Select(g => g == Genders.Women ? "2" : "1").ToArray();
        if (byGender.Length > 0 && group.Reference.GenderVariable is not null && group.Indicators.Any(i => i.DividedByGender))
        {
            selections.Add(byGender);
        }
        return selections;
    }

    /// <summary>The variable selections of one data query, in the order SCB's tables list them; both API versions
    /// ask for the same cells and differ only in how one selection is spelled.</summary>
    public static System.Text.Json.Nodes.JsonArray Selections(
        TableGroup group, bool regionEliminated, IReadOnlyList<string> regions, string[]? genders, IReadOnlyList<string> times,
        Func<string, IEnumerable<string>, System.Text.Json.Nodes.JsonNode> selection)
    {
        var r = group.Reference;
        var selections = new System.Text.Json.Nodes.JsonArray();
        foreach (var (variable, code) in r.Fixed ?? new Dictionary<string, string>())
        {
            selections.Add(selection(variable, [code]));
        }
        if (!regionEliminated)
        {
            selections.Add(selection(r.RegionVariable, regions));
        }
        if (genders is not null)
        {
            selections.Add(selection(r.GenderVariable!, genders));
        }
        selections.Add(selection("ContentsCode", group.ContentsCodes));
        selections.Add(selection(r.TimeVariable, times));
        return selections;
    }

    /// <summary>
    /// Splits a query of regions × times × (other variables' product) into queries of at most maxCells cells:
    /// regions are chunked first (one region's whole series stays together), then times. An empty region list
    /// means the region variable is eliminated.
    /// </summary>
    public static List<(IReadOnlyList<string> Regions, IReadOnlyList<string> Times)> Split(
        IReadOnlyList<string> regions, IReadOnlyList<string> times, long otherCells, long maxCells)
    {
        if (otherCells > maxCells)
        {
            throw new SourceRequestException($"one region and period already make {otherCells} cells, more than the source's limit of {maxCells}");
        }
        var regionCount = Math.Max(1, regions.Count);
        if (regionCount * times.Count * otherCells <= maxCells)
        {
            return [(regions, times)];
        }
        var perRegion = times.Count * otherCells;
        if (perRegion <= maxCells)
        {
            var regionsPerQuery = (int)(maxCells / perRegion);
            return regions.Chunk(regionsPerQuery).Select(c => ((IReadOnlyList<string>)c, times)).ToList();
        }
        var timesPerQuery = (int)(maxCells / otherCells);
        var regionList = regions.Count == 0 ? [null!] : regions.ToList();
        return regionList
            .SelectMany(r => times.Chunk(timesPerQuery).Select(t => ((IReadOnlyList<string>)(r is null ? [] : [r]), (IReadOnlyList<string>)t)))
            .ToList();
    }

    /// <summary>SCB time codes: 2024, 2024K3 (quarter), 2024M07 (month).</summary>
    public static string PeriodFromScb(string code)
    {
        if (code.Length == 7 && code[4] == 'M')
        {
            return $"{code[..4]}-{code[5..]}";
        }
        return code.Length == 6 && code[4] == 'K' ? $"{code[..4]}-Q{code[5]}" : code;
    }

    /// <summary>Reads cells as values of the group's indicators; cells of other contents or genders not wanted are skipped.</summary>
    public static void AddCells(
        IEnumerable<ScbCell> cells, TableGroup group, bool regionEliminated, bool genderEliminated, JobDefinition job,
        Dictionary<string, List<ValueInput>> values, string origin)
    {
        var byContents = group.Indicators.ToDictionary(i => i.SourceReference.Scb!.ContentsCode, StringComparer.Ordinal);
        var r = group.Reference;
        foreach (var cell in cells)
        {
            if (!cell.Codes.TryGetValue("ContentsCode", out var contents) || !byContents.TryGetValue(contents, out var indicator))
            {
                if (byContents.Count == 1 && !cell.Codes.ContainsKey("ContentsCode"))
                {
                    indicator = group.Indicators[0];
                }
                else
                {
                    continue;
                }
            }
            var area = regionEliminated ? AreaCodes.Sweden
                : cell.Codes.TryGetValue(r.RegionVariable, out var region) ? region
                : throw new SourceFormatException($"a cell has no {r.RegionVariable}");
            var time = cell.Codes.TryGetValue(r.TimeVariable, out var t) ? t : throw new SourceFormatException($"a cell has no {r.TimeVariable}");
            var gender = Genders.Total;
            if (!genderEliminated && r.GenderVariable is not null)
            {
                var code = cell.Codes.TryGetValue(r.GenderVariable, out var g) ? g : throw new SourceFormatException($"a cell has no {r.GenderVariable}");
                gender = code switch { "1" => Genders.Men, "2" => Genders.Women, _ => Genders.Total };
                if (!indicator.DividedByGender && gender != Genders.Total)
                {
                    continue;
                }
            }
            var list = values.TryGetValue(indicator.Id, out var l) ? l : values[indicator.Id] = [];
            list.Add(new ValueInput(list.Count + 1, area, PeriodFromScb(time), gender, cell.Value, cell.Status, origin));
        }
    }

    public static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);
}

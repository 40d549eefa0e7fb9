using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.Api.Import;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Analysis;

/// <summary>Indicators per municipality of Jämtland from the statistics files of the data directory (SOURCES.md S4, S5).</summary>
public static class RegionalStatistics
{
    /// <summary>Population on 31 December 2024 by municipality code (SCB via citypopulation.de).</summary>
    public static IReadOnlyDictionary<string, double> Population2024(PostgisFixture db) =>
        Read(db, "se_jamtland_folkmangd_kommun_1990-2024_webtables.csv",
            c => c[2] == "2024-12-31" && c[3] == "total" && c[4] == "total", valueColumn: 5);

    /// <summary>Skattekraft 2023, thousand kronor per inhabitant, by municipality code (RegionFakta).</summary>
    public static IReadOnlyDictionary<string, double> TaxBase2023(PostgisFixture db) =>
        Read(db, "se_jamtland_skattekraft_kommun_2012-2023_regionfakta.csv", c => c[2] == "2023", valueColumn: 3);

    public static string ToJson(IReadOnlyDictionary<string, double> values) =>
        new JsonObject(values.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)v.Value))).ToJsonString();

    private static Dictionary<string, double> Read(PostgisFixture db, string file, Func<string[], bool> select, int valueColumn)
    {
        var path = Path.Combine(db.App.Services.GetRequiredService<DefaultLayers>().DataDir, "statistics", file);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            // The leading columns hold no commas; quoted text comes later.
            var cells = line.Split(',');
            if (cells[0].Length == 4 && select(cells))
            {
                values[cells[0]] = double.Parse(cells[valueColumn], CultureInfo.InvariantCulture);
            }
        }
        Assert.Equal(8, values.Count);
        return values;
    }
}

using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Indicators;

public sealed class IndicatorCommandLineTests(PostgisFixture db)
{
    [Fact]
    public async Task Reloading_the_shipped_values_from_the_files_changes_nothing()
    {
        var (exit, output, error) = await CommandLineProcess.RunAsync(db, "load-indicators", "--force", "--only", "population,tax-base-per-inhabitant");

        Assert.True(exit == 0, error);
        Assert.Contains("population: 109 values read", output);
        Assert.Contains("0 inserted, 0 updated, 109 unchanged", output);
        Assert.Contains("tax-base-per-inhabitant: 120 values read", output);
        Assert.Contains("0 inserted, 0 updated, 120 unchanged", output);
    }

    [Fact]
    public async Task Without_force_only_indicators_without_values_are_loaded()
    {
        var (exit, output, error) = await CommandLineProcess.RunAsync(db, "load-indicators");

        Assert.True(exit == 0, error);
        Assert.Contains("All shipped indicators have values.", output);
    }
}

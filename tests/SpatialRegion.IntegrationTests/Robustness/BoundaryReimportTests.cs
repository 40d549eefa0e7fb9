using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.Api.Import;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Robustness;

/// <summary>Replaces a default layer that other tests read, so it runs alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(ReplacesDefaultLayers), DisableParallelization = true)]
public sealed class ReplacesDefaultLayers;

/// <summary>Indicator layers copy the geometry of the boundary layers their areas stand on: replacing a boundary
/// layer rewrites them in the same transaction, and their provenance names the boundary version they stand on.</summary>
[Collection(nameof(ReplacesDefaultLayers))]
public sealed class BoundaryReimportTests(PostgisFixture db)
{
    [Fact]
    public async Task Reimporting_the_counties_rewrites_the_indicator_layers_on_them()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'indicator-population'");

        var report = Assert.Single(await db.App.Services.GetRequiredService<DefaultLayers>()
            .ImportAsync(onlyMissing: false, only: ["counties"], progress: null, ct));

        Assert.True(await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'indicator-population'") > before);
        Assert.Equal(report.Version, long.Parse(await db.ScalarAsync<string>(
            "SELECT provenance->'boundaries'->>'counties' FROM layers WHERE id = 'indicator-population'"), System.Globalization.CultureInfo.InvariantCulture));
        // Every county feature of the indicator layer has the geometry of the county as it is now.
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM layer_features i
            JOIN layer_features c ON c.layer_id = 'counties' AND c.fid = i.properties->>'area_code'
            WHERE i.layer_id = 'indicator-population' AND NOT ST_Equals(i.geom, c.geom)
            """));
        Assert.True(await db.ScalarAsync<long>("""
            SELECT count(*) FROM layer_features WHERE layer_id = 'indicator-population' AND properties->>'area_level' = 'county'
            """) > 0);
    }
}

using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.IntegrationTests.Infrastructure;

/// <summary>Small layers of a test's own, written and removed the way the service does it.</summary>
public static class TestLayers
{
    /// <summary>A layer of one point near Östersund, registered and visible to the catalogue when this returns.</summary>
    public static async Task CreatePointLayerAsync(this PostgisFixture db, string id, string name = "a")
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var connection = await db.DataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await db.App.Services.GetRequiredService<LayerWriter>().ReplaceAsync(connection, tx, new LayerDefinition(id, "A test layer"),
                "SELECT 'a', jsonb_build_object('name', $1::text), ST_SetSRID(ST_MakePoint(14.64, 63.18), 4326)", [new Npgsql.NpgsqlParameter { Value = name }], ct);
            await tx.CommitAsync(ct);
        }
        await db.App.Services.GetRequiredService<LayerCatalog>().ReloadAsync(ct);
    }

    public static Task DeleteLayerAsync(this PostgisFixture db, string id) =>
        db.App.Services.GetRequiredService<LayerImporter>().DeleteAsync(id, TestContext.Current.CancellationToken);
}

using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SpatialRegion.Api.Layers;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Layers;

public sealed class LayerWriterTests(PostgisFixture db)
{
    private readonly LayerWriter _writer = db.App.Services.GetRequiredService<LayerWriter>();
    private readonly LayerCatalog _catalog = db.App.Services.GetRequiredService<LayerCatalog>();

    private async Task<LayerWriteResult> Write(LayerDefinition definition, string sql, bool commit = true, params object[] values)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var tx = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var result = await _writer.ReplaceAsync(connection, tx, definition, sql,
            values.Select(v => new NpgsqlParameter { Value = v }).ToList(), TestContext.Current.CancellationToken);
        if (commit)
        {
            await tx.CommitAsync(TestContext.Current.CancellationToken);
            await _catalog.ReloadAsync(TestContext.Current.CancellationToken);
        }
        return result;
    }

    [Fact]
    public async Task A_layer_derived_in_sql_is_registered_with_its_kind_time_and_provenance_and_served()
    {
        var provenance = new JsonObject { ["inputs"] = new JsonArray("municipalities"), ["operation"] = "centroid" };
        var result = await Write(
            new LayerDefinition("test-centroids", "Centroids", Kind: LayerKinds.Analysis, TimeProperty: "date", Provenance: provenance),
            """
            SELECT fid, jsonb_build_object('name', properties->'KOMMUNNAMN', 'date', '2024-12-31', 'area_km2', round((ST_Area(geom) / 1e6)::numeric, 1)),
                   ST_PointOnSurface(geom)
            FROM layer_features WHERE layer_id = 'municipalities' AND properties->>'LAN_KOD' = $1
            """, true, "23");

        Assert.Equal(8, result.Written);
        Assert.Equal("Point", result.GeometryType);
        var layer = (await _catalog.FindAsync("test-centroids", TestContext.Current.CancellationToken))!;
        Assert.Equal(LayerKinds.Analysis, layer.Kind);
        Assert.Equal("date", layer.TimeProperty);
        Assert.Equal(8, layer.FeatureCount);
        Assert.Equal([new LayerProperty("area_km2", "number"), new LayerProperty("date", "string"), new LayerProperty("name", "string")], layer.Properties);

        using var client = db.CreateClient();
        var listed = await client.GetJsonAsync("/api/layers/test-centroids");
        Assert.Equal("analysis", listed["kind"]!.GetValue<string>());
        Assert.Equal("centroid", listed["provenance"]!["operation"]!.GetValue<string>());
        var ostersund = await client.GetJsonAsync("/api/layers/test-centroids/features/2380");
        Assert.Equal("Östersund", ostersund["properties"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Polygons_and_lines_become_multi_geometries_in_sweref()
    {
        var result = await Write(new LayerDefinition("test-lines"),
            "SELECT '1', '{}'::jsonb, ST_MakeLine(ST_SetSRID(ST_MakePoint(14.6, 63.2), 4326), ST_SetSRID(ST_MakePoint(14.7, 63.2), 4326))");
        Assert.Equal("MultiLineString", result.GeometryType);
        Assert.Equal(3006, await db.ScalarAsync<int>("SELECT ST_SRID(geom) FROM layer_features WHERE layer_id = 'test-lines'"));
        Assert.Equal("ST_MultiLineString", await db.ScalarAsync<string>("SELECT ST_GeometryType(geom) FROM layer_features WHERE layer_id = 'test-lines'"));
    }

    [Theory]
    [InlineData("SELECT '1', '{}'::jsonb, ST_MakePoint(470000, 7000000) UNION ALL SELECT '1', '{}'::jsonb, ST_MakePoint(470001, 7000000)", "feature id '1' occurs more than once")]
    [InlineData("SELECT '1', '{}'::jsonb, ST_MakePoint(470000, 7000000) UNION ALL SELECT '2', '{}'::jsonb, ST_Buffer(ST_MakePoint(470000, 7000000), 10)", "mix points, lines and polygons")]
    [InlineData("SELECT NULL, '{}'::jsonb, ST_MakePoint(470000, 7000000)", "a feature has no id")]
    [InlineData("SELECT '1', '{}'::jsonb, NULL::geometry", "no feature has a geometry")]
    public async Task Features_that_cannot_form_a_layer_are_refused(string sql, string message)
    {
        var error = await Assert.ThrowsAsync<LayerWriteException>(() => Write(new LayerDefinition("test-refused"), sql));
        Assert.Contains(message, error.Message);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = 'test-refused'"));
    }

    [Fact]
    public async Task Nothing_is_visible_until_the_caller_commits()
    {
        await Write(new LayerDefinition("test-uncommitted"), "SELECT '1', '{}'::jsonb, ST_MakePoint(470000, 7000000)", commit: false);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = 'test-uncommitted'"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'test-uncommitted'"));
    }
}

using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Tiles;

namespace SpatialRegion.Tests;

public sealed class WebMercatorQuadTests
{
    [Theory]
    [InlineData(14.64, 63.18, 8, 138, 69)]
    [InlineData(0.0, 0.0, 1, 1, 1)]
    [InlineData(-180.0, 85.0511, 4, 0, 0)]
    [InlineData(179.999, -85.0511, 4, 15, 15)]
    public void A_point_falls_in_the_tile_whose_bounds_hold_it(double lon, double lat, int z, long x, long y)
    {
        Assert.Equal(x, WebMercatorQuad.Column(lon, z));
        Assert.Equal(y, WebMercatorQuad.Row(lat, z));
        var (west, south, east, north) = WebMercatorQuad.LonLatBounds(z, x, y);
        Assert.InRange(lon, west, east);
        Assert.InRange(lat, south - 1e-9, north + 1e-9);
    }

    [Fact]
    public void The_buffer_widens_a_tile_by_its_share_of_the_tile_on_every_side()
    {
        var (west, _, east, _) = WebMercatorQuad.LonLatBounds(8, 138, 69);
        var (bufferedWest, _, bufferedEast, _) = WebMercatorQuad.LonLatBounds(8, 138, 69, 64.0 / 4096);
        var width = east - west;
        Assert.Equal(width * 64 / 4096, west - bufferedWest, 9);
        Assert.Equal(width * 64 / 4096, bufferedEast - east, 9);
    }

    [Fact]
    public void Limits_cover_the_box_at_every_advertised_zoom_and_grow_with_the_zoom()
    {
        var jamtland = new BoundingBox(11.8, 61.5, 17.3, 65.2);
        var limits = WebMercatorQuad.Limits(jamtland);
        Assert.Equal(WebMercatorQuad.MaxZoomAdvertised - WebMercatorQuad.MinZoomAdvertised + 1, limits.Count);
        var z8 = limits[8]!;
        Assert.Equal("8", z8["tileMatrix"]!.GetValue<string>());
        Assert.InRange(138L, z8["minTileCol"]!.GetValue<long>(), z8["maxTileCol"]!.GetValue<long>());
        Assert.InRange(69L, z8["minTileRow"]!.GetValue<long>(), z8["maxTileRow"]!.GetValue<long>());
        var z14 = limits[14]!;
        Assert.True(z14["maxTileCol"]!.GetValue<long>() - z14["minTileCol"]!.GetValue<long>() > 200);
    }

    [Fact]
    public void The_tile_matrix_set_has_25_matrices_that_halve_the_cell_size()
    {
        var definition = WebMercatorQuad.Definition("http://localhost/ogc");
        var matrices = definition["tileMatrices"]!.AsArray();
        Assert.Equal(25, matrices.Count);
        Assert.Equal(156543.033928041, matrices[0]!["cellSize"]!.GetValue<double>(), 6);
        Assert.Equal(matrices[0]!["cellSize"]!.GetValue<double>() / 1024, matrices[10]!["cellSize"]!.GetValue<double>(), 9);
        Assert.Equal(1L << 24, matrices[24]!["matrixWidth"]!.GetValue<long>());
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Tiles;

/// <summary>
/// The one tile matrix set served: OGC's WebMercatorQuad (the Google Maps compatible grid of EPSG:3857, 256 px
/// tiles, row 0 at the top), which MapLibre, QGIS and GDAL all read without configuration.
/// </summary>
public static class WebMercatorQuad
{
    public const string Id = "WebMercatorQuad";
    public const string Uri = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
    public const string Crs = "http://www.opengis.net/def/crs/EPSG/0/3857";
    public const int MaxZoom = 24;

    /// <summary>The zooms a tileset advertises; clients draw deeper zooms from the z14 tiles (overzoom).</summary>
    public const int MinZoomAdvertised = 0;

    public const int MaxZoomAdvertised = 14;

    private const double HalfWorld = Math.PI * 6378137.0;
    private const double CellSizeAtZero = 156543.033928041;

    /// <summary>Metres of EPSG:3857 per tile side at a zoom.</summary>
    public static double TileSpan(int z) => 2 * HalfWorld / (1L << z);

    /// <summary>A tile's edges in longitude/latitude. Web Mercator is separable, so these four numbers are the
    /// tile exactly and the WGS 84 index can find what it touches.</summary>
    public static (double West, double South, double East, double North) LonLatBounds(int z, long x, long y, double margin = 0)
    {
        var span = TileSpan(z);
        var minX = -HalfWorld + (x - margin) * span;
        var maxX = -HalfWorld + (x + 1 + margin) * span;
        var maxY = HalfWorld - (y - margin) * span;
        var minY = HalfWorld - (y + 1 + margin) * span;
        var (west, south) = WebMercator.ToLonLat(Math.Max(minX, -HalfWorld), Math.Max(minY, -HalfWorld));
        var (east, north) = WebMercator.ToLonLat(Math.Min(maxX, HalfWorld), Math.Min(maxY, HalfWorld));
        return (west, south, east, north);
    }

    public static long Column(double lon, int z) => Math.Clamp((long)Math.Floor((lon + 180) / 360 * (1L << z)), 0, (1L << z) - 1);

    public static long Row(double lat, int z)
    {
        var clamped = Math.Clamp(lat, -85.0511287798, 85.0511287798) * Math.PI / 180;
        return Math.Clamp((long)Math.Floor((1 - Math.Asinh(Math.Tan(clamped)) / Math.PI) / 2 * (1L << z)), 0, (1L << z) - 1);
    }

    /// <summary>The tile matrix set document (OGC Two Dimensional Tile Matrix Set 2.0, JSON encoding).</summary>
    public static JsonObject Definition(string baseUrl)
    {
        var matrices = new JsonArray();
        for (var z = 0; z <= MaxZoom; z++)
        {
            var cellSize = CellSizeAtZero / (1L << z);
            matrices.Add(new JsonObject
            {
                ["id"] = Text(z),
                ["scaleDenominator"] = cellSize / 0.00028,
                ["cellSize"] = cellSize,
                ["cornerOfOrigin"] = "topLeft",
                ["pointOfOrigin"] = new JsonArray(-HalfWorld, HalfWorld),
                ["tileWidth"] = 256,
                ["tileHeight"] = 256,
                ["matrixWidth"] = 1L << z,
                ["matrixHeight"] = 1L << z,
            });
        }
        return new JsonObject
        {
            ["id"] = Id,
            ["title"] = "Google Maps Compatible for the World",
            ["uri"] = Uri,
            ["crs"] = Crs,
            ["orderedAxes"] = new JsonArray("X", "Y"),
            ["wellKnownScaleSet"] = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
            ["links"] = new JsonArray(Ogc.OgcApi.Link("self", $"{baseUrl}/tileMatrixSets/{Id}", Ogc.OgcMediaTypes.Json, "This tile matrix set")),
            ["tileMatrices"] = matrices,
        };
    }

    /// <summary>The rows and columns that hold a layer's features at each advertised zoom.</summary>
    public static JsonArray Limits(BoundingBox lonLat)
    {
        var limits = new JsonArray();
        for (var z = MinZoomAdvertised; z <= MaxZoomAdvertised; z++)
        {
            limits.Add(new JsonObject
            {
                ["tileMatrix"] = Text(z),
                ["minTileRow"] = Row(lonLat.MaxY, z),
                ["maxTileRow"] = Row(lonLat.MinY, z),
                ["minTileCol"] = Column(lonLat.MinX, z),
                ["maxTileCol"] = Column(lonLat.MaxX, z),
            });
        }
        return limits;
    }

    private static string Text(int z) => z.ToString(CultureInfo.InvariantCulture);
}

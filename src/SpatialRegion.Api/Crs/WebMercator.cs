namespace SpatialRegion.Api.Crs;

/// <summary>Spherical Web Mercator (EPSG:3857) to lon/lat. The projection is separable (x depends on longitude
/// only, y on latitude only), so a box in EPSG:3857 is exactly a box in lon/lat and can use the WGS 84 index.</summary>
public static class WebMercator
{
    private const double R = 6378137.0;

    public static (double Lon, double Lat) ToLonLat(double x, double y) =>
        (x / R * 180.0 / Math.PI, (2.0 * Math.Atan(Math.Exp(y / R)) - Math.PI / 2.0) * 180.0 / Math.PI);
}

using ProjNet.CoordinateSystems;
using ProjNet.CoordinateSystems.Transformations;

namespace SpatialRegion.IntegrationTests.Infrastructure;

/// <summary>An independent transform for checking PostGIS: ProjNET has no EPSG registry, so SWEREF 99 TM is
/// defined from its WKT (GRS 1980, transverse Mercator at 15°E, scale 0.9996, false easting 500 000 m).</summary>
public static class Sweref99Tm
{
    private const string Wkt = """
        PROJCS["SWEREF99 TM",GEOGCS["SWEREF99",DATUM["SWEREF99",SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],
        TOWGS84[0,0,0,0,0,0,0],AUTHORITY["EPSG","6619"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],
        UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4619"]],PROJECTION["Transverse_Mercator"],
        PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",15],PARAMETER["scale_factor",0.9996],
        PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],
        AUTHORITY["EPSG","3006"]]
        """;

    private static readonly ICoordinateTransformation FromWgs84 = new CoordinateTransformationFactory().CreateFromCoordinateSystems(
        GeographicCoordinateSystem.WGS84, (CoordinateSystem)new CoordinateSystemFactory().CreateFromWkt(Wkt));

    /// <summary>(lon, lat) in, (easting, northing) out.</summary>
    public static (double Easting, double Northing) FromLonLat(double lon, double lat)
    {
        var r = FromWgs84.MathTransform.Transform([lon, lat]);
        return (r[0], r[1]);
    }
}

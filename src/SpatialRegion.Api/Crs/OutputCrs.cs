namespace SpatialRegion.Api.Crs;

/// <summary>The coordinate systems features can be served in. Storage is EPSG:3006; EPSG:4326 is kept
/// alongside at import; EPSG:3857 is derived on request.</summary>
public static class OutputCrs
{
    public static IReadOnlyList<int> SupportedSrids { get; } = [4326, 3006, 3857];

    public static bool IsSupported(int srid) => SupportedSrids.Contains(srid);

    public static string SupportedList => "EPSG:4326 (CRS84, the default), EPSG:3006 (SWEREF 99 TM), EPSG:3857 (Web Mercator)";

    /// <summary>Decimal places that keep about a centimetre or better: 7 in degrees, 3 in metres for the
    /// storage CRS (the sources carry millimetres), 2 in Web Mercator metres (scale ~2.2 at 63°N).</summary>
    public static int Decimals(int srid) => srid switch
    {
        4326 => 7,
        3006 => 3,
        _ => 2,
    };
}

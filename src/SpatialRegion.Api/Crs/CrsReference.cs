using System.Globalization;

namespace SpatialRegion.Api.Crs;

/// <summary>How a CRS was named. The same EPSG code can mean a different axis order depending on the form
/// (OGC API and WFS 2.0 follow the EPSG definition for URIs and URNs; the short "EPSG:4326" form is read
/// lon/lat by GeoServer, QGIS and GDAL).</summary>
public enum CrsForm
{
    Crs84,
    ShortCode,
    Urn,
    HttpUri,
}

/// <summary>A coordinate reference system named by a request or a file.</summary>
public sealed record CrsReference(int Srid, CrsForm Form)
{
    public const string Crs84Uri = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

    public static CrsReference Crs84 { get; } = new(4326, CrsForm.Crs84);

    /// <summary>True when the EPSG definition puts northing (or latitude) first: EPSG:4326 and EPSG:3006 do,
    /// EPSG:3857 and CRS84 do not.</summary>
    public bool DefinitionIsNorthingFirst => Form != CrsForm.Crs84 && Srid is 4326 or 3006;

    public string Uri => Form == CrsForm.Crs84
        ? Crs84Uri
        : string.Create(CultureInfo.InvariantCulture, $"http://www.opengis.net/def/crs/EPSG/0/{Srid}");

    public string Urn => Form == CrsForm.Crs84
        ? "urn:ogc:def:crs:OGC:1.3:CRS84"
        : string.Create(CultureInfo.InvariantCulture, $"urn:ogc:def:crs:EPSG::{Srid}");

    public string ShortName => Form == CrsForm.Crs84 ? "CRS84" : string.Create(CultureInfo.InvariantCulture, $"EPSG:{Srid}");

    /// <summary>Parses the names in use for a CRS: EPSG:n, urn:ogc:def:crs:EPSG::n, the OGC http(s) URI,
    /// the legacy GML form, and the CRS84 names. Returns null for anything else.</summary>
    public static CrsReference? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var s = text.Trim();
        if (s.Equals("CRS84", StringComparison.OrdinalIgnoreCase)
            || s.Equals("OGC:CRS84", StringComparison.OrdinalIgnoreCase)
            || s.Equals("urn:ogc:def:crs:OGC:1.3:CRS84", StringComparison.OrdinalIgnoreCase)
            || s.Equals("urn:ogc:def:crs:OGC::CRS84", StringComparison.OrdinalIgnoreCase)
            || StripScheme(s).Equals("www.opengis.net/def/crs/OGC/1.3/CRS84", StringComparison.OrdinalIgnoreCase))
        {
            return Crs84;
        }

        string[] prefixes = ["EPSG:", "urn:ogc:def:crs:EPSG::", "urn:ogc:def:crs:EPSG:", "www.opengis.net/def/crs/EPSG/0/",
            "www.opengis.net/gml/srs/epsg.xml#"];
        var body = StripScheme(s);
        foreach (var prefix in prefixes)
        {
            if (!body.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var code = body[prefix.Length..];
            // urn:ogc:def:crs:EPSG:6.18:3006 carries a registry version before the code.
            if (prefix == "urn:ogc:def:crs:EPSG:" && code.Contains(':', StringComparison.Ordinal))
            {
                code = code[(code.LastIndexOf(':') + 1)..];
            }
            if (!int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var srid) || srid <= 0)
            {
                return null;
            }
            var form = prefix switch
            {
                "EPSG:" => CrsForm.ShortCode,
                "www.opengis.net/gml/srs/epsg.xml#" => CrsForm.ShortCode,
                "www.opengis.net/def/crs/EPSG/0/" => CrsForm.HttpUri,
                _ => CrsForm.Urn,
            };
            return new CrsReference(srid, form);
        }
        return null;
    }

    private static string StripScheme(string s) =>
        s.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? s[7..]
        : s.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? s[8..]
        : s;
}

using System.Xml;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Wfs;

/// <summary>
/// The XML names of the WFS: OGC namespaces, and how layers, properties and features become XML names. Every
/// layer is a feature type named by its id; layer ids, property names and feature ids are not always XML names
/// (a property "Län" is, "2024 total" is not), so they are encoded with the standard XmlConvert escape (_xHHHH_),
/// which is reversible and leaves ordinary names untouched.
/// </summary>
public static class WfsNames
{
    public const string Wfs = "http://www.opengis.net/wfs/2.0";
    public const string Fes = "http://www.opengis.net/fes/2.0";
    public const string Ows = "http://www.opengis.net/ows/1.1";
    public const string Gml = "http://www.opengis.net/gml/3.2";
    public const string XLink = "http://www.w3.org/1999/xlink";
    public const string Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    public const string Xs = "http://www.w3.org/2001/XMLSchema";

    /// <summary>FES 1.1 and GML 3.1.1, which older clients still put in filters; read, never written.</summary>
    public const string Ogc = "http://www.opengis.net/ogc";
    public const string Gml311 = "http://www.opengis.net/gml";

    /// <summary>The namespace of our feature types and their properties.</summary>
    public const string Features = "urn:spatialregion:features";
    public const string Prefix = "sr";

    public const string Version = "2.0.0";

    public const string GetFeatureById = "urn:ogc:def:query:OGC-WFS::GetFeatureById";

    /// <summary>The same stored query as named by WFS 2.0.2.</summary>
    public const string GetFeatureByIdUri = "http://www.opengis.net/def/query/OGC-WFS/0/GetFeatureById";

    public static string TypeName(Layer layer) => XmlConvert.EncodeLocalName(layer.Id);

    public static string QualifiedTypeName(Layer layer) => Prefix + ":" + TypeName(layer);

    public static string PropertyElement(string propertyName) => XmlConvert.EncodeLocalName(propertyName);

    /// <summary>The geometry property: "geometry", unless the layer has an attribute of that name.</summary>
    public static string GeometryElement(Layer layer)
    {
        var name = "geometry";
        while (layer.Properties.Any(p => PropertyElement(p.Name) == name))
        {
            name += "_";
        }
        return name;
    }

    /// <summary>The gml:id of a feature and its resource id in filters: "type.fid", an NCName.</summary>
    public static string ResourceId(Layer layer, string fid) => XmlConvert.EncodeLocalName(layer.Id + "." + fid);

    /// <summary>Splits a resource id into the layer id and fid; null when it has no type prefix.</summary>
    public static (string LayerId, string Fid)? SplitResourceId(string resourceId)
    {
        string decoded;
        try
        {
            decoded = XmlConvert.DecodeName(resourceId.Trim());
        }
        catch (XmlException)
        {
            return null;
        }
        // Layer ids cannot contain a dot, so the first one ends the type name.
        var dot = decoded.IndexOf('.', StringComparison.Ordinal);
        return dot <= 0 ? null : (decoded[..dot], decoded[(dot + 1)..]);
    }

    /// <summary>The XML Schema type of a registry property type.</summary>
    public static string SchemaType(LayerProperty property) => property.Type switch
    {
        LayerProperty.Integer => "xs:long",
        LayerProperty.Number => "xs:double",
        LayerProperty.Boolean => "xs:boolean",
        _ => "xs:string",
    };

    /// <summary>The GML property type of a layer's geometry, as the GML that PostGIS writes for it.</summary>
    public static string GeometryPropertyType(Layer layer) => layer.GeometryType switch
    {
        "Point" => "gml:PointPropertyType",
        "MultiPoint" => "gml:MultiPointPropertyType",
        "MultiLineString" => "gml:MultiCurvePropertyType",
        "MultiPolygon" => "gml:MultiSurfacePropertyType",
        _ => "gml:GeometryPropertyType",
    };
}

/// <summary>
/// Axis order in WFS 2.0 depends on how a CRS is named (the GeoServer convention that QGIS and GDAL rely on):
/// the URN and the OGC http URI follow the EPSG definition, so EPSG:3006 is northing, easting and EPSG:4326 is
/// latitude, longitude; the short "EPSG:4326" form and the legacy ".../epsg.xml#4326" form are x/y (easting or
/// longitude first); CRS84 is always longitude, latitude.
/// </summary>
public static class WfsAxisOrder
{
    public static bool IsNorthingFirst(CrsReference crs) =>
        crs.Form is CrsForm.Urn or CrsForm.HttpUri && crs.DefinitionIsNorthingFirst;
}

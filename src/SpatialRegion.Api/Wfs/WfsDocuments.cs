using System.Globalization;
using System.Text;
using System.Xml;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Wfs;

/// <summary>The small WFS documents (capabilities, schema, stored queries, exception reports), written with an
/// XmlWriter into memory: they grow with the number of layers, never with the number of features.</summary>
public static class WfsDocuments
{
    public static readonly string[] Sections = ["ServiceIdentification", "ServiceProvider", "OperationsMetadata", "FeatureTypeList", "Filter_Capabilities"];

    private static readonly string[] OutputFormats = [WfsFormats.Gml, WfsFormats.GmlTextXml, WfsFormats.Json];

    private static readonly (string Name, bool Value)[] ServiceConstraints =
    [
        ("ImplementsBasicWFS", true),
        ("ImplementsTransactionalWFS", true),
        ("ImplementsLockingWFS", false),
        ("KVPEncoding", true),
        ("XMLEncoding", true),
        ("SOAPEncoding", false),
        ("ImplementsInheritance", false),
        ("ImplementsRemoteResolve", false),
        ("ImplementsResultPaging", true),
        ("ImplementsStandardJoins", false),
        ("ImplementsSpatialJoins", false),
        ("ImplementsTemporalJoins", false),
        ("ImplementsFeatureVersioning", false),
        ("ManageStoredQueries", false),
        ("PagingIsTransactionSafe", false),
    ];

    // Only what the FES parser and FilterSql really do; QGIS pushes a filter down only when it is declared here.
    private static readonly (string Name, bool Value)[] FilterConstraints =
    [
        ("ImplementsQuery", true),
        ("ImplementsAdHocQuery", true),
        ("ImplementsFunctions", false),
        ("ImplementsResourceId", true),
        ("ImplementsMinStandardFilter", true),
        ("ImplementsStandardFilter", true),
        ("ImplementsMinSpatialFilter", true),
        ("ImplementsSpatialFilter", true),
        ("ImplementsMinTemporalFilter", false),
        ("ImplementsTemporalFilter", false),
        ("ImplementsVersionNav", false),
        ("ImplementsSorting", true),
        ("ImplementsExtendedOperators", false),
        ("ImplementsMinimumXPath", true),
        ("ImplementsSchemaElementFunc", false),
    ];

    private static readonly string[] ComparisonOperators =
    [
        "PropertyIsEqualTo", "PropertyIsNotEqualTo", "PropertyIsLessThan", "PropertyIsGreaterThan", "PropertyIsLessThanOrEqualTo",
        "PropertyIsGreaterThanOrEqualTo", "PropertyIsLike", "PropertyIsNull", "PropertyIsNil", "PropertyIsBetween",
    ];

    private static readonly string[] GeometryOperands =
        ["gml:Envelope", "gml:Point", "gml:LineString", "gml:Polygon", "gml:MultiPoint", "gml:MultiCurve", "gml:MultiSurface", "gml:Curve", "gml:Surface"];

    private static readonly string[] SpatialOperators =
        ["BBOX", "Equals", "Disjoint", "Intersects", "Touches", "Crosses", "Within", "Contains", "Overlaps", "DWithin", "Beyond"];

    public static byte[] Write(Action<XmlWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            write(writer);
        }
        return stream.ToArray();
    }

    public static void Capabilities(XmlWriter w, IReadOnlyCollection<Layer> layers, string endpoint, int countDefault, ISet<string> sections)
    {
        w.WriteStartDocument();
        w.WriteStartElement("wfs", "WFS_Capabilities", WfsNames.Wfs);
        w.WriteAttributeString("version", WfsNames.Version);
        // Any change to any layer gives it a version no layer had before.
        w.WriteAttributeString("updateSequence", layers.Count == 0 ? "0" : layers.Max(l => l.Version).ToString(CultureInfo.InvariantCulture));
        Namespaces(w, ("ows", WfsNames.Ows), ("fes", WfsNames.Fes), ("gml", WfsNames.Gml), ("xlink", WfsNames.XLink), ("xsi", WfsNames.Xsi), (WfsNames.Prefix, WfsNames.Features));
        w.WriteAttributeString("xsi", "schemaLocation", WfsNames.Xsi, $"{WfsNames.Wfs} http://schemas.opengis.net/wfs/2.0/wfs.xsd");

        if (sections.Contains("ServiceIdentification"))
        {
            w.WriteStartElement("ows", "ServiceIdentification", WfsNames.Ows);
            w.WriteElementString("ows", "Title", WfsNames.Ows, "SpatialRegion WFS");
            w.WriteElementString("ows", "Abstract", WfsNames.Ows,
                "Municipal boundaries, regional statistics, services and analysis results for Region Jämtland Härjedalen, served from PostGIS. Every layer of the service is a feature type.");
            w.WriteStartElement("ows", "Keywords", WfsNames.Ows);
            foreach (var keyword in new[] { "Jämtland", "Härjedalen", "municipalities", "regional statistics" })
            {
                w.WriteElementString("ows", "Keyword", WfsNames.Ows, keyword);
            }
            w.WriteEndElement();
            w.WriteStartElement("ows", "ServiceType", WfsNames.Ows);
            w.WriteAttributeString("codeSpace", "OGC");
            w.WriteString("WFS");
            w.WriteEndElement();
            w.WriteElementString("ows", "ServiceTypeVersion", WfsNames.Ows, WfsNames.Version);
            w.WriteElementString("ows", "Fees", WfsNames.Ows, "NONE");
            w.WriteElementString("ows", "AccessConstraints", WfsNames.Ows, "NONE");
            w.WriteEndElement();
        }
        if (sections.Contains("ServiceProvider"))
        {
            w.WriteStartElement("ows", "ServiceProvider", WfsNames.Ows);
            w.WriteElementString("ows", "ProviderName", WfsNames.Ows, "SpatialRegion");
            w.WriteElementString("ows", "ServiceContact", WfsNames.Ows, null);
            w.WriteEndElement();
        }
        if (sections.Contains("OperationsMetadata"))
        {
            OperationsMetadata(w, endpoint, countDefault);
        }
        if (sections.Contains("FeatureTypeList"))
        {
            FeatureTypeList(w, layers);
        }
        if (sections.Contains("Filter_Capabilities"))
        {
            FilterCapabilities(w);
        }
        w.WriteEndElement();
    }

    private static void OperationsMetadata(XmlWriter w, string endpoint, int countDefault)
    {
        w.WriteStartElement("ows", "OperationsMetadata", WfsNames.Ows);
        Operation(w, "GetCapabilities", endpoint,
            ("AcceptVersions", [WfsNames.Version]), ("AcceptFormats", ["text/xml"]), ("Sections", Sections));
        Operation(w, "DescribeFeatureType", endpoint, ("outputFormat", [WfsFormats.Gml, WfsFormats.GmlTextXml]));
        Operation(w, "ListStoredQueries", endpoint);
        Operation(w, "DescribeStoredQueries", endpoint);
        Operation(w, "GetFeature", endpoint, ("outputFormat", OutputFormats), ("resultType", ["results", "hits"]), ("resolve", ["none", "local"]));
        Operation(w, "Transaction", endpoint);
        Operation(w, "GetPropertyValue", endpoint, ("outputFormat", [WfsFormats.Gml]), ("resultType", ["results", "hits"]), ("resolve", ["none", "local"]));
        Parameter(w, "version", [WfsNames.Version]);
        foreach (var (name, value) in ServiceConstraints)
        {
            Constraint(w, "ows", WfsNames.Ows, name, value ? "TRUE" : "FALSE");
        }
        Constraint(w, "ows", WfsNames.Ows, "CountDefault", countDefault.ToString(CultureInfo.InvariantCulture));
        w.WriteStartElement("ows", "Constraint", WfsNames.Ows);
        w.WriteAttributeString("name", "QueryExpressions");
        AllowedValues(w, ["wfs:Query", "wfs:StoredQuery"]);
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void Operation(XmlWriter w, string name, string endpoint, params (string Name, string[] Values)[] parameters)
    {
        w.WriteStartElement("ows", "Operation", WfsNames.Ows);
        w.WriteAttributeString("name", name);
        w.WriteStartElement("ows", "DCP", WfsNames.Ows);
        w.WriteStartElement("ows", "HTTP", WfsNames.Ows);
        w.WriteStartElement("ows", "Get", WfsNames.Ows);
        w.WriteAttributeString("xlink", "type", WfsNames.XLink, "simple");
        w.WriteAttributeString("xlink", "href", WfsNames.XLink, endpoint + "?");
        w.WriteEndElement();
        w.WriteStartElement("ows", "Post", WfsNames.Ows);
        w.WriteAttributeString("xlink", "type", WfsNames.XLink, "simple");
        w.WriteAttributeString("xlink", "href", WfsNames.XLink, endpoint);
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        foreach (var (parameter, values) in parameters)
        {
            Parameter(w, parameter, values);
        }
        w.WriteEndElement();
    }

    private static void Parameter(XmlWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartElement("ows", "Parameter", WfsNames.Ows);
        w.WriteAttributeString("name", name);
        AllowedValues(w, values);
        w.WriteEndElement();
    }

    private static void AllowedValues(XmlWriter w, IEnumerable<string> values)
    {
        w.WriteStartElement("ows", "AllowedValues", WfsNames.Ows);
        foreach (var value in values)
        {
            w.WriteElementString("ows", "Value", WfsNames.Ows, value);
        }
        w.WriteEndElement();
    }

    private static void Constraint(XmlWriter w, string prefix, string ns, string name, string value)
    {
        w.WriteStartElement(prefix, "Constraint", ns);
        w.WriteAttributeString("name", name);
        w.WriteElementString("ows", "NoValues", WfsNames.Ows, null);
        w.WriteElementString("ows", "DefaultValue", WfsNames.Ows, value);
        w.WriteEndElement();
    }

    private static void FeatureTypeList(XmlWriter w, IReadOnlyCollection<Layer> layers)
    {
        w.WriteStartElement("wfs", "FeatureTypeList", WfsNames.Wfs);
        foreach (var layer in layers)
        {
            w.WriteStartElement("wfs", "FeatureType", WfsNames.Wfs);
            w.WriteElementString("wfs", "Name", WfsNames.Wfs, WfsNames.QualifiedTypeName(layer));
            w.WriteElementString("wfs", "Title", WfsNames.Wfs, layer.Title);
            if (layer.Description.Length > 0)
            {
                w.WriteElementString("wfs", "Abstract", WfsNames.Wfs, layer.Description);
            }
            w.WriteElementString("wfs", "DefaultCRS", WfsNames.Wfs, WfsSrs.Default.Name);
            foreach (var other in WfsSrs.OtherNames)
            {
                w.WriteElementString("wfs", "OtherCRS", WfsNames.Wfs, other);
            }
            w.WriteStartElement("wfs", "OutputFormats", WfsNames.Wfs);
            foreach (var format in OutputFormats)
            {
                w.WriteElementString("wfs", "Format", WfsNames.Wfs, format);
            }
            w.WriteEndElement();
            if (layer.ExtentWgs84 is { } box)
            {
                // Always longitude, latitude (ows:WGS84BoundingBox is CRS84 by definition).
                w.WriteStartElement("ows", "WGS84BoundingBox", WfsNames.Ows);
                w.WriteAttributeString("dimensions", "2");
                w.WriteElementString("ows", "LowerCorner", WfsNames.Ows, Corner(Math.Floor(box.MinX * 1e6) / 1e6, Math.Floor(box.MinY * 1e6) / 1e6));
                w.WriteElementString("ows", "UpperCorner", WfsNames.Ows, Corner(Math.Ceiling(box.MaxX * 1e6) / 1e6, Math.Ceiling(box.MaxY * 1e6) / 1e6));
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static string Corner(double x, double y) => string.Create(CultureInfo.InvariantCulture, $"{x:R} {y:R}");

    private static void FilterCapabilities(XmlWriter w)
    {
        w.WriteStartElement("fes", "Filter_Capabilities", WfsNames.Fes);
        w.WriteStartElement("fes", "Conformance", WfsNames.Fes);
        foreach (var (name, value) in FilterConstraints)
        {
            Constraint(w, "fes", WfsNames.Fes, name, value ? "TRUE" : "FALSE");
        }
        w.WriteEndElement();
        w.WriteStartElement("fes", "Id_Capabilities", WfsNames.Fes);
        w.WriteStartElement("fes", "ResourceIdentifier", WfsNames.Fes);
        w.WriteAttributeString("name", "fes:ResourceId");
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("fes", "Scalar_Capabilities", WfsNames.Fes);
        w.WriteElementString("fes", "LogicalOperators", WfsNames.Fes, null);
        w.WriteStartElement("fes", "ComparisonOperators", WfsNames.Fes);
        foreach (var op in ComparisonOperators)
        {
            Named(w, "ComparisonOperator", op);
        }
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("fes", "Spatial_Capabilities", WfsNames.Fes);
        w.WriteStartElement("fes", "GeometryOperands", WfsNames.Fes);
        foreach (var operand in GeometryOperands)
        {
            Named(w, "GeometryOperand", operand);
        }
        w.WriteEndElement();
        w.WriteStartElement("fes", "SpatialOperators", WfsNames.Fes);
        foreach (var op in SpatialOperators)
        {
            Named(w, "SpatialOperator", op);
        }
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();

        static void Named(XmlWriter w, string element, string name)
        {
            w.WriteStartElement("fes", element, WfsNames.Fes);
            w.WriteAttributeString("name", name);
            w.WriteEndElement();
        }
    }

    /// <summary>One flat GML 3.2 application schema for the given types: every property typed, every element
    /// optional (a missing value is left out; PROPERTYNAME may leave out any), nothing included from elsewhere
    /// but GML itself.</summary>
    public static void Schema(XmlWriter w, IEnumerable<Layer> layers)
    {
        w.WriteStartDocument();
        w.WriteStartElement("xs", "schema", WfsNames.Xs);
        Namespaces(w, ("gml", WfsNames.Gml), (WfsNames.Prefix, WfsNames.Features));
        w.WriteAttributeString("targetNamespace", WfsNames.Features);
        w.WriteAttributeString("elementFormDefault", "qualified");
        w.WriteAttributeString("version", "1.0");
        w.WriteStartElement("xs", "import", WfsNames.Xs);
        w.WriteAttributeString("namespace", WfsNames.Gml);
        w.WriteAttributeString("schemaLocation", "http://schemas.opengis.net/gml/3.2.1/gml.xsd");
        w.WriteEndElement();
        foreach (var layer in layers)
        {
            var type = WfsNames.TypeName(layer);
            w.WriteStartElement("xs", "element", WfsNames.Xs);
            w.WriteAttributeString("name", type);
            w.WriteAttributeString("type", $"{WfsNames.Prefix}:{type}Type");
            w.WriteAttributeString("substitutionGroup", "gml:AbstractFeature");
            w.WriteEndElement();

            w.WriteStartElement("xs", "complexType", WfsNames.Xs);
            w.WriteAttributeString("name", type + "Type");
            w.WriteStartElement("xs", "annotation", WfsNames.Xs);
            w.WriteElementString("xs", "documentation", WfsNames.Xs, layer.Title);
            w.WriteEndElement();
            w.WriteStartElement("xs", "complexContent", WfsNames.Xs);
            w.WriteStartElement("xs", "extension", WfsNames.Xs);
            w.WriteAttributeString("base", "gml:AbstractFeatureType");
            w.WriteStartElement("xs", "sequence", WfsNames.Xs);
            foreach (var property in layer.Properties)
            {
                w.WriteStartElement("xs", "element", WfsNames.Xs);
                w.WriteAttributeString("name", WfsNames.PropertyElement(property.Name));
                w.WriteAttributeString("type", WfsNames.SchemaType(property));
                w.WriteAttributeString("minOccurs", "0");
                w.WriteAttributeString("nillable", "true");
                w.WriteEndElement();
            }
            w.WriteStartElement("xs", "element", WfsNames.Xs);
            w.WriteAttributeString("name", WfsNames.GeometryElement(layer));
            w.WriteAttributeString("type", WfsNames.GeometryPropertyType(layer));
            w.WriteAttributeString("minOccurs", "0");
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    public static void ListStoredQueries(XmlWriter w, IReadOnlyCollection<Layer> layers)
    {
        w.WriteStartDocument();
        w.WriteStartElement("wfs", "ListStoredQueriesResponse", WfsNames.Wfs);
        Namespaces(w, (WfsNames.Prefix, WfsNames.Features));
        w.WriteStartElement("wfs", "StoredQuery", WfsNames.Wfs);
        w.WriteAttributeString("id", WfsNames.GetFeatureById);
        w.WriteElementString("wfs", "Title", WfsNames.Wfs, "Get feature by identifier");
        foreach (var layer in layers)
        {
            w.WriteElementString("wfs", "ReturnFeatureType", WfsNames.Wfs, WfsNames.QualifiedTypeName(layer));
        }
        w.WriteEndElement();
        w.WriteEndElement();
    }

    public static void DescribeStoredQueries(XmlWriter w, IReadOnlyCollection<Layer> layers)
    {
        w.WriteStartDocument();
        w.WriteStartElement("wfs", "DescribeStoredQueriesResponse", WfsNames.Wfs);
        Namespaces(w, ("xs", WfsNames.Xs), (WfsNames.Prefix, WfsNames.Features));
        w.WriteStartElement("wfs", "StoredQueryDescription", WfsNames.Wfs);
        w.WriteAttributeString("id", WfsNames.GetFeatureById);
        w.WriteElementString("wfs", "Title", WfsNames.Wfs, "Get feature by identifier");
        w.WriteElementString("wfs", "Abstract", WfsNames.Wfs,
            "Returns the one feature whose gml:id is ID (type.id, e.g. municipalities.2380), on its own rather than in a collection; 404 if there is none.");
        w.WriteStartElement("wfs", "Parameter", WfsNames.Wfs);
        w.WriteAttributeString("name", "ID");
        w.WriteAttributeString("type", "xs:string");
        w.WriteElementString("wfs", "Title", WfsNames.Wfs, "Feature identifier (gml:id)");
        w.WriteEndElement();
        w.WriteStartElement("wfs", "QueryExpressionText", WfsNames.Wfs);
        w.WriteAttributeString("returnFeatureTypes", string.Join(' ', layers.Select(WfsNames.QualifiedTypeName)));
        w.WriteAttributeString("language", "urn:ogc:def:queryLanguage:OGC-WFS::WFSQueryExpression");
        w.WriteAttributeString("isPrivate", "true");
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
    }

    public static void ExceptionReport(XmlWriter w, WfsException e)
    {
        w.WriteStartDocument();
        w.WriteStartElement("ows", "ExceptionReport", WfsNames.Ows);
        w.WriteAttributeString("version", WfsNames.Version);
        w.WriteAttributeString("xml", "lang", null, "en");
        w.WriteStartElement("ows", "Exception", WfsNames.Ows);
        w.WriteAttributeString("exceptionCode", e.Code);
        if (e.Locator is not null)
        {
            w.WriteAttributeString("locator", XmlText(e.Locator));
        }
        w.WriteElementString("ows", "ExceptionText", WfsNames.Ows, XmlText(e.Message));
        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>A message may quote the request, and a request may hold characters XML cannot carry (NUL, lone
    /// surrogates): those become U+FFFD, so that the report about them can still be written.</summary>
    private static string XmlText(string text)
    {
        var clean = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i]))
            {
                clean.Append(text, i++, 2);
            }
            else
            {
                clean.Append(XmlConvert.IsXmlChar(text[i]) ? text[i] : '\uFFFD');
            }
        }
        return clean.ToString();
    }

    private static void Namespaces(XmlWriter w, params (string Prefix, string Uri)[] namespaces)
    {
        foreach (var (prefix, uri) in namespaces)
        {
            w.WriteAttributeString("xmlns", prefix, null, uri);
        }
    }
}

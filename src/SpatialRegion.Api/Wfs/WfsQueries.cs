using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;
using SortKey = SpatialRegion.Api.Layers.SortKey;

namespace SpatialRegion.Api.Wfs;

public enum WfsOutputFormat
{
    Gml32,
    GeoJson,
}

/// <summary>The srsName of a query: its CRS, and the name written back in srsName, spelled as the client spelled it.</summary>
public sealed record WfsSrs(CrsReference Crs, string Name)
{
    /// <summary>The storage CRS, named by URN: northing, easting, as QGIS and GDAL expect of a WFS 2.0 default.</summary>
    public static WfsSrs Default { get; } = new(new CrsReference(3006, CrsForm.Urn), new CrsReference(3006, CrsForm.Urn).Urn);

    /// <summary>The other output CRSs, by URN.</summary>
    public static IReadOnlyList<string> OtherNames { get; } =
        OutputCrs.SupportedSrids.Where(srid => srid != Default.Crs.Srid).Select(srid => new CrsReference(srid, CrsForm.Urn).Urn).ToList();

    /// <summary>GML coordinates in the axis order of the srsName form.</summary>
    public GeometryOutput Gml => new(Crs.Srid, WfsAxisOrder.IsNorthingFirst(Crs), OutputCrs.Decimals(Crs.Srid));

    /// <summary>GeoJSON is always x/y (easting or longitude first), as GDAL and QGIS read GeoJSON.</summary>
    public GeometryOutput GeoJson => new(Crs.Srid, NorthingFirst: false, OutputCrs.Decimals(Crs.Srid));
}

/// <summary>One query over one feature type, whether it came as KVP or as a wfs:Query element.</summary>
public sealed record WfsQuery(
    Layer Layer,
    FeatureFilter Filter,
    IReadOnlyList<string>? Properties,
    bool WithGeometry,
    IReadOnlyList<SortKey>? SortBy,
    WfsSrs Srs);

/// <summary>What GetPropertyValue returns for each feature.</summary>
public enum ValueTarget
{
    Property,
    Geometry,
    GmlId,
}

/// <summary>
/// A GetFeature (or GetPropertyValue) request, from either encoding. <see cref="LinkParameters"/> are the KVP
/// parameters of an equivalent GET request, from which next/previous links are made: for a GET request exactly
/// what the client sent (a link that dropped a filter or srsName would hand the client other data), for a POST
/// request the KVP spelling of its XML.
/// </summary>
public sealed record GetFeatureRequest(
    WfsQuery Query,
    int Count,
    int StartIndex,
    bool Hits,
    WfsOutputFormat Format,
    bool ById,
    IReadOnlyList<KeyValuePair<string, string>> LinkParameters,
    bool FromPost)
{
    /// <summary>Set for GetPropertyValue: which value each member holds.</summary>
    public ValueTarget? Value { get; init; }

    public FeatureQuery ToFeatureQuery(int? limit = null)
    {
        var encoding = Format == WfsOutputFormat.Gml32 ? FeatureEncoding.Gml32 : FeatureEncoding.GeoJson;
        var output = Format == WfsOutputFormat.Gml32 ? Query.Srs.Gml : Query.Srs.GeoJson;
        return new FeatureQuery(Query.Filter, limit ?? (Hits ? 0 : Count), StartIndex, output, Query.Properties, Query.SortBy, encoding, Query.WithGeometry);
    }
}

/// <summary>
/// Parses the parts of a query that KVP and XML requests share: type names, srsName, property names, sorting,
/// paging, BBOX, resource ids and FES filters. Locators are the KVP parameter names in capitals, as clients and
/// the OGC test suite expect them.
/// </summary>
public sealed partial class WfsQueryReader(IReadOnlyCollection<Layer> layers, SpatialRegionOptions options)
{
    public const string FesLanguage = "urn:ogc:def:queryLanguage:OGC-FES:Filter";

    private readonly Dictionary<string, Layer> _byId = layers.ToDictionary(l => l.Id, StringComparer.Ordinal);

    public IReadOnlyCollection<Layer> Layers => layers;

    /// <summary>COUNT when a request gives none, and the most one response holds (the CountDefault constraint).</summary>
    public int CountDefault => options.MaxPageSize;

    public bool IsLayerId(string id) => _byId.ContainsKey(id);

    /// <summary>Resolves "prefix:name" or "name"; a prefix bound to another namespace names another type.</summary>
    public Layer ResolveType(string qualifiedName, Func<string, string?> namespaceOfPrefix, string locator)
    {
        var name = qualifiedName.Trim();
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        var local = colon < 0 ? name : name[(colon + 1)..];
        if (colon > 0 && namespaceOfPrefix(name[..colon]) is { } ns && ns != WfsNames.Features)
        {
            throw WfsException.Invalid(locator, $"There is no feature type {name} in namespace {ns}; this service's types are in {WfsNames.Features}.");
        }
        string id;
        try
        {
            id = XmlConvert.DecodeName(local);
        }
        catch (XmlException)
        {
            id = local;
        }
        return _byId.GetValueOrDefault(id) ?? throw WfsException.Invalid(locator,
            $"There is no feature type '{name}'. GetCapabilities lists them: {string.Join(", ", layers.Select(WfsNames.QualifiedTypeName))}.");
    }

    public WfsSrs Srs(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return WfsSrs.Default;
        }
        var crs = CrsReference.Parse(text);
        return crs is not null && OutputCrs.IsSupported(crs.Srid)
            ? new WfsSrs(crs, text.Trim())
            : throw WfsException.Invalid("SRSNAME", $"Unsupported SRSNAME '{text}'. Supported: {WfsSrs.Default.Name} (the default), {string.Join(", ", WfsSrs.OtherNames)}, in URN, http URI or EPSG:n form.");
    }

    /// <summary>The selected properties (null: all) and whether the geometry is among them.</summary>
    public (IReadOnlyList<string>? Properties, bool WithGeometry) PropertyNames(Layer layer, IReadOnlyList<string> names)
    {
        var selected = names.Select(n => n.Trim()).Where(n => n.Length > 0).ToList();
        if (selected.Count == 0 || selected.Contains("*"))
        {
            return (null, true);
        }
        var geometryElement = WfsNames.GeometryElement(layer);
        var properties = new List<string>();
        var withGeometry = false;
        foreach (var name in selected)
        {
            var step = WfsValueReference.PropertyStep(name, layer, "PROPERTYNAME");
            switch (WfsValueReference.Resolve(step, layer, geometryElement, "PROPERTYNAME"))
            {
                case LayerGeometry:
                    withGeometry = true;
                    break;
                case PropertyReference p when !properties.Contains(p.Name):
                    properties.Add(p.Name);
                    break;
            }
        }
        return (properties, withGeometry);
    }

    public IReadOnlyList<SortKey> SortBy(Layer layer, IEnumerable<(string Reference, bool Descending)> keys)
    {
        var geometryElement = WfsNames.GeometryElement(layer);
        return keys.Select(k =>
        {
            var step = WfsValueReference.PropertyStep(k.Reference.Trim(), layer, "SORTBY");
            return WfsValueReference.Resolve(step, layer, geometryElement, "SORTBY") is PropertyReference p
                ? new SortKey(p.Name, k.Descending)
                : throw WfsException.Invalid("SORTBY", "Features cannot be sorted by their geometry.");
        }).ToList();
    }

    /// <summary>KVP SORTBY: "name [ASC|DESC]" items separated by commas (A and D as in WFS 1.1).</summary>
    public IReadOnlyList<SortKey> SortBy(Layer layer, string text) =>
        SortBy(layer, text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(item =>
        {
            var parts = item.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var descending = parts.Length switch
            {
                1 => false,
                2 => SortOrder(parts[1]),
                _ => throw WfsException.Invalid("SORTBY", $"'{item}' is not 'property ASC' or 'property DESC'."),
            };
            return (parts[0], descending);
        }));

    public static bool SortOrder(string text) => text.ToUpperInvariant() switch
    {
        "ASC" or "A" => false,
        "DESC" or "D" => true,
        _ => throw WfsException.Invalid("SORTBY", $"Sort order must be ASC or DESC; got '{text}'."),
    };

    /// <summary>COUNT (MAXFEATURES in WFS 1.x): more than <see cref="CountDefault"/> is served as that many.</summary>
    public int Count(string? text) => QueryValues.ParseLimit(Given(text), CountDefault, CountDefault, clampToMax: true, "COUNT");

    public static int StartIndex(string? text) => QueryValues.ParseOffset(Given(text), "STARTINDEX");

    /// <summary>A KVP value or XML attribute as given, blank counting as absent.</summary>
    private static string? Given(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    public static bool Hits(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "results" => false,
        "hits" => true,
        _ => throw WfsException.Invalid("RESULTTYPE", $"RESULTTYPE must be results or hits; got '{text}'."),
    };

    /// <summary>Output formats by their usual names; '+' may arrive as a space from an unencoded query string.</summary>
    public static WfsOutputFormat OutputFormat(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return WfsOutputFormat.Gml32;
        }
        var key = new string(text.Where(c => !char.IsWhiteSpace(c) && c is not '+' and not '"').ToArray()).ToLowerInvariant();
        return key switch
        {
            "application/gmlxml;version=3.2" or "text/xml;subtype=gml/3.2" or "text/xml;subtype=gml/3.2.1"
                or "application/gmlxml;version=3.2.1" or "gml32" or "gml3.2" or "text/xml" or "application/xml" => WfsOutputFormat.Gml32,
            "application/json" or "json" or "geojson" or "application/geojson" or "application/vnd.geojson" => WfsOutputFormat.GeoJson,
            _ => throw WfsException.Invalid("OUTPUTFORMAT",
                $"Unsupported OUTPUTFORMAT '{text}'. Supported: {WfsFormats.Gml} (the default), {WfsFormats.GmlTextXml}, {WfsFormats.Json}."),
        };
    }

    /// <summary>KVP BBOX: "c1,c2,c3,c4[,crs]" in the axis order of its CRS; without one, in that of the query's srsName.</summary>
    public static BboxFilter Bbox(string text, WfsSrs querySrs)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var crs = querySrs.Crs;
        if (parts.Length is 5 or 7)
        {
            crs = CrsReference.Parse(parts[^1]) is { } named && OutputCrs.IsSupported(named.Srid)
                ? named
                : throw WfsException.Invalid("BBOX", $"Unsupported CRS '{parts[^1]}' in BBOX. Supported: {OutputCrs.SupportedList}.");
            parts = parts[..^1];
        }
        var n = QueryValues.ParseBboxNumbers(string.Join(',', parts), "BBOX");
        var (minX, minY, maxX, maxY) = WfsAxisOrder.IsNorthingFirst(crs) ? (n[1], n[0], n[3], n[2]) : (n[0], n[1], n[2], n[3]);
        try
        {
            return QueryValues.ValidateBox(minX, minY, maxX, maxY, crs.Srid, "BBOX");
        }
        catch (InvalidQueryException e)
        {
            throw WfsException.Invalid("BBOX", e.Message + (WfsAxisOrder.IsNorthingFirst(crs) ? $" {crs.Urn} takes northing (latitude) first." : ""));
        }
    }

    public FilterExpression Filter(Layer layer, string xml, WfsSrs srs) =>
        new FesFilterParser(layer, IsLayerId, srs.Crs).Parse(xml);

    public FilterExpression Filter(Layer layer, XElement filter, WfsSrs srs) =>
        new FesFilterParser(layer, IsLayerId, srs.Crs).Parse(filter);

    public IdExpression ResourceIds(Layer layer, IEnumerable<string> resourceIds) =>
        new(resourceIds.Select(rid => WfsResourceIds.FidOf(rid, layer, IsLayerId)).ToList());

    /// <summary>The type named by the first resource id, for requests that give RESOURCEID without TYPENAMES.</summary>
    public Layer TypeOfResourceIds(IReadOnlyList<string> resourceIds)
    {
        var types = resourceIds.Select(rid => WfsNames.SplitResourceId(rid) is var (layerId, _) && _byId.TryGetValue(layerId, out var l)
                ? l
                : throw WfsException.Invalid("RESOURCEID", $"'{rid}' names no feature type; resource ids are written type.id, as in gml:id."))
            .Distinct().ToList();
        return types.Count == 1
            ? types[0]
            : throw WfsException.OptionNotSupported("RESOURCEID", "Resource ids of several feature types need one request per type.");
    }

    /// <summary>KVP NAMESPACES: xmlns(prefix,uri) items.</summary>
    public static Dictionary<string, string> Namespaces(string? text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return map;
        }
        foreach (Match m in NamespacePattern().Matches(text))
        {
            map[m.Groups[1].Value.Trim()] = m.Groups[2].Value.Trim();
        }
        return map;
    }

    [GeneratedRegex(@"xmlns\(\s*([^,()\s]*)\s*,\s*([^)]*)\)")]
    private static partial Regex NamespacePattern();

    /// <summary>"(a)" is one query and "a" too; "(a)(b)" and "a,b" (a join) are more than this service answers.</summary>
    public static string SingleTypeName(string text)
    {
        var t = text.Trim();
        if (t.StartsWith('(') && t.EndsWith(')') && t.IndexOf(')', StringComparison.Ordinal) == t.Length - 1)
        {
            t = t[1..^1].Trim();
        }
        if (t.Contains('(', StringComparison.Ordinal) || t.Contains(')', StringComparison.Ordinal))
        {
            throw WfsException.OptionNotSupported("TYPENAMES", "One query per request: ask for each feature type in a request of its own.");
        }
        if (t.Contains(',', StringComparison.Ordinal))
        {
            throw WfsException.OptionNotSupported("TYPENAMES", "Joins of several feature types are not supported (ImplementsStandardJoins is FALSE).");
        }
        return t.Length > 0 ? t : throw WfsException.Missing("TYPENAMES");
    }

    /// <summary>Strips the parentheses a KVP list per query wraps a value in: FILTER=(&lt;Filter&gt;…).</summary>
    public static string Unparenthesise(string text)
    {
        var t = text.Trim();
        return t.StartsWith('(') && t.EndsWith(')') ? t[1..^1].Trim() : t;
    }
}

public static class WfsFormats
{
    public const string Gml = "application/gml+xml; version=3.2";
    public const string GmlTextXml = "text/xml; subtype=gml/3.2";
    public const string Json = "application/json";
    public const string Xml = "application/xml; charset=utf-8";

    /// <summary>DescribeFeatureType: an XML Schema of a GML 3.2 application schema.</summary>
    public const string Schema = "application/xml; subtype=gml/3.2; charset=utf-8";
}

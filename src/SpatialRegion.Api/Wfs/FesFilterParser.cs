using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using NetTopologySuite.Geometries;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;

namespace SpatialRegion.Api.Wfs;

/// <summary>
/// Parses an FES 2.0 filter (and the FES 1.1 spelling older clients send) into the shared filter tree, against
/// one feature type: ValueReferences are resolved to the layer's properties or its geometry, literals are typed
/// by the property they meet, GML geometries are read in the CRS and axis order of their srsName. Anything the
/// tree cannot express is refused here with the WFS exception code a client expects, before any SQL exists.
/// </summary>
public sealed class FesFilterParser
{
    private const string Locator = "FILTER";

    private static readonly Dictionary<string, ComparisonOperator> Comparisons = new(StringComparer.Ordinal)
    {
        ["PropertyIsEqualTo"] = ComparisonOperator.Equal,
        ["PropertyIsNotEqualTo"] = ComparisonOperator.NotEqual,
        ["PropertyIsLessThan"] = ComparisonOperator.Less,
        ["PropertyIsLessThanOrEqualTo"] = ComparisonOperator.LessOrEqual,
        ["PropertyIsGreaterThan"] = ComparisonOperator.Greater,
        ["PropertyIsGreaterThanOrEqualTo"] = ComparisonOperator.GreaterOrEqual,
    };

    private static readonly Dictionary<string, SpatialOperator> SpatialOperators = new(StringComparer.Ordinal)
    {
        ["Intersects"] = SpatialOperator.Intersects,
        ["Disjoint"] = SpatialOperator.Disjoint,
        ["Within"] = SpatialOperator.Within,
        ["Contains"] = SpatialOperator.Contains,
        ["Touches"] = SpatialOperator.Touches,
        ["Overlaps"] = SpatialOperator.Overlaps,
        ["Crosses"] = SpatialOperator.Crosses,
        ["Equals"] = SpatialOperator.Equals,
    };

    private static readonly HashSet<string> TemporalOperators =
    [
        "After", "Before", "Begins", "BegunBy", "TContains", "During", "TEquals", "TOverlaps", "Meets", "OverlappedBy",
        "MetBy", "EndedBy", "Ends", "AnyInteracts",
    ];

    /// <summary>Properties every GML feature has but that no column of ours holds.</summary>
    private static readonly HashSet<string> GmlProperties = ["boundedBy", "name", "description", "identifier", "location", "metaDataProperty"];

    private readonly Layer _layer;
    private readonly Func<string, bool> _isLayerId;
    private readonly CrsReference _defaultCrs;
    private readonly string _geometryElement;

    /// <param name="layer">The feature type the filter applies to.</param>
    /// <param name="isLayerId">Whether a name is some layer's id: a resource id of another type is an error,
    /// an id that names no type is just an id that matches nothing.</param>
    /// <param name="defaultCrs">CRS of geometries without srsName: the query's srsName, else the type's default.</param>
    public FesFilterParser(Layer layer, Func<string, bool> isLayerId, CrsReference defaultCrs)
    {
        _layer = layer;
        _isLayerId = isLayerId;
        _defaultCrs = defaultCrs;
        _geometryElement = WfsNames.GeometryElement(layer);
    }

    /// <summary>Parses filter XML text, as the FILTER parameter carries it.</summary>
    public FilterExpression Parse(string xml)
    {
        XElement root;
        try
        {
            root = WfsXml.ParseElement(xml);
        }
        catch (XmlException e)
        {
            throw WfsException.Invalid(Locator, $"FILTER is not well-formed XML: {e.Message}");
        }
        return Parse(root);
    }

    public FilterExpression Parse(XElement filter)
    {
        if (filter.Name.LocalName != "Filter" || !IsFilterNamespace(filter.Name.Namespace))
        {
            throw WfsException.Invalid(Locator, $"Expected an fes:Filter element in namespace {WfsNames.Fes}; got {filter.Name}.");
        }
        var predicates = Predicates(filter);
        return predicates.Count switch
        {
            0 => throw WfsException.Invalid(Locator, "The filter is empty."),
            1 => predicates[0],
            _ => throw WfsException.Invalid(Locator, "A filter holds one predicate; combine several with fes:And or fes:Or."),
        };
    }

    private static bool IsFilterNamespace(XNamespace ns) => ns == WfsNames.Fes || ns == WfsNames.Ogc;

    /// <summary>The predicates among an element's children; ResourceId siblings together form one predicate
    /// (a list of identifiers matches any of them).</summary>
    private List<FilterExpression> Predicates(XElement parent)
    {
        var result = new List<FilterExpression>();
        var ids = new List<string>();
        foreach (var child in parent.Elements())
        {
            if (child.Name.LocalName is "ResourceId" or "FeatureId" or "GmlObjectId")
            {
                ids.Add(ResourceId(child));
            }
            else
            {
                result.Add(Predicate(child));
            }
        }
        if (ids.Count > 0)
        {
            result.Insert(0, Ids(ids));
        }
        return result;
    }

    private FilterExpression Predicate(XElement e)
    {
        var name = e.Name.LocalName;
        if (!IsFilterNamespace(e.Name.Namespace))
        {
            throw WfsException.Invalid(Locator, $"{e.Name} is not a filter predicate.");
        }
        if (Comparisons.TryGetValue(name, out var comparison))
        {
            return Compare(e, comparison);
        }
        if (SpatialOperators.TryGetValue(name, out var spatial))
        {
            var (left, right) = SpatialOperands(e, name);
            return new SpatialPredicate(spatial, left, right);
        }
        switch (name)
        {
            case "And":
            case "Or":
                var operands = Predicates(e);
                if (operands.Count == 0)
                {
                    throw WfsException.Invalid(Locator, $"fes:{name} needs operands.");
                }
                return name == "And" ? new AndExpression(operands) : new OrExpression(operands);
            case "Not":
                var operand = Predicates(e);
                return operand.Count == 1
                    ? new NotExpression(operand[0])
                    : throw WfsException.Invalid(Locator, "fes:Not takes exactly one predicate.");
            case "PropertyIsLike":
                return Like(e);
            case "PropertyIsNull":
            case "PropertyIsNil":
                // Missing values are never written, so a value that is absent, JSON null or nil is one and the same.
                return Reference(SingleOperand(e, name)) switch
                {
                    PropertyReference p => new IsNullExpression(p),
                    _ => new BooleanConstant(false),
                };
            case "PropertyIsBetween":
                return Between(e);
            case "BBOX":
                return Bbox(e);
            case "DWithin":
            case "Beyond":
                return Distance(e, name);
        }
        if (TemporalOperators.Contains(name))
        {
            throw WfsException.OptionNotSupported(Locator, $"Temporal operator fes:{name} is not supported (ImplementsTemporalFilter is FALSE); compare an ISO 8601 time property with fes:PropertyIsGreaterThan and the like instead.");
        }
        if (name == "Function")
        {
            throw WfsException.OptionNotSupported(Locator, "Filter functions are not supported.");
        }
        throw WfsException.Invalid(Locator, $"Unknown filter predicate fes:{name}. The capabilities document lists the supported operators.");
    }

    private FilterExpression Compare(XElement e, ComparisonOperator op)
    {
        var operands = Operands(e, 2, e.Name.LocalName);
        var (left, right) = TypedPair(operands[0], operands[1], e.Name.LocalName);
        if (!MatchCase(e) && IsText(left, right))
        {
            (left, right) = (new CaseInsensitive(left), new CaseInsensitive(right));
        }
        return new Comparison(op, left, right);
    }

    private FilterExpression Between(XElement e)
    {
        var value = e.Elements().FirstOrDefault(c => c.Name.LocalName is "ValueReference" or "PropertyName" or "Literal" or "Function")
            ?? throw WfsException.Invalid(Locator, "fes:PropertyIsBetween needs a value.");
        var lower = Boundary(e, "LowerBoundary");
        var upper = Boundary(e, "UpperBoundary");
        var (v, low) = TypedPair(value, lower, "PropertyIsBetween");
        var (_, high) = TypedPair(value, upper, "PropertyIsBetween");
        return new BetweenExpression(v, low, high);
    }

    private XElement Boundary(XElement between, string name)
    {
        var boundary = between.Elements().FirstOrDefault(c => c.Name.LocalName == name)
            ?? throw WfsException.Invalid(Locator, $"fes:PropertyIsBetween needs fes:{name}.");
        return boundary.Elements().FirstOrDefault() ?? throw WfsException.Invalid(Locator, $"fes:{name} is empty.");
    }

    private FilterExpression Like(XElement e)
    {
        var operands = Operands(e, 2, "PropertyIsLike");
        if (Reference(operands[0]) is not PropertyReference property)
        {
            throw WfsException.Invalid(Locator, "fes:PropertyIsLike compares a property with a pattern.");
        }
        if (operands[1].Name.LocalName != "Literal")
        {
            throw WfsException.Invalid(Locator, "The pattern of fes:PropertyIsLike must be a fes:Literal.");
        }
        var wildCard = Required(e, "wildCard");
        var singleChar = (string?)e.Attribute("singleChar") ?? (string?)e.Attribute("singleCharacter")
            ?? throw WfsException.Invalid(Locator, "fes:PropertyIsLike needs the attribute singleChar.");
        var escapeChar = (string?)e.Attribute("escapeChar") ?? (string?)e.Attribute("escape")
            ?? throw WfsException.Invalid(Locator, "fes:PropertyIsLike needs the attribute escapeChar.");
        var pattern = new Literal(SqlLikePattern(operands[1].Value, wildCard, singleChar, escapeChar));
        ScalarExpression value = property;
        ScalarExpression patternExpression = pattern;
        if (!MatchCase(e))
        {
            (value, patternExpression) = (new CaseInsensitive(property), new CaseInsensitive(pattern));
        }
        return new LikeExpression(value, patternExpression);
    }

    /// <summary>Rewrites an FES pattern (any wildcard, single and escape characters) as a SQL LIKE pattern with
    /// backslash as its escape, so that every other character, including % and _, is literal.</summary>
    public static string SqlLikePattern(string pattern, string wildCard, string singleChar, string escapeChar)
    {
        var sql = new StringBuilder(pattern.Length + 8);
        for (var i = 0; i < pattern.Length;)
        {
            if (escapeChar.Length > 0 && At(pattern, i, escapeChar))
            {
                i += escapeChar.Length;
                if (i < pattern.Length)
                {
                    Literal(sql, pattern[i]);
                    i++;
                }
            }
            else if (wildCard.Length > 0 && At(pattern, i, wildCard))
            {
                sql.Append('%');
                i += wildCard.Length;
            }
            else if (singleChar.Length > 0 && At(pattern, i, singleChar))
            {
                sql.Append('_');
                i += singleChar.Length;
            }
            else
            {
                Literal(sql, pattern[i]);
                i++;
            }
        }
        return sql.ToString();

        static bool At(string s, int i, string token) => string.CompareOrdinal(s, i, token, 0, token.Length) == 0;

        static void Literal(StringBuilder sb, char c)
        {
            if (c is '%' or '_' or '\\')
            {
                sb.Append('\\');
            }
            sb.Append(c);
        }
    }

    private FilterExpression Bbox(XElement e)
    {
        var children = e.Elements().ToList();
        var reference = children.FirstOrDefault(c => c.Name.LocalName is "ValueReference" or "PropertyName");
        if (reference is not null)
        {
            RequireGeometry(reference, "BBOX");
        }
        var box = children.FirstOrDefault(c => c != reference) ?? throw WfsException.Invalid(Locator, "fes:BBOX needs a gml:Envelope.");
        var geometry = GeometryLiteral(box, "BBOX");
        // BBOX is "not disjoint from the box"; a geometry operand stands for its envelope.
        var envelope = GmlGeometryReader.IsEnvelope(Unwrap(box)) ? geometry : geometry.Factory.ToGeometry(geometry.EnvelopeInternal);
        envelope.SRID = geometry.SRID;
        return new SpatialPredicate(SpatialOperator.Intersects, new LayerGeometry(), new Layers.Filtering.GeometryLiteral(envelope));
    }

    private (GeometryOperand Left, GeometryOperand Right) SpatialOperands(XElement e, string name)
    {
        var children = e.Elements().Where(c => c.Name.LocalName != "Distance").ToList();
        if (children.Count == 1)
        {
            // The geometry property may be left out when a type has only one (FES 2.0, 7.8.3).
            return (new LayerGeometry(), new Layers.Filtering.GeometryLiteral(GeometryLiteral(children[0], name)));
        }
        if (children.Count != 2)
        {
            throw WfsException.Invalid(Locator, $"fes:{name} takes the geometry property and a geometry.");
        }
        return (SpatialOperand(children[0], name), SpatialOperand(children[1], name)) switch
        {
            (LayerGeometry, LayerGeometry) => throw WfsException.Invalid(Locator, $"fes:{name} needs a geometry literal on one side."),
            var pair => pair,
        };
    }

    private GeometryOperand SpatialOperand(XElement e, string op) =>
        e.Name.LocalName is "ValueReference" or "PropertyName"
            ? RequireGeometry(e, op)
            : new Layers.Filtering.GeometryLiteral(GeometryLiteral(e, op));

    private FilterExpression Distance(XElement e, string name)
    {
        var (left, right) = SpatialOperands(e, name);
        var distance = e.Elements().FirstOrDefault(c => c.Name.LocalName == "Distance")
            ?? throw WfsException.Invalid(Locator, $"fes:{name} needs a fes:Distance.");
        if (!double.TryParse(distance.Value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0)
        {
            throw WfsException.Invalid(Locator, $"fes:Distance must be a number of 0 or more; got '{distance.Value}'.");
        }
        var uom = ((string?)distance.Attribute("uom") ?? (string?)distance.Attribute("units") ?? "m").Trim();
        var metres = uom switch
        {
            "m" or "metre" or "meter" or "metres" or "meters" or "urn:ogc:def:uom:EPSG::9001" or "http://www.opengis.net/def/uom/EPSG/0/9001" => value,
            "km" or "kilometre" or "kilometer" or "urn:ogc:def:uom:EPSG::9036" or "http://www.opengis.net/def/uom/EPSG/0/9036" => value * 1000,
            _ => throw WfsException.Invalid(Locator, $"Unsupported distance unit '{uom}': distances are measured in metres (uom=\"m\") or kilometres (\"km\") in SWEREF 99 TM, never in degrees."),
        };
        var within = new DistanceWithin(left, right, metres);
        return name == "Beyond" ? new NotExpression(within) : within;
    }

    private Geometry GeometryLiteral(XElement e, string op)
    {
        var geometry = Unwrap(e);
        if (!GmlGeometryReader.IsGeometry(geometry))
        {
            throw WfsException.Invalid(Locator, $"fes:{op} needs a GML geometry; got {geometry.Name}.");
        }
        return GmlGeometryReader.Read(geometry, _defaultCrs, Locator);
    }

    /// <summary>A geometry may come bare or inside fes:Literal.</summary>
    private static XElement Unwrap(XElement e) =>
        e.Name.LocalName == "Literal" && e.Elements().FirstOrDefault() is { } inner ? inner : e;

    private LayerGeometry RequireGeometry(XElement reference, string op) =>
        Reference(reference) as LayerGeometry
        ?? throw WfsException.Invalid(Locator, $"fes:{op} applies to the geometry property '{_geometryElement}', not to '{reference.Value.Trim()}'.");

    private List<XElement> Operands(XElement e, int count, string op)
    {
        var operands = e.Elements().ToList();
        if (operands.Count != count)
        {
            throw WfsException.Invalid(Locator, $"fes:{op} takes {count} operands; got {operands.Count}.");
        }
        return operands;
    }

    private XElement SingleOperand(XElement e, string op) => Operands(e, 1, op)[0];

    /// <summary>Two scalar operands, literals typed after the property on the other side.</summary>
    private (ScalarExpression Left, ScalarExpression Right) TypedPair(XElement a, XElement b, string op)
    {
        var left = Scalar(a, op);
        var right = Scalar(b, op);
        var property = (left as PropertyReference ?? right as PropertyReference) is { } p ? _layer.FindProperty(p.Name) : null;
        return (Typed(left, property), Typed(right, property));
    }

    /// <summary>An operand before typing: a property, or a literal kept as text for now.</summary>
    private ScalarExpression Scalar(XElement e, string op)
    {
        switch (e.Name.LocalName)
        {
            case "ValueReference":
            case "PropertyName":
                return Reference(e) as PropertyReference
                    ?? throw WfsException.Invalid(Locator, $"fes:{op} compares values; the geometry property '{_geometryElement}' takes spatial operators.");
            case "Literal":
                if (e.HasElements)
                {
                    throw WfsException.Invalid(Locator, $"fes:{op} compares with a text literal, not with XML content.");
                }
                return new UntypedLiteral(e.Value);
            case "Function":
                throw WfsException.OptionNotSupported(Locator, "Filter functions are not supported.");
            default:
                throw WfsException.Invalid(Locator, $"{e.Name} is not an operand of fes:{op}.");
        }
    }

    private ScalarExpression Typed(ScalarExpression e, LayerProperty? property)
    {
        if (e is not UntypedLiteral { Text: var text })
        {
            return e;
        }
        switch (property?.Type)
        {
            case LayerProperty.Integer:
            case LayerProperty.Number:
                if (decimal.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var exact))
                {
                    return new Literal(exact);
                }
                if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var approximate) && double.IsFinite(approximate))
                {
                    return new Literal(approximate);
                }
                throw WfsException.Invalid(Locator, $"'{text}' is not a number, and property '{property.Name}' holds numbers.");
            case LayerProperty.Boolean:
                return text.Trim() switch
                {
                    "true" or "1" => new Literal(true),
                    "false" or "0" => new Literal(false),
                    _ => throw WfsException.Invalid(Locator, $"'{text}' is not true or false, and property '{property.Name}' is boolean."),
                };
            default:
                return new Literal(text);
        }
    }

    private bool IsText(ScalarExpression left, ScalarExpression right)
    {
        var property = (left as PropertyReference ?? right as PropertyReference) is { } p ? _layer.FindProperty(p.Name) : null;
        return property?.Type == LayerProperty.String;
    }

    private static bool MatchCase(XElement e) => (string?)e.Attribute("matchCase") is not ("false" or "0");

    private static string Required(XElement e, string attribute) =>
        (string?)e.Attribute(attribute) ?? throw WfsException.Invalid(Locator, $"fes:{e.Name.LocalName} needs the attribute {attribute}.");

    /// <summary>Resolves a ValueReference (minimum XPath: "name", "prefix:name", "type/name", "name[1]") to a
    /// property or the geometry.</summary>
    private object Reference(XElement e)
    {
        var path = e.Value.Trim();
        var step = WfsValueReference.PropertyStep(path, _layer, Locator);
        var colon = step.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && e.GetNamespaceOfPrefix(step[..colon]) is { } ns && (ns == WfsNames.Gml || ns == WfsNames.Gml311)
            || step.StartsWith("gml:", StringComparison.Ordinal))
        {
            var local = step[(colon + 1)..];
            throw GmlProperties.Contains(local)
                ? WfsException.Processing(Locator, $"gml:{local} is a property every GML feature has but that this service cannot compare; filter on the geometry property '{_geometryElement}' with a spatial operator instead.")
                : WfsException.Invalid(Locator, $"Unknown property gml:{local}.");
        }
        return WfsValueReference.Resolve(step, _layer, _geometryElement, Locator);
    }

    private string ResourceId(XElement e)
    {
        var rid = (string?)e.Attribute("rid") ?? (string?)e.Attribute("fid") ?? (string?)e.Attribute(XName.Get("id", WfsNames.Gml))
            ?? (string?)e.Attribute(XName.Get("id", WfsNames.Gml311))
            ?? throw WfsException.Invalid(Locator, "fes:ResourceId needs the attribute rid.");
        return rid;
    }

    private IdExpression Ids(IEnumerable<string> resourceIds) =>
        new(resourceIds.Select(rid => WfsResourceIds.FidOf(rid, _layer, _isLayerId)).ToList());

    /// <summary>A literal whose type is decided by the property it is compared with.</summary>
    private sealed record UntypedLiteral(string Text) : ScalarExpression;
}

/// <summary>Resolving value references (filters, PROPERTYNAME, SORTBY, GetPropertyValue) to a layer's schema.</summary>
public static class WfsValueReference
{
    /// <summary>The last step of a minimum-XPath reference, with "type/" and an index predicate "[1]" removed.</summary>
    public static string PropertyStep(string path, Layer layer, string locator)
    {
        if (path.Length == 0)
        {
            throw WfsException.Invalid(locator, "A value reference is empty.");
        }
        var steps = path.TrimStart('/').Split('/');
        if (steps.Length == 2 && WithoutPrefix(steps[0]) == WfsNames.TypeName(layer))
        {
            steps = [steps[1]];
        }
        if (steps.Length != 1)
        {
            throw WfsException.Invalid(locator, $"'{path}' does not name a property of {WfsNames.QualifiedTypeName(layer)}; properties are simple values one level down.");
        }
        var step = steps[0];
        if (step.EndsWith("[1]", StringComparison.Ordinal))
        {
            step = step[..^3];
        }
        return step;
    }

    /// <summary>A property (as <see cref="PropertyReference"/>) or the geometry (as <see cref="LayerGeometry"/>).</summary>
    public static object Resolve(string step, Layer layer, string geometryElement, string locator)
    {
        var local = WithoutPrefix(step);
        if (local == geometryElement)
        {
            return new LayerGeometry();
        }
        string name;
        try
        {
            name = XmlConvert.DecodeName(local);
        }
        catch (XmlException)
        {
            name = local;
        }
        return layer.FindProperty(name) is { } property
            ? new PropertyReference(property.Name)
            : throw WfsException.Invalid(locator,
                $"{WfsNames.QualifiedTypeName(layer)} has no property '{step}'. Its properties: "
                + string.Join(", ", layer.Properties.Select(p => WfsNames.PropertyElement(p.Name)).Append(geometryElement)) + ".");
    }

    public static string WithoutPrefix(string name)
    {
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? name : name[(colon + 1)..];
    }
}

/// <summary>Resource ids ("type.fid") as filters and RESOURCEID carry them.</summary>
public static class WfsResourceIds
{
    /// <summary>The fid a resource id names in <paramref name="layer"/>. An id of another existing type is the
    /// client's mistake (InvalidParameterValue, locator RESOURCEID); an id without a known type prefix is taken
    /// as a bare fid, which matches nothing if there is no such feature.</summary>
    public static string FidOf(string resourceId, Layer layer, Func<string, bool> isLayerId)
    {
        if (WfsNames.SplitResourceId(resourceId) is var (layerId, fid) && isLayerId(layerId))
        {
            return layerId == layer.Id
                ? fid
                : throw WfsException.Invalid("RESOURCEID", $"'{resourceId}' identifies a feature of {Prefix(layerId)}, not of {WfsNames.QualifiedTypeName(layer)}.");
        }
        return resourceId.Trim();
    }

    private static string Prefix(string layerId) => WfsNames.Prefix + ":" + XmlConvert.EncodeLocalName(layerId);
}

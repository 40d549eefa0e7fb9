using System.Xml.Linq;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;

namespace SpatialRegion.Api.Wfs;

/// <summary>
/// Turns a GetFeature or GetPropertyValue request, in KVP (GET) or XML (POST), into one <see cref="GetFeatureRequest"/>.
/// The two encodings differ only in where each value sits; <see cref="WfsQueryReader"/> gives each value one meaning.
/// </summary>
public sealed class WfsRequestParser(WfsQueryReader reader)
{
    public GetFeatureRequest FromKvp(IQueryCollection q, bool propertyValue)
    {
        var srsText = Value(q, "SRSNAME");
        var srs = reader.Srs(srsText);
        var namespaces = WfsQueryReader.Namespaces(Value(q, "NAMESPACES"));
        var valueReference = propertyValue ? RequiredValueReference(q["VALUEREFERENCE"]) : null;

        WfsQuery query;
        bool byId;
        if (Value(q, "STOREDQUERY_ID") is { } storedQuery)
        {
            query = FeatureById(storedQuery, Value(q, "ID"), srs);
            byId = true;
        }
        else
        {
            var typeNames = Value(q, "TYPENAMES") ?? Value(q, "TYPENAME");
            var resourceIds = Value(q, "RESOURCEID") ?? Value(q, "FEATUREID");
            var rids = resourceIds is null ? null : WfsQueryReader.Unparenthesise(resourceIds).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var layer = typeNames is not null
                ? reader.ResolveType(WfsQueryReader.SingleTypeName(typeNames), namespaces.GetValueOrDefault, "TYPENAMES")
                : rids is { Length: > 0 } ? reader.TypeOfResourceIds(rids) : throw WfsException.Missing("TYPENAMES", "TYPENAMES (or RESOURCEID or STOREDQUERY_ID) is required.");

            var expressions = new List<FilterExpression>();
            if (rids is not null)
            {
                expressions.Add(reader.ResourceIds(layer, rids));
            }
            if (Value(q, "FILTER") is { } filter)
            {
                RequireFesLanguage(Value(q, "FILTER_LANGUAGE"));
                expressions.Add(reader.Filter(layer, WfsQueryReader.Unparenthesise(filter), srs));
            }
            var bbox = Value(q, "BBOX") is { } b ? WfsQueryReader.Bbox(WfsQueryReader.Unparenthesise(b), srs) : null;
            var (properties, withGeometry) = reader.PropertyNames(layer,
                Value(q, "PROPERTYNAME") is { } p ? WfsQueryReader.Unparenthesise(p).Split(',') : []);
            var sortBy = Value(q, "SORTBY") is { } s ? reader.SortBy(layer, WfsQueryReader.Unparenthesise(s)) : null;
            query = new WfsQuery(layer, new FeatureFilter(bbox, [], Combine(expressions)), properties, withGeometry, sortBy, srs);
            byId = false;
        }

        var request = new GetFeatureRequest(
            query,
            reader.Count(Value(q, "COUNT") ?? Value(q, "MAXFEATURES")),
            WfsQueryReader.StartIndex(Value(q, "STARTINDEX")),
            WfsQueryReader.Hits(Value(q, "RESULTTYPE")),
            propertyValue ? WfsOutputFormat.Gml32 : WfsQueryReader.OutputFormat(Value(q, "OUTPUTFORMAT")),
            byId,
            q.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))).ToList(),
            FromPost: false);
        return valueReference is null ? request : ForValue(request, valueReference);
    }

    public GetFeatureRequest FromXml(XElement root, bool propertyValue)
    {
        var queries = root.Elements().Where(e => e.Name.LocalName is "Query" or "StoredQuery").ToList();
        if (queries.Count == 0)
        {
            throw WfsException.Missing("TYPENAMES", $"wfs:{root.Name.LocalName} needs a wfs:Query or a wfs:StoredQuery.");
        }
        if (queries.Count > 1)
        {
            throw WfsException.OptionNotSupported("TYPENAMES", "One query per request: send each wfs:Query in a request of its own.");
        }
        var element = queries[0];
        var valueReference = propertyValue ? RequiredValueReference((string?)root.Attribute("valueReference")) : null;
        var srsText = (string?)element.Attribute("srsName");
        var srs = reader.Srs(srsText);
        var link = new List<KeyValuePair<string, string>>
        {
            new("SERVICE", "WFS"),
            new("VERSION", WfsNames.Version),
            new("REQUEST", propertyValue ? "GetPropertyValue" : "GetFeature"),
        };

        WfsQuery query;
        bool byId;
        if (element.Name.LocalName == "StoredQuery")
        {
            var id = (string?)element.Attribute("id") ?? throw WfsException.Missing("STOREDQUERY_ID");
            var featureId = element.Elements().FirstOrDefault(p => p.Name.LocalName == "Parameter" && (string?)p.Attribute("name") == "ID")?.Value.Trim();
            query = FeatureById(id, featureId, srs);
            byId = true;
            link.Add(new("STOREDQUERY_ID", id));
            link.Add(new("ID", featureId!));
        }
        else
        {
            var typeNames = (string?)element.Attribute("typeNames") ?? (string?)element.Attribute("typeName")
                ?? throw WfsException.Missing("TYPENAMES", "wfs:Query needs the attribute typeNames.");
            var layer = reader.ResolveType(WfsQueryReader.SingleTypeName(typeNames), p => element.GetNamespaceOfPrefix(p)?.NamespaceName, "TYPENAMES");
            link.Add(new("TYPENAMES", WfsNames.QualifiedTypeName(layer)));
            link.Add(new("NAMESPACES", $"xmlns({WfsNames.Prefix},{WfsNames.Features})"));

            var names = element.Elements().Where(e => e.Name.LocalName is "PropertyName" && e.Name.Namespace != WfsNames.Ogc).Select(e => e.Value).ToList();
            var (properties, withGeometry) = reader.PropertyNames(layer, names);
            if (names.Count > 0)
            {
                link.Add(new("PROPERTYNAME", string.Join(',', names.Select(n => n.Trim()))));
            }

            FilterExpression? expression = null;
            if (element.Elements().FirstOrDefault(e => e.Name.LocalName == "Filter") is { } filter)
            {
                expression = reader.Filter(layer, filter, srs);
                link.Add(new("FILTER", WithNamespacesInScope(filter)));
            }

            IReadOnlyList<SortKey>? sortBy = null;
            if (element.Elements().FirstOrDefault(e => e.Name.LocalName == "SortBy") is { } sort)
            {
                var keys = sort.Elements().Where(e => e.Name.LocalName == "SortProperty").Select(e =>
                {
                    var reference = e.Elements().FirstOrDefault(c => c.Name.LocalName is "ValueReference" or "PropertyName")?.Value
                        ?? throw WfsException.Invalid("SORTBY", "fes:SortProperty needs a fes:ValueReference.");
                    var order = e.Elements().FirstOrDefault(c => c.Name.LocalName == "SortOrder")?.Value.Trim();
                    return (reference.Trim(), order is not null && WfsQueryReader.SortOrder(order));
                }).ToList();
                sortBy = reader.SortBy(layer, keys);
                link.Add(new("SORTBY", string.Join(',', keys.Select(k => k.Item1 + (k.Item2 ? " DESC" : " ASC")))));
            }
            query = new WfsQuery(layer, new FeatureFilter(null, [], expression), properties, withGeometry, sortBy, srs);
            byId = false;
        }

        var count = (string?)root.Attribute("count") ?? (string?)root.Attribute("maxFeatures");
        var resultType = (string?)root.Attribute("resultType");
        var outputFormat = (string?)root.Attribute("outputFormat");
        AddIfGiven(link, "COUNT", count);
        AddIfGiven(link, "RESULTTYPE", resultType);
        AddIfGiven(link, "OUTPUTFORMAT", outputFormat);
        AddIfGiven(link, "SRSNAME", srsText);
        AddIfGiven(link, "VALUEREFERENCE", valueReference);

        var request = new GetFeatureRequest(
            query,
            reader.Count(count),
            WfsQueryReader.StartIndex((string?)root.Attribute("startIndex")),
            WfsQueryReader.Hits(resultType),
            propertyValue ? WfsOutputFormat.Gml32 : WfsQueryReader.OutputFormat(outputFormat),
            byId,
            link,
            FromPost: true);
        return valueReference is null ? request : ForValue(request, valueReference);
    }

    /// <summary>GetFeatureById: the one stored query every WFS 2.0 has; an unknown id is 404, as the standard asks.</summary>
    private WfsQuery FeatureById(string storedQuery, string? id, WfsSrs srs)
    {
        if (storedQuery.Trim() is not (WfsNames.GetFeatureById or WfsNames.GetFeatureByIdUri))
        {
            throw WfsException.Invalid("STOREDQUERY_ID", $"There is no stored query '{storedQuery}'. ListStoredQueries lists them: {WfsNames.GetFeatureById}.");
        }
        if (string.IsNullOrWhiteSpace(id))
        {
            throw WfsException.Missing("ID", "GetFeatureById needs the parameter ID: a feature's gml:id.");
        }
        if (WfsNames.SplitResourceId(id) is not var (layerId, fid) || !reader.IsLayerId(layerId))
        {
            throw WfsException.NotFound("ID", $"There is no feature '{id}'.");
        }
        var layer = reader.Layers.First(l => l.Id == layerId);
        return new WfsQuery(layer, new FeatureFilter(null, [], new IdExpression([fid])), null, true, null, srs);
    }

    /// <summary>Narrows a query to the one value GetPropertyValue returns; features without that value give no member.</summary>
    private static GetFeatureRequest ForValue(GetFeatureRequest request, string valueReference)
    {
        var query = request.Query;
        var layer = query.Layer;
        if (valueReference.Trim() is "@gml:id" or "@id" or "attribute::gml:id")
        {
            return request with { Query = query with { Properties = [], WithGeometry = false }, Value = ValueTarget.GmlId };
        }
        var step = WfsValueReference.PropertyStep(valueReference.Trim(), layer, "VALUEREFERENCE");
        return WfsValueReference.Resolve(step, layer, WfsNames.GeometryElement(layer), "VALUEREFERENCE") switch
        {
            PropertyReference p => request with
            {
                Query = query with
                {
                    Properties = [p.Name],
                    WithGeometry = false,
                    Filter = query.Filter with { Expression = Combine([.. Listed(query.Filter.Expression), new NotExpression(new IsNullExpression(p))]) },
                },
                Value = ValueTarget.Property,
            },
            _ => request with { Query = query with { Properties = [], WithGeometry = true }, Value = ValueTarget.Geometry },
        };
    }

    private static IEnumerable<FilterExpression> Listed(FilterExpression? e) => e is null ? [] : [e];

    private static string RequiredValueReference(string? text) =>
        text is null ? throw WfsException.Missing("VALUEREFERENCE")
        : text.Trim().Length == 0 ? throw WfsException.Invalid("VALUEREFERENCE", "VALUEREFERENCE is empty; name a property, the geometry or @gml:id.")
        : text;

    private static void RequireFesLanguage(string? language)
    {
        if (language is not null && language.Trim() is not (WfsQueryReader.FesLanguage or "urn:ogc:def:query Language:OGC-FES:Filter"))
        {
            throw WfsException.Invalid("FILTER_LANGUAGE", $"FILTER_LANGUAGE must be {WfsQueryReader.FesLanguage} (FES 2.0); got '{language}'.");
        }
    }

    private static FilterExpression? Combine(IReadOnlyList<FilterExpression> expressions) => expressions.Count switch
    {
        0 => null,
        1 => expressions[0],
        _ => new AndExpression(expressions),
    };

    private static void AddIfGiven(List<KeyValuePair<string, string>> link, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            link.Add(new(key, value.Trim()));
        }
    }

    /// <summary>The filter as self-contained XML text: namespace declarations of its ancestors are copied onto it.</summary>
    private static string WithNamespacesInScope(XElement filter)
    {
        var copy = new XElement(filter);
        foreach (var declaration in filter.Ancestors().SelectMany(a => a.Attributes()).Where(a => a.IsNamespaceDeclaration))
        {
            if (copy.Attribute(declaration.Name) is null)
            {
                copy.Add(new XAttribute(declaration.Name, declaration.Value));
            }
        }
        return copy.ToString(SaveOptions.DisableFormatting);
    }

    public static string? Value(IQueryCollection q, string name) =>
        q.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0] : null;
}

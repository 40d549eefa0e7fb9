using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;

namespace SpatialRegion.Api.Analysis;

/// <summary>The kinds of geometry an analysis works with; the values are PostGIS's ST_CollectionExtract codes.</summary>
public enum GeometryFamily
{
    Point = 1,
    Line = 2,
    Polygon = 3,
}

/// <summary>
/// One input of an analysis: features of a registered layer (optionally filtered) or GeoJSON sent with the
/// request. Either way it is staged into a temporary table of (fid, properties, geom in EPSG:3006, measure)
/// before any overlay runs, so the analyses never care where their features came from.
/// </summary>
public abstract record AnalysisInput(string Path, GeometryFamily Family, IReadOnlyList<LayerProperty> Properties)
{
    public LayerProperty? FindProperty(string name) => Properties.FirstOrDefault(p => p.Name == name);

    /// <summary>What the input was, for the result's metadata and a saved layer's provenance.</summary>
    public abstract JsonObject Describe(long? version);

    public static GeometryFamily FamilyOf(string geometryType) => GeoJsonSource.FamilyOf(geometryType) switch
    {
        "Point" => GeometryFamily.Point,
        "LineString" => GeometryFamily.Line,
        _ => GeometryFamily.Polygon,
    };
}

public sealed record LayerInput(string Path, Layer Layer, FeatureFilter Filter, JsonNode? FilterAsGiven)
    : AnalysisInput(Path, FamilyOf(Layer.GeometryType), Layer.Properties)
{
    public override JsonObject Describe(long? version) => new()
    {
        ["layer"] = Layer.Id,
        ["version"] = version ?? Layer.Version,
        ["filter"] = FilterAsGiven?.DeepClone(),
    };
}

public sealed record InlineInput(string Path, GeoJsonSource Source, string Sha256, int Vertices)
    : AnalysisInput(Path, FamilyOf(Source.GeometryType), Source.Properties)
{
    public override JsonObject Describe(long? version) => new()
    {
        ["geojson"] = new JsonObject
        {
            ["features"] = Source.Features.Count,
            ["vertices"] = Vertices,
            ["crs"] = $"EPSG:{Source.Srid}",
            ["sha256"] = Sha256,
        },
    };
}

/// <summary>An input together with the attributes it contributes to the result, and their prefix.</summary>
public sealed record InputWithAttributes(AnalysisInput Input, IReadOnlyList<LayerProperty> Kept, string Prefix)
{
    public IEnumerable<LayerProperty> ResultProperties => Kept.Select(p => p with { Name = Prefix + p.Name });

    public IReadOnlyList<string> KeptNames => Kept.Select(p => p.Name).ToList();

    /// <summary>Stages the input into <paramref name="table"/> with the attributes it keeps, prefixed.</summary>
    public Task StageAsync(AnalysisSession session, string table, CancellationToken ct) => session.StageAsync(table, Input, KeptNames, Prefix, ct);
}

/// <summary>Counts the vertices of all inline inputs of one request against the limit.</summary>
public sealed class InlineBudget(int maxVertices)
{
    public int Used { get; private set; }

    public void Spend(int vertices, string path)
    {
        Used += vertices;
        if (Used > maxVertices)
        {
            throw new AnalysisException(StatusCodes.Status413PayloadTooLarge, "Inline geometry too large",
                $"The inline geometries have more than {maxVertices:N0} vertices in all ({path} brings the count to {Used:N0}). "
                + "Simplify them, or import them as a layer and refer to it by id.", path);
        }
    }
}

public static class AnalysisInputs
{
    /// <summary>
    /// Reads an input: <c>{"layer": id, "filter": .., "filter_crs": .., "bbox": [..], "bbox_crs": ..}</c> or
    /// <c>{"geojson": FeatureCollection | Feature | geometry, "crs": ..}</c>; with <paramref name="withAttributes"/>
    /// also <c>"properties"</c> (which attributes to keep) and <c>"prefix"</c>.
    /// </summary>
    public static async Task<InputWithAttributes> ReadAsync(
        RequestJson spec, LayerCatalog catalog, InlineBudget budget, string? defaultPrefix, CancellationToken ct)
    {
        AnalysisInput input;
        var layerId = spec.String("layer");
        var geojson = spec.Element("geojson");
        if (layerId is not null && geojson is not null)
        {
            throw new InvalidQueryException(spec.Path, $"{spec.Path} has both 'layer' and 'geojson'; give one of them.");
        }
        if (layerId is not null)
        {
            var layer = await FindLayerAsync(catalog, layerId, spec.Member("layer"), ct);
            input = new LayerInput(spec.Path, layer, ReadFilter(spec, layer), spec.Element("filter") is { } f ? JsonNode.Parse(f.GetRawText()) : null);
        }
        else if (geojson is { } g)
        {
            foreach (var member in (string[])["filter", "filter_crs", "bbox", "bbox_crs"])
            {
                if (spec.Has(member))
                {
                    throw new InvalidQueryException(spec.Member(member), $"'{member}' applies to layer inputs; filter inline GeoJSON before sending it.");
                }
            }
            input = ReadInline(spec, g, budget);
        }
        else
        {
            throw new InvalidQueryException(spec.Path, $"{spec.Path} needs either 'layer' (a layer id) or 'geojson' (inline GeoJSON).");
        }

        IReadOnlyList<LayerProperty> kept = [];
        var prefix = "";
        if (defaultPrefix is not null)
        {
            var names = spec.Strings("properties");
            kept = names is null
                ? input.Properties
                : names.Select(n => input.FindProperty(n) ?? throw UnknownProperty(input, spec.Member("properties"), n)).Distinct().ToList();
            // "" is a prefix too (none), which RequestJson.String would refuse as empty.
            prefix = spec.Element("prefix") switch
            {
                null => defaultPrefix,
                { ValueKind: JsonValueKind.String } p => p.GetString()!,
                _ => throw new InvalidQueryException(spec.Member("prefix"), $"{spec.Member("prefix")} must be a string (\"\" for none)."),
            };
        }
        spec.RejectUnknown();
        return new InputWithAttributes(input, kept, prefix);
    }

    public static async Task<Layer> FindLayerAsync(LayerCatalog catalog, string layerId, string path, CancellationToken ct) =>
        await catalog.FindAsync(layerId, ct) ?? throw new AnalysisException(StatusCodes.Status404NotFound, "Not found",
            $"There is no layer '{layerId}' ({path}). GET /api/layers lists the layers.", path);

    public static InvalidQueryException UnknownProperty(AnalysisInput input, string path, string name) =>
        new(path, $"{input.Path} has no property '{name}'. Its properties: "
            + (input.Properties.Count == 0 ? "(none)" : string.Join(", ", input.Properties.Select(p => p.Name))) + ".");

    /// <summary>A numeric attribute of an input, as needed for sums, means and interpolated values.</summary>
    public static LayerProperty NumericProperty(AnalysisInput input, string path, string name)
    {
        var property = input.FindProperty(name) ?? throw UnknownProperty(input, path, name);
        return property.Type is LayerProperty.Integer or LayerProperty.Number
            ? property
            : throw new InvalidQueryException(path, $"Property '{name}' of {input.Path} is a {property.Type}, not a number.");
    }

    /// <summary>
    /// <c>"filter"</c> in any of the layers' filter languages: an object of property values (<c>{"LAN_KOD": "23"}</c>,
    /// a list meaning any of them), CQL2 text (<c>"LAN_KOD = '23' AND S_INTERSECTS(geometry, POINT(14.6 63.2))"</c>)
    /// or CQL2 JSON (an object with "op" and "args"); <c>"filter_crs"</c> names the CRS of CQL2 geometry literals.
    /// And <c>"bbox"</c>, in <c>"bbox_crs"</c>.
    /// </summary>
    private static FeatureFilter ReadFilter(RequestJson spec, Layer layer)
    {
        var filterCrs = spec.String("filter_crs");
        var filter = spec.Element("filter") switch
        {
            null => FeatureFilter.None,
            { } cql2 when IsCql2(cql2) => new FeatureFilter(null, [], ReadCql2(spec, layer, cql2, filterCrs)),
            { } values => new FeatureFilter(null, ReadPropertyValues(RequestJson.Of(values, spec.Member("filter")), layer)),
        };
        if (filter.Expression is null && filterCrs is not null)
        {
            throw new InvalidQueryException(spec.Member("filter_crs"), "filter_crs names the CRS of a CQL2 filter's geometries; there is no CQL2 filter.");
        }
        return filter with { Bbox = ReadBbox(spec) };
    }

    private static bool IsCql2(JsonElement filter) =>
        filter.ValueKind == JsonValueKind.String || (filter.ValueKind == JsonValueKind.Object && filter.TryGetProperty("op", out _));

    private static FilterExpression ReadCql2(RequestJson spec, Layer layer, JsonElement filter, string? filterCrs)
    {
        var crs = filterCrs is null ? CrsReference.Crs84 : QueryValues.ParseSupportedCrs(filterCrs, spec.Member("filter_crs"));
        try
        {
            var expression = filter.ValueKind == JsonValueKind.String
                ? Cql2TextParser.Parse(filter.GetString()!, new Cql2Settings(crs))
                : Cql2JsonParser.Parse(JsonNode.Parse(filter.GetRawText()), new Cql2Settings(crs));
            // Unknown properties and mismatched types surface while the SQL is built (as in the OGC API): build it
            // now, so that they are this input's 400 and not a failure halfway through the analysis.
            _ = LayerSql.Count(layer, new FeatureFilter(null, [], expression));
            return expression;
        }
        catch (InvalidQueryException e) when (e.Parameter is "filter" or "filter-crs")
        {
            throw new InvalidQueryException(e.Parameter == "filter" ? spec.Member("filter") : spec.Member("filter_crs"), e.Message);
        }
    }

    /// <summary><c>{"property": value or [values]}</c>: each on one of the layer's own attributes, typed as it is.</summary>
    private static List<PropertyEquals> ReadPropertyValues(RequestJson values, Layer layer)
    {
        var equalities = new List<PropertyEquals>();
        foreach (var member in values.AllMembers())
        {
            var path = values.Member(member.Name);
            var property = layer.FindProperty(member.Name) ?? throw new InvalidQueryException(path,
                $"Layer '{layer.Id}' has no property '{member.Name}'. Its properties: {string.Join(", ", layer.Properties.Select(p => p.Name))}.");
            var texts = member.Value.ValueKind == JsonValueKind.Array
                ? member.Value.EnumerateArray().Select(v => RequestJson.ScalarText(v, path)).ToList()
                : [RequestJson.ScalarText(member.Value, path)];
            if (texts.Count == 0)
            {
                throw new InvalidQueryException(path, $"{path} lists no values.");
            }
            try
            {
                equalities.Add(QueryValues.ParsePropertyEquals(property, texts));
            }
            catch (InvalidQueryException e)
            {
                throw new InvalidQueryException(path, e.Message);
            }
        }
        return equalities;
    }

    /// <summary><c>"bbox": [minx, miny, maxx, maxy]</c>, x (easting, longitude) first whatever <c>"bbox_crs"</c> is, as in the REST API.</summary>
    private static BboxFilter? ReadBbox(RequestJson spec)
    {
        if (spec.Element("bbox") is not { } b)
        {
            return spec.Has("bbox_crs") ? throw new InvalidQueryException(spec.Member("bbox_crs"), "bbox_crs was given without a bbox.") : null;
        }
        var path = spec.Member("bbox");
        if (b.ValueKind != JsonValueKind.Array || b.GetArrayLength() != 4)
        {
            throw new InvalidQueryException(path, $"{path} must be [minx, miny, maxx, maxy].");
        }
        var n = b.EnumerateArray().Select(v => RequestJson.NumberValue(v, path)).ToArray();
        var crs = spec.String("bbox_crs") is { } c ? QueryValues.ParseSupportedCrs(c, spec.Member("bbox_crs")) : CrsReference.Crs84;
        return QueryValues.ValidateBox(n[0], n[1], n[2], n[3], crs.Srid, path);
    }

    private static InlineInput ReadInline(RequestJson spec, JsonElement geojson, InlineBudget budget)
    {
        var path = spec.Member("geojson");
        var srid = 4326;
        if (spec.String("crs") is { } crsText)
        {
            srid = CrsReference.Parse(crsText)?.Srid ?? throw new InvalidQueryException(spec.Member("crs"),
                $"Unknown CRS '{crsText}'. Name it as EPSG:<code>, urn:ogc:def:crs:EPSG::<code> or an OGC CRS URI.");
        }
        if (geojson.ValueKind != JsonValueKind.Object || !geojson.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw new InvalidQueryException(path, $"{path} must be a GeoJSON object with a \"type\": a FeatureCollection, a Feature or a geometry.");
        }

        GeoJsonSource source;
        try
        {
            source = type.GetString() == "FeatureCollection"
                ? GeoJsonSource.Read(geojson, path, keyProperty: null, mergeByKey: false, progress: null, srid)
                : ReadWrapped(geojson, type.GetString()!, path, srid);
        }
        catch (ImportException e)
        {
            throw new InvalidQueryException(path, e.Message);
        }
        if (source.Rejected > 0)
        {
            throw new InvalidQueryException(path, $"{path} has {source.Rejected} feature(s) without a geometry.");
        }

        var vertices = source.Features.Sum(f => f.Geometry!.NumPoints);
        budget.Spend(vertices, path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(geojson.GetRawText())));
        return new InlineInput(spec.Path, source, sha, vertices);
    }

    /// <summary>A single Feature or a bare geometry, read as a collection of one.</summary>
    private static GeoJsonSource ReadWrapped(JsonElement geojson, string type, string path, int srid)
    {
        var feature = type == "Feature"
            ? geojson.GetRawText()
            : $$"""{"type":"Feature","properties":{},"geometry":{{geojson.GetRawText()}}}""";
        var crs = geojson.TryGetProperty("crs", out var c) ? "\"crs\":" + c.GetRawText() + "," : "";
        using var wrapped = JsonDocument.Parse($$"""{"type":"FeatureCollection",{{crs}}"features":[{{feature}}]}""",
            JsonInput.Document);
        return GeoJsonSource.Read(wrapped.RootElement, path, keyProperty: null, mergeByKey: false, progress: null, srid);
    }
}

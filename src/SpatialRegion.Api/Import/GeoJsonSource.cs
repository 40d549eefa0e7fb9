using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Import;

/// <summary>One feature as read from a file: its id, its properties as JSON text, and its geometry (null when
/// the feature has none, which is rejected later).</summary>
public sealed record SourceFeature(int Position, string Id, string PropertiesJson, Geometry? Geometry);

/// <summary>
/// Reads and checks a GeoJSON FeatureCollection before anything touches the database: structure, CRS, key
/// property, geometry types, coordinate ranges and duplicate ids. Every problem is an <see cref="ImportException"/>
/// that names the feature.
/// </summary>
public sealed class GeoJsonSource
{
    public required int Srid { get; init; }
    public required string GeometryType { get; init; }
    public required IReadOnlyList<SourceFeature> Features { get; init; }
    public required IReadOnlyList<LayerProperty> Properties { get; init; }
    public required int Rejected { get; init; }

    /// <summary>Deeper than request JSON: a layer file is data, not a request; geometries themselves are read by
    /// the GeoJSON converters within <see cref="Http.JsonInput.MaxDepth"/>, so no GeometryCollection nests past that.</summary>
    private const int MaxDepth = 256;

    public static async Task<GeoJsonSource> ReadAsync(
        Stream stream, string name, string? keyProperty, bool mergeByKey, Action<string>? progress, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(stream, new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false }, ct);
        }
        catch (JsonException e)
        {
            throw new ImportException($"{name} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }

        using (document)
        {
            return Read(document.RootElement, name, keyProperty, mergeByKey, progress);
        }
    }

    /// <summary>Checks a FeatureCollection already parsed (a file, or GeoJSON sent inline with a request);
    /// <paramref name="name"/> is how messages refer to it, <paramref name="defaultSrid"/> the CRS when it names none.</summary>
    public static GeoJsonSource Read(
        JsonElement root, string name, string? keyProperty, bool mergeByKey, Action<string>? progress, int defaultSrid = 4326)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
            || type.GetString() != "FeatureCollection")
        {
            throw new ImportException($"{name} is not a GeoJSON FeatureCollection (its \"type\" must be \"FeatureCollection\").");
        }
        if (!root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException($"{name} has no \"features\" array.");
        }

        var srid = ReadCrs(root, defaultSrid);
        var serializer = new JsonSerializerOptions { Converters = { new GeoJsonConverterFactory(new GeometryFactory(new PrecisionModel(), srid)) } };
        var total = features.GetArrayLength();
        var read = new List<SourceFeature>(total);
        var schema = new PropertySchema();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var useFeatureIds = keyProperty is null && features.EnumerateArray().All(f => f.ValueKind == JsonValueKind.Object
            && f.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number);
        string? family = null;
        var rejected = 0;
        var position = 0;

        foreach (var feature in features.EnumerateArray())
        {
            position++;
            if (feature.ValueKind != JsonValueKind.Object
                || !feature.TryGetProperty("type", out var ft) || ft.ValueKind != JsonValueKind.String || ft.GetString() != "Feature")
            {
                throw new ImportException($"Feature #{position} is not a GeoJSON Feature object.");
            }

            var properties = feature.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            if (feature.TryGetProperty("properties", out var pp) && pp.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                throw new ImportException($"Feature #{position}: \"properties\" must be an object or null.");
            }

            var id = FeatureId(feature, properties, keyProperty, useFeatureIds, position);
            if (seen.TryGetValue(id, out var first) && !mergeByKey)
            {
                throw new ImportException(keyProperty is null
                    ? $"Features #{first} and #{position} have the same id '{id}'."
                    : $"Features #{first} and #{position} have the same {keyProperty} '{id}'. Import with merging by key to join parts of one feature.");
            }
            seen.TryAdd(id, position);

            var geometry = ReadGeometry(feature, serializer, position);
            if (geometry is null || geometry.IsEmpty)
            {
                rejected++;
                continue;
            }
            var geometryFamily = Family(geometry)
                ?? throw new ImportException($"Feature #{position} has a {geometry.GeometryType}; only points, lines and polygons (and their Multi forms) can be a layer.");
            if (family is null)
            {
                family = geometryFamily;
            }
            else if (family != geometryFamily)
            {
                throw new ImportException($"Feature #{position} is a {geometry.GeometryType} but earlier features are {family}s; a layer holds one kind of geometry.");
            }
            CheckCoordinates(geometry, srid, position);

            var propertiesJson = properties.ValueKind == JsonValueKind.Object ? properties.GetRawText() : "{}";
            if (properties.ValueKind == JsonValueKind.Object)
            {
                schema.Observe(properties);
            }
            read.Add(new SourceFeature(position, id, propertiesJson, geometry));

            if (total >= 20_000 && position % 10_000 == 0)
            {
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"  read {position:N0} of {total:N0} features"));
            }
        }

        if (read.Count == 0)
        {
            throw new ImportException($"{name} has no features with a geometry.");
        }

        var geometryType = family switch
        {
            "Point" => read.Any(f => f.Geometry is MultiPoint) ? "MultiPoint" : "Point",
            "LineString" => "MultiLineString",
            _ => "MultiPolygon",
        };
        return new GeoJsonSource
        {
            Srid = srid,
            GeometryType = geometryType,
            Features = read,
            Properties = schema.ToList(),
            Rejected = rejected,
        };
    }

    public static string FamilyOf(string geometryType) => geometryType switch
    {
        "Point" or "MultiPoint" => "Point",
        "LineString" or "MultiLineString" => "LineString",
        _ => "Polygon",
    };

    /// <summary>RFC 7946 files have no "crs" member and are WGS 84 lon/lat. Older files name their CRS; GeoJSON
    /// coordinates are x (easting, longitude) first whatever that name says, as GDAL reads them too.</summary>
    private static int ReadCrs(JsonElement root, int defaultSrid)
    {
        if (!root.TryGetProperty("crs", out var crs) || crs.ValueKind == JsonValueKind.Null)
        {
            return defaultSrid;
        }
        if (crs.ValueKind == JsonValueKind.Object
            && crs.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "name"
            && crs.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object
            && props.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            var parsed = CrsReference.Parse(name.GetString());
            return parsed?.Srid ?? throw new ImportException($"Unknown CRS '{name.GetString()}'. Name it as EPSG:<code>, urn:ogc:def:crs:EPSG::<code> or an OGC CRS URI.");
        }
        throw new ImportException($"Unknown CRS {crs.GetRawText()}: a \"crs\" member must be {{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::<code>\"}}}}.");
    }

    private static string FeatureId(JsonElement feature, JsonElement properties, string? keyProperty, bool useFeatureIds, int position)
    {
        if (keyProperty is not null)
        {
            if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(keyProperty, out var key)
                || key.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                throw new ImportException($"Feature #{position} has no value for the key property '{keyProperty}'.");
            }
            var text = key.ValueKind == JsonValueKind.String ? key.GetString()! : key.GetRawText();
            return text.Length > 0 ? text : throw new ImportException($"Feature #{position} has an empty '{keyProperty}'.");
        }
        if (useFeatureIds)
        {
            var id = feature.GetProperty("id");
            return id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText();
        }
        return position.ToString(CultureInfo.InvariantCulture);
    }

    private static Geometry? ReadGeometry(JsonElement feature, JsonSerializerOptions serializer, int position)
    {
        if (!feature.TryGetProperty("geometry", out var g) || g.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        try
        {
            return g.Deserialize<Geometry>(serializer);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or FormatException)
        {
            throw new ImportException($"Feature #{position} has a malformed geometry: {e.Message}", e);
        }
    }

    private static string? Family(Geometry geometry) => geometry switch
    {
        Point or MultiPoint => "Point",
        LineString or MultiLineString => "LineString",
        Polygon or MultiPolygon => "Polygon",
        _ => null,
    };

    private static void CheckCoordinates(Geometry geometry, int srid, int position)
    {
        foreach (var c in geometry.Coordinates)
        {
            if (!double.IsFinite(c.X) || !double.IsFinite(c.Y))
            {
                throw new ImportException($"Feature #{position} has a coordinate that is not a finite number.");
            }
            if (srid == 4326 && (c.X < -180 || c.X > 180 || c.Y < -90 || c.Y > 90))
            {
                throw new ImportException(string.Create(CultureInfo.InvariantCulture,
                    $"Feature #{position} has the coordinate ({c.X}, {c.Y}), outside longitude -180..180 / latitude -90..90. Is the file in another CRS without saying so?"));
            }
        }
    }

    /// <summary>Infers a JSON type per property over all features: integer, number, boolean or string
    /// (mixed kinds fall back to string, a number-only column with fractions is number).</summary>
    private sealed class PropertySchema
    {
        private readonly List<string> _order = [];
        private readonly Dictionary<string, string?> _types = new(StringComparer.Ordinal);

        public void Observe(JsonElement properties)
        {
            foreach (var property in properties.EnumerateObject())
            {
                if (!_types.TryGetValue(property.Name, out var known))
                {
                    _order.Add(property.Name);
                    known = null;
                }
                var observed = property.Value.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.Number => property.Value.TryGetInt64(out _) ? LayerProperty.Integer : LayerProperty.Number,
                    JsonValueKind.True or JsonValueKind.False => LayerProperty.Boolean,
                    _ => LayerProperty.String,
                };
                _types[property.Name] = Combine(known, observed);
            }
        }

        public List<LayerProperty> ToList() => _order.Select(n => new LayerProperty(n, _types[n] ?? LayerProperty.String)).ToList();

        private static string? Combine(string? a, string? b) => (a, b) switch
        {
            (null, _) => b,
            (_, null) => a,
            _ when a == b => a,
            (LayerProperty.Integer, LayerProperty.Number) or (LayerProperty.Number, LayerProperty.Integer) => LayerProperty.Number,
            _ => LayerProperty.String,
        };
    }
}

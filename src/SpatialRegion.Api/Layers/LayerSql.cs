using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers.Filtering;

namespace SpatialRegion.Api.Layers;

/// <summary>
/// Every feature query is built here. Identifiers are fixed column names of layer_features; everything taken
/// from a request or from layer metadata travels as a parameter ($n), never as SQL text.
/// </summary>
public static class LayerSql
{
    // json_build_object takes at most 100 arguments; wider layers fall back to the stored jsonb.
    private const int MaxOrderedProperties = 50;

    public static NpgsqlBatchCommand Items(Layer layer, FeatureQuery query)
    {
        var cmd = new NpgsqlBatchCommand();
        var sql = new StringBuilder("SELECT fid, ");
        var from = " FROM layer_features";
        if (query.Encoding == FeatureEncoding.Gml32)
        {
            foreach (var property in SelectedProperties(layer, query.Properties))
            {
                sql.Append("stored ->> ").Append(Add(cmd.Parameters, property.Name, NpgsqlDbType.Text)).Append(", ");
            }
            sql.Append(query.WithGeometry ? GmlGeometryExpression(layer, query.Output) : "NULL::text");
            // A column per property: the stored properties are read once per feature for all of them (see
            // ReadOnce), at the cost of reading them also for rows a sort then leaves out.
            from += ReadOnceJoin;
        }
        else
        {
            sql.Append(PropertiesExpression(layer, query.Properties, cmd.Parameters)).Append(", ");
            sql.Append(query.WithGeometry ? GeometryExpression(query.Output) : "NULL::text");
        }
        sql.Append(from);
        sql.Append(Where(layer, query.Filter, cmd.Parameters));
        sql.Append(OrderBy(layer, query.SortBy, cmd.Parameters));
        sql.Append(" LIMIT ").Append(Add(cmd.Parameters, query.Limit, NpgsqlDbType.Integer));
        sql.Append(" OFFSET ").Append(Add(cmd.Parameters, query.Offset, NpgsqlDbType.Integer));
        cmd.CommandText = sql.ToString();
        return cmd;
    }

    public static NpgsqlBatchCommand Count(Layer layer, FeatureFilter filter)
    {
        var cmd = new NpgsqlBatchCommand();
        cmd.CommandText = "SELECT count(*) FROM layer_features" + Where(layer, filter, cmd.Parameters);
        return cmd;
    }

    public static NpgsqlBatchCommand ById(Layer layer, string featureId, GeometryOutput output, IReadOnlyList<string>? properties)
    {
        var cmd = new NpgsqlBatchCommand();
        var select = $"SELECT fid, {PropertiesExpression(layer, properties, cmd.Parameters)}, {GeometryExpression(output)} FROM layer_features";
        cmd.CommandText = select + " WHERE layer_id = " + Add(cmd.Parameters, layer.Id, NpgsqlDbType.Text)
            + " AND fid = " + Add(cmd.Parameters, featureId, NpgsqlDbType.Text);
        return cmd;
    }

    /// <summary>The rendering kept with each feature (schema 0040): GeoJSON, WGS 84, longitude first, 7 decimals.</summary>
    public static GeometryOutput StoredGeoJsonOutput { get; } = new(4326, NorthingFirst: false, Decimals: 7);

    /// <summary>The rendering kept with each feature (schema 0040): GML 3.2, EPSG:3006, northing first, 3 decimals.</summary>
    public static GeometryOutput StoredGmlOutput { get; } = new(3006, NorthingFirst: true, Decimals: 3);

    /// <summary>The feature's geometry as GeoJSON text. Option 0 keeps PostGIS from adding a "crs" member to each geometry.</summary>
    public static string GeometryExpression(GeometryOutput output)
    {
        if (output == StoredGeoJsonOutput)
        {
            return "geojson_wgs84";
        }
        var geometry = GeometryIn(output.Srid);
        if (output.NorthingFirst)
        {
            geometry = $"ST_FlipCoordinates({geometry})";
        }
        return string.Create(CultureInfo.InvariantCulture, $"ST_AsGeoJSON({geometry}, {output.Decimals}, 0)");
    }

    /// <summary>The geometry in an output CRS: the two stored columns, or a transform of the WGS 84 one.</summary>
    private static string GeometryIn(int srid) => srid switch
    {
        4326 => "geom_wgs84",
        3006 => "geom",
        _ => string.Create(CultureInfo.InvariantCulture, $"ST_Transform(geom_wgs84, {srid})"),
    };

    /// <summary>The layer's properties that a query selects, always in the layer's own order (a GML application
    /// schema fixes the order of the elements; a property list in a request only chooses among them).</summary>
    public static IReadOnlyList<LayerProperty> SelectedProperties(Layer layer, IReadOnlyList<string>? selected) =>
        selected is null ? layer.Properties : layer.Properties.Where(p => selected.Contains(p.Name)).ToList();

    /// <summary>
    /// The feature's geometry as GML 3.2 text. PostGIS writes no srsName when the SRID is 0 (the writer puts in
    /// the name in the form the client asked for, which PostGIS cannot spell for OGC http URIs) and repeats the one
    /// gml:id it is given on every member of a multi-geometry, which GML forbids, so the id is a placeholder "@"
    /// that the writer numbers. Option 2 drops srsDimension (always 2 here); option 16 writes the second axis
    /// first, which is how northing-first and latitude-first CRSs are written.
    /// </summary>
    private static string GmlGeometryExpression(Layer layer, GeometryOutput output)
    {
        if (output == StoredGmlOutput)
        {
            return "gml_3006";
        }
        var geometry = GeometryIn(output.Srid);
        // The schema declares Multi* layers as such; a stray GeometryCollection wrapping the parts must not
        // reach a client as gml:MultiGeometry.
        var dimension = layer.GeometryType switch { "MultiPoint" => 1, "MultiLineString" => 2, "MultiPolygon" => 3, _ => 0 };
        if (dimension > 0)
        {
            geometry = string.Create(CultureInfo.InvariantCulture, $"ST_Multi(ST_CollectionExtract({geometry}, {dimension}))");
        }
        var options = 2 | (output.NorthingFirst ? 16 : 0);
        return string.Create(CultureInfo.InvariantCulture, $"ST_AsGML(3, ST_SetSRID({geometry}, 0), {output.Decimals}, {options}, 'gml', '@')");
    }

    /// <summary>
    /// A feature's stored properties read once, as <c>stored</c>, for all the names a page asks of them.
    /// <c>properties -> name</c> for each name detoasts (decompresses) a compressed jsonb again for every name;
    /// <c>|| '{}'</c> in a subquery that is not flattened (OFFSET 0) detoasts it once. The measures (29 properties,
    /// most stored compressed): a GeoJSON page of 63 took 12 ms of SQL before and 5 ms after, a GML page 9.5 and 4.4.
    /// </summary>
    private const string ReadOnce = "(SELECT properties || '{}'::jsonb AS stored OFFSET 0) AS read_once";

    private const string ReadOnceJoin = " CROSS JOIN LATERAL " + ReadOnce;

    /// <summary>The properties as JSON text in the layer's own order (jsonb would sort the keys by length).</summary>
    private static string PropertiesExpression(Layer layer, IReadOnlyList<string>? selected, NpgsqlParameterCollection parameters)
    {
        var names = selected ?? layer.Properties.Select(p => p.Name).ToList();
        if (names.Count == 0)
        {
            return "'{}'";
        }
        if (names.Count > MaxOrderedProperties)
        {
            if (selected is null)
            {
                return "properties::text";
            }
            var dropped = layer.Properties.Select(p => p.Name).Except(selected, StringComparer.Ordinal).ToArray();
            return $"(properties - {Add(parameters, dropped, NpgsqlDbType.Array | NpgsqlDbType.Text)})::text";
        }
        var pairs = names.Select(n =>
        {
            var p = Add(parameters, n, NpgsqlDbType.Text);
            return $"{p}, stored -> {p}";
        });
        return $"(SELECT json_build_object({string.Join(", ", pairs)}) FROM {ReadOnce})::text";
    }

    /// <summary>" WHERE layer_id = … AND …" for a layer and a filter; the analyses use it to read their layer inputs.</summary>
    public static string Where(Layer layer, FeatureFilter filter, NpgsqlParameterCollection parameters)
    {
        var sql = new StringBuilder(" WHERE layer_id = ").Append(Add(parameters, layer.Id, NpgsqlDbType.Text));
        if (filter.Bbox is { } bbox)
        {
            var (column, srid) = bbox.Srid == 3006 ? ("geom", 3006) : ("geom_wgs84", 4326);
            var (minX, minY, maxX, maxY) = bbox.Srid == 3857 ? WebMercatorToLonLat(bbox) : (bbox.MinX, bbox.MinY, bbox.MaxX, bbox.MaxY);
            sql.Append(CultureInfo.InvariantCulture, $" AND ST_Intersects({column}, ST_MakeEnvelope(")
                .Append(Add(parameters, minX, NpgsqlDbType.Double)).Append(", ")
                .Append(Add(parameters, minY, NpgsqlDbType.Double)).Append(", ")
                .Append(Add(parameters, maxX, NpgsqlDbType.Double)).Append(", ")
                .Append(Add(parameters, maxY, NpgsqlDbType.Double))
                .Append(CultureInfo.InvariantCulture, $", {srid}))");
        }
        foreach (var equals in filter.Equalities)
        {
            // Containment (@>) compares numbers numerically and strings exactly, and is served by a GIN index where one exists.
            var alternatives = equals.Values.Select(v =>
            {
                var document = new JsonObject { [equals.Property] = v.DeepClone() };
                return "properties @> " + Add(parameters, document.ToJsonString(), NpgsqlDbType.Jsonb);
            });
            sql.Append(" AND (").Append(string.Join(" OR ", alternatives)).Append(')');
        }
        if (filter.Expression is { } expression)
        {
            sql.Append(" AND ").Append(FilterSql.Emit(expression, layer, parameters));
        }
        return sql.ToString();
    }

    private static string OrderBy(Layer layer, IReadOnlyList<SortKey>? sortBy, NpgsqlParameterCollection parameters)
    {
        if (sortBy is null || sortBy.Count == 0)
        {
            return " ORDER BY fid";
        }
        var keys = sortBy.Select(k =>
        {
            var property = layer.FindProperty(k.Property) ?? throw new InvalidQueryException("sortby",
                $"Layer '{layer.Id}' has no property '{k.Property}' to sort by. Its properties: {string.Join(", ", layer.Properties.Select(p => p.Name))}.");
            var name = Add(parameters, property.Name, NpgsqlDbType.Text);
            var value = property.Type switch
            {
                LayerProperty.Integer or LayerProperty.Number => $"(properties ->> {name})::numeric",
                LayerProperty.Boolean => $"(properties ->> {name})::boolean",
                _ => $"(properties ->> {name}) COLLATE \"C\"",
            };
            return value + (k.Descending ? " DESC NULLS LAST" : " ASC NULLS LAST");
        });
        return " ORDER BY " + string.Join(", ", keys) + ", fid";
    }

    private static (double, double, double, double) WebMercatorToLonLat(BboxFilter b)
    {
        var (minLon, minLat) = WebMercator.ToLonLat(b.MinX, b.MinY);
        var (maxLon, maxLat) = WebMercator.ToLonLat(b.MaxX, b.MaxY);
        return (minLon, minLat, maxLon, maxLat);
    }

    /// <summary>Adds a typed parameter and answers its placeholder ($n).</summary>
    public static string Add(NpgsqlParameterCollection parameters, object value, NpgsqlDbType type)
    {
        parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
        return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
    }
}

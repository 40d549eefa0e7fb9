using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;

namespace SpatialRegion.Api.Ogc;

/// <summary>
/// The OGC API reading of an items request. Unlike the REST API, coordinates follow each CRS's own axis order
/// (Part 2): EPSG:3006 and EPSG:4326 named by URI are northing/latitude first, CRS84 is longitude first; this
/// holds for crs, bbox-crs and filter-crs alike. Repeated parameters count once (the first), as clients that
/// rebuild next links sometimes send them twice. Everything is validated here, before the first byte is sent.
/// </summary>
public static class OgcItemsQuery
{
    public static readonly string[] Parameters =
        ["f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "properties", "sortby", "filter", "filter-lang", "filter-crs"];

    public static FeatureQuery Parse(Layer layer, IQueryCollection q, SpatialRegionOptions options)
    {
        var crs = First(q, "crs") is { } crsText ? QueryValues.ParseSupportedCrs(crsText, "crs") : CrsReference.Crs84;
        var query = new FeatureQuery(
            ParseFilter(layer, q, Parameters),
            QueryValues.ParseLimit(First(q, "limit"), options.DefaultPageSize, options.MaxPageSize, clampToMax: true),
            QueryValues.ParseOffset(First(q, "offset")),
            OutputFor(crs),
            First(q, "properties") is { } p ? QueryValues.ParsePropertyList(layer, p) : null,
            First(q, "sortby") is { } s ? ParseSortBy(layer, s) : null);
        return query;
    }

    /// <summary>
    /// The selection part of a request (bbox when <paramref name="parameters"/> names it, datetime, filter, and
    /// name=value on the layer's own properties), shared by items and tiles so that a filter selects the same
    /// features in both. Any other name that is neither in <paramref name="parameters"/> nor a property is refused.
    /// </summary>
    public static FeatureFilter ParseFilter(Layer layer, IQueryCollection q, IReadOnlyCollection<string> parameters)
    {
        // PostgreSQL text cannot hold NUL: a value with one would fail in the database instead of here.
        foreach (var (name, values) in q)
        {
            if (values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true))
            {
                throw new InvalidQueryException(name, $"{name} contains a NUL character (%00), which no value can hold.");
            }
        }
        // Part 3 queryables as query parameters: name=value on the layer's own properties.
        var equals = QueryValues.ParsePropertyEqualities(layer, q, parameters);

        var conditions = new List<FilterExpression>();
        var bbox = parameters.Contains("bbox") ? ParseBbox(q, conditions) : null;
        if (First(q, "datetime") is { } datetime)
        {
            conditions.Add(ParseDatetime(layer, datetime));
        }
        if (First(q, "filter") is { } filterText)
        {
            conditions.Add(ParseFilter(q, filterText));
        }
        else if (q.ContainsKey("filter-lang") || q.ContainsKey("filter-crs"))
        {
            throw new InvalidQueryException(q.ContainsKey("filter-lang") ? "filter-lang" : "filter-crs", "filter-lang and filter-crs need a filter.");
        }

        var filter = new FeatureFilter(bbox, equals, conditions.Count switch { 0 => null, 1 => conditions[0], _ => new AndExpression(conditions) });

        // Type errors in a filter (a text compared with a number, an unknown queryable) surface while the SQL is
        // built; build it now so that they are a 400 and not a failure halfway through a response.
        _ = LayerSql.Count(layer, filter);
        return filter;
    }

    public static GeometryOutput OutputFor(CrsReference crs) =>
        new(crs.Srid, crs.DefinitionIsNorthingFirst, OutputCrs.Decimals(crs.Srid));

    public static string? First(IQueryCollection q, string name) => q[name] is { Count: > 0 } v ? v[0] : null;

    private static BboxFilter? ParseBbox(IQueryCollection q, List<FilterExpression> conditions)
    {
        var crs = First(q, "bbox-crs") is { } crsText ? QueryValues.ParseSupportedCrs(crsText, "bbox-crs") : CrsReference.Crs84;
        if (First(q, "bbox") is not { } text)
        {
            return q.ContainsKey("bbox-crs") ? throw new InvalidQueryException("bbox-crs", "bbox-crs was given without a bbox.") : null;
        }
        var n = QueryValues.ParseBboxNumbers(text);
        var (minX, minY, maxX, maxY) = crs.DefinitionIsNorthingFirst ? (n[1], n[0], n[3], n[2]) : (n[0], n[1], n[2], n[3]);
        if (crs.Srid == 4326 && minX > maxX && minX <= 180 && maxX >= -180)
        {
            // A box across the antimeridian (Part 1, 7.15.3): west edge east of the east edge. Two boxes, either side.
            QueryValues.ValidateBox(minX, minY, 180, maxY, 4326);
            QueryValues.ValidateBox(-180, minY, maxX, maxY, 4326);
            var settings = new Cql2Settings(CrsReference.Crs84);
            conditions.Add(new OrExpression([
                new SpatialPredicate(SpatialOperator.Intersects, new LayerGeometry(), settings.Box([minX, minY, 180, maxY], m => new InvalidQueryException("bbox", m))),
                new SpatialPredicate(SpatialOperator.Intersects, new LayerGeometry(), settings.Box([-180, minY, maxX, maxY], m => new InvalidQueryException("bbox", m))),
            ]));
            return null;
        }
        return QueryValues.ValidateBox(minX, minY, maxX, maxY, crs.Srid);
    }

    private static FilterExpression ParseFilter(IQueryCollection q, string text)
    {
        var filterCrs = First(q, "filter-crs") is { } crsText ? QueryValues.ParseSupportedCrs(crsText, "filter-crs") : CrsReference.Crs84;
        var settings = new Cql2Settings(filterCrs);
        return (First(q, "filter-lang") ?? "cql2-text") switch
        {
            "cql2-text" => Cql2TextParser.Parse(text, settings),
            "cql2-json" => Cql2JsonParser.Parse(text, settings),
            var other => throw new InvalidQueryException("filter-lang", $"Unsupported filter-lang '{other}'. Use cql2-text (the default) or cql2-json."),
        };
    }

    /// <summary>sortby=+a,-b,c (Part 1 sorting extension as drafted; '+' may arrive as a space).</summary>
    private static List<SortKey> ParseSortBy(Layer layer, string text)
    {
        var keys = new List<SortKey>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var descending = raw.StartsWith('-');
            var name = raw.TrimStart('+', '-', ' ');
            if (layer.FindProperty(name) is null)
            {
                throw new InvalidQueryException("sortby",
                    $"Collection '{layer.Id}' has no property '{name}' to sort by. Its properties: {string.Join(", ", layer.Properties.Select(p => p.Name))}.");
            }
            keys.Add(new SortKey(name, descending));
        }
        return keys.Count > 0 ? keys : throw new InvalidQueryException("sortby", "sortby names no property.");
    }

    /// <summary>datetime (Part 1, 7.15.4): an instant, or an interval a/b where either end may be '..' or empty.
    /// A date without a time means the whole day.</summary>
    public static FilterExpression ParseDatetime(Layer layer, string text)
    {
        if (layer.TimeProperty is not { } property)
        {
            throw new InvalidQueryException("datetime", $"Collection '{layer.Id}' has no time property, so it cannot be filtered by datetime.");
        }
        var reference = new PropertyReference(property);
        var end = layer.TimeEndProperty is { } endProperty ? new PropertyReference(endProperty) : null;
        var parts = text.Split('/');
        if (parts.Length == 1)
        {
            var (from, until) = Instant(parts[0]);
            return new TimeInterval(reference, from, until, end);
        }
        if (parts.Length != 2 || (Open(parts[0]) && Open(parts[1])))
        {
            throw new InvalidQueryException("datetime", $"datetime must be an instant or an interval start/end with at most one open end ('..'); got '{text}'.");
        }
        DateTimeOffset? start = Open(parts[0]) ? null : Instant(parts[0]).From;
        DateTimeOffset? finish = Open(parts[1]) ? null : Instant(parts[1]).Until;
        if (start > finish)
        {
            throw new InvalidQueryException("datetime", $"datetime interval '{text}' ends before it starts.");
        }
        return new TimeInterval(reference, start, finish, end);
    }

    private static bool Open(string s) => s is "" or "..";

    private static (DateTimeOffset From, DateTimeOffset Until) Instant(string s)
    {
        if (Cql2.TryParseDate(s, out var date))
        {
            var from = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            // PostgreSQL keeps microseconds: the last one of the day.
            return (from, from.AddDays(1).AddTicks(-10));
        }
        return Cql2.TryParseTimestamp(s, out var instant)
            ? (instant, instant)
            : throw new InvalidQueryException("datetime", $"'{s}' is not an RFC 3339 date or date-time (2024-12-31 or 2024-12-31T12:00:00Z).");
    }
}

using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// The request bodies as the OpenAPI document shows them. The endpoints read the JSON themselves
/// (<see cref="RequestJson"/>), so that every error names the member at fault; these records only describe it.
/// </summary>
public static class AnalysisSchemas
{
    [Description("A layer of the registry, optionally filtered, or GeoJSON sent with the request.")]
    public sealed record Input(
        [property: JsonPropertyName("layer"), Description("Layer id, as listed by GET /api/layers.")] string? Layer = null,
        [property: JsonPropertyName("filter"), Description("Property values {\"LAN_KOD\": \"23\"} (a list: any of them), CQL2 text, or CQL2 JSON.")] JsonNode? Filter = null,
        [property: JsonPropertyName("filter_crs"), Description("CRS of geometry literals in a CQL2 filter (default CRS84).")] string? FilterCrs = null,
        [property: JsonPropertyName("bbox"), Description("[minx, miny, maxx, maxy], x = easting/longitude first.")] double[]? Bbox = null,
        [property: JsonPropertyName("bbox_crs"), Description("CRS of bbox: EPSG:4326 (default), EPSG:3006 or EPSG:3857.")] string? BboxCrs = null,
        [property: JsonPropertyName("geojson"), Description("A FeatureCollection, Feature or geometry instead of a layer.")] JsonNode? GeoJson = null,
        [property: JsonPropertyName("crs"), Description("CRS of the inline GeoJSON when it names none (default WGS 84 lon/lat).")] string? Crs = null,
        [property: JsonPropertyName("properties"), Description("Attributes to keep in the result (default all; [] none).")] string[]? Properties = null,
        [property: JsonPropertyName("prefix"), Description("Prefix of the kept attributes (overlay: a_ and b_).")] string? Prefix = null);

    [Description("Keep the result as a layer of kind \"analysis\" (editor role): an id, or {id, title, description, replace}.")]
    public sealed record SaveAs(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("title")] string? Title = null,
        [property: JsonPropertyName("description")] string? Description = null,
        [property: JsonPropertyName("replace"), Description("Replace an earlier result of that id.")] bool? Replace = null);

    public sealed record OverlayRequest(
        [property: JsonPropertyName("operation"), Description("intersection, union, difference, symmetric_difference, identity or clip.")] string Operation,
        [property: JsonPropertyName("a")] Input A,
        [property: JsonPropertyName("b"), Description("Needed by every operation but union.")] Input? B = null,
        [property: JsonPropertyName("dissolve"), Description("Merge the result into one feature (default for union of a alone).")] bool? Dissolve = null,
        [property: JsonPropertyName("dissolve_by"), Description("Merge the result by these (prefixed) attributes.")] string[]? DissolveBy = null,
        [property: JsonPropertyName("output_crs"), Description("EPSG:4326 (default), EPSG:3006 or EPSG:3857.")] string? OutputCrs = null,
        [property: JsonPropertyName("save_as")] SaveAs? SaveAs = null);

    public sealed record Statistic(
        [property: JsonPropertyName("op"), Description("count, sum, mean, min or max.")] string Op,
        [property: JsonPropertyName("property"), Description("A numeric attribute of the source (not for count).")] string? Property = null,
        [property: JsonPropertyName("as"), Description("Name of the result attribute.")] string? As = null);

    public sealed record Join(
        [property: JsonPropertyName("source")] Input Source,
        [property: JsonPropertyName("predicate"), Description("contains (default), intersects, or centroid (each source to one target).")] string? Predicate = null,
        [property: JsonPropertyName("statistics"), Description("Default: a count.")] Statistic[]? Statistics = null);

    public sealed record Ratio(
        [property: JsonPropertyName("as")] string As,
        [property: JsonPropertyName("numerator")] string Numerator,
        [property: JsonPropertyName("denominator")] string Denominator,
        [property: JsonPropertyName("per"), Description("Multiplier, e.g. 10000 for per 10 000 inhabitants.")] double? Per = null);

    public sealed record SpatialJoinRequest(
        [property: JsonPropertyName("target"), Description("The polygons to summarise in.")] Input Target,
        [property: JsonPropertyName("joins")] Join[] Joins,
        [property: JsonPropertyName("ratios")] Ratio[]? Ratios = null,
        [property: JsonPropertyName("output_crs")] string? OutputCrs = null,
        [property: JsonPropertyName("save_as")] SaveAs? SaveAs = null);

    public sealed record Variable(
        [property: JsonPropertyName("type"), Description("extensive (counts, sums: totals kept) or intensive (rates, means).")] string Type,
        [property: JsonPropertyName("name"), Description("Name of the result attribute (default: the property).")] string? Name = null,
        [property: JsonPropertyName("property"), Description("A numeric attribute of the source ...")] string? Property = null,
        [property: JsonPropertyName("values"), Description("... or the values by source feature id: {\"2380\": 64979}.")] Dictionary<string, double>? Values = null);

    public sealed record InterpolationRequest(
        [property: JsonPropertyName("source"), Description("Polygons the values are given for.")] Input Source,
        [property: JsonPropertyName("target"), Description("Polygons to estimate them for.")] Input Target,
        [property: JsonPropertyName("variables")] Variable[] Variables,
        [property: JsonPropertyName("weights"), Description("area (default), population_grid, tatorter, or {\"layer\", \"property\", \"filter\"}.")] JsonNode? Weights = null,
        [property: JsonPropertyName("allocate_total"), Description("Extensive values spread whole over the targets (default true, as tobler).")] bool? AllocateTotal = null,
        [property: JsonPropertyName("output_crs")] string? OutputCrs = null,
        [property: JsonPropertyName("save_as")] SaveAs? SaveAs = null);

    public sealed record CatchmentRequest(
        [property: JsonPropertyName("facilities"), Description("Points: a layer (filter, bbox) or inline GeoJSON.")] Input Facilities,
        [property: JsonPropertyName("minutes"), Description("Increasing cut-offs in minutes, at most 180 (default 10, 20, 30).")] double[]? Minutes = null,
        [property: JsonPropertyName("metres"), Description("... or in metres along the network or, with mode straight_line, as the crow flies.")] double[]? Metres = null,
        [property: JsonPropertyName("mode"), Description("network (default) or straight_line.")] string? Mode = null,
        [property: JsonPropertyName("dissolve"), Description("One polygon per band for all facilities (default false: per facility).")] bool? Dissolve = null,
        [property: JsonPropertyName("population"), Description("Add the people of the SCB 1 km grid inside each band, shared by area.")] bool? Population = null,
        [property: JsonPropertyName("network"), Description("Road network id (default roads).")] string? Network = null,
        [property: JsonPropertyName("buffer_m"), Description("Width each reached road is buffered by (default 500 m).")] double? BufferM = null,
        [property: JsonPropertyName("access_speed_kmh"), Description("Speed of the straight leg from a facility to the road (default 30).")] double? AccessSpeedKmh = null,
        [property: JsonPropertyName("max_snap_m"), Description("Facilities farther from a road are named in the warnings (default 1000).")] double? MaxSnapM = null,
        [property: JsonPropertyName("facility_name"), Description("Attribute naming a facility (default: one called name or Namn).")] string? FacilityName = null,
        [property: JsonPropertyName("format"), Description("geojson (default) or csv.")] string? Format = null,
        [property: JsonPropertyName("output_crs")] string? OutputCrs = null,
        [property: JsonPropertyName("save_as")] SaveAs? SaveAs = null);

    public sealed record Scenario(
        [property: JsonPropertyName("close"), Description("Ids of facilities to close.")] string[]? Close = null,
        [property: JsonPropertyName("open"), Description("Facilities to open: {\"geojson\": points} or a layer input.")] Input? Open = null);

    public sealed record AccessibilityRequest(
        [property: JsonPropertyName("facilities"), Description("Points: a layer (filter, bbox) or inline GeoJSON.")] Input Facilities,
        [property: JsonPropertyName("origins"), Description("Points or polygons (their centroids); default the populated 1 km squares of Jämtland.")] Input? Origins = null,
        [property: JsonPropertyName("population"), Description("Numeric attribute of the origins holding their people (default beftotalt or pop; else 1 each).")] string? Population = null,
        [property: JsonPropertyName("areas"), Description("Polygons to summarise in; default the municipalities of Jämtland.")] Input? Areas = null,
        [property: JsonPropertyName("minutes"), Description("Increasing cut-offs in minutes (default 5, 10, 20, 30).")] double[]? Minutes = null,
        [property: JsonPropertyName("network")] string? Network = null,
        [property: JsonPropertyName("access_speed_kmh"), Description("Speed of the straight leg from origin (and facility) to the road (default 30).")] double? AccessSpeedKmh = null,
        [property: JsonPropertyName("max_access_m"), Description("Origins farther from any road are counted as no_road (default 2000).")] double? MaxAccessM = null,
        [property: JsonPropertyName("max_snap_m")] double? MaxSnapM = null,
        [property: JsonPropertyName("facility_name")] string? FacilityName = null,
        [property: JsonPropertyName("area_name")] string? AreaName = null,
        [property: JsonPropertyName("scenario")] Scenario? Scenario = null,
        [property: JsonPropertyName("output"), Description("origins (default), facilities, service_areas or areas.")] string? Output = null,
        [property: JsonPropertyName("format"), Description("geojson (default) or csv: the output's attributes as a table.")] string? Format = null,
        [property: JsonPropertyName("output_crs")] string? OutputCrs = null,
        [property: JsonPropertyName("save_as")] SaveAs? SaveAs = null);
}

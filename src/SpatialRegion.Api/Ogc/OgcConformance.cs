namespace SpatialRegion.Api.Ogc;

/// <summary>
/// The conformance classes declared at /conformance; each is implemented and tested (tests/…/Ogc). QGIS pushes
/// filters to the server only when filter, features-filter, basic-cql2 and cql2-text are all declared.
/// </summary>
public static class OgcConformance
{
    private const string Features1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/";
    private const string Features2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/";
    private const string Features3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/";
    private const string Cql2 = "http://www.opengis.net/spec/cql2/1.0/conf/";
    private const string Tiles1 = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/";
    private const string TileMatrixSets2 = "http://www.opengis.net/spec/tms/2.0/conf/";

    public static IReadOnlyList<string> Classes { get; } =
    [
        Features1 + "core",
        Features1 + "oas30",
        Features1 + "html",
        Features1 + "geojson",
        Features2 + "crs",
        Features3 + "queryables",
        Features3 + "queryables-query-parameters",
        Features3 + "filter",
        Features3 + "features-filter",
        Cql2 + "cql2-text",
        Cql2 + "cql2-json",
        Cql2 + "basic-cql2",
        Cql2 + "advanced-comparison-operators",
        Cql2 + "case-insensitive-comparison",
        Cql2 + "basic-spatial-functions",
        Cql2 + "basic-spatial-functions-plus",
        Cql2 + "spatial-functions",
        .. OgcFeatureEditing.ConformanceClasses,
        Tiles1 + "core",
        Tiles1 + "tileset",
        Tiles1 + "tilesets-list",
        Tiles1 + "geodata-tilesets",
        Tiles1 + "mvt",
        Tiles1 + "datetime",
        TileMatrixSets2 + "tilematrixset",
        TileMatrixSets2 + "json-tilematrixset",
    ];
}

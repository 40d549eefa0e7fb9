using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Ogc;

namespace SpatialRegion.Api.Tiles;

/// <summary>
/// OGC API - Tiles (Core, TileSet, tilesets list, geodata tilesets, MVT) over the layer registry: every
/// collection is also a vector tileset in WebMercatorQuad, drawn by PostGIS with ST_AsMVT. The selection
/// parameters of items (name=value on the layer's properties, datetime, CQL2 filter) select the same features in
/// tiles, so an indicator's period or a filtered layer is a tile URL; tileset metadata and TileJSON asked for with
/// those parameters carry them into their tile URL template.
/// </summary>
public static class TilesApi
{
    public const string TilingSchemesRel = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes";
    public const string TilingSchemeRel = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
    public const string VectorTilesetsRel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";

    /// <summary>The parameters of a tile request besides the layer's own properties.</summary>
    private static readonly string[] TileParameters = ["f", "datetime", "filter", "filter-lang", "filter-crs", "properties"];

    public static RouteGroupBuilder MapOgcTiles(this RouteGroupBuilder ogc)
    {
        OgcApi.Map(ogc, "/tileMatrixSets", TileMatrixSets);
        OgcApi.Map(ogc, "/tileMatrixSets/{tileMatrixSetId}", TileMatrixSet);
        OgcApi.Map(ogc, "/collections/{collectionId}/tiles", Tilesets);
        OgcApi.Map(ogc, "/collections/{collectionId}/tiles/{tileMatrixSetId}", Tileset);
        OgcApi.Map(ogc, "/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson", TileJson);
        OgcApi.Map(ogc, "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", Tile);
        return ogc;
    }

    private static IResult TileMatrixSets(HttpRequest request)
    {
        var b = OgcApi.Base(request);
        return OgcApi.Respond(request, () => new JsonObject
        {
            ["links"] = new JsonArray(OgcApi.Link("self", b + "/tileMatrixSets", OgcMediaTypes.Json, "This document")),
            ["tileMatrixSets"] = new JsonArray(new JsonObject
            {
                ["id"] = WebMercatorQuad.Id,
                ["title"] = "Google Maps Compatible for the World",
                ["uri"] = WebMercatorQuad.Uri,
                ["crs"] = WebMercatorQuad.Crs,
                ["links"] = new JsonArray(OgcApi.Link(TilingSchemeRel, $"{b}/tileMatrixSets/{WebMercatorQuad.Id}", OgcMediaTypes.Json, "The tile matrix set definition")),
            }),
        }, OgcHtml.Document);
    }

    private static IResult TileMatrixSet(string tileMatrixSetId, HttpRequest request) =>
        tileMatrixSetId == WebMercatorQuad.Id
            ? OgcApi.Respond(request, () => WebMercatorQuad.Definition(OgcApi.Base(request)), OgcHtml.Document)
            : UnknownTileMatrixSet(tileMatrixSetId);

    private static async Task<IResult> Tilesets(string collectionId, HttpRequest request, LayerCatalog catalog, CancellationToken ct)
    {
        if (await catalog.FindAsync(collectionId, ct) is not { } layer)
        {
            return OgcApi.UnknownCollection(collectionId);
        }
        var b = $"{OgcApi.Base(request)}/collections/{layer.Id}/tiles";
        return OgcApi.Respond(request, () => new JsonObject
        {
            ["title"] = $"{layer.Title}: vector tiles",
            ["links"] = new JsonArray(OgcApi.Link("self", b, OgcMediaTypes.Json, "This document")),
            ["tilesets"] = new JsonArray(new JsonObject
            {
                ["title"] = layer.Title,
                ["dataType"] = "vector",
                ["crs"] = WebMercatorQuad.Crs,
                ["tileMatrixSetURI"] = WebMercatorQuad.Uri,
                ["links"] = new JsonArray(
                    OgcApi.Link("self", $"{b}/{WebMercatorQuad.Id}", OgcMediaTypes.Json, "The tileset"),
                    OgcApi.Link(TilingSchemeRel, $"{OgcApi.Base(request)}/tileMatrixSets/{WebMercatorQuad.Id}", OgcMediaTypes.Json, "The tiling scheme")),
            }),
        }, OgcHtml.Document);
    }

    private static async Task<IResult> Tileset(string collectionId, string tileMatrixSetId, HttpRequest request, LayerCatalog catalog, CancellationToken ct)
    {
        var (layer, problem) = await TilesetOfAsync(collectionId, tileMatrixSetId, request, catalog, ct);
        if (layer is null)
        {
            return problem!;
        }
        var b = OgcApi.Base(request);
        var tileset = $"{b}/collections/{layer.Id}/tiles/{WebMercatorQuad.Id}";
        var query = SelectionQuery(request);
        var body = new JsonObject
        {
            ["title"] = layer.Title,
            ["description"] = layer.Description,
            ["dataType"] = "vector",
            ["crs"] = WebMercatorQuad.Crs,
            ["tileMatrixSetURI"] = WebMercatorQuad.Uri,
            ["links"] = new JsonArray(
                OgcApi.Link("self", tileset + query, OgcMediaTypes.Json, "This tileset"),
                OgcApi.Link(TilingSchemeRel, $"{b}/tileMatrixSets/{WebMercatorQuad.Id}", OgcMediaTypes.Json, "The tiling scheme"),
                OgcApi.Link("describedby", tileset + "/tilejson" + query, OgcMediaTypes.Json, "TileJSON 3.0 of this tileset"),
                new JsonObject
                {
                    ["rel"] = "item",
                    ["type"] = VectorTileResult.MediaType,
                    ["title"] = "A tile (Mapbox Vector Tile)",
                    ["href"] = tileset + "/{tileMatrix}/{tileRow}/{tileCol}" + query,
                    ["templated"] = true,
                },
                OgcApi.Link("collection", $"{b}/collections/{layer.Id}", OgcMediaTypes.Json, layer.Title)),
            ["layers"] = new JsonArray(new JsonObject
            {
                ["id"] = layer.Id,
                ["title"] = layer.Title,
                ["dataType"] = "vector",
                ["geometryDimension"] = GeometryDimension(layer.GeometryType),
                ["minTileMatrix"] = WebMercatorQuad.MinZoomAdvertised.ToString(CultureInfo.InvariantCulture),
                ["maxTileMatrix"] = WebMercatorQuad.MaxZoomAdvertised.ToString(CultureInfo.InvariantCulture),
                ["propertiesSchema"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject(TileAttributes(layer).Select(a =>
                        KeyValuePair.Create(a.Name, (JsonNode?)new JsonObject { ["type"] = a.Type }))),
                },
            }),
        };
        if (layer.ExtentWgs84 is { } box)
        {
            body["boundingBox"] = new JsonObject
            {
                ["lowerLeft"] = new JsonArray(box.MinX, box.MinY),
                ["upperRight"] = new JsonArray(box.MaxX, box.MaxY),
                ["crs"] = Crs.CrsReference.Crs84Uri,
            };
            body["tileMatrixSetLimits"] = WebMercatorQuad.Limits(box);
        }
        if (layer.Licence.Length > 0)
        {
            body["license"] = layer.Licence;
        }
        if (layer.Source.Length > 0)
        {
            body["attribution"] = layer.Source;
        }
        return OgcApi.Respond(request, () => body, OgcHtml.Document);
    }

    private static async Task<IResult> TileJson(string collectionId, string tileMatrixSetId, HttpRequest request, LayerCatalog catalog, CancellationToken ct)
    {
        var (layer, problem) = await TilesetOfAsync(collectionId, tileMatrixSetId, request, catalog, ct);
        if (layer is null)
        {
            return problem!;
        }
        var template = $"{OgcApi.Base(request)}/collections/{layer.Id}/tiles/{WebMercatorQuad.Id}/{{z}}/{{y}}/{{x}}{SelectionQuery(request)}";
        var fields = new JsonObject(TileAttributes(layer).Select(a => KeyValuePair.Create(a.Name, (JsonNode?)(a.Type switch
        {
            LayerProperty.Integer or LayerProperty.Number => "Number",
            LayerProperty.Boolean => "Boolean",
            _ => "String",
        }))));
        var body = new JsonObject
        {
            ["tilejson"] = "3.0.0",
            ["name"] = layer.Title,
            ["description"] = layer.Description,
            ["attribution"] = layer.Source,
            ["scheme"] = "xyz",
            ["tiles"] = new JsonArray(template),
            ["minzoom"] = WebMercatorQuad.MinZoomAdvertised,
            ["maxzoom"] = WebMercatorQuad.MaxZoomAdvertised,
            ["vector_layers"] = new JsonArray(new JsonObject
            {
                ["id"] = layer.Id,
                ["description"] = layer.Title,
                ["minzoom"] = WebMercatorQuad.MinZoomAdvertised,
                ["maxzoom"] = WebMercatorQuad.MaxZoomAdvertised,
                ["fields"] = fields,
            }),
        };
        if (layer.ExtentWgs84 is { } box)
        {
            body["bounds"] = new JsonArray(box.MinX, box.MinY, box.MaxX, box.MaxY);
            body["center"] = new JsonArray((box.MinX + box.MaxX) / 2, (box.MinY + box.MaxY) / 2, 6);
        }
        return OgcApi.Respond(request, () => body, OgcHtml.Document);
    }

    private static async Task<IResult> Tile(
        string collectionId, string tileMatrixSetId, string tileMatrix, string tileRow, string tileCol, HttpRequest request,
        LayerCatalog catalog, [FromKeyedServices(Database.TileSessions)] NpgsqlDataSource dataSource, ResponseCache cache, CancellationToken ct)
    {
        if (await catalog.FindAsync(collectionId, ct) is not { } layer)
        {
            return OgcApi.UnknownCollection(collectionId);
        }
        if (tileMatrixSetId != WebMercatorQuad.Id)
        {
            return UnknownTileMatrixSet(tileMatrixSetId);
        }
        FeatureFilter filter;
        IReadOnlyList<string>? properties;
        TileAddress tile;
        try
        {
            tile = ParseTile(tileMatrix, tileRow, tileCol);
            if (OgcItemsQuery.First(request.Query, "f") is { } f && f != "mvt")
            {
                throw new InvalidQueryException("f", $"Unsupported f '{f}' for a tile. Tiles are Mapbox Vector Tiles (f=mvt).");
            }
            filter = OgcItemsQuery.ParseFilter(layer, request.Query, TileParameters);
            properties = OgcItemsQuery.First(request.Query, "properties") is { } p ? QueryValues.ParsePropertyList(layer, p) : null;
        }
        catch (TileOutOfRangeException e)
        {
            return OgcException.NotFound(e.Message);
        }
        return new VectorTileResult(layer, tile, filter, properties, dataSource, cache);
    }

    private static TileAddress ParseTile(string tileMatrix, string tileRow, string tileCol)
    {
        static long Number(string text, string parameter) =>
            long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new InvalidQueryException(parameter, $"{parameter} must be a whole number; got '{text}'.");
        var z = Number(tileMatrix, "tileMatrix");
        var y = Number(tileRow, "tileRow");
        var x = Number(tileCol, "tileCol");
        if (z > WebMercatorQuad.MaxZoom)
        {
            throw new TileOutOfRangeException($"{WebMercatorQuad.Id} has tile matrices 0 to {WebMercatorQuad.MaxZoom}; there is no {tileMatrix}.");
        }
        var size = 1L << (int)z;
        if (y >= size || x >= size)
        {
            throw new TileOutOfRangeException($"Tile matrix {z} has rows and columns 0 to {size - 1}; there is no tile {tileRow}/{tileCol}.");
        }
        return new TileAddress((int)z, x, y);
    }

    /// <summary>The layer of a tileset request, with its selection parameters checked: a tileset metadata or
    /// TileJSON URL with a bad filter would hand out a template whose every tile is a 400.</summary>
    private static async Task<(Layer? Layer, IResult? Problem)> TilesetOfAsync(
        string collectionId, string tileMatrixSetId, HttpRequest request, LayerCatalog catalog, CancellationToken ct)
    {
        if (await catalog.FindAsync(collectionId, ct) is not { } layer)
        {
            return (null, OgcApi.UnknownCollection(collectionId));
        }
        if (tileMatrixSetId != WebMercatorQuad.Id)
        {
            return (null, UnknownTileMatrixSet(tileMatrixSetId));
        }
        _ = OgcItemsQuery.ParseFilter(layer, request.Query, TileParameters);
        if (OgcItemsQuery.First(request.Query, "properties") is { } p)
        {
            _ = QueryValues.ParsePropertyList(layer, p);
        }
        return (layer, null);
    }

    /// <summary>The request's selection parameters (all but f), as a query string for tile URLs.</summary>
    private static string SelectionQuery(HttpRequest request)
    {
        var builder = new Microsoft.AspNetCore.Http.Extensions.QueryBuilder();
        foreach (var (name, values) in request.Query)
        {
            if (name == "f")
            {
                continue;
            }
            foreach (var v in values)
            {
                builder.Add(name, v ?? "");
            }
        }
        return builder.ToString();
    }

    /// <summary>The attributes each tile feature carries: the layer's properties, and the feature id when no
    /// property is the key.</summary>
    private static IEnumerable<LayerProperty> TileAttributes(Layer layer) =>
        layer.KeyProperty is null ? [.. layer.Properties, new LayerProperty(VectorTileSql.FeatureIdAttribute, LayerProperty.String)] : layer.Properties;

    private static int GeometryDimension(string geometryType) => geometryType switch
    {
        "Point" or "MultiPoint" => 0,
        "LineString" or "MultiLineString" => 1,
        _ => 2,
    };

    private static OgcException UnknownTileMatrixSet(string id) =>
        OgcException.NotFound($"There is no tile matrix set '{id}'; tiles are in {WebMercatorQuad.Id} (GET {OgcApi.Root}/tileMatrixSets).");

    private sealed class TileOutOfRangeException(string message) : Exception(message);
}

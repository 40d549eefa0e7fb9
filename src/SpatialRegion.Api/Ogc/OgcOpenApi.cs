using System.Text.Json.Nodes;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Ogc;

/// <summary>
/// The OpenAPI 3.0 document of /ogc (service-desc). Written by hand rather than generated, because clients read
/// details of it: QGIS takes its page size from components/parameters/limit (minimum, maximum, default) and
/// finds the name=value queryables of each collection on literal /collections/{id}/items paths; the OGC test
/// suite reads bbox, limit and datetime from the items path and needs OpenAPI 3.0, not 3.1.
/// </summary>
public static class OgcOpenApi
{
    /// <summary>Part 4 on an editable collection: POST to its items, PUT, PATCH and DELETE of one feature, for editors.</summary>
    private static void AddEditing(JsonObject paths, Layer layer)
    {
        JsonObject Operation(string summary, string id, int status, bool body)
        {
            var operation = new JsonObject
            {
                ["summary"] = summary,
                ["operationId"] = id + "-" + layer.Id,
                ["security"] = new JsonArray(new JsonObject { ["apiKey"] = new JsonArray() }, new JsonObject { ["basic"] = new JsonArray() }),
                ["responses"] = Responses(status),
            };
            if (body)
            {
                operation["requestBody"] = new JsonObject
                {
                    ["required"] = true,
                    ["content"] = new JsonObject { [OgcMediaTypes.GeoJson] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } },
                };
            }
            return operation;
        }
        JsonObject Responses(int status) => new JsonObject
            {
                [status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject { ["description"] = "Done" },
                ["400"] = new JsonObject { ["description"] = "A property or the geometry is refused; the exception names it" },
                ["401"] = new JsonObject { ["description"] = "No API key with the editor role" },
                ["412"] = new JsonObject { ["description"] = "If-Match names a version that is no longer current" },
            };
        ((JsonObject)paths[$"/collections/{layer.Id}/items"]!)["post"] = Operation($"Add a feature to {layer.Title}", "create", 201, body: true);
        paths[$"/collections/{layer.Id}/items/{{featureId}}"] = new JsonObject
        {
            ["parameters"] = new JsonArray(Ref("featureId")),
            ["get"] = Get("One feature", "feature-" + layer.Id, [Ref("crs"), Ref("properties"), Ref("f")], FeatureResponse(), notFound: true, badRequest: true)["get"]!.DeepClone(),
            ["put"] = Operation("Replace a feature", "replace", 204, body: true),
            ["patch"] = Operation("Update a feature (JSON merge patch of properties and geometry)", "update", 204, body: true),
            ["delete"] = Operation("Delete a feature (its history stays)", "delete", 204, body: false),
        };
    }

    public static JsonObject Build(string baseUrl, IReadOnlyCollection<Layer> layers, SpatialRegionOptions options)
    {
        var paths = new JsonObject
        {
            ["/"] = Get("Landing page", "landingPage", [Ref("f")], JsonResponse("Links to the API definition, conformance and collections")),
            ["/conformance"] = Get("Conformance classes", "conformance", [Ref("f")], JsonResponse("The conformance classes implemented")),
            ["/api"] = Get("This API definition", "apiDefinition", [Ref("f")], JsonResponse("The OpenAPI 3.0 document", OgcMediaTypes.OpenApi)),
            ["/collections"] = Get("Collections", "collections", [Ref("f")], JsonResponse("Every layer of the registry, as a collection")),
            ["/collections/{collectionId}"] = Get("A collection", "collection", [Ref("collectionId"), Ref("f")], JsonResponse("The collection's metadata"), notFound: true),
            ["/collections/{collectionId}/queryables"] = Get("Queryables of a collection", "queryables", [Ref("collectionId"), Ref("f")],
                JsonResponse("A JSON Schema of the properties that filters can use", OgcMediaTypes.JsonSchema), notFound: true),
            ["/collections/{collectionId}/items"] = Get("Features of a collection", "items",
                [Ref("collectionId"), .. ItemsParameters()], FeaturesResponse(), notFound: true, badRequest: true),
            ["/collections/{collectionId}/items/{featureId}"] = Get("One feature", "feature",
                [Ref("collectionId"), Ref("featureId"), Ref("crs"), Ref("properties"), Ref("f")], FeatureResponse(), notFound: true, badRequest: true),
        };
        // Literal paths per collection carry its queryables as name=value parameters (Part 3
        // queryables-query-parameters); QGIS looks for exactly these.
        foreach (var layer in layers)
        {
            var queryables = layer.Properties.Select(p => (JsonNode)Query(p.Name,
                $"Features whose '{p.Name}' equals this value (repeat for any of several).", new JsonObject { ["type"] = p.Type }));
            paths[$"/collections/{layer.Id}/items"] = Get($"Features of {layer.Title}", "items-" + layer.Id,
                [.. ItemsParameters(), .. queryables], FeaturesResponse(), notFound: false, badRequest: true);
            if (OgcFeatureEditing.IsEditable(layer.Id))
            {
                AddEditing(paths, layer);
            }
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject
            {
                ["title"] = "SpatialRegion: OGC API - Features",
                ["version"] = "1.0.0",
                ["description"] = "Layers of Region Jämtland Härjedalen as OGC API - Features collections (Parts 1, 2 and 3, CQL2).",
                ["license"] = new JsonObject { ["name"] = "Data licences per collection (see each collection's license)" },
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = baseUrl }),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["apiKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "X-Api-Key" },
                    ["basic"] = new JsonObject { ["type"] = "http", ["scheme"] = "basic", ["description"] = "The API key as the password; the user name is not read." },
                },
                ["parameters"] = Parameters(options),
                ["schemas"] = new JsonObject
                {
                    ["exception"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["required"] = new JsonArray("code"),
                        ["properties"] = new JsonObject
                        {
                            ["code"] = new JsonObject { ["type"] = "string" },
                            ["description"] = new JsonObject { ["type"] = "string" },
                        },
                    },
                },
            },
        };
    }

    /// <summary>References to the parameters the items handler reads (<see cref="OgcItemsQuery.Parameters"/>).</summary>
    private static IEnumerable<JsonNode> ItemsParameters() => OgcItemsQuery.Parameters.Select(Ref);

    private static JsonObject Query(string name, string description, JsonObject schema) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["description"] = description,
        ["required"] = false,
        ["style"] = "form",
        ["explode"] = false,
        ["schema"] = schema,
    };

    private static JsonObject Parameters(SpatialRegionOptions options)
    {
        static JsonObject Path(string name, string description) => new()
        {
            ["name"] = name,
            ["in"] = "path",
            ["description"] = description,
            ["required"] = true,
            ["schema"] = new JsonObject { ["type"] = "string" },
        };
        var crsEnum = new JsonArray(OgcApi.CrsList.Select(c => (JsonNode)c).ToArray());
        return new JsonObject
        {
            ["collectionId"] = Path("collectionId", "A collection (layer) id."),
            ["featureId"] = Path("featureId", "A feature id."),
            ["f"] = Query("f", "json (the default) or html; the Accept header works too.",
                new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("json", "html") }),
            ["limit"] = Query("limit", $"Features per page. Larger values are served as {options.MaxPageSize}.", new JsonObject
            {
                ["type"] = "integer",
                ["minimum"] = 1,
                ["maximum"] = options.MaxPageSize,
                ["default"] = options.DefaultPageSize,
            }),
            ["offset"] = Query("offset", "Features to skip; next and prev links carry it.",
                new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["default"] = 0 }),
            ["bbox"] = Query("bbox", "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs, in that CRS's axis order; CRS84 lon/lat by default.",
                new JsonObject
                {
                    ["type"] = "array",
                    ["minItems"] = 4,
                    ["maxItems"] = 6,
                    ["items"] = new JsonObject { ["type"] = "number" },
                }),
            ["bbox-crs"] = Query("bbox-crs", "CRS of bbox (default CRS84).", new JsonObject { ["type"] = "string", ["format"] = "uri", ["enum"] = crsEnum.DeepClone() }),
            ["crs"] = Query("crs", "CRS of the returned geometries (default CRS84); EPSG:3006 and EPSG:4326 come northing/latitude first.",
                new JsonObject { ["type"] = "string", ["format"] = "uri", ["enum"] = crsEnum.DeepClone() }),
            ["datetime"] = Query("datetime", "An instant or interval (start/end, '..' for open) matched against the collection's time property; collections without one answer 400.",
                new JsonObject { ["type"] = "string" }),
            ["properties"] = Query("properties", "Comma-separated properties to return.",
                new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } }),
            ["sortby"] = Query("sortby", "Comma-separated properties, each optionally prefixed + (ascending) or - (descending).",
                new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } }),
            ["filter"] = Query("filter", "A CQL2 filter over the collection's queryables.", new JsonObject { ["type"] = "string" }),
            ["filter-lang"] = Query("filter-lang", "cql2-text (default) or cql2-json.",
                new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("cql2-text", "cql2-json"), ["default"] = "cql2-text" }),
            ["filter-crs"] = Query("filter-crs", "CRS of geometries in the filter (default CRS84), in that CRS's axis order.",
                new JsonObject { ["type"] = "string", ["format"] = "uri", ["enum"] = crsEnum.DeepClone() }),
        };
    }

    private static JsonNode Ref(string parameter) => new JsonObject { ["$ref"] = "#/components/parameters/" + parameter };

    private static JsonObject Get(string summary, string operationId, JsonNode[] parameters, JsonObject ok, bool notFound = false, bool badRequest = true)
    {
        var responses = new JsonObject { ["200"] = ok };
        if (badRequest)
        {
            responses["400"] = ErrorResponse("Invalid or unknown query parameter");
        }
        if (notFound)
        {
            responses["404"] = ErrorResponse("No such collection or feature");
        }
        return new JsonObject
        {
            ["get"] = new JsonObject
            {
                ["summary"] = summary,
                ["operationId"] = operationId,
                ["tags"] = new JsonArray("OGC API - Features"),
                ["parameters"] = new JsonArray(parameters),
                ["responses"] = responses,
            },
        };
    }

    private static JsonObject JsonResponse(string description, string type = OgcMediaTypes.Json) => new()
    {
        ["description"] = description,
        ["content"] = new JsonObject
        {
            [type] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
            [OgcMediaTypes.Html] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } },
        },
    };

    private static JsonObject FeaturesResponse() =>
        JsonResponse("A GeoJSON FeatureCollection with numberMatched, numberReturned, timeStamp and next/prev links.", OgcMediaTypes.GeoJson);

    private static JsonObject FeatureResponse() => JsonResponse("A GeoJSON Feature.", OgcMediaTypes.GeoJson);

    private static JsonObject ErrorResponse(string description) => new()
    {
        ["description"] = description,
        ["content"] = new JsonObject
        {
            [OgcMediaTypes.Json] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/exception" } },
        },
    };
}

using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Layers.Filtering;
using SpatialRegion.Api.Measures;

namespace SpatialRegion.Api.Ogc;

/// <summary>
/// OGC API - Features Part 4 (create, replace, update, delete) on the <c>measures</c> collection, the way QGIS 3.32
/// and later edit an OAPIF layer: POST a GeoJSON feature to /items, PUT or PATCH (a JSON merge patch of properties
/// and geometry) /items/{id}, DELETE it. Bodies are flat features as the collection serves them; geometries are in
/// CRS84 unless Content-Crs names another CRS. An If-Match with the feature's ETag is honoured (412 when stale).
/// Every edit goes through the register's validation and history; editors only.
/// </summary>
public static class OgcFeatureEditing
{
    public const string Conformance = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/";

    public static readonly string[] ConformanceClasses = [Conformance + "create-replace-delete", Conformance + "update", Conformance + "features"];

    /// <summary>The Allow header of the editable collection's items and features.</summary>
    public const string ItemsAllow = "GET, HEAD, OPTIONS, POST";
    public const string FeatureAllow = "GET, HEAD, OPTIONS, PUT, PATCH, DELETE";

    public static void MapOgcFeatureEditing(this RouteGroupBuilder ogc)
    {
        ogc.MapPost("/collections/{collectionId}/items", Create).RequireAuthorization(AuthPolicies.Editor).LimitBodyTo(MeasuresApi.MaxBodyBytes);
        ogc.MapPut("/collections/{collectionId}/items/{featureId}", Replace).RequireAuthorization(AuthPolicies.Editor).LimitBodyTo(MeasuresApi.MaxBodyBytes);
        ogc.MapPatch("/collections/{collectionId}/items/{featureId}", Update).RequireAuthorization(AuthPolicies.Editor).LimitBodyTo(MeasuresApi.MaxBodyBytes);
        ogc.MapDelete("/collections/{collectionId}/items/{featureId}", Delete).RequireAuthorization(AuthPolicies.Editor);
    }

    public static bool IsEditable(string collectionId) => collectionId == MeasureLayers.Measures;

    private static Task<IResult> Create(string collectionId, HttpContext context, MeasureStore store, CancellationToken ct) =>
        Edit(collectionId, context, async () =>
        {
            var (properties, geometry, srid) = await ReadFeatureAsync(context.Request, ct);
            var result = await store.CreateAsync(MeasureFeatureReader.Apply(null, properties, geometry, srid), MeasuresApi.Caller(context), Force(context), ct);
            context.Response.Headers.Location = $"{OgcApi.Base(context.Request)}/collections/{collectionId}/items/{Uri.EscapeDataString(result.Id)}";
            context.Response.Headers.ETag = MeasuresApi.ETag(result.Version);
            return Results.StatusCode(StatusCodes.Status201Created);
        });

    private static Task<IResult> Replace(string collectionId, string featureId, HttpContext context, MeasureStore store, CancellationToken ct) =>
        Edit(collectionId, context, async () =>
        {
            var (properties, geometry, srid) = await ReadFeatureAsync(context.Request, ct);
            var ifMatch = MeasuresApi.IfMatch(context.Request);
            var result = await store.EditAsync(async edits =>
            {
                // A replacement says everything: what it leaves out is cleared (places included); only the id stays.
                await Current(edits, featureId);
                var replaced = new JsonObject { ["id"] = featureId };
                return await edits.UpdateAsync(featureId, MeasureFeatureReader.Apply(replaced, properties, geometry, srid), ifMatch, MeasuresApi.Caller(context), Force(context), requireIfMatch: false);
            }, ct);
            context.Response.Headers.ETag = MeasuresApi.ETag(result.Version);
            return Results.NoContent();
        });

    private static Task<IResult> Update(string collectionId, string featureId, HttpContext context, MeasureStore store, CancellationToken ct) =>
        Edit(collectionId, context, async () =>
        {
            var (properties, geometry, srid) = await ReadFeatureAsync(context.Request, ct);
            var ifMatch = MeasuresApi.IfMatch(context.Request);
            var result = await store.EditAsync(async edits =>
                await edits.UpdateAsync(featureId, MeasureFeatureReader.Apply(await Current(edits, featureId), properties, geometry, srid),
                    ifMatch, MeasuresApi.Caller(context), Force(context), requireIfMatch: false), ct);
            context.Response.Headers.ETag = MeasuresApi.ETag(result.Version);
            return Results.NoContent();
        });

    private static Task<IResult> Delete(string collectionId, string featureId, HttpContext context, MeasureStore store, CancellationToken ct) =>
        Edit(collectionId, context, async () =>
        {
            await store.DeleteAsync(featureId, MeasuresApi.IfMatch(context.Request), MeasuresApi.Caller(context), ct);
            return Results.NoContent();
        });

    private static async Task<JsonObject> Current(MeasureStore.MeasureEdits edits, string id) =>
        await edits.DocumentAsync(id) is { } doc && !doc["deleted"]!.GetValue<bool>()
            ? doc
            : throw new MeasureWriteException(StatusCodes.Status404NotFound, $"Collection 'measures' has no feature '{id}'.");

    private static async Task<IResult> Edit(string collectionId, HttpContext context, Func<Task<IResult>> edit)
    {
        if (!IsEditable(collectionId))
        {
            return new OgcException(StatusCodes.Status405MethodNotAllowed, "MethodNotAllowed",
                $"Collection '{collectionId}' is read-only; only '{MeasureLayers.Measures}' can be edited.");
        }
        return await edit();
    }

    /// <summary>A GeoJSON Feature (or a merge patch of one): its properties, its geometry and the CRS of that geometry.</summary>
    private static async Task<(List<KeyValuePair<string, JsonNode?>> Properties, string? Geometry, int Srid)> ReadFeatureAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await MeasuresApi.ReadObjectAsync(request, MeasuresApi.MaxBodyBytes, ct);
        if (body["type"] is { } type && type.ToString() != "Feature")
        {
            throw new InvalidQueryException("type", "Send one GeoJSON Feature.");
        }
        if (body["properties"] is not null and not JsonObject)
        {
            throw new InvalidQueryException("properties", "properties must be an object.");
        }
        var properties = (body["properties"] as JsonObject ?? []).Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value?.DeepClone())).ToList();
        if (body["id"] is JsonValue id)
        {
            properties.Add(new("id", id.DeepClone()));
        }
        var crs = request.Headers["Content-Crs"].FirstOrDefault() is { Length: > 0 } named
            ? CrsReference.Parse(named.Trim('<', '>', ' ')) ?? throw new InvalidQueryException("Content-Crs", $"Unknown CRS '{named}'.")
            : CrsReference.Crs84;
        var geometry = body["geometry"] is JsonObject g ? g.ToJsonString() : null;
        if (geometry is not null && crs.DefinitionIsNorthingFirst)
        {
            // Part 2: coordinates follow the CRS's own axis order (EPSG:3006 is northing, easting), as in filters; stored x/y.
            Geometry read;
            try
            {
                read = JsonSerializer.Deserialize<Geometry>(geometry, GeoJson) ?? throw new JsonException("null");
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
            {
                throw new InvalidQueryException("geometry", "The geometry is not a GeoJSON geometry.");
            }
            geometry = JsonSerializer.Serialize(new Cql2Settings(crs).Literal(read).Geometry, GeoJson);
        }
        return (properties, geometry, crs.Srid);
    }

    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new GeoJsonConverterFactory() } };

    private static bool Force(HttpContext context) => context.Request.Query["force"].FirstOrDefault() is "true" or "1";
}

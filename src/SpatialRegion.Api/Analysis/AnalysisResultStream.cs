using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Streams a computed result as a GeoJSON FeatureCollection, row by row from the session's result table, with
/// the analysis metadata (inputs and their versions, parameters, warnings) as a member before the features.
/// Owns the session and ends it when the response is written.
/// </summary>
public sealed partial class AnalysisResultStream(
    AnalysisSession session, AnalysisPlan plan, JsonObject metadata, long count, string serverTiming) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        await using var owned = session;
        var ct = context.RequestAborted;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = LayersApi.GeoJson;
        response.Headers.CacheControl = "no-store";
        response.Headers["Server-Timing"] = serverTiming;
        foreach (var (name, value) in LayersApi.ContentCrsHeader(plan.OutputSrid))
        {
            response.Headers[name] = value;
        }

        await using var cmd = session.Command($$"""
            SELECT fid,
                   (SELECT coalesce(json_object_agg(k, r.properties -> k ORDER BY i), '{}')
                    FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i))::text,
                   ST_AsGeoJSON({{(plan.OutputSrid == 3006 ? "geom" : "ST_Transform(geom, $2)")}}, $3, 0)
            FROM analysis_result r
            ORDER BY ordinal
            """,
            [
                new NpgsqlParameter { Value = plan.ResultProperties.Select(p => p.Name).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new NpgsqlParameter { Value = plan.OutputSrid, NpgsqlDbType = NpgsqlDbType.Integer },
                new NpgsqlParameter { Value = OutputCrs.Decimals(plan.OutputSrid), NpgsqlDbType = NpgsqlDbType.Integer },
            ]);
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);

        var body = response.Body;
        using var writer = new FeatureCollectionWriter(chunk => body.WriteAsync(chunk, ct));
        try
        {
            var json = writer.Json;
            json.WriteStartObject();
            json.WriteString("type"u8, "FeatureCollection"u8);
            LayersApi.WriteCrsMember(json, plan.OutputSrid);
            json.WritePropertyName("analysis"u8);
            metadata.WriteTo(json);
            json.WriteNumber("numberMatched"u8, count);
            json.WritePropertyName("features"u8);
            json.WriteStartArray();
            var returned = await writer.WriteFeaturesAsync(reader, ct);
            json.WriteEndArray();
            json.WriteNumber("numberReturned"u8, returned);
            json.WriteEndObject();
            await writer.FlushAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The status line has gone out; the only honest signal left is a broken connection.
            LogStreamFailed(context.RequestServices.GetRequiredService<ILogger<AnalysisResultStream>>(), e, plan.Analysis);
            context.Abort();
        }
    }

    [LoggerMessage(LogLevel.Error, "Streaming the result of a {Analysis} failed after the response had started")]
    private static partial void LogStreamFailed(ILogger logger, Exception e, string analysis);
}

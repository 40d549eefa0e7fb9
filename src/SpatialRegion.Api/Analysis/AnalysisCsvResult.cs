using System.Text;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// A computed result as CSV (RFC 4180): one column per result attribute, one row per feature, no geometry. For tables
/// an analyst scripts against or opens in a spreadsheet. Owns the session and ends it when the response is written.
/// </summary>
public sealed class AnalysisCsvResult(AnalysisSession session, AnalysisPlan plan, string serverTiming) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        await using var owned = session;
        var ct = context.RequestAborted;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["Server-Timing"] = serverTiming;
        var names = plan.ResultProperties.Select(p => p.Name).ToArray();
        await using var cmd = session.Command("""
            SELECT (SELECT array_agg(r.properties ->> k ORDER BY i) FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i))
            FROM analysis_result r ORDER BY ordinal
            """, [new NpgsqlParameter { Value = names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text }]);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(false));
        await writer.WriteAsync(string.Join(',', names.Select(Csv.Escape)) + "\r\n");
        while (await reader.ReadAsync(ct))
        {
            await writer.WriteAsync(string.Join(',', reader.GetFieldValue<string?[]>(0).Select(Csv.Escape)) + "\r\n");
        }
    }
}

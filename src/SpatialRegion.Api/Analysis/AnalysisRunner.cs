using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Runs analysis plans: stages the inputs, computes the result, and hands it on to be streamed or saved.
/// GEOS can still fail on valid but nearly coincident boundaries (non-noded intersections); the computation is
/// then repeated with OverlayNG snap-rounding on ever coarser grids (1 mm, 1 cm, 10 cm), far below the
/// precision of any boundary served here. What the client sees is a result, or a 4xx that says what to change.
/// </summary>
public sealed partial class AnalysisRunner(
    NpgsqlDataSource dataSource, LayerValidity validity, IOptions<AnalysisOptions> options, ILogger<AnalysisRunner> logger)
{
    /// <summary>-1 is OverlayNG's own floating precision; the others are snapping grids in metres.</summary>
    public static IReadOnlyList<double> GridSizes { get; } = [-1, 0.001, 0.01, 0.1];

    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.MaxConcurrentAnalyses));

    public async Task<IResult> RunAsync(AnalysisPlan plan, CancellationToken ct)
    {
        var timeout = options.Value.StatementTimeoutSeconds;
        if (!await _slots.WaitAsync(TimeSpan.FromSeconds(timeout), ct))
        {
            throw new AnalysisException(StatusCodes.Status503ServiceUnavailable, "Busy",
                "Other analyses are still running; try again shortly.");
        }
        AnalysisSession? session = null;
        try
        {
            var stopwatch = Stopwatch.StartNew();
            session = await AnalysisSession.OpenAsync(dataSource, timeout, validity, ct);
            await plan.StageAsync(session, ct);
            var staged = stopwatch.Elapsed;
            var gridSize = await ComputeAsync(plan, session, ct);
            var computed = stopwatch.Elapsed;
            var count = await session.ScalarAsync<long>("SELECT count(*) FROM analysis_result", ct);
            var metadata = Metadata(plan, session, gridSize, count);
            var timing = string.Create(CultureInfo.InvariantCulture,
                $"stage;dur={staged.TotalMilliseconds:0.0}, compute;dur={(computed - staged).TotalMilliseconds:0.0}");

            if (plan.SaveAs is not null)
            {
                // The save commits the session or leaves it to be rolled back; either way it ends here.
                var saving = session;
                session = null;
                await using (saving)
                {
                    return await SaveAsync(plan, saving, metadata, ct);
                }
            }
            var result = new AnalysisResultStream(session, plan, metadata, count, timing);
            session = null;
            return result;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.QueryCanceled && !ct.IsCancellationRequested)
        {
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Analysis too large",
                $"The analysis did not finish within the limit of {timeout} s per step. {plan.NarrowHint}");
        }
        catch (PostgresException e) when (IsGeometryError(e))
        {
            LogNotComputable(logger, e, plan.Analysis);
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Geometry could not be processed",
                $"PostGIS could not compute this {plan.Analysis} even with snapping to a {GridSizes[^1]} m grid: {e.MessageText}. "
                + "Check the inline geometries, or simplify them.");
        }
        finally
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }
            _slots.Release();
        }
    }

    /// <summary>Computes the result table, again on a coarser grid each time GEOS reports a topology failure.</summary>
    public static async Task<double?> ComputeAsync(AnalysisPlan plan, AnalysisSession session, CancellationToken ct)
    {
        await session.ExecuteAsync("""
            CREATE TEMP TABLE analysis_result (ordinal bigint, fid text COLLATE "C", properties jsonb, geom geometry) ON COMMIT DROP
            """, ct);
        return await WithGridRetryAsync(session, (grid, token) => plan.ComputeAsync(session, grid, token), ct);
    }

    /// <summary>Runs <paramref name="compute"/> inside a savepoint with each grid size in turn until GEOS stops
    /// failing; returns the grid size that worked (null: exact).</summary>
    public static async Task<double?> WithGridRetryAsync(AnalysisSession session, Func<double, CancellationToken, Task> compute, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var grid = GridSizes[attempt];
            await session.Transaction.SaveAsync("compute", ct);
            try
            {
                await compute(grid, ct);
                await session.Transaction.ReleaseAsync("compute", ct);
                return grid < 0 ? null : grid;
            }
            catch (PostgresException e) when (IsGeometryError(e) && attempt + 1 < GridSizes.Count)
            {
                await session.Transaction.RollbackAsync("compute", ct);
                session.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"GEOS reported \"{e.MessageText}\"; the result was computed again with snapping to a {GridSizes[attempt + 1]} m grid."));
            }
        }
    }

    /// <summary>GEOS failures (TopologyException and friends) arrive as internal errors carrying GEOS's message.</summary>
    public static bool IsGeometryError(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.InternalError
        && (e.MessageText.Contains("TopologyException", StringComparison.Ordinal)
            || e.MessageText.Contains("GEOS", StringComparison.Ordinal)
            || e.MessageText.Contains("non-noded", StringComparison.OrdinalIgnoreCase));

    private static JsonObject Metadata(AnalysisPlan plan, AnalysisSession session, double? gridSize, long count)
    {
        var inputs = new JsonObject();
        foreach (var (name, input) in plan.Inputs)
        {
            inputs[name] = input.Describe(input is LayerInput l ? session.LayerVersions.GetValueOrDefault(l.Layer.Id) : null);
        }
        return new JsonObject
        {
            ["analysis"] = plan.Analysis,
            ["inputs"] = inputs,
            ["parameters"] = plan.Parameters.DeepClone(),
            ["grid_size"] = gridSize,
            ["features"] = count,
            ["computed_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["warnings"] = new JsonArray(session.Warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
        };
    }

    private static Task<IResult> SaveAsync(AnalysisPlan plan, AnalysisSession session, JsonObject provenance, CancellationToken ct)
    {
        // Saving goes through the shared LayerWriter (kind "analysis", provenance on the registry row).
        _ = (plan, session, provenance, ct);
        throw new AnalysisException(StatusCodes.Status501NotImplemented, "Not implemented", "Saving analysis results is not available yet.", "save_as");
    }

    [LoggerMessage(LogLevel.Warning, "A {Analysis} could not be computed even with snapping")]
    private static partial void LogNotComputable(ILogger logger, Exception e, string analysis);
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Runs analysis plans: stages the inputs, computes the result, and hands it on to be streamed or saved.
/// GEOS can still fail on valid but nearly coincident boundaries (non-noded intersections); the computation is
/// then repeated with OverlayNG snap-rounding on ever coarser grids (1 mm, 1 cm, 10 cm), far below the
/// precision of any boundary served here. What the client sees is a result, or a 4xx that says what to change.
/// </summary>
public sealed partial class AnalysisRunner(
    NpgsqlDataSource dataSource, LayerValidity validity, LayerWriter writer, LayerCatalog catalog,
    IOptions<AnalysisOptions> options, ILogger<AnalysisRunner> logger)
{
    /// <summary>-1 is OverlayNG's own floating precision; the others are snapping grids in metres.</summary>
    public static IReadOnlyList<double> GridSizes { get; } = [-1, 0.001, 0.01, 0.1];

    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.MaxConcurrentAnalyses));

    public async Task<IResult> RunAsync(AnalysisPlan plan, HttpRequest request, CancellationToken ct)
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
                    return await SaveAsync(plan, plan.SaveAs, saving, metadata, count, request, ct);
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

    /// <summary>
    /// Writes the result as a layer of kind "analysis" through the shared <see cref="LayerWriter"/>, in the
    /// transaction that computed it, with the metadata as provenance. An existing analysis layer is replaced only
    /// when asked; a layer of another kind (imported data, indicators) is never overwritten by an analysis.
    /// </summary>
    private async Task<IResult> SaveAsync(
        AnalysisPlan plan, SaveAs saveAs, AnalysisSession session, JsonObject provenance, long count, HttpRequest request, CancellationToken ct)
    {
        if (count == 0)
        {
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Empty result",
                "The analysis produced no features, so there is nothing to save as a layer.", "save_as");
        }
        var existingKind = await session.ScalarAsync<string>("SELECT kind FROM layers WHERE id = $1", ct, saveAs.Id);
        if (existingKind is not null && existingKind != LayerKinds.Analysis)
        {
            throw new AnalysisException(StatusCodes.Status409Conflict, "Layer exists",
                $"'{saveAs.Id}' is an {existingKind} layer; an analysis result cannot replace it. Choose another id.", "save_as");
        }
        if (existingKind is not null && !saveAs.Replace)
        {
            throw new AnalysisException(StatusCodes.Status409Conflict, "Layer exists",
                $"There is already an analysis result '{saveAs.Id}'. Send \"save_as\": {{\"id\": \"{saveAs.Id}\", \"replace\": true}} to replace it, or choose another id.",
                "save_as");
        }

        var sources = plan.Inputs.Values.OfType<LayerInput>().Select(i => i.Layer).DistinctBy(l => l.Id).ToList();
        var derivedFrom = string.Join(", ", plan.Inputs.Select(i => i.Value is LayerInput l ? l.Layer.Id : $"inline GeoJSON ({i.Key})"));
        var definition = new LayerDefinition(
            saveAs.Id,
            Title: saveAs.Title ?? $"{char.ToUpperInvariant(plan.Analysis[0])}{plan.Analysis[1..]} of {derivedFrom}",
            Description: saveAs.Description ?? $"Result of a saved {plan.Analysis} analysis of {derivedFrom}.",
            Source: $"SpatialRegion {plan.Analysis} analysis of {derivedFrom}",
            Licence: sources.Count == 0 ? "" : "Derived from: " + string.Join("; ", sources.Select(l => $"{l.Id} ({l.Licence})")),
            Kind: LayerKinds.Analysis,
            Provenance: provenance,
            Properties: plan.ResultProperties);
        try
        {
            await writer.ReplaceAsync(session.Connection, session.Transaction, definition,
                "SELECT fid, properties, geom FROM analysis_result ORDER BY ordinal", [], ct);
            await session.Transaction.CommitAsync(ct);
        }
        catch (LayerWriteException e)
        {
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Result cannot be saved", e.Message, "save_as");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.SerializationFailure)
        {
            throw new AnalysisException(StatusCodes.Status409Conflict, "Layer changed meanwhile",
                $"Layer '{saveAs.Id}' was changed while the analysis ran; send the request again.", "save_as");
        }
        await catalog.ReloadAsync(ct);
        var layer = await catalog.FindAsync(saveAs.Id, ct)
            ?? throw new InvalidOperationException($"Saved layer '{saveAs.Id}' is missing from the catalogue.");
        return TypedResults.Created($"{RequestUrls.Base(request)}/api/layers/{Uri.EscapeDataString(layer.Id)}", LayersApi.Summarise(request, layer));
    }

    [LoggerMessage(LogLevel.Warning, "A {Analysis} could not be computed even with snapping")]
    private static partial void LogNotComputable(ILogger logger, Exception e, string analysis);
}

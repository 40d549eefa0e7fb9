using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>
/// Runs analysis plans: stages the inputs, computes the result, and hands it on to be streamed or saved. The
/// overlays go through the database functions of migration 0030, which compute a pair again with snapping
/// when GEOS fails on it; what still goes wrong reaches the client as a 4xx that says what to change, never
/// as a 500.
/// </summary>
public sealed partial class AnalysisRunner(
    NpgsqlDataSource dataSource, LayerValidity validity, LayerWriter writer, LayerCatalog catalog,
    IOptions<AnalysisOptions> options, ILogger<AnalysisRunner> logger)
{
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
            // A save that cannot go ahead is refused before anything is computed; the check holds for the
            // whole transaction (repeatable read), and a concurrent writer of the layer makes the save fail below.
            var existingKind = plan.SaveAs is { } target ? await CheckSaveTargetAsync(session, target, ct) : null;
            await plan.StageAsync(session, ct);
            var staged = stopwatch.Elapsed;
            await ComputeAsync(plan, session, ct);
            var computed = stopwatch.Elapsed;
            var count = await session.ScalarAsync<long>("SELECT count(*) FROM analysis_result", ct);
            var metadata = Metadata(plan, session, count);
            var timing = string.Create(CultureInfo.InvariantCulture,
                $"stage;dur={staged.TotalMilliseconds:0.0}, compute;dur={(computed - staged).TotalMilliseconds:0.0}");

            if (plan.SaveAs is not null)
            {
                // The save commits the session or leaves it to be rolled back; either way it ends here.
                var saving = session;
                session = null;
                await using (saving)
                {
                    return await SaveAsync(plan, plan.SaveAs, existingKind, saving, metadata, count, request, ct);
                }
            }
            IResult result = plan.Csv
                ? new AnalysisCsvResult(session, plan, timing)
                : new AnalysisResultStream(session, plan, metadata, count, timing);
            session = null;
            return result;
        }
        catch (PostgresException e) when (!ct.IsCancellationRequested && (e.SqlState == PostgresErrorCodes.QueryCanceled
            // GEOS reports a cancelled ST_IsValid as its own failure rather than as the cancellation it is.
            || (e.SqlState == PostgresErrorCodes.InternalError && session?.LastStatementTime >= TimeSpan.FromSeconds(timeout))))
        {
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Analysis too large",
                string.Create(CultureInfo.InvariantCulture, $"The analysis did not finish within the limit of {timeout} s per step. {plan.NarrowHint}"));
        }
        catch (PostgresException e) when (e.SqlState is GeometryFailed or PostgresErrorCodes.InternalError)
        {
            // After an internal error the driver no longer trusts the connection; disposing the session discards it.
            LogNotComputable(logger, e, plan.Analysis);
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Geometry could not be processed",
                $"PostGIS could not compute this {plan.Analysis}: {e.MessageText}. Check the inline geometries, or simplify them.");
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // Class 22, data exception: a value of the input that PostgreSQL cannot compute with (1e400 as a double).
            LogNotComputable(logger, e, plan.Analysis);
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Values could not be processed",
                $"PostgreSQL could not compute this {plan.Analysis} from the values given: {e.MessageText}.");
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

    /// <summary>Raised by the overlay functions of migration 0030 when no retry helped.</summary>
    public const string GeometryFailed = "SR001";

    public static async Task ComputeAsync(AnalysisPlan plan, AnalysisSession session, CancellationToken ct)
    {
        // Stored uncompressed, as the inputs are: the result is written once and read once, right away.
        await session.ExecuteAsync("""
            CREATE TEMP TABLE analysis_result (ordinal bigint, fid text COLLATE "C", properties jsonb, geom geometry) ON COMMIT DROP;
            ALTER TABLE analysis_result ALTER COLUMN geom SET STORAGE EXTERNAL
            """, ct);
        await plan.ComputeAsync(session, ct);
        session.AddRetryWarnings();
    }

    private static JsonObject Metadata(AnalysisPlan plan, AnalysisSession session, long count)
    {
        var inputs = new JsonObject();
        foreach (var (name, input) in plan.Inputs)
        {
            inputs[name] = input.Describe(input is LayerInput l ? session.LayerVersions.GetValueOrDefault(l.Layer.Id) : null);
        }
        var metadata = new JsonObject
        {
            ["analysis"] = plan.Analysis,
            ["inputs"] = inputs,
            ["parameters"] = plan.Parameters.DeepClone(),
            ["features"] = count,
            ["computed_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["warnings"] = new JsonArray(session.Warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
        };
        if (session.Summary.Count > 0)
        {
            metadata["summary"] = session.Summary.DeepClone();
        }
        return metadata;
    }

    /// <summary>The kind of the layer a result is to be saved as, if it exists. An existing analysis layer is
    /// replaced only when asked; a layer of another kind (imported data, indicators) is never overwritten by an analysis.</summary>
    private static async Task<string?> CheckSaveTargetAsync(AnalysisSession session, SaveAs saveAs, CancellationToken ct)
    {
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
        return existingKind;
    }

    /// <summary>
    /// Writes the result as a layer of kind "analysis" through the shared <see cref="LayerWriter"/>, in the
    /// transaction that computed it, with the metadata as provenance.
    /// </summary>
    private async Task<IResult> SaveAsync(
        AnalysisPlan plan, SaveAs saveAs, string? existingKind, AnalysisSession session, JsonObject provenance, long count,
        HttpRequest request, CancellationToken ct)
    {
        if (count == 0)
        {
            throw new AnalysisException(StatusCodes.Status422UnprocessableEntity, "Empty result",
                "The analysis produced no features, so there is nothing to save as a layer.", "save_as");
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
        var summary = LayersApi.Summarise(request, layer);
        return existingKind is null
            ? TypedResults.Created($"{RequestUrls.Base(request)}/api/layers/{Uri.EscapeDataString(layer.Id)}", summary)
            : TypedResults.Ok(summary);
    }

    [LoggerMessage(LogLevel.Warning, "A {Analysis} could not be computed")]
    private static partial void LogNotComputable(ILogger logger, Exception e, string analysis);
}

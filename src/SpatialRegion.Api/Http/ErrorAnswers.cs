using System.Net.Sockets;
using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using SpatialRegion.Api.Analysis;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Ogc;
using SpatialRegion.Api.Wfs;

namespace SpatialRegion.Api.Http;

/// <summary>How a front-end's clients expect an error: RFC 9457 problem details (REST), the OGC API exception
/// JSON {code, description}, or an OWS ExceptionReport (WFS).</summary>
public enum ErrorFormat
{
    Problem,
    Ogc,
    Wfs,
}

/// <summary>Endpoint metadata naming the format of the endpoint's errors; endpoints without it answer problem details.</summary>
public sealed record ErrorFormatMetadata(ErrorFormat Format);

/// <summary>An error before it is written in a front-end's format. <paramref name="Code"/> is the OGC/OWS exception
/// code when the thrower knew one; <paramref name="Parameter"/> names the request member at fault, spelled as the
/// REST and OGC APIs spell it unless <paramref name="IsWfsLocator"/> (WFS locators are upper-case KVP names,
/// or operation names).</summary>
public sealed record ErrorAnswer(int Status, string Title, string Detail, string? Parameter = null, string? Code = null, bool IsWfsLocator = false);

/// <summary>
/// The one place where exceptions become answers. Handlers throw the vocabulary (<see cref="InvalidQueryException"/>,
/// <see cref="AnalysisException"/>, <see cref="WfsException"/>, …) and never catch it to render it themselves: the
/// exception handler maps it to a status and writes it in the format of the endpoint that failed, so an endpoint
/// that forgets a catch still answers a 4xx. A database that cannot be reached is a 503 with Retry-After; a
/// value PostgreSQL refuses as data (SQLSTATE class 22) is a 400; anything else is a 500 that says nothing of
/// the failure's inside (no stack trace, no SQL), which is logged instead.
/// </summary>
public static class ErrorAnswers
{
    /// <summary>How long a client is asked to wait after a 503: about as long as a PostgreSQL restart or a failover.</summary>
    public const string RetryAfterSeconds = "5";

    /// <summary>Answers every error of these endpoints (a route group, usually) in <paramref name="format"/>.</summary>
    public static TBuilder AnswersErrorsAs<TBuilder>(this TBuilder builder, ErrorFormat format) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ErrorFormatMetadata(format));

    /// <summary>The answer to a known exception, or null for a failure of the server itself.</summary>
    public static ErrorAnswer? For(Exception exception) => exception switch
    {
        WfsException e => new(e.Status, TitleOf(e.Status), e.Message, e.Locator, e.Code, IsWfsLocator: true),
        InvalidQueryException e => new(StatusCodes.Status400BadRequest, "Invalid request", e.Message, e.Parameter, "InvalidParameterValue"),
        AnalysisException e => new(e.Status, e.Title, e.Message, e.Parameter),
        Measures.MeasureWriteException e => new(e.Status, e.Title, e.Message, Code: e.Status == StatusCodes.Status404NotFound ? "NotFound" : "EditRefused"),
        ImportException e => new(StatusCodes.Status400BadRequest, "Invalid request", e.Message),
        BadHttpRequestException e => new(e.StatusCode, TitleOf(e.StatusCode), e.Message),
        JsonException => new(StatusCodes.Status400BadRequest, "Invalid request", "The request body is not valid JSON.", "body"),
        XmlException => new(StatusCodes.Status400BadRequest, "Invalid request", "The request body is not well-formed XML.", "body"),
        PostgresException { SqlState: var state } e when state.StartsWith("22", StringComparison.Ordinal) =>
            new(StatusCodes.Status400BadRequest, "Invalid value",
                $"PostgreSQL cannot use a value of this request: {e.MessageText} (SQLSTATE {state}).", Code: "InvalidParameterValue"),
        _ when IsUnavailable(exception) => new(StatusCodes.Status503ServiceUnavailable, "Database unavailable",
            "PostGIS did not answer; try again shortly."),
        _ => null,
    };

    /// <summary>PostGIS cannot be reached or is shutting down: worth retrying, not the request's fault.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException e => e.IsTransient || e.SqlState.StartsWith("08", StringComparison.Ordinal) || e.SqlState.StartsWith("57P0", StringComparison.Ordinal),
        NpgsqlException e => e.IsTransient || e.InnerException is IOException or SocketException or TimeoutException,
        TimeoutException or SocketException => true,
        _ => false,
    };

    public static ErrorAnswer ServerFailure { get; } = new(StatusCodes.Status500InternalServerError, "Server error",
        "The server failed to answer this request. The failure is logged; please report it with the time of the request.");

    /// <summary>The endpoint's error format; a path that matched no endpoint (a 404, a 405) answers in the format of the
    /// front-end whose root it is under, since that front-end's clients are the ones reading it.</summary>
    public static ErrorFormat FormatOf(HttpContext context, Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<ErrorFormatMetadata>()?.Format
        ?? (context.Request.Path.StartsWithSegments(OgcApi.Root, StringComparison.Ordinal) ? ErrorFormat.Ogc
            : context.Request.Path.StartsWithSegments(WfsApi.Path, StringComparison.Ordinal) ? ErrorFormat.Wfs
            : ErrorFormat.Problem);

    /// <summary>Writes <paramref name="answer"/> as the endpoint's clients read errors; a 503 says when to retry.</summary>
    public static async Task WriteAsync(HttpContext context, ErrorFormat format, ErrorAnswer answer)
    {
        var response = context.Response;
        response.StatusCode = answer.Status;
        response.Headers.CacheControl = "no-store";
        if (answer.Status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = RetryAfterSeconds;
        }
        switch (format)
        {
            case ErrorFormat.Ogc:
                await new OgcException(answer.Status, answer.Code ?? OgcCodeOf(answer.Status), answer.Detail).ExecuteAsync(context);
                break;
            case ErrorFormat.Wfs:
                var code = answer.Code ?? (answer.Parameter is not null && answer.Status == StatusCodes.Status400BadRequest
                    ? "InvalidParameterValue"
                    : answer.Status == StatusCodes.Status404NotFound ? "NotFound" : "NoApplicableCode");
                var locator = answer.IsWfsLocator ? answer.Parameter : answer.Parameter?.ToUpperInvariant();
                await WfsApi.Exception(new WfsException(code, locator, answer.Detail, answer.Status)).ExecuteAsync(context);
                break;
            default:
                var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = answer.Status, Title = answer.Title, Detail = answer.Detail };
                if (answer.Parameter is not null)
                {
                    problem.Extensions["parameter"] = answer.Parameter;
                }
                await context.RequestServices.GetRequiredService<IProblemDetailsService>()
                    .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
                break;
        }
    }

    private static string OgcCodeOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "InvalidParameterValue",
        StatusCodes.Status404NotFound => "NotFound",
        StatusCodes.Status413PayloadTooLarge => "RequestTooLarge",
        StatusCodes.Status503ServiceUnavailable => "ServiceUnavailable",
        >= 500 => "ServerError",
        _ => "InvalidRequest",
    };

    private static string TitleOf(int status) =>
        ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";

    /// <summary>A status without a body (401, 405, 415 from the framework) in the endpoint's format.</summary>
    public static Task WriteStatusAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        return WriteAsync(http, FormatOf(http, http.GetEndpoint()), new ErrorAnswer(status, TitleOf(status), TitleOf(status) + "."));
    }
}

/// <summary>Every exception a handler lets through ends here (see <see cref="ErrorAnswers"/>).</summary>
internal sealed partial class ErrorAnswerHandler(ILogger<ErrorAnswerHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }
        var answer = ErrorAnswers.For(exception);
        if (answer is null)
        {
            LogFailure(logger, exception, context.Request.Method, context.Request.Path);
        }
        else if (answer.Status == StatusCodes.Status503ServiceUnavailable)
        {
            LogUnavailable(logger, exception.Message, context.Request.Path);
        }
        var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        await ErrorAnswers.WriteAsync(context, ErrorAnswers.FormatOf(context, endpoint), answer ?? ErrorAnswers.ServerFailure);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostGIS unavailable during {Path}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason, string path);
}

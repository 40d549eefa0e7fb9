namespace SpatialRegion.Api.Wfs;

/// <summary>
/// A request the WFS cannot honour, rendered as an ows:ExceptionReport. The codes are those of OWS Common and
/// WFS 2.0 (ISO 19142 Table 3); the locator names the offending parameter as it is spelled in KVP requests.
/// </summary>
public sealed class WfsException(string code, string? locator, string message, int status = StatusCodes.Status400BadRequest)
    : Exception(message)
{
    public string Code { get; } = code;

    public string? Locator { get; } = locator;

    public int Status { get; } = status;

    public static WfsException Missing(string parameter, string? detail = null) =>
        new("MissingParameterValue", parameter, detail ?? $"The parameter {parameter} is required.");

    public static WfsException Invalid(string parameter, string message) => new("InvalidParameterValue", parameter, message);

    public static WfsException NotSupported(string operation, string message) => new("OperationNotSupported", operation, message);

    public static WfsException OptionNotSupported(string parameter, string message) => new("OptionNotSupported", parameter, message);

    public static WfsException Processing(string parameter, string message) => new("OperationProcessingFailed", parameter, message);

    public static WfsException Parsing(string parameter, string message) => new("OperationParsingFailed", parameter, message);

    public static WfsException NotFound(string parameter, string message) => new("NotFound", parameter, message, StatusCodes.Status404NotFound);
}

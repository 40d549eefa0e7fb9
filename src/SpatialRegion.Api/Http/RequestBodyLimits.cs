using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace SpatialRegion.Api.Http;

/// <summary>Endpoint metadata: the largest request body the endpoint reads.</summary>
public sealed record RequestBodyLimitMetadata(long MaxBytes);

/// <summary>
/// Request bodies are bounded per endpoint: a declared Content-Length over the limit is a 413 before a byte is read;
/// a body sent without one (chunked) is cut off by Kestrel at the same limit while it is read (also a 413).
/// Endpoints that read no body keep <see cref="DefaultBytes"/>.
/// </summary>
public static class RequestBodyLimits
{
    public const long DefaultBytes = 64 * 1024;

    public static TBuilder LimitBodyTo<TBuilder>(this TBuilder builder, long maxBytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyLimitMetadata(maxBytes));

    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimitMetadata>()?.MaxBytes ?? DefaultBytes;
        if (context.Request.ContentLength > limit)
        {
            throw new BadHttpRequestException(
                $"The request body is larger than {Describe(limit)}, the most this endpoint reads.", StatusCodes.Status413PayloadTooLarge);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
        return next(context);
    });

    public static string Describe(long bytes) => bytes >= 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024.0:0.#} MB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} kB");
}

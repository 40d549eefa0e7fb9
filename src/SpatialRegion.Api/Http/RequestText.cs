using System.Text;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Http;

/// <summary>
/// Refuses, before any handler runs, text that PostgreSQL would have to refuse: a NUL character (text values
/// cannot hold one) or bytes that are not UTF-8, in the path, in a query parameter's name or value, or in a header.
/// The refusal is a 400 naming the parameter, in the error format of the endpoint that was asked.
/// </summary>
public static class RequestText
{
    public static IApplicationBuilder UseRequestTextCheck(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var request = context.Request;
        if (request.Path.Value?.Contains('\0', StringComparison.Ordinal) == true)
        {
            throw new InvalidQueryException("path", "The path holds a NUL character.");
        }
        if (request.QueryString.Value is { Length: > 1 } query)
        {
            foreach (var pair in query.AsSpan(1).ToString().Split('&'))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? pair : pair[..equals];
                var readableName = Uri.UnescapeDataString(name.Replace('+', ' '));
                if ((Refusal(name) ?? Refusal(equals < 0 ? "" : pair[(equals + 1)..])) is { } why)
                {
                    throw new InvalidQueryException(readableName, $"The parameter {readableName} {why}.");
                }
            }
        }
        foreach (var (name, values) in request.Headers)
        {
            if (values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true))
            {
                throw new InvalidQueryException(name, $"The header {name} holds a NUL character.");
            }
        }
        return next(context);
    });

    /// <summary>Why a percent-encoded query component cannot be used as text, or null when it can.</summary>
    private static string? Refusal(string encoded)
    {
        if (!encoded.Contains('%', StringComparison.Ordinal))
        {
            return null;
        }
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length && Uri.IsHexDigit(encoded[i + 1]) && Uri.IsHexDigit(encoded[i + 2]))
            {
                bytes.Add((byte)Convert.ToInt32(encoded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded[i].ToString()));
            }
        }
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        if (span.Contains((byte)0))
        {
            return "holds a NUL character";
        }
        return System.Text.Unicode.Utf8.IsValid(span) ? null : "is not valid UTF-8";
    }
}

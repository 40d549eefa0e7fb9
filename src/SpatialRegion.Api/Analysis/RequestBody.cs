using System.Buffers;
using System.Globalization;
using System.Text.Json;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Analysis;

/// <summary>Reads an analysis request body: JSON, at most <see cref="AnalysisOptions.MaxRequestBytes"/>.
/// The size is checked while reading, so a client that sends no Content-Length cannot get past it either.
/// (The media type is the endpoints' Accepts metadata's to check: anything but JSON is a 415 before this.)</summary>
public static class RequestBody
{
    public static async Task<JsonDocument> ReadAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and var n ? (int)n : 64 * 1024);
        while (true)
        {
            var memory = buffer.GetMemory(64 * 1024);
            var read = await request.Body.ReadAsync(memory, ct);
            if (read == 0)
            {
                break;
            }
            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                throw TooLarge(maxBytes);
            }
        }
        if (buffer.WrittenCount == 0)
        {
            throw new InvalidQueryException("body", "The request body is empty; send the analysis as a JSON object.");
        }
        // The parser checks UTF-8 only in the strings it is asked for, later; a body that is not UTF-8 is refused here.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.WrittenSpan))
        {
            throw new InvalidQueryException("body", "The request body is not valid UTF-8.");
        }
        try
        {
            return JsonDocument.Parse(buffer.WrittenMemory, JsonInput.Document);
        }
        catch (JsonException e)
        {
            throw new InvalidQueryException("body", $"The request body is not valid JSON ({JsonInput.Describe(e)})");
        }
    }

    private static AnalysisException TooLarge(int maxBytes) => new(StatusCodes.Status413PayloadTooLarge, "Request too large",
        string.Create(CultureInfo.InvariantCulture,
            $"The request body is larger than {maxBytes / 1024.0 / 1024.0:0.#} MB. Store large inputs as a layer (import) and refer to it by id, or simplify the inline geometries."));
}

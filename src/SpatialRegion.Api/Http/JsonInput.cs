using System.Text.Json;

namespace SpatialRegion.Api.Http;

/// <summary>
/// How request JSON is read everywhere: at most <see cref="MaxDepth"/> levels deep (the readers and the GeoJSON
/// converters recurse, and a client's JSON nests a handful of levels), and an object that names a member twice is
/// refused: {"op":"=","op":"&lt;&gt;"} means two different things to two readers, so it means nothing.
/// </summary>
public static class JsonInput
{
    public const int MaxDepth = 64;

    public static JsonDocumentOptions Document { get; } = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>Applies the limits to serializer options (for binding and typed reading).</summary>
    public static JsonSerializerOptions Bounded(this JsonSerializerOptions options)
    {
        options.MaxDepth = MaxDepth;
        options.AllowDuplicateProperties = false;
        return options;
    }

    /// <summary>What a reader's JsonException says, without the reader's internals: line, byte and the reason.</summary>
    public static string Describe(JsonException e) =>
        $"line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {FirstSentence(e.Message)}";

    private static string FirstSentence(string message) =>
        message.IndexOf(". ", StringComparison.Ordinal) is > 0 and var end ? message[..(end + 1)] : message;
}

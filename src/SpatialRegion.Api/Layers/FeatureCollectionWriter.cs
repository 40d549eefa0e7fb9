using System.Buffers;
using System.Text.Json;
using Npgsql;

namespace SpatialRegion.Api.Layers;

/// <summary>
/// Writes GeoJSON from rows of (fid, properties text, geometry text) as PostGIS rendered them. Geometry and
/// properties pass through as raw JSON: the service never parses a geometry it only forwards. Output goes to
/// a small buffer that is handed on every <see cref="ChunkBytes"/>, so memory stays one chunk plus one row.
/// </summary>
public sealed class FeatureCollectionWriter : IDisposable
{
    public const int ChunkBytes = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _buffer = new(ChunkBytes * 2);
    private readonly Utf8JsonWriter _json;
    private readonly Func<ReadOnlyMemory<byte>, ValueTask> _sink;
    private readonly Func<string, string>? _featureId;

    public FeatureCollectionWriter(Func<ReadOnlyMemory<byte>, ValueTask> sink, Func<string, string>? featureId = null)
    {
        _sink = sink;
        _featureId = featureId;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public Utf8JsonWriter Json => _json;

    /// <summary>Writes features from the reader into the already open "features" array; returns how many.</summary>
    public async Task<int> WriteFeaturesAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var count = 0;
        while (await reader.ReadAsync(ct))
        {
            WriteFeature(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
            count++;
            if (_buffer.WrittenCount >= ChunkBytes)
            {
                await FlushAsync();
            }
        }
        return count;
    }

    public void WriteFeature(string id, string propertiesJson, string? geometryJson)
    {
        _json.WriteStartObject();
        _json.WriteString("type"u8, "Feature"u8);
        _json.WriteString("id"u8, _featureId is null ? id : _featureId(id));
        _json.WritePropertyName("geometry"u8);
        if (geometryJson is null)
        {
            _json.WriteNullValue();
        }
        else
        {
            _json.WriteRawValue(geometryJson, skipInputValidation: true);
        }
        _json.WritePropertyName("properties"u8);
        _json.WriteRawValue(propertiesJson, skipInputValidation: true);
        _json.WriteEndObject();
    }

    public async ValueTask FlushAsync()
    {
        _json.Flush();
        if (_buffer.WrittenCount > 0)
        {
            await _sink(_buffer.WrittenMemory);
            _buffer.ResetWrittenCount();
        }
    }

    public void Dispose() => _json.Dispose();
}

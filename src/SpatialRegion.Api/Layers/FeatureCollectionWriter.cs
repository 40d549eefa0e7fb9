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

    /// <summary>Writes features from the reader into the already open "features" array; returns how many.
    /// Properties and geometry are read as the UTF-8 bytes PostgreSQL sends and written as they are, never
    /// decoded into .NET strings (a municipality layer is megabytes of coordinates).</summary>
    public async Task<int> WriteFeaturesAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var count = 0;
        using var properties = new RowBuffer();
        using var geometry = new RowBuffer();
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetString(0);
            await properties.ReadAsync(reader, 1, ct);
            var hasGeometry = !await reader.IsDBNullAsync(2, ct);
            if (hasGeometry)
            {
                await geometry.ReadAsync(reader, 2, ct);
            }
            WriteFeature(id, properties.Span, hasGeometry ? geometry.Span : null);
            count++;
            if (_buffer.WrittenCount >= ChunkBytes)
            {
                await FlushAsync();
            }
        }
        return count;
    }

    private void WriteFeature(string id, ReadOnlySpan<byte> propertiesJson, ReadOnlySpan<byte> geometryJson, Action<Utf8JsonWriter>? members = null)
    {
        _json.WriteStartObject();
        _json.WriteString("type"u8, "Feature"u8);
        _json.WriteString("id"u8, _featureId is null ? id : _featureId(id));
        _json.WritePropertyName("geometry"u8);
        if (geometryJson.IsEmpty)
        {
            _json.WriteNullValue();
        }
        else
        {
            _json.WriteRawValue(geometryJson, skipInputValidation: true);
        }
        _json.WritePropertyName("properties"u8);
        _json.WriteRawValue(propertiesJson, skipInputValidation: true);
        members?.Invoke(_json);
        _json.WriteEndObject();
    }

    /// <summary>One column of the current row as bytes, in a pooled buffer reused row after row.</summary>
    private sealed class RowBuffer : IDisposable
    {
        private byte[] _bytes = ArrayPool<byte>.Shared.Rent(16 * 1024);
        private int _length;

        public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, _length);

        public async ValueTask ReadAsync(NpgsqlDataReader reader, int column, CancellationToken ct)
        {
            _length = 0;
            await using var stream = await reader.GetStreamAsync(column, ct);
            while (true)
            {
                if (_length == _bytes.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(_bytes.Length * 2);
                    _bytes.AsSpan(0, _length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(_bytes);
                    _bytes = larger;
                }
                var read = await stream.ReadAsync(_bytes.AsMemory(_length), ct);
                if (read == 0)
                {
                    return;
                }
                _length += read;
            }
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_bytes);
    }

    /// <summary>One feature on its own; <paramref name="members"/> adds members of the front-end's (links).</summary>
    public void WriteFeature(string id, string propertiesJson, string? geometryJson, Action<Utf8JsonWriter>? members = null) =>
        WriteFeature(id, System.Text.Encoding.UTF8.GetBytes(propertiesJson),
            geometryJson is null ? ReadOnlySpan<byte>.Empty : System.Text.Encoding.UTF8.GetBytes(geometryJson), members);

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

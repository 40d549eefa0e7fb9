using System.Buffers;
using System.Globalization;
using System.Text;
using Npgsql;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Wfs;

/// <summary>
/// Writes GML 3.2 features from rows as <see cref="LayerSql"/> selects them for GML: (fid, one text column per
/// selected property, geometry GML). UTF-8 goes straight into a small buffer handed to the sink every
/// <see cref="FeatureCollectionWriter.ChunkBytes"/>, as the GeoJSON writer does, so memory stays one chunk plus
/// one row whatever the size of the layer. Geometry text from PostGIS is copied through, with the srsName and
/// unique gml:ids put in place of its placeholders.
/// </summary>
public sealed class GmlWriter(Func<ReadOnlyMemory<byte>, ValueTask> sink)
{
    private static ReadOnlySpan<byte> IdPlaceholder => "gml:id=\"@\""u8;

    private readonly ArrayBufferWriter<byte> _buffer = new(FeatureCollectionWriter.ChunkBytes * 2);

    public bool ChunkFull => _buffer.WrittenCount >= FeatureCollectionWriter.ChunkBytes;

    public void Raw(ReadOnlySpan<char> ascii)
    {
        var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(ascii.Length));
        _buffer.Advance(Encoding.UTF8.GetBytes(ascii, span));
    }

    public void Raw(ReadOnlySpan<byte> utf8) => _buffer.Write(utf8);

    public void Number(long value)
    {
        var span = _buffer.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        _buffer.Advance(written);
    }

    /// <summary>Character data or an attribute value, escaped. Characters XML 1.0 cannot carry at all (most
    /// control characters, unpaired surrogates) become U+FFFD rather than breaking the document.</summary>
    public void Text(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c >= ' ' && c is not ('&' or '<' or '>' or '"') && !char.IsSurrogate(c) && c < '\uFFFE')
            {
                continue;
            }
            string replacement;
            switch (c)
            {
                case '&': replacement = "&amp;"; break;
                case '<': replacement = "&lt;"; break;
                case '>': replacement = "&gt;"; break;
                case '"': replacement = "&quot;"; break;
                case '\r': replacement = "&#xD;"; break;
                case '\t' or '\n': continue;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        i++;
                        continue;
                    }
                    replacement = "\uFFFD";
                    break;
            }
            Raw(text.AsSpan(start, i - start));
            Raw(replacement);
            start = i + 1;
        }
        Raw(text.AsSpan(start));
    }

    /// <summary>A geometry from PostGIS, as the UTF-8 bytes it sent: the first placeholder id (on the outermost
    /// element) becomes srsName + id, the others id.1, id.2 … so that every gml:id in the document is unique.</summary>
    public void Geometry(ReadOnlySpan<byte> gml, string escapedSrsName, string id)
    {
        var n = 0;
        int found;
        while ((found = gml.IndexOf(IdPlaceholder)) >= 0)
        {
            Raw(gml[..found]);
            if (n == 0)
            {
                Raw("srsName=\""u8);
                Raw(escapedSrsName);
                Raw("\" "u8);
            }
            Raw("gml:id=\""u8);
            Raw(id);
            if (n > 0)
            {
                Raw("."u8);
                Number(n);
            }
            Raw("\""u8);
            n++;
            gml = gml[(found + IdPlaceholder.Length)..];
        }
        Raw(gml);
    }

    public async ValueTask FlushAsync()
    {
        if (_buffer.WrittenCount > 0)
        {
            await sink(_buffer.WrittenMemory);
            _buffer.ResetWrittenCount();
        }
    }

    public static string Escape(string text)
    {
        var writer = new GmlWriter(_ => ValueTask.CompletedTask);
        writer.Text(text);
        return Encoding.UTF8.GetString(writer._buffer.WrittenSpan);
    }
}

/// <summary>Writes one feature element from a GML row: the layout of the columns is fixed per request.</summary>
public sealed class GmlFeatureRow
{
    private readonly Layer _layer;
    private readonly byte[] _open;
    private readonly byte[] _close;
    private readonly (byte[] Open, byte[] Close)[] _properties;
    private readonly byte[] _geometryOpen;
    private readonly byte[] _geometryClose;
    private readonly string _srsName;

    public GmlFeatureRow(Layer layer, IReadOnlyList<LayerProperty> properties, WfsSrs srs)
    {
        _layer = layer;
        var type = WfsNames.QualifiedTypeName(layer);
        _open = Encoding.UTF8.GetBytes("<" + type + " gml:id=\"");
        _close = Encoding.UTF8.GetBytes("</" + type + ">");
        _properties = properties.Select(p =>
        {
            var element = WfsNames.Prefix + ":" + WfsNames.PropertyElement(p.Name);
            return (Encoding.UTF8.GetBytes("<" + element + ">"), Encoding.UTF8.GetBytes("</" + element + ">"));
        }).ToArray();
        var geometry = WfsNames.Prefix + ":" + WfsNames.GeometryElement(layer);
        _geometryOpen = Encoding.UTF8.GetBytes("<" + geometry + ">");
        _geometryClose = Encoding.UTF8.GetBytes("</" + geometry + ">");
        _srsName = GmlWriter.Escape(srs.Name);
        PropertyCount = properties.Count;
    }

    public int PropertyCount { get; }

    public int GeometryColumn => PropertyCount + 1;

    public string GmlId(string fid) => WfsNames.ResourceId(_layer, fid);

    /// <summary>The feature element; <paramref name="namespaces"/> is put on it when it is a document of its own.
    /// Columns are read asynchronously, in order: in sequential access a large geometry may still be on its way
    /// from PostGIS, and waiting for it must not hold a thread.</summary>
    public async ValueTask WriteAsync(GmlWriter writer, NpgsqlDataReader reader, CancellationToken ct, string? namespaces = null)
    {
        var id = GmlId(await reader.GetFieldValueAsync<string>(0, ct));
        writer.Raw(_open);
        writer.Raw(id);
        writer.Raw("\""u8);
        if (namespaces is not null)
        {
            writer.Raw(namespaces);
        }
        writer.Raw(">"u8);
        for (var i = 0; i < _properties.Length; i++)
        {
            // A missing value is left out: every property element is optional in the schema.
            if (await reader.IsDBNullAsync(i + 1, ct))
            {
                continue;
            }
            writer.Raw(_properties[i].Open);
            writer.Text(await reader.GetFieldValueAsync<string>(i + 1, ct));
            writer.Raw(_properties[i].Close);
        }
        if (!await reader.IsDBNullAsync(GeometryColumn, ct))
        {
            writer.Raw(_geometryOpen);
            await WriteGeometryAsync(writer, reader, id, ct);
            writer.Raw(_geometryClose);
        }
        writer.Raw(_close);
    }

    /// <summary>The geometry column, copied from PostGIS's bytes without becoming a .NET string: a large polygon
    /// would otherwise be a large-object-heap string per feature.</summary>
    public async ValueTask WriteGeometryAsync(GmlWriter writer, NpgsqlDataReader reader, string id, CancellationToken ct)
    {
        await using var stream = await reader.GetStreamAsync(GeometryColumn, ct);
        var length = (int)stream.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, length), ct);
            writer.Geometry(buffer.AsSpan(0, length), _srsName, id + ".geom");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

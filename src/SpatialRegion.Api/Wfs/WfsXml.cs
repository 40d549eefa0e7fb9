using System.Xml;
using System.Xml.Linq;

namespace SpatialRegion.Api.Wfs;

/// <summary>Reading request XML safely: no DTDs (no entity expansion, no external entities), no resolver, a
/// bounded size, and a bounded depth (the filter parser and the SQL emitter walk the tree recursively, and a
/// request of a hundred thousand nested fes:Not must be refused, not overflow the stack).</summary>
public static class WfsXml
{
    public const int MaxDepth = 100;

    public const long MaxCharacters = 16 * 1024 * 1024;

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = MaxCharacters,
        Async = true,
    };

    public static XElement ParseElement(string xml)
    {
        using (var text = new StringReader(xml))
        {
            CheckDepth(text);
        }
        using var again = new StringReader(xml);
        using var reader = XmlReader.Create(again, Settings);
        return XElement.Load(reader, LoadOptions.None);
    }

    /// <summary>The body is read into memory first (the endpoint's body limit bounds it), so that it can be read
    /// twice: once as a stream that stops at the depth limit, then into a tree.</summary>
    public static async Task<XElement> LoadAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, ct);
        buffer.Position = 0;
        using (var text = new StreamReader(buffer, leaveOpen: true))
        {
            CheckDepth(text);
        }
        buffer.Position = 0;
        using var reader = XmlReader.Create(buffer, Settings);
        return (await XDocument.LoadAsync(reader, LoadOptions.None, ct)).Root!;
    }

    /// <summary>Streams through the document and stops at the first element past <see cref="MaxDepth"/>. Checking the
    /// loaded tree instead would come too late: resolving namespaces costs the reader time in proportion to the
    /// depth, so a document of fifty thousand nested elements takes seconds to load before any check could run.</summary>
    private static void CheckDepth(TextReader text)
    {
        using var reader = XmlReader.Create(text, Settings);
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth >= MaxDepth)
            {
                throw new XmlException($"Elements are nested more than {MaxDepth} deep.");
            }
        }
    }
}

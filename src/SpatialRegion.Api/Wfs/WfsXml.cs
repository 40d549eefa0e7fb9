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
        using var text = new StringReader(xml);
        using var reader = XmlReader.Create(text, Settings);
        return Bounded(XElement.Load(reader, LoadOptions.None));
    }

    public static async Task<XElement> LoadAsync(Stream body, CancellationToken ct)
    {
        using var reader = XmlReader.Create(body, Settings);
        return Bounded((await XDocument.LoadAsync(reader, LoadOptions.None, ct)).Root!);
    }

    private static XElement Bounded(XElement root)
    {
        var pending = new Stack<(XElement Element, int Depth)>();
        pending.Push((root, 1));
        while (pending.Count > 0)
        {
            var (element, depth) = pending.Pop();
            if (depth > MaxDepth)
            {
                throw new XmlException($"Elements are nested more than {MaxDepth} deep.");
            }
            foreach (var child in element.Elements())
            {
                pending.Push((child, depth + 1));
            }
        }
        return root;
    }
}

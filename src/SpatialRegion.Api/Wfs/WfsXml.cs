using System.Xml;
using System.Xml.Linq;

namespace SpatialRegion.Api.Wfs;

/// <summary>Reading request XML safely: no DTDs (no entity expansion, no external entities), no resolver.</summary>
public static class WfsXml
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        Async = true,
    };

    public static XElement ParseElement(string xml)
    {
        using var text = new StringReader(xml);
        using var reader = XmlReader.Create(text, Settings);
        return XElement.Load(reader, LoadOptions.None);
    }

    public static async Task<XElement> LoadAsync(Stream body, CancellationToken ct)
    {
        using var reader = XmlReader.Create(body, Settings);
        return (await XDocument.LoadAsync(reader, LoadOptions.None, ct)).Root!;
    }
}

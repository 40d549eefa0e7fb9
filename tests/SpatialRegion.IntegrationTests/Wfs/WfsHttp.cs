using System.Globalization;
using System.Text;
using System.Xml.Linq;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Wfs;

/// <summary>WFS requests from tests, and the XML names their answers are read with.</summary>
public static class WfsHttp
{
    /// <summary>The XML namespaces of WFS answers.</summary>
    public static class Ns
    {
        public static readonly XNamespace Wfs = "http://www.opengis.net/wfs/2.0";
        public static readonly XNamespace Fes = "http://www.opengis.net/fes/2.0";
        public static readonly XNamespace Ows = "http://www.opengis.net/ows/1.1";
        public static readonly XNamespace Gml = "http://www.opengis.net/gml/3.2";
        public static readonly XNamespace Xs = "http://www.w3.org/2001/XMLSchema";
        public static readonly XNamespace Xlink = "http://www.w3.org/1999/xlink";
        public static readonly XNamespace Sr = "urn:spatialregion:features";
    }

    public const string Base = "/wfs?SERVICE=WFS&VERSION=2.0.0";

    public sealed record Answer(int Status, string? ContentType, XDocument Xml, string Text)
    {
        public XElement Root => Xml.Root!;

        public long NumberMatched => long.Parse((string)Root.Attribute("numberMatched")!, CultureInfo.InvariantCulture);

        public int NumberReturned => int.Parse((string)Root.Attribute("numberReturned")!, CultureInfo.InvariantCulture);

        public string? Next => (string?)Root.Attribute("next");

        public string? Previous => (string?)Root.Attribute("previous");

        public List<XElement> Features(string type) => Root.Elements(Ns.Wfs + "member").Elements(Ns.Sr + type).ToList();

        public List<string> Ids(string type) => Features(type).Select(f => (string)f.Attribute(Ns.Gml + "id")!).ToList();

        /// <summary>The exception code and locator of an ows:ExceptionReport.</summary>
        public (string Code, string? Locator, string Text) Exception
        {
            get
            {
                Assert.Equal(Ns.Ows + "ExceptionReport", Root.Name);
                var e = Root.Element(Ns.Ows + "Exception")!;
                return ((string)e.Attribute("exceptionCode")!, (string?)e.Attribute("locator"), e.Element(Ns.Ows + "ExceptionText")?.Value ?? "");
            }
        }
    }

    public static async Task<Answer> GetXmlAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        return await ReadAsync(response);
    }

    public static async Task<Answer> PostXmlAsync(this HttpClient client, string xml, string url = "/wfs")
    {
        using var content = new StringContent(xml, Encoding.UTF8, "application/xml");
        using var response = await client.PostAsync(url, content, TestContext.Current.CancellationToken);
        return await ReadAsync(response);
    }

    private static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        XDocument xml;
        try
        {
            xml = XDocument.Parse(text);
        }
        catch (System.Xml.XmlException e)
        {
            Assert.Fail($"{(int)response.StatusCode} answer is not XML ({e.Message}): {text[..Math.Min(500, text.Length)]}");
            throw;
        }
        return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), xml, text);
    }

    /// <summary>A GetFeature URL; parameters are escaped here.</summary>
    public static string GetFeature(params (string Key, string Value)[] parameters) =>
        Base + "&REQUEST=GetFeature" + string.Concat(parameters.Select(p => "&" + p.Key + "=" + Uri.EscapeDataString(p.Value)));

    /// <summary>Every position of a GML geometry as written (first, second axis).</summary>
    public static IEnumerable<(double First, double Second)> Positions(XElement geometry)
    {
        foreach (var list in geometry.Descendants().Where(e => e.Name == Ns.Gml + "posList" || e.Name == Ns.Gml + "pos"))
        {
            var n = list.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            for (var i = 0; i + 1 < n.Length; i += 2)
            {
                yield return (n[i], n[i + 1]);
            }
        }
    }

    /// <summary>The path and query of an absolute link, to follow it with the in-memory test client.</summary>
    public static string Relative(string link)
    {
        var uri = new Uri(link);
        return uri.PathAndQuery;
    }

    /// <summary>The resource ids (type.fid, in fid order) of the features of a layer that a SQL condition selects.</summary>
    public static async Task<List<string>> ResourceIdsWhere(this PostgisFixture db, string layer, string where = "TRUE", params object[] parameters)
    {
        var ids = new List<string>();
        await using var cmd = db.DataSource.CreateCommand($"SELECT fid FROM layer_features WHERE layer_id = $1 AND ({where}) ORDER BY fid");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = layer });
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = p });
        }
        await using var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            ids.Add(layer + "." + reader.GetString(0));
        }
        return ids;
    }

    public static string FesFilter(string predicate) =>
        $"<fes:Filter xmlns:fes=\"http://www.opengis.net/fes/2.0\" xmlns:gml=\"http://www.opengis.net/gml/3.2\" xmlns:sr=\"urn:spatialregion:features\">{predicate}</fes:Filter>";
}

using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using SpatialRegion.Api.Http;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Wfs;

/// <summary>
/// WFS 2.0.0 at /wfs over the layer registry: every layer is a feature type. KVP requests by GET, XML requests
/// by POST; both end in the same request records, the same SQL builder and the same streamed writers as the
/// other front-ends. Every error is an ows:ExceptionReport.
/// </summary>
public static class WfsApi
{
    public const string Path = "/wfs";

    /// <summary>POST bodies are filters and queries, not data: anything larger is refused unread (413).</summary>
    public const long MaxRequestBytes = 2 * 1024 * 1024;

    public static RouteGroupBuilder MapWfs(this IEndpointRouteBuilder routes)
    {
        var wfs = routes.MapGroup(Path).WithTags("WFS").AnswersErrorsAs(ErrorFormat.Wfs);
        wfs.MapMethods("", [HttpMethods.Get, HttpMethods.Head], HandleGet)
            .WithSummary("WFS 2.0.0, KVP encoding: GetCapabilities, DescribeFeatureType, GetFeature, GetPropertyValue, ListStoredQueries, DescribeStoredQueries.")
            .WithDescription("Every layer is a feature type sr:<layer id>. Default CRS urn:ogc:def:crs:EPSG::3006 (northing, easting); GML 3.2 or GeoJSON.")
            .Produces(StatusCodes.Status200OK, contentType: WfsFormats.Gml);
        wfs.MapPost("", HandlePost)
            .WithSummary("WFS 2.0.0, XML encoding: the same operations as a request document, and Transaction (Insert, Update, Delete) on sr:measures for editors.")
            .Accepts<string>("application/xml", "text/xml")
            .Produces(StatusCodes.Status200OK, contentType: WfsFormats.Gml)
            .DisableAntiforgery()
            .LimitBodyTo(MaxRequestBytes);
        return wfs;
    }

    /// <summary>What an operation reads from a request, whichever encoding it came in.</summary>
    private sealed record Arguments(
        string? AcceptVersions,
        string? Sections,
        string? TypeNames,
        Func<string, string?> NamespaceOfPrefix,
        string? OutputFormat,
        string? StoredQueryIds,
        Func<WfsRequestParser, bool, GetFeatureRequest> FeatureRequest);

    private static async Task<IResult> HandleGet(HttpContext context, LayerCatalog catalog, IOptions<SpatialRegionOptions> options, CancellationToken ct)
    {
        var q = context.Request.Query;
        string? Get(string name) => WfsRequestParser.Value(q, name);
        var operation = Operation(Get("REQUEST") ?? throw WfsException.Missing("REQUEST"));
        CheckServiceAndVersion(operation, Get("SERVICE"), Get("VERSION"));
        return Dispatch(context, operation, await catalog.AllAsync(ct), options.Value, new Arguments(
            Get("ACCEPTVERSIONS"),
            Get("SECTIONS"),
            Get("TYPENAMES") ?? Get("TYPENAME"),
            WfsQueryReader.Namespaces(Get("NAMESPACES")).GetValueOrDefault,
            Get("OUTPUTFORMAT"),
            Get("STOREDQUERY_ID"),
            (parser, propertyValue) => parser.FromKvp(q, propertyValue)));
    }

    private static async Task<IResult> HandlePost(HttpContext context, LayerCatalog catalog, IOptions<SpatialRegionOptions> options, CancellationToken ct)
    {
        XElement root;
        try
        {
            root = await WfsXml.LoadAsync(context.Request.Body, ct);
        }
        catch (XmlException e)
        {
            throw WfsException.Parsing("request", $"The request body is not well-formed XML: {e.Message}");
        }
        if (WfsTransaction.IsTransaction(root))
        {
            return await WfsTransaction.HandleAsync(context, root, await catalog.AllAsync(ct), ct);
        }
        var operation = Operation(root.Name.LocalName);
        if (root.Name.Namespace != WfsNames.Wfs)
        {
            throw WfsException.Parsing("request", $"The request element must be in namespace {WfsNames.Wfs}; got {root.Name}.");
        }
        CheckServiceAndVersion(operation, (string?)root.Attribute("service") ?? "WFS", (string?)root.Attribute("version") ?? WfsNames.Version);
        string? List(IEnumerable<XElement> elements, string localName) =>
            string.Join(',', elements.Where(e => e.Name.LocalName == localName).Select(e => e.Value.Trim())) is { Length: > 0 } list ? list : null;
        return Dispatch(context, operation, await catalog.AllAsync(ct), options.Value, new Arguments(
            List(root.Descendants(), "Version"),
            List(root.Descendants(), "Section"),
            List(root.Elements(), "TypeName"),
            p => root.GetNamespaceOfPrefix(p)?.NamespaceName,
            (string?)root.Attribute("outputFormat"),
            List(root.Elements(), "StoredQueryId"),
            (parser, propertyValue) => parser.FromXml(root, propertyValue)));
    }

    private static IResult Dispatch(HttpContext context, string operation, IReadOnlyCollection<Layer> layers, SpatialRegionOptions options, Arguments a)
    {
        var reader = new WfsQueryReader(layers, options);
        return operation switch
        {
            "GetCapabilities" => Capabilities(context, reader, a.AcceptVersions, a.Sections),
            "DescribeFeatureType" => DescribeFeatureType(context, reader, a.TypeNames, a.NamespaceOfPrefix, a.OutputFormat),
            "ListStoredQueries" => Document(context, reader, operation, w => WfsDocuments.ListStoredQueries(w, reader.Layers)),
            "DescribeStoredQueries" => DescribeStoredQueries(context, reader, a.StoredQueryIds),
            "GetFeature" => Features(context, a.FeatureRequest(new WfsRequestParser(reader), false)),
            _ => Features(context, a.FeatureRequest(new WfsRequestParser(reader), true)),
        };
    }

    private static readonly string[] Operations =
        ["GetCapabilities", "DescribeFeatureType", "GetFeature", "GetPropertyValue", "ListStoredQueries", "DescribeStoredQueries"];

    private static readonly string[] Unsupported =
        ["LockFeature", "GetFeatureWithLock", "CreateStoredQuery", "DropStoredQuery", "GetGmlObject"];

    /// <summary>Operation names are matched without regard to case, as servers commonly do for KVP.</summary>
    private static string Operation(string request)
    {
        var name = request.Trim();
        return Operations.FirstOrDefault(o => o.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw (Unsupported.Any(o => o.Equals(name, StringComparison.OrdinalIgnoreCase))
                ? WfsException.NotSupported(name, $"{name} is not offered. Operations: {string.Join(", ", Operations)}, and Transaction (POST, on sr:measures).")
                : WfsException.NotSupported(name, $"Unknown operation '{name}'. Operations: {string.Join(", ", Operations)}."));
    }

    private static void CheckServiceAndVersion(string operation, string? service, string? version)
    {
        if (service is null)
        {
            throw WfsException.Missing("SERVICE", "The parameter SERVICE=WFS is required.");
        }
        if (!service.Trim().Equals("WFS", StringComparison.OrdinalIgnoreCase))
        {
            throw WfsException.Invalid("SERVICE", $"This is a WFS; SERVICE must be WFS, not '{service}'.");
        }
        // GetCapabilities negotiates with ACCEPTVERSIONS; every other operation states the version it speaks.
        if (operation == "GetCapabilities")
        {
            return;
        }
        if (version is null)
        {
            throw WfsException.Missing("VERSION", "The parameter VERSION=2.0.0 is required.");
        }
        if (version.Trim() is not ("2.0.0" or "2.0.2"))
        {
            throw WfsException.Invalid("VERSION", $"This service speaks WFS 2.0.0 only; got VERSION={version}.");
        }
    }

    private static IResult Capabilities(HttpContext context, WfsQueryReader reader, string? acceptVersions, string? sectionsText)
    {
        if (acceptVersions is not null
            && !acceptVersions.Split(',', StringSplitOptions.TrimEntries).Any(v => v.StartsWith("2.0.", StringComparison.Ordinal)))
        {
            throw new WfsException("VersionNegotiationFailed", "ACCEPTVERSIONS", $"This service speaks WFS 2.0.0 only; none of '{acceptVersions}' is that.");
        }
        var sections = new HashSet<string>(WfsDocuments.Sections, StringComparer.Ordinal);
        if (sectionsText is not null)
        {
            var asked = sectionsText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (!asked.Contains("All", StringComparer.OrdinalIgnoreCase))
            {
                var unknown = asked.FirstOrDefault(s => !WfsDocuments.Sections.Contains(s));
                if (unknown is not null)
                {
                    throw WfsException.Invalid("SECTIONS", $"Unknown section '{unknown}'. Sections: All, {string.Join(", ", WfsDocuments.Sections)}.");
                }
                sections.IntersectWith(asked);
            }
        }
        var endpoint = Endpoint(context.Request);
        return Document(context, reader, "GetCapabilities|" + string.Join(',', WfsDocuments.Sections.Where(sections.Contains)),
            w => WfsDocuments.Capabilities(w, reader.Layers, endpoint, reader.CountDefault, sections));
    }

    private static IResult DescribeFeatureType(HttpContext context, WfsQueryReader reader, string? typeNames, Func<string, string?> namespaceOfPrefix, string? outputFormat)
    {
        if (outputFormat is not null && WfsQueryReader.OutputFormat(outputFormat) != WfsOutputFormat.Gml32
            && !outputFormat.Trim().Equals("XMLSCHEMA", StringComparison.OrdinalIgnoreCase))
        {
            throw WfsException.Invalid("OUTPUTFORMAT", $"DescribeFeatureType answers in XML Schema for GML 3.2 ({WfsFormats.Gml}); got '{outputFormat}'.");
        }
        var layers = typeNames is null
            ? reader.Layers
            : WfsQueryReader.Unparenthesise(typeNames).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(t => reader.ResolveType(t, namespaceOfPrefix, "TYPENAMES")).Distinct().ToList();
        return Document(context, reader, "DescribeFeatureType|" + string.Join(',', layers.Select(l => l.Id)),
            w => WfsDocuments.Schema(w, layers), WfsFormats.Schema);
    }

    private static IResult DescribeStoredQueries(HttpContext context, WfsQueryReader reader, string? ids)
    {
        foreach (var id in ids?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [])
        {
            if (id is not (WfsNames.GetFeatureById or WfsNames.GetFeatureByIdUri))
            {
                throw WfsException.Invalid("STOREDQUERY_ID", $"There is no stored query '{id}'. ListStoredQueries lists them: {WfsNames.GetFeatureById}.");
            }
        }
        return Document(context, reader, "DescribeStoredQueries", w => WfsDocuments.DescribeStoredQueries(w, reader.Layers));
    }

    private static IResult Features(HttpContext context, GetFeatureRequest request)
    {
        var layer = request.Query.Layer;
        var query = request.ToFeatureQuery();
        // Builds the SQL once here, so that a filter the layer cannot run (a type mismatch, say) is this
        // request's exception report rather than a failure after the response has begun.
        LayerSql.Items(layer, query);
        if (request.ById)
        {
            return new SingleFeatureResult(request);
        }
        var links = new WfsLinks(Endpoint(context.Request), request);
        IFeatureCollectionFormat format = request.Format == WfsOutputFormat.GeoJson
            ? new GeoJsonFeatureCollectionFormat(new WfsGeoJsonEnvelope(request, links), WfsFormats.Json, fid => WfsNames.ResourceId(layer, fid))
            : new GmlCollectionFormat(request, links, DescribeUrl(context.Request, layer));
        return new FeatureCollectionResult(layer, query, format, cacheable: !request.FromPost);
    }

    private static string DescribeUrl(HttpRequest request, Layer layer)
    {
        var query = new QueryBuilder
        {
            { "SERVICE", "WFS" },
            { "VERSION", WfsNames.Version },
            { "REQUEST", "DescribeFeatureType" },
            { "TYPENAMES", WfsNames.QualifiedTypeName(layer) },
            { "NAMESPACES", $"xmlns({WfsNames.Prefix},{WfsNames.Features})" },
        };
        return Endpoint(request) + query.ToQueryString();
    }

    public static string Endpoint(HttpRequest request) => RequestUrls.Base(request) + Path;

    /// <summary>
    /// A document that depends on the registry and the request's arguments only (capabilities, schemas, stored
    /// queries), <paramref name="arguments"/> spelling those arguments once parsed: built once per state of the
    /// registry and endpoint, then answered from the response cache (compressed too) and revalidated by the
    /// registry's ETag. QGIS asks for capabilities and schemas every time a project opens.
    /// </summary>
    private static CachedBodyResult Document(
        HttpContext context, WfsQueryReader reader, string arguments, Action<XmlWriter> write, string contentType = WfsFormats.Xml)
    {
        var etag = HttpCaching.ETagForCatalogue(reader.Layers, "wfs");
        return new CachedBodyResult(etag, contentType, $"wfs|{etag}|{Endpoint(context.Request)}|{arguments}",
            context.RequestServices.GetRequiredService<ResponseCache>(),
            (stream, ct) => stream.WriteAsync(WfsDocuments.Write(write), ct).AsTask());
    }

    public static IResult Exception(WfsException e) =>
        Results.Text(WfsDocuments.Write(w => WfsDocuments.ExceptionReport(w, e)), WfsFormats.Xml, statusCode: e.Status);
}

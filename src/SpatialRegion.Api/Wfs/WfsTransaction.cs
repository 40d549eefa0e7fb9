using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using NetTopologySuite.IO.Converters;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Crs;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Measures;

namespace SpatialRegion.Api.Wfs;

/// <summary>
/// WFS-T on the <c>measures</c> feature type: Insert, Update and Delete in one Transaction, all kept or none. QGIS's
/// WFS provider (3.22, Debian 12) writes its transactions as WFS 1.0.0 documents (namespace
/// http://www.opengis.net/wfs, GML 2 geometries in x/y order, ogc:FeatureId filters) even against a WFS 2.0 server,
/// and reads a WFS_TransactionResponse back; 1.1.0 and 2.0 documents are answered in their own form. Every edit goes
/// through the register's validation and history; the key of the caller (Bearer, X-Api-Key or HTTP Basic password)
/// must have the editor role.
/// </summary>
public static class WfsTransaction
{
    public const string Wfs1 = "http://www.opengis.net/wfs";

    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new GeoJsonConverterFactory() } };

    public static bool IsTransaction(XElement root) =>
        root.Name.LocalName == "Transaction" && (root.Name.Namespace == Wfs1 || root.Name.Namespace == WfsNames.Wfs);

    public static async Task<IResult> HandleAsync(HttpContext context, XElement root, IReadOnlyCollection<Layer> layers, CancellationToken ct)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"SpatialRegion\", charset=\"UTF-8\"";
            throw new WfsException("OperationProcessingFailed", "Transaction",
                "A Transaction changes data: send an API key with the editor role (HTTP Basic password, Bearer or X-Api-Key).", StatusCodes.Status401Unauthorized);
        }
        if (!user.IsInRole(ApiRoles.Editor) && !user.IsInRole(ApiRoles.Admin))
        {
            throw new WfsException("OperationProcessingFailed", "Transaction", $"The key '{user.Identity.Name}' may not edit.", StatusCodes.Status403Forbidden);
        }
        var version = (string?)root.Attribute("version") ?? (root.Name.Namespace == Wfs1 ? "1.0.0" : WfsNames.Version);
        var actions = root.Elements().Where(e => e.Name.LocalName is "Insert" or "Update" or "Delete" or "Replace" or "Native").ToList();
        if (actions.Count == 0)
        {
            throw WfsException.Missing("Transaction", "A Transaction needs at least one Insert, Update or Delete.");
        }
        var measures = layers.FirstOrDefault(l => l.Id == MeasureLayers.Measures)
            ?? throw WfsException.Processing("Transaction", "The register has no measures layer yet.");
        var store = context.RequestServices.GetRequiredService<MeasureStore>();
        var caller = MeasuresApi.Caller(context);
        var reader = new WfsQueryReader(layers, context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Infrastructure.SpatialRegionOptions>>().Value);

        var (inserted, updated, deleted) = (new List<string>(), 0, 0);
        try
        {
            await store.EditAsync(async edits =>
            {
                foreach (var action in actions)
                {
                    switch (action.Name.LocalName)
                    {
                        case "Insert":
                            foreach (var feature in action.Elements())
                            {
                                if (XmlConvert.DecodeName(feature.Name.LocalName) != measures.Id)
                                {
                                    throw WfsException.Invalid("typeName", $"Only sr:{measures.Id} can be edited; {feature.Name.LocalName} is read-only.");
                                }
                                var (properties, geometry, srid) = ReadFeature(feature, measures, version);
                                var result = await edits.CreateAsync(MeasureFeatureReader.Apply(null, properties, geometry, srid), caller, force: false);
                                inserted.Add(WfsNames.ResourceId(measures, result.Id));
                            }
                            break;
                        case "Update":
                            CheckType(TypeOf(action, reader), measures);
                            var changes = ReadProperties(action, measures, version);
                            foreach (var id in FeatureIds(action, measures))
                            {
                                var current = await edits.DocumentAsync(id);
                                if (current is null || current["deleted"]!.GetValue<bool>())
                                {
                                    throw WfsException.Invalid("Update", $"There is no measure '{id}'.");
                                }
                                var input = MeasureFeatureReader.Apply(current, changes.Properties, changes.Geometry, changes.Srid);
                                await edits.UpdateAsync(id, input, ifMatch: null, caller, force: false, requireIfMatch: false);
                                updated++;
                            }
                            break;
                        case "Delete":
                            CheckType(TypeOf(action, reader), measures);
                            foreach (var id in FeatureIds(action, measures))
                            {
                                await edits.DeleteAsync(id, ifMatch: null, caller);
                                deleted++;
                            }
                            break;
                        default:
                            throw WfsException.NotSupported(action.Name.LocalName, $"{action.Name.LocalName} is not offered; use Insert, Update and Delete.");
                    }
                }
                return true;
            }, ct);
        }
        catch (InvalidQueryException e)
        {
            throw WfsException.Invalid(e.Parameter, e.Message);
        }
        catch (MeasureWriteException e)
        {
            throw new WfsException("OperationProcessingFailed", "Transaction", e.Message, e.Status);
        }
        return Results.Bytes(WfsDocuments.Write(w => Response(w, version, root.Name.Namespace, inserted, updated, deleted)), WfsFormats.Xml);
    }

    private static void CheckType(Layer layer, Layer measures)
    {
        if (layer.Id != measures.Id)
        {
            throw WfsException.Invalid("typeName", $"Only sr:{measures.Id} can be edited; sr:{layer.Id} is read-only.");
        }
    }

    private static Layer TypeOf(XElement action, WfsQueryReader reader)
    {
        var name = (string?)action.Attribute("typeName") ?? (string?)action.Attribute("typeNames")
            ?? throw WfsException.Missing("typeName", $"{action.Name.LocalName} needs a typeName.");
        return reader.ResolveType(name, p => action.GetNamespaceOfPrefix(p)?.NamespaceName, action.Name.LocalName);
    }

    /// <summary>The measure ids a filter names: ogc:FeatureId (1.x), fes:ResourceId (2.0) or gml:id of GmlObjectId.</summary>
    private static List<string> FeatureIds(XElement action, Layer measures)
    {
        var filter = action.Elements().FirstOrDefault(e => e.Name.LocalName == "Filter")
            ?? throw WfsException.Missing("Filter", $"{action.Name.LocalName} needs a Filter naming the features by id.");
        var ids = new List<string>();
        foreach (var e in filter.Elements())
        {
            var rid = e.Name.LocalName switch
            {
                "FeatureId" => (string?)e.Attribute("fid"),
                "ResourceId" => (string?)e.Attribute("rid"),
                "GmlObjectId" => (string?)e.Attributes().FirstOrDefault(a => a.Name.LocalName == "id"),
                _ => throw WfsException.OptionNotSupported("Filter", $"{action.Name.LocalName} selects features by id only (ogc:FeatureId or fes:ResourceId); got {e.Name.LocalName}."),
            } ?? throw WfsException.Invalid("Filter", $"{e.Name.LocalName} names no id.");
            ids.Add(WfsNames.SplitResourceId(rid) is { } split && split.LayerId == measures.Id ? split.Fid : rid);
        }
        return ids.Count > 0 ? ids : throw WfsException.Missing("Filter", "The Filter names no feature.");
    }

    private static (List<KeyValuePair<string, JsonNode?>> Properties, string? Geometry, int Srid) ReadFeature(XElement feature, Layer measures, string version)
    {
        var properties = new List<KeyValuePair<string, JsonNode?>>();
        string? geometry = null;
        var srid = 3006;
        foreach (var child in feature.Elements())
        {
            var name = XmlConvert.DecodeName(child.Name.LocalName);
            if (name == WfsNames.GeometryElement(measures))
            {
                (geometry, srid) = ReadGeometry(child.Elements().FirstOrDefault(), version);
            }
            else
            {
                properties.Add(new(name, child.IsEmpty || child.Value.Length == 0 ? null : JsonValue.Create(child.Value)));
            }
        }
        return (properties, geometry, srid);
    }

    private static (List<KeyValuePair<string, JsonNode?>> Properties, string? Geometry, int Srid) ReadProperties(XElement update, Layer measures, string version)
    {
        var properties = new List<KeyValuePair<string, JsonNode?>>();
        string? geometry = null;
        var srid = 3006;
        foreach (var property in update.Elements().Where(e => e.Name.LocalName == "Property"))
        {
            var reference = property.Elements().FirstOrDefault(e => e.Name.LocalName is "Name" or "ValueReference")?.Value.Trim()
                ?? throw WfsException.Missing("Property", "A Property needs a Name.");
            var name = XmlConvert.DecodeName(reference.Contains(':', StringComparison.Ordinal) ? reference[(reference.IndexOf(':', StringComparison.Ordinal) + 1)..] : reference);
            var value = property.Elements().FirstOrDefault(e => e.Name.LocalName == "Value");
            if (name == WfsNames.GeometryElement(measures))
            {
                (geometry, srid) = ReadGeometry(value?.Elements().FirstOrDefault(), version);
            }
            else
            {
                // WFS has no nil: QGIS leaves Value out to clear a value.
                properties.Add(new(name, value is null || value.Value.Length == 0 ? null : JsonValue.Create(value.Value)));
            }
        }
        return (properties, geometry, srid);
    }

    private static (string Geometry, int Srid) ReadGeometry(XElement? gml, string version)
    {
        if (gml is null || !GmlGeometryReader.IsGeometry(gml))
        {
            throw WfsException.Invalid("geometry", "The geometry property holds no GML geometry.");
        }
        var geometry = GmlGeometryReader.Read(gml, new CrsReference(3006, CrsForm.ShortCode), "geometry", eastingFirst: version.StartsWith("1.0", StringComparison.Ordinal));
        return (JsonSerializer.Serialize(geometry, GeoJson), geometry.SRID);
    }

    private static void Response(XmlWriter w, string version, XNamespace ns, List<string> inserted, int updated, int deleted)
    {
        if (version.StartsWith("1.0", StringComparison.Ordinal))
        {
            w.WriteStartElement("wfs", "WFS_TransactionResponse", Wfs1);
            w.WriteAttributeString("version", "1.0.0");
            w.WriteAttributeString("xmlns", "ogc", null, WfsNames.Ogc);
            foreach (var id in inserted)
            {
                w.WriteStartElement("wfs", "InsertResult", Wfs1);
                w.WriteStartElement("ogc", "FeatureId", WfsNames.Ogc);
                w.WriteAttributeString("fid", id);
                w.WriteEndElement();
                w.WriteEndElement();
            }
            w.WriteStartElement("wfs", "TransactionResult", Wfs1);
            w.WriteStartElement("wfs", "Status", Wfs1);
            w.WriteElementString("wfs", "SUCCESS", Wfs1, "");
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            return;
        }
        var wfs = ns.NamespaceName;
        w.WriteStartElement("wfs", "TransactionResponse", wfs);
        w.WriteAttributeString("version", version.StartsWith("1.1", StringComparison.Ordinal) ? "1.1.0" : WfsNames.Version);
        w.WriteStartElement("wfs", "TransactionSummary", wfs);
        w.WriteElementString("wfs", "totalInserted", wfs, inserted.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteElementString("wfs", "totalUpdated", wfs, updated.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteElementString("wfs", "totalDeleted", wfs, deleted.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndElement();
        if (inserted.Count > 0)
        {
            w.WriteStartElement("wfs", "InsertResults", wfs);
            foreach (var id in inserted)
            {
                w.WriteStartElement("wfs", "Feature", wfs);
                if (wfs == WfsNames.Wfs)
                {
                    w.WriteStartElement("fes", "ResourceId", WfsNames.Fes);
                    w.WriteAttributeString("rid", id);
                }
                else
                {
                    w.WriteStartElement("ogc", "FeatureId", WfsNames.Ogc);
                    w.WriteAttributeString("fid", id);
                }
                w.WriteEndElement();
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }
}

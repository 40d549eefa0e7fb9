using System.Globalization;
using System.Xml.Linq;
using NetTopologySuite.Geometries;
using SpatialRegion.Api.Crs;

namespace SpatialRegion.Api.Wfs;

/// <summary>
/// Reads the GML geometries a filter can carry (GML 3.2, and GML 3.1.1/2 as older clients write them) into NTS
/// geometries with x = easting/longitude, whatever axis order the srsName form implies. An envelope in Web
/// Mercator becomes the exact lon/lat box it covers (the projection is separable), so a BBOX filter stays a box
/// and is served by the WGS 84 index, as a KVP BBOX is.
/// </summary>
public static class GmlGeometryReader
{
    private static readonly HashSet<string> GeometryNames =
    [
        "Point", "LineString", "LinearRing", "Polygon", "Envelope", "Box", "MultiPoint", "MultiLineString", "MultiCurve",
        "MultiPolygon", "MultiSurface", "Curve", "Surface", "MultiGeometry",
    ];

    public static bool IsGeometry(XElement e) => IsGml(e.Name.Namespace) && GeometryNames.Contains(e.Name.LocalName);

    public static bool IsEnvelope(XElement e) => IsGml(e.Name.Namespace) && e.Name.LocalName is "Envelope" or "Box";

    private static bool IsGml(XNamespace ns) => ns == WfsNames.Gml || ns == WfsNames.Gml311;

    /// <summary>Reads a geometry; its srsName, or else <paramref name="defaultCrs"/>, says CRS and axis order, unless
    /// <paramref name="eastingFirst"/> says the coordinates are x/y whatever the srsName (WFS 1.0 documents).</summary>
    public static Geometry Read(XElement element, CrsReference defaultCrs, string locator, bool eastingFirst = false)
    {
        var srsName = (string?)element.Attribute("srsName");
        var crs = srsName is null ? defaultCrs : CrsReference.Parse(srsName)
            ?? throw WfsException.Invalid(locator, $"Unknown srsName '{srsName}' on gml:{element.Name.LocalName}.");
        if (!OutputCrs.IsSupported(crs.Srid))
        {
            throw WfsException.Invalid(locator, $"Unsupported srsName '{srsName}' on gml:{element.Name.LocalName}. Supported: {OutputCrs.SupportedList}.");
        }
        var reader = new Reader(new GeometryFactory(new PrecisionModel(), crs.Srid), !eastingFirst && WfsAxisOrder.IsNorthingFirst(crs), locator);
        try
        {
            if (IsEnvelope(element))
            {
                return reader.Envelope(element);
            }
            var geometry = reader.Geometry(element);
            if (geometry.IsEmpty)
            {
                throw WfsException.Invalid(locator, $"The gml:{element.Name.LocalName} has no coordinates.");
            }
            return geometry;
        }
        catch (ArgumentException e)
        {
            // NTS refuses unclosed rings and rings of fewer than four points.
            throw WfsException.Invalid(locator, $"Invalid gml:{element.Name.LocalName}: {e.Message}");
        }
    }

    private sealed class Reader(GeometryFactory factory, bool swap, string locator)
    {
        public Geometry Geometry(XElement e) => e.Name.LocalName switch
        {
            "Point" => factory.CreatePoint(Single(e)),
            "LineString" => factory.CreateLineString(Positions(e)),
            "Curve" => factory.CreateLineString(CurveSegments(e)),
            "LinearRing" => factory.CreateLinearRing(Positions(e)),
            "Polygon" => Polygon(e),
            "Surface" => Surface(e),
            "MultiPoint" => factory.CreateMultiPoint(Members(e, "pointMember", "pointMembers").Select(m => (Point)Geometry(m)).ToArray()),
            "MultiLineString" or "MultiCurve" =>
                factory.CreateMultiLineString(Members(e, "lineStringMember", "curveMember", "curveMembers").Select(m => (LineString)Geometry(m)).ToArray()),
            "MultiPolygon" or "MultiSurface" =>
                factory.CreateMultiPolygon(Members(e, "polygonMember", "surfaceMember", "surfaceMembers").Select(m => (Polygon)Geometry(m)).ToArray()),
            "Envelope" or "Box" => Envelope(e),
            _ => throw WfsException.Invalid(locator, $"gml:{e.Name.LocalName} is not a geometry this service reads."),
        };

        public Geometry Envelope(XElement e)
        {
            Coordinate lower, upper;
            if (Child(e, "lowerCorner") is { } lc && Child(e, "upperCorner") is { } uc)
            {
                lower = Tuples(lc.Value, Dimension(lc, e)).Single();
                upper = Tuples(uc.Value, Dimension(uc, e)).Single();
            }
            else
            {
                var corners = Positions(e);
                if (corners.Length != 2)
                {
                    throw WfsException.Invalid(locator, $"A gml:{e.Name.LocalName} needs exactly two corners.");
                }
                (lower, upper) = (corners[0], corners[1]);
            }
            if (lower.X > upper.X || lower.Y > upper.Y)
            {
                throw WfsException.Invalid(locator, $"The gml:{e.Name.LocalName} has its lower corner above or right of its upper corner (check the axis order of its srsName).");
            }
            if (factory.SRID == 3857)
            {
                var (minLon, minLat) = WebMercator.ToLonLat(lower.X, lower.Y);
                var (maxLon, maxLat) = WebMercator.ToLonLat(upper.X, upper.Y);
                return new GeometryFactory(new PrecisionModel(), 4326).ToGeometry(new Envelope(minLon, maxLon, minLat, maxLat));
            }
            return factory.ToGeometry(new Envelope(lower.X, upper.X, lower.Y, upper.Y));
        }

        private Polygon Polygon(XElement e)
        {
            var exterior = Child(e, "exterior") ?? Child(e, "outerBoundaryIs")
                ?? throw WfsException.Invalid(locator, "A gml:Polygon needs an exterior ring.");
            var holes = e.Elements().Where(c => c.Name.LocalName is "interior" or "innerBoundaryIs").Select(Ring).ToArray();
            return factory.CreatePolygon(Ring(exterior), holes);
        }

        private Polygon Surface(XElement e)
        {
            var patches = Child(e, "patches")?.Elements().Where(p => p.Name.LocalName == "PolygonPatch").ToList() ?? [];
            if (patches.Count != 1)
            {
                throw WfsException.Invalid(locator, "A gml:Surface is read only with exactly one gml:PolygonPatch.");
            }
            return Polygon(patches[0]);
        }

        private LinearRing Ring(XElement boundary)
        {
            var ring = boundary.Elements().FirstOrDefault(c => c.Name.LocalName is "LinearRing")
                ?? throw WfsException.Invalid(locator, $"gml:{boundary.Name.LocalName} needs a gml:LinearRing.");
            return factory.CreateLinearRing(Positions(ring));
        }

        private Coordinate[] CurveSegments(XElement e)
        {
            var segments = Child(e, "segments")?.Elements().Where(s => s.Name.LocalName == "LineStringSegment").ToList() ?? [];
            if (segments.Count == 0)
            {
                throw WfsException.Invalid(locator, "A gml:Curve needs gml:LineStringSegment segments.");
            }
            var coordinates = new List<Coordinate>();
            foreach (var segment in segments)
            {
                var points = Positions(segment);
                coordinates.AddRange(coordinates.Count > 0 && points.Length > 0 && points[0].Equals2D(coordinates[^1]) ? points.Skip(1) : points);
            }
            return coordinates.ToArray();
        }

        private static IEnumerable<XElement> Members(XElement e, params string[] names)
        {
            foreach (var member in e.Elements().Where(c => names.Contains(c.Name.LocalName)))
            {
                foreach (var geometry in member.Elements())
                {
                    yield return geometry;
                }
            }
        }

        private Coordinate Single(XElement point)
        {
            var positions = Positions(point);
            return positions.Length == 1 ? positions[0] : throw WfsException.Invalid(locator, "A gml:Point needs exactly one position.");
        }

        /// <summary>posList, a run of pos, or GML 2 coordinates, in the element or directly below it.</summary>
        private Coordinate[] Positions(XElement e)
        {
            if (Child(e, "posList") is { } posList)
            {
                return Tuples(posList.Value, Dimension(posList, e)).ToArray();
            }
            var pos = e.Elements().Where(c => c.Name.LocalName == "pos").ToList();
            if (pos.Count > 0)
            {
                return pos.Select(p => Tuples(p.Value, Dimension(p, e)).Single()).ToArray();
            }
            if (Child(e, "coordinates") is { } coordinates)
            {
                return Gml2Coordinates(coordinates);
            }
            var coords = e.Elements().Where(c => c.Name.LocalName == "coord").ToList();
            if (coords.Count > 0)
            {
                return coords.Select(c => Position(Number((string?)Child(c, "X")), Number((string?)Child(c, "Y")))).ToArray();
            }
            throw WfsException.Invalid(locator, $"gml:{e.Name.LocalName} has no gml:posList, gml:pos or gml:coordinates.");
        }

        private int Dimension(XElement positions, XElement geometry)
        {
            var text = (string?)positions.Attribute("srsDimension") ?? (string?)geometry.Attribute("srsDimension");
            if (text is null)
            {
                return 2;
            }
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d is 2 or 3
                ? d
                : throw WfsException.Invalid(locator, $"srsDimension must be 2 or 3; got '{text}'.");
        }

        private IEnumerable<Coordinate> Tuples(string text, int dimension)
        {
            var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || parts.Length % dimension != 0)
            {
                throw WfsException.Invalid(locator, $"A coordinate list of {parts.Length} numbers does not divide into positions of {dimension}.");
            }
            for (var i = 0; i < parts.Length; i += dimension)
            {
                yield return Position(Number(parts[i]), Number(parts[i + 1]));
            }
        }

        private Coordinate[] Gml2Coordinates(XElement e)
        {
            var cs = (string?)e.Attribute("cs") ?? ",";
            var ts = (string?)e.Attribute("ts") ?? " ";
            var dec = (string?)e.Attribute("decimal") ?? ".";
            var tuples = ts == " "
                ? e.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
                : e.Value.Split(ts, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return tuples.Select(t =>
            {
                var n = t.Split(cs);
                if (n.Length < 2)
                {
                    throw WfsException.Invalid(locator, $"'{t}' in gml:coordinates is not a position.");
                }
                return Position(Number(n[0].Replace(dec, ".", StringComparison.Ordinal)), Number(n[1].Replace(dec, ".", StringComparison.Ordinal)));
            }).ToArray();
        }

        private Coordinate Position(double first, double second) => swap ? new Coordinate(second, first) : new Coordinate(first, second);

        private double Number(string? text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? d
                : throw WfsException.Invalid(locator, $"'{text}' is not a coordinate.");

        private static XElement? Child(XElement e, string localName) => e.Elements().FirstOrDefault(c => c.Name.LocalName == localName);
    }
}

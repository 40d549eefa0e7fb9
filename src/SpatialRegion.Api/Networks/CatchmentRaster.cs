using NetTopologySuite.Geometries;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Index.Strtree;

namespace SpatialRegion.Api.Networks;

/// <summary>
/// The bands of one catchment drawn on a square raster in EPSG:3006: a cell belongs to the first band that has a
/// reached road within the buffer width of the cell's centre. Buffering thousands of road pieces and uniting the
/// outlines in GEOS takes seconds; covering discs on a raster takes milliseconds, and the outline traced from it is
/// the buffer to within half a cell's diagonal. Cells nest in the 1 km squares of the population grid (the cell
/// size divides 1000 m), so the people in a band are the squares' people shared by the number of its cells inside,
/// which is the area share of the outline, as in the overlay's interpolation.
/// </summary>
public sealed class CatchmentRaster
{
    public const byte Outside = byte.MaxValue;
    private const long MaxCells = 40_000_000;
    private static readonly double[] CellSizes = [10, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000];

    private readonly byte[] _band;
    private bool[]? _started;
    private readonly long _column0;
    private readonly long _row0;

    public CatchmentRaster(Envelope extent, double width)
    {
        // A fifth of the width keeps the outline within 0.15 of the width of the exact buffer; coarser only where
        // the extent would otherwise take more than MaxCells cells.
        var i = Array.FindLastIndex(CellSizes, c => c <= width / 5);
        Cell = CellSizes[Math.Max(0, i)];
        while (true)
        {
            _column0 = (long)Math.Floor((extent.MinX - width) / Cell) - 1;
            _row0 = (long)Math.Floor((extent.MinY - width) / Cell) - 1;
            Width = (int)((long)Math.Ceiling((extent.MaxX + width) / Cell) + 1 - _column0);
            Height = (int)((long)Math.Ceiling((extent.MaxY + width) / Cell) + 1 - _row0);
            if ((long)Width * Height <= MaxCells || Cell >= CellSizes[^1])
            {
                break;
            }
            Cell = CellSizes[Array.IndexOf(CellSizes, Cell) + 1];
            Coarsened = true;
        }
        _band = new byte[Width * Height];
        Array.Fill(_band, Outside);
    }

    /// <summary>Side of a cell in metres.</summary>
    public double Cell { get; }

    /// <summary>Whether the extent made the cells coarser than a fifth of the width.</summary>
    public bool Coarsened { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>Puts every cell whose centre lies within <paramref name="radius"/> of (x, y) in <paramref name="band"/>
    /// or an earlier band.</summary>
    public void Cover(double x, double y, double radius, byte band)
    {
        var cx = x / Cell - _column0 - 0.5;
        var cy = y / Cell - _row0 - 0.5;
        var r = radius / Cell;
        var top = Math.Min(Height - 1, (int)Math.Floor(cy + r));
        for (var row = Math.Max(0, (int)Math.Ceiling(cy - r)); row <= top; row++)
        {
            var dy = row - cy;
            var half = Math.Sqrt(r * r - dy * dy);
            var right = Math.Min(Width - 1, (int)Math.Floor(cx + half));
            var offset = row * Width;
            for (var column = Math.Max(0, (int)Math.Ceiling(cx - half)); column <= right; column++)
            {
                if (_band[offset + column] > band)
                {
                    _band[offset + column] = band;
                }
            }
        }
    }

    private bool In(int column, int row, byte band) =>
        column >= 0 && row >= 0 && column < Width && row < Height && _band[row * Width + column] <= band;

    /// <summary>
    /// The outline of the cells in <paramref name="band"/> or an earlier one, as polygons with holes. Call it for
    /// the bands in increasing order: where two cells of the band meet only at a corner, a cell beside them joins
    /// the band first (a ring through one point twice is not a valid polygon), and later bands hold it too.
    /// </summary>
    public MultiPolygon Outline(byte band, GeometryFactory factory)
    {
        JoinCornerContacts(band);
        var shells = new List<(Polygon Ring, double Area)>();
        var holes = new List<(LinearRing Ring, Coordinate Inside)>();
        var started = _started ??= new bool[_band.Length];
        Array.Clear(started);
        for (var row = 0; row < Height; row++)
        {
            for (var column = 0; column < Width; column++)
            {
                if (started[row * Width + column] || !In(column, row, band) || In(column, row - 1, band))
                {
                    continue;
                }
                var (ring, twiceArea) = Trace(column, row, band, started);
                if (twiceArea > 0)
                {
                    shells.Add((factory.CreatePolygon(ring), twiceArea));
                }
                else
                {
                    holes.Add((ring, new Coordinate((_column0 + column + 0.5) * Cell, (_row0 + row + 0.5) * Cell)));
                }
            }
        }
        return factory.CreateMultiPolygon(AttachHoles(shells, holes, factory));
    }

    /// <summary>
    /// Walks the boundary from the bottom side of a cell with the band on the left (outer rings anticlockwise,
    /// holes clockwise), turning at each corner of the cell lattice, back to the start. Marks the bottom sides it
    /// walks, from which no other ring may start.
    /// </summary>
    private (LinearRing Ring, long TwiceArea) Trace(int column, int row, byte band, bool[] started)
    {
        var vertices = new List<Coordinate>();
        int x = column, y = row, dx = 1, dy = 0;
        long twiceArea = 0;
        do
        {
            if (dx == 1)
            {
                started[y * Width + x] = true;
            }
            var (nx, ny) = (x + dx, y + dy);
            twiceArea += (long)x * ny - (long)nx * y;
            x = nx;
            y = ny;
            // The two cells ahead of the corner reached, on the left and on the right of the way walked.
            var (leftColumn, leftRow, rightColumn, rightRow) = (dx, dy) switch
            {
                (1, 0) => (x, y, x, y - 1),
                (0, 1) => (x - 1, y, x, y),
                (-1, 0) => (x - 1, y - 1, x - 1, y),
                _ => (x, y - 1, x - 1, y - 1),
            };
            var (odx, ody) = (dx, dy);
            if (!In(leftColumn, leftRow, band))
            {
                (dx, dy) = (-dy, dx);
            }
            else if (In(rightColumn, rightRow, band))
            {
                (dx, dy) = (dy, -dx);
            }
            if ((dx, dy) != (odx, ody))
            {
                vertices.Add(new Coordinate((_column0 + x) * Cell, (_row0 + y) * Cell));
            }
        }
        while (x != column || y != row || dx != 1 || dy != 0);
        vertices.Add(vertices[0].Copy());
        return (new LinearRing([.. vertices]), twiceArea);
    }

    /// <summary>Where two cells of the band touch only at a corner, adds the cell above the lower one to the band.
    /// Repeated until none is left, since an added cell may make a new corner contact.</summary>
    private void JoinCornerContacts(byte band)
    {
        bool changed;
        do
        {
            changed = false;
            for (var row = 0; row < Height - 1; row++)
            {
                for (var column = 0; column < Width - 1; column++)
                {
                    bool a = In(column, row, band), b = In(column + 1, row, band), c = In(column, row + 1, band), d = In(column + 1, row + 1, band);
                    if (a && d && !b && !c)
                    {
                        _band[(row + 1) * Width + column] = band;
                        changed = true;
                    }
                    else if (b && c && !a && !d)
                    {
                        _band[(row + 1) * Width + column + 1] = band;
                        changed = true;
                    }
                }
            }
        }
        while (changed);
    }

    /// <summary>Each hole goes into the smallest outer ring holding a cell beside it (rings do not touch, so that
    /// ring holds the whole hole; a larger one holding it too surrounds an island with the hole in it).</summary>
    private static Polygon[] AttachHoles(List<(Polygon Ring, double Area)> shells, List<(LinearRing Ring, Coordinate Inside)> holes, GeometryFactory factory)
    {
        var owned = shells.Select(_ => new List<LinearRing>()).ToArray();
        if (holes.Count > 0)
        {
            var index = new STRtree<int>();
            for (var i = 0; i < shells.Count; i++)
            {
                index.Insert(shells[i].Ring.EnvelopeInternal, i);
            }
            var locators = new IndexedPointInAreaLocator?[shells.Count];
            foreach (var (ring, inside) in holes)
            {
                var owner = -1;
                foreach (var i in index.Query(new Envelope(inside)))
                {
                    locators[i] ??= new IndexedPointInAreaLocator(shells[i].Ring);
                    if (locators[i]!.Locate(inside) == Location.Interior && (owner < 0 || shells[i].Area < shells[owner].Area))
                    {
                        owner = i;
                    }
                }
                if (owner >= 0)
                {
                    owned[owner].Add(ring);
                }
            }
        }
        return [.. shells.Select((s, i) => factory.CreatePolygon((LinearRing)s.Ring.ExteriorRing, [.. owned[i]]))];
    }

    /// <summary>
    /// For each 1 km square of the population grid that the raster touches, keyed by the coordinates of its south-west
    /// corner in kilometres, the number of its cells in each band or an earlier one.
    /// </summary>
    public Dictionary<(long East, long North), int[]> CellsPerSquare(int bands)
    {
        var perSquare = (long)(1000 / Cell);
        var counts = new Dictionary<(long, long), int[]>();
        for (var row = 0; row < Height; row++)
        {
            var north = FloorDiv(_row0 + row, perSquare);
            int[]? current = null;
            var currentEast = long.MinValue;
            for (var column = 0; column < Width; column++)
            {
                var band = _band[row * Width + column];
                if (band == Outside)
                {
                    continue;
                }
                var east = FloorDiv(_column0 + column, perSquare);
                if (east != currentEast || current is null)
                {
                    currentEast = east;
                    if (!counts.TryGetValue((east, north), out current))
                    {
                        counts[(east, north)] = current = new int[bands];
                    }
                }
                for (var b = band; b < bands; b++)
                {
                    current[b]++;
                }
            }
        }
        return counts;
    }

    private static long FloorDiv(long a, long b) => a / b - (a % b < 0 ? 1 : 0);

    /// <summary>The share of a 1 km square's area that one cell is.</summary>
    public double CellShareOfSquare => Cell * Cell / 1e6;
}

namespace SpatialRegion.Api.Import;

/// <summary>What to import and how to describe it. Metadata left null keeps the value the layer already has.
/// The GeoJSON is read from <see cref="Content"/> when given (an upload), otherwise from <see cref="FilePath"/>.</summary>
public sealed record LayerImportRequest(
    string LayerId,
    string FilePath,
    string? KeyProperty = null,
    bool MergeByKey = false,
    string? Title = null,
    string? Description = null,
    string? Source = null,
    string? Licence = null)
{
    public Stream? Content { get; init; }

    public string? FileName { get; init; }
}

public sealed record ImportReport(
    string LayerId,
    int Read,
    int Written,
    int Repaired,
    int Rejected,
    int SourceSrid,
    string GeometryType,
    long Version,
    TimeSpan Elapsed)
{
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{LayerId}: read {Read}, written {Written}, repaired {Repaired}, rejected {Rejected} (EPSG:{SourceSrid} → EPSG:3006, {GeometryType}, version {Version}) in {Elapsed.TotalSeconds:0.0} s");
}

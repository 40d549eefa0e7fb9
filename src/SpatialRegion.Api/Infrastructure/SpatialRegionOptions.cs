namespace SpatialRegion.Api.Infrastructure;

public sealed class SpatialRegionOptions
{
    public const string Section = "SpatialRegion";

    /// <summary>Folder holding the source files named in data/layers.json. Empty: found next to the repository.</summary>
    public string? DataDir { get; set; }

    /// <summary>Memory the rendered-response cache may use.</summary>
    public int ResponseCacheMegabytes { get; set; } = 256;

    /// <summary>Responses larger than this are streamed but never cached.</summary>
    public int ResponseCacheMaxEntryMegabytes { get; set; } = 32;

    public int DefaultPageSize { get; set; } = 1000;

    public int MaxPageSize { get; set; } = 10000;
}

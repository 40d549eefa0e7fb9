namespace SpatialRegion.Api.Infrastructure;

/// <summary>
/// Finds the folder with the public source data. The data is not part of this repository: it lives in a
/// folder of its own, by default <c>../shared/data</c> beside the repository's root.
/// </summary>
public static class DataDirectory
{
    // A folder qualifies when it holds the boundaries the default layers are built from.
    private const string Marker = "boundaries";

    public static string Resolve(string? configured, string startDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var full = Path.GetFullPath(configured, startDirectory);
            return Directory.Exists(full)
                ? full
                : throw new DirectoryNotFoundException($"The data directory '{full}' (SpatialRegion:DataDir) does not exist.");
        }

        var root = FindRepositoryRoot(startDirectory);
        var candidates = root is null
            ? [Path.Combine(startDirectory, "data"), Path.Combine(startDirectory, "..", "shared", "data")]
            : new[] { Path.Combine(root, "data"), Path.Combine(root, "..", "shared", "data") };
        foreach (var candidate in candidates)
        {
            if (Directory.Exists(Path.Combine(candidate, Marker)))
            {
                return Path.GetFullPath(candidate);
            }
        }

        throw new DirectoryNotFoundException(
            $"No source data found in {string.Join(" or ", candidates.Select(Path.GetFullPath))}. "
            + "Set SpatialRegion:DataDir (environment variable SpatialRegion__DataDir) to the folder that holds boundaries/, statistics/ and services/.");
    }

    public static string? FindRepositoryRoot(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SpatialRegion.sln")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}

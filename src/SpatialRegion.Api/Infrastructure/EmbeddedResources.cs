using System.Reflection;

namespace SpatialRegion.Api.Infrastructure;

/// <summary>SQL and configuration compiled into the assembly (see the csproj for the logical names).</summary>
public static class EmbeddedResources
{
    private static readonly Assembly Assembly = typeof(EmbeddedResources).Assembly;

    public static string Read(string logicalName)
    {
        using var stream = Assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"Embedded resource '{logicalName}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static IEnumerable<string> Names(string prefix) =>
        Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
}

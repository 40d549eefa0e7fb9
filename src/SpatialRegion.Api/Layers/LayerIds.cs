namespace SpatialRegion.Api.Layers;

/// <summary>Layer ids are also OGC collection ids and WFS type names: lower case, no dots (older QGIS
/// versions split collection ids on dots).</summary>
public static partial class LayerIds
{
    public static bool IsValid(string id) => Pattern().IsMatch(id);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}

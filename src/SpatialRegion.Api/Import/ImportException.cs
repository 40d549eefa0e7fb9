namespace SpatialRegion.Api.Import;

/// <summary>A source file that cannot be imported. The message is written for the person who runs the import.</summary>
public sealed class ImportException(string message, Exception? inner = null) : Exception(message, inner);

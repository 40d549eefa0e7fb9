using System.Text.Json;

namespace SpatialRegion.Api.Jobs.Sources;

/// <summary>One cell of an SCB table: the code of each variable, the value as published (text, so that no digit is
/// lost) or null, and the status symbol if any.</summary>
public sealed record ScbCell(IReadOnlyDictionary<string, string> Codes, string? Value, string? Status);

/// <summary>Reads the table formats of SCB's PxWeb APIs into cells.</summary>
public static class ScbCells
{
    /// <summary>JSON-stat 2.0 (a dataset at the root) or JSON-stat 1.0 (under "dataset"). The flat value array is in
    /// row-major order over "id": the last dimension varies fastest, so a cell's index is Σ index_d · stride_d.</summary>
    public static List<ScbCell> FromJsonStat(JsonElement root)
    {
        var dataset = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("dataset", out var d1) ? d1 : root;
        if (dataset.ValueKind != JsonValueKind.Object || !dataset.TryGetProperty("dimension", out var dimension) || dimension.ValueKind != JsonValueKind.Object)
        {
            throw new SourceFormatException("not a JSON-stat dataset: no \"dimension\" object");
        }
        // JSON-stat 1.0 keeps id and size inside "dimension"; 2.0 at the dataset.
        var idHolder = dataset.TryGetProperty("id", out _) ? dataset : dimension;
        if (!idHolder.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.Array
            || !idHolder.TryGetProperty("size", out var sizeElement) || sizeElement.ValueKind != JsonValueKind.Array)
        {
            throw new SourceFormatException("JSON-stat dataset without \"id\" and \"size\" arrays");
        }
        var ids = idElement.EnumerateArray().Select(e => e.GetString() ?? throw new SourceFormatException("a dimension id is not a string")).ToArray();
        var sizes = sizeElement.EnumerateArray().Select(e => e.TryGetInt32(out var n) ? n : throw new SourceFormatException("a size is not an integer")).ToArray();
        if (ids.Length != sizes.Length)
        {
            throw new SourceFormatException("\"id\" and \"size\" differ in length");
        }

        var codesByPosition = new string[ids.Length][];
        for (var d = 0; d < ids.Length; d++)
        {
            if (!dimension.TryGetProperty(ids[d], out var dim) || !dim.TryGetProperty("category", out var category))
            {
                throw new SourceFormatException($"dimension '{ids[d]}' has no category");
            }
            var codes = new string[sizes[d]];
            if (category.TryGetProperty("index", out var index))
            {
                if (index.ValueKind == JsonValueKind.Array)
                {
                    var i = 0;
                    foreach (var code in index.EnumerateArray())
                    {
                        if (i >= codes.Length)
                        {
                            throw new SourceFormatException($"dimension '{ids[d]}' lists more categories than its size");
                        }
                        codes[i++] = code.GetString()!;
                    }
                }
                else
                {
                    foreach (var p in index.EnumerateObject())
                    {
                        var at = p.Value.GetInt32();
                        if (at < 0 || at >= codes.Length)
                        {
                            throw new SourceFormatException($"dimension '{ids[d]}': category '{p.Name}' has index {at} outside its size");
                        }
                        codes[at] = p.Name;
                    }
                }
            }
            else if (codes.Length == 1 && category.TryGetProperty("label", out var label) && label.EnumerateObject().FirstOrDefault() is { Name: { } only })
            {
                codes[0] = only;
            }
            if (codes.Any(c => c is null))
            {
                throw new SourceFormatException($"dimension '{ids[d]}' does not name every category");
            }
            codesByPosition[d] = codes;
        }

        var total = sizes.Aggregate(1L, (a, b) => a * b);
        if (!dataset.TryGetProperty("value", out var values))
        {
            throw new SourceFormatException("JSON-stat dataset without \"value\"");
        }
        string? ValueAt(long i) => values.ValueKind switch
        {
            JsonValueKind.Array => i < values.GetArrayLength() ? Text(values[(int)i]) : throw new SourceFormatException($"\"value\" has {values.GetArrayLength()} entries; the sizes give {total}"),
            JsonValueKind.Object => values.TryGetProperty(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var v) ? Text(v) : null,
            _ => throw new SourceFormatException("\"value\" is neither an array nor an object"),
        };
        if (values.ValueKind == JsonValueKind.Array && values.GetArrayLength() != total)
        {
            throw new SourceFormatException($"\"value\" has {values.GetArrayLength()} entries; the sizes give {total}");
        }
        dataset.TryGetProperty("status", out var status);
        string? StatusAt(long i) => status.ValueKind switch
        {
            JsonValueKind.String => status.GetString(),
            JsonValueKind.Array => i < status.GetArrayLength() ? status[(int)i].GetString() : null,
            JsonValueKind.Object => status.TryGetProperty(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var s) ? s.GetString() : null,
            _ => null,
        };

        var cells = new List<ScbCell>((int)Math.Min(total, 1_000_000));
        var position = new int[ids.Length];
        for (long i = 0; i < total; i++)
        {
            var codes = new Dictionary<string, string>(ids.Length, StringComparer.Ordinal);
            for (var d = 0; d < ids.Length; d++)
            {
                codes[ids[d]] = codesByPosition[d][position[d]];
            }
            cells.Add(new ScbCell(codes, ValueAt(i), StatusAt(i)));
            for (var d = ids.Length - 1; d >= 0; d--)
            {
                if (++position[d] < sizes[d])
                {
                    break;
                }
                position[d] = 0;
            }
        }
        return cells;
    }

    /// <summary>PxWeb v1 "json": columns typed d (dimension), t (time) and c (contents); each data row has the keys of
    /// the d and t columns in order and one value per c column. Values are strings; ".." and similar mark missing.</summary>
    public static List<ScbCell> FromPxWebJson(JsonElement root, string contentsVariable = "ContentsCode")
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("columns", out var columns) || !root.TryGetProperty("data", out var data)
            || columns.ValueKind != JsonValueKind.Array || data.ValueKind != JsonValueKind.Array)
        {
            throw new SourceFormatException("not a PxWeb json response: \"columns\" and \"data\" arrays expected");
        }
        var keyColumns = new List<string>();
        var contentColumns = new List<string>();
        foreach (var column in columns.EnumerateArray())
        {
            var code = column.GetProperty("code").GetString()!;
            var type = column.TryGetProperty("type", out var t) ? t.GetString() : "d";
            (type == "c" ? contentColumns : keyColumns).Add(code);
        }
        var cells = new List<ScbCell>();
        foreach (var row in data.EnumerateArray())
        {
            var key = row.GetProperty("key").EnumerateArray().Select(k => k.GetString()!).ToArray();
            var values = row.GetProperty("values").EnumerateArray().ToArray();
            if (key.Length != keyColumns.Count || values.Length != contentColumns.Count)
            {
                throw new SourceFormatException($"a data row has {key.Length} keys and {values.Length} values for {keyColumns.Count} key and {contentColumns.Count} value columns");
            }
            for (var c = 0; c < contentColumns.Count; c++)
            {
                var codes = new Dictionary<string, string>(keyColumns.Count + 1, StringComparer.Ordinal);
                for (var k = 0; k < keyColumns.Count; k++)
                {
                    codes[keyColumns[k]] = key[k];
                }
                codes[contentsVariable] = contentColumns[c];
                var text = Text(values[c]);
                var numeric = text is not null && Indicators.IndicatorValueWriter.TryParseNumber(text, out _);
                cells.Add(new ScbCell(codes, numeric ? text : null, numeric ? null : text ?? "missing"));
            }
        }
        return cells;
    }

    private static string? Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.String => e.GetString(),
        _ => throw new SourceFormatException($"a value is {e.ValueKind}, not a number"),
    };
}

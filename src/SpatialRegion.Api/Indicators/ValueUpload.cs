using System.Text.Json;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Api.Indicators;

/// <summary>
/// Reads an upload of values: CSV with a header (area, period, value; optional gender, status) or JSON
/// (an array, or {"values": [...]}, of {"area","period","gender","value","status"}). Rows are numbered from 1,
/// the first data row, in both forms.
/// </summary>
public static class ValueUpload
{
    public const int MaxRows = 200_000;

    private static readonly string[] Required = ["area", "period", "value"];
    private static readonly string[] Optional = ["gender", "status"];

    public static List<ValueInput> ReadCsv(TextReader reader, string origin)
    {
        var inputs = new List<ValueInput>();
        string[]? columns = null;
        foreach (var (line, fields) in Csv.Read(reader))
        {
            if (columns is null)
            {
                columns = fields.Select(f => f.Trim().ToLowerInvariant()).ToArray();
                var unknown = columns.Where(c => !Required.Contains(c) && !Optional.Contains(c)).ToList();
                if (unknown.Count > 0)
                {
                    throw new UploadException($"Unknown column(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}: the header may name area, period, value, gender and status.");
                }
                var missing = Required.Where(r => !columns.Contains(r)).ToList();
                if (missing.Count > 0)
                {
                    throw new UploadException($"The header lacks the column(s) {string.Join(", ", missing)}; it must name area, period and value (gender and status are optional).");
                }
                if (columns.Distinct().Count() != columns.Length)
                {
                    throw new UploadException("A column is named twice in the header.");
                }
                continue;
            }
            var row = inputs.Count + 1;
            if (fields.Length != columns.Length)
            {
                throw new UploadException($"Row {row} (line {line}) has {fields.Length} fields; the header has {columns.Length}.", row);
            }
            string? Get(string name) => Array.IndexOf(columns, name) is >= 0 and var i ? fields[i] : null;
            inputs.Add(new ValueInput(row, Get("area"), Get("period"), Get("gender"), Get("value"), Get("status"), $"{origin}, row {row}"));
            CheckSize(inputs.Count);
        }
        if (columns is null)
        {
            throw new UploadException("The CSV is empty: it needs a header line (area,period,value[,gender][,status]) and at least one row.");
        }
        return inputs;
    }

    public static List<ValueInput> ReadJson(JsonDocument document, string origin)
    {
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("values", out var values))
        {
            root = values;
        }
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new UploadException("The JSON must be an array of values, or an object with a \"values\" array.");
        }
        var inputs = new List<ValueInput>();
        foreach (var item in root.EnumerateArray())
        {
            var row = inputs.Count + 1;
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new UploadException($"Row {row} is not an object.", row);
            }
            foreach (var p in item.EnumerateObject())
            {
                if (!Required.Contains(p.Name) && !Optional.Contains(p.Name))
                {
                    throw new UploadException($"Row {row} has an unknown member '{p.Name}': use area, period, value, gender and status.", row);
                }
            }
            inputs.Add(new ValueInput(row, Text(item, "area"), Text(item, "period"), Text(item, "gender"),
                Text(item, "value"), Text(item, "status"), $"{origin}, row {row}"));
            CheckSize(inputs.Count);
        }
        return inputs;
    }

    private static string? Text(JsonElement item, string name) =>
        !item.TryGetProperty(name, out var v) ? null : v.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => v.GetString(),
            // The raw token keeps every digit as sent; it is parsed as a decimal later, never through double.
            JsonValueKind.Number => v.GetRawText(),
            _ => v.GetRawText(),
        };

    private static void CheckSize(int count)
    {
        if (count > MaxRows)
        {
            throw new UploadException($"An upload may hold at most {MaxRows:N0} rows; split it.");
        }
    }
}

public sealed class UploadException(string message, int? row = null) : Exception(message)
{
    public int? Row { get; } = row;
}

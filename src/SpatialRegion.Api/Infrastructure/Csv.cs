using System.Text;

namespace SpatialRegion.Api.Infrastructure;

/// <summary>RFC 4180 CSV: comma-separated, fields with commas, quotes or line breaks in double quotes.</summary>
public static class Csv
{
    /// <summary>Records of the text with the line each starts on. A UTF-8 byte order mark is skipped.</summary>
    public static IEnumerable<(int Line, string[] Fields)> Read(TextReader reader)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var inQuotes = false;
        var atFieldStart = true;
        var any = false;
        int c;
        if (reader.Peek() == '\uFEFF')
        {
            reader.Read();
        }
        while ((c = reader.Read()) != -1)
        {
            any = true;
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }
                    field.Append((char)c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when atFieldStart:
                    inQuotes = true;
                    atFieldStart = false;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    atFieldStart = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    if (fields.Count > 1 || fields[0].Length > 0)
                    {
                        yield return (recordLine, fields.ToArray());
                    }
                    fields.Clear();
                    atFieldStart = true;
                    line++;
                    recordLine = line;
                    any = false;
                    break;
                default:
                    field.Append((char)c);
                    atFieldStart = false;
                    break;
            }
        }
        if (inQuotes)
        {
            throw new FormatException($"A quoted field that starts on line {recordLine} is never closed.");
        }
        if (any)
        {
            fields.Add(field.ToString());
            if (fields.Count > 1 || fields[0].Length > 0)
            {
                yield return (recordLine, fields.ToArray());
            }
        }
    }

    /// <summary>Rows of a file with a header line, as column name → value.</summary>
    public static IEnumerable<(int Line, Dictionary<string, string> Row)> ReadWithHeader(TextReader reader)
    {
        string[]? header = null;
        foreach (var (line, fields) in Read(reader))
        {
            if (header is null)
            {
                header = fields.Select(f => f.Trim()).ToArray();
                continue;
            }
            if (fields.Length != header.Length)
            {
                throw new FormatException($"Line {line} has {fields.Length} fields; the header has {header.Length}.");
            }
            var row = new Dictionary<string, string>(header.Length, StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                row[header[i]] = fields[i];
            }
            yield return (line, row);
        }
    }

    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}

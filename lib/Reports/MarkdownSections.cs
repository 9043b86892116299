namespace MjVideo.Reports;

/// <summary>
/// Generated parts of hand-written Markdown (README results, datasheet tables) live between
/// <c>&lt;!-- BEGIN generated:NAME --&gt;</c> and <c>&lt;!-- END generated:NAME --&gt;</c>; this replaces what is between
/// the markers and leaves the rest of the file alone. The file is written atomically.
/// </summary>
public static class MarkdownSections
{
    public static string Begin(string name) => $"<!-- BEGIN generated:{name} -->";
    public static string End(string name) => $"<!-- END generated:{name} -->";

    public static string Replace(string text, string name, string content, string file = "(text)")
    {
        var begin = text.IndexOf(Begin(name), StringComparison.Ordinal);
        var end = text.IndexOf(End(name), StringComparison.Ordinal);
        if (begin < 0 || end < 0 || end < begin)
            throw new InvalidDataException($"{file}: no '{Begin(name)}' ... '{End(name)}' markers (in that order)");
        var start = begin + Begin(name).Length;
        return text[..start] + "\n" + content.TrimEnd('\n') + "\n" + text[end..];
    }

    /// <summary>The current content between a section's markers, or null when the file has no such section.</summary>
    public static string? Read(string text, string name)
    {
        var begin = text.IndexOf(Begin(name), StringComparison.Ordinal);
        var end = text.IndexOf(End(name), StringComparison.Ordinal);
        return begin < 0 || end < begin ? null : text[(begin + Begin(name).Length)..end].Trim('\n');
    }

    public static void ReplaceInFile(string path, string name, string content)
    {
        var text = File.ReadAllText(path);
        var updated = Replace(text, name, content, path);
        if (updated == text) return;
        File.WriteAllText(path + ".tmp", updated);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>A Markdown table of a DataFrame's columns and rows.</summary>
    public static string Table(Microsoft.Data.Analysis.DataFrame frame) =>
        Table(frame.Columns.Select(c => c.Name).ToList(),
            frame.Rows.Select(r => (IReadOnlyList<string>)r.Select(v => v?.ToString() ?? "").ToList()));

    /// <summary>A Markdown table from a header and rows (cells are escaped for pipes).</summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ");
        var lines = new List<string>
        {
            "| " + string.Join(" | ", header.Select(Cell)) + " |",
            "|" + string.Join("|", header.Select(_ => "---")) + "|",
        };
        lines.AddRange(rows.Select(r => "| " + string.Join(" | ", r.Select(Cell)) + " |"));
        return string.Join("\n", lines);
    }
}

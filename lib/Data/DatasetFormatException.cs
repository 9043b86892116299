namespace MjVideo.Data;

/// <summary>
/// A dataset file that does not follow its format. The message names the file, the item (pair or row index), the field
/// and the value found, so that the user can open the file at the right place.
/// </summary>
public sealed class DatasetFormatException : Exception
{
    public string File { get; }
    /// <summary>The pair's (or row's) 0-based index in the file; null for a problem with the whole file.</summary>
    public int? Index { get; }
    /// <summary>The field, as a dotted path (e.g. <c>video_0_label.Crime</c>); null when the item itself is wrong.</summary>
    public string? Field { get; }

    public DatasetFormatException(string file, string problem, Exception? inner = null)
        : base($"{file}: {problem}", inner)
    {
        File = file;
    }

    /// <param name="item">What the file's elements are called: "pair" or "row".</param>
    /// <param name="line">The 1-based line of the item, for line-oriented files (JSON lines).</param>
    public DatasetFormatException(string file, string item, int index, string? field, string problem, int? line = null)
        : base($"{file}: {item} {index}{(line is null ? "" : $" (line {line})")}{(field is null ? "" : $", field '{field}'")}: {problem}")
    {
        File = file;
        Index = index;
        Field = field;
    }
}

/// <summary>Video files that a dataset names but that are not under its videos root (the full list is in the message).</summary>
public sealed class MissingVideosException(string file, string videosRoot, IReadOnlyList<MissingVideo> missing)
    : IOException($"{file}: {missing.Count} video file(s) missing under {videosRoot}:\n" +
                  string.Join("\n", missing.Select(m => "  " + m.Describe())))
{
    public IReadOnlyList<MissingVideo> Missing { get; } = missing;
}

using System.Collections;
using System.Text.Json;

namespace MjVideo.Data;

/// <summary>The file formats the readers understand (paper-digest 1.4, 3.3, 3.4).</summary>
public enum DatasetFormat
{
    /// <summary>MJ-Bench-Video <c>train.json</c>/<c>test.json</c> (and SynthBench, which writes the same schema).</summary>
    Release,
    /// <summary>SafeSora-test <c>config-test.json</c>: helpfulness/harmlessness preferences, no fine-grained labels.</summary>
    SafeSora,
    /// <summary>GenAI-Bench video_generation rows: left/right votes, no fine-grained labels.</summary>
    GenAiBench,
}

/// <summary>A video a dataset names that is not on disk under its videos root.</summary>
/// <param name="PairIndex">The pair's index in the source file.</param>
/// <param name="Video">0 or 1 (video_0 / video_1; "Video 1" / "Video 2" in preference strings).</param>
/// <param name="RelativePath">The path as written in the file.</param>
/// <param name="ResolvedPath">Where it was looked for.</param>
public sealed record MissingVideo(int PairIndex, int Video, string RelativePath, string ResolvedPath)
{
    public string Describe() => $"pair {PairIndex} video_{Video}: {RelativePath} (looked for {ResolvedPath})";
}

/// <summary>
/// The fields a source file carries on a pair beyond its format's schema (SynthBench adds its version and config
/// hash), in file order. The release writer appends them after the release keys. Values are JSON scalars.
/// </summary>
public sealed class ExtraFields : IEnumerable<KeyValuePair<string, JsonElement>>
{
    readonly List<KeyValuePair<string, JsonElement>> fields = [];

    public int Count => fields.Count;

    public void Add(string key, string value) => AddElement(key, JsonSerializer.SerializeToElement(value));
    public void Add(string key, long value) => AddElement(key, JsonSerializer.SerializeToElement(value));
    public void Add(string key, bool value) => AddElement(key, JsonSerializer.SerializeToElement(value));

    public void Add(string key, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"extra field '{key}': {value} is not a finite number (JSON has no NaN or infinity)");
        AddElement(key, JsonSerializer.SerializeToElement(value));
    }

    /// <summary>Adds a value read from a file (strings, numbers, booleans, null, and nested values as they were).</summary>
    public void Add(string key, JsonElement value) => AddElement(key, value.Clone());

    void AddElement(string key, JsonElement value)
    {
        if (fields.Any(f => f.Key == key)) throw new ArgumentException($"extra field '{key}' is given twice");
        fields.Add(new(key, value));
    }

    public JsonElement this[string key] => fields.First(f => f.Key == key).Value;

    public IEnumerator<KeyValuePair<string, JsonElement>> GetEnumerator() => fields.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Pairs read from one dataset file, with what the reader left out (and why) and the videos it could not find.
/// </summary>
public sealed record PreferenceDataset
{
    public required DatasetFormat Format { get; init; }
    /// <summary>Absolute path of the file read.</summary>
    public required string SourceFile { get; init; }
    /// <summary>Absolute path of the folder the pairs' video paths are relative to; null when none was given.</summary>
    public string? VideosRoot { get; init; }
    public required IReadOnlyList<PreferencePair> Pairs { get; init; }
    /// <summary>Per pair (aligned with <see cref="Pairs"/>): the keys beyond the format's schema, in file order.</summary>
    public required IReadOnlyList<ExtraFields> Extras { get; init; }
    /// <summary>Release pairs with <c>discard: true</c>, left out of <see cref="Pairs"/> unless the reader was asked to keep them.</summary>
    public int DiscardedCount { get; init; }
    /// <summary>SafeSora pairs left out because helpfulness, harmlessness and the sub-preferences did not all agree.</summary>
    public int DisagreementDroppedCount { get; init; }
    /// <summary>Videos named by <see cref="Pairs"/> that are not under <see cref="VideosRoot"/> (empty when no root was given).</summary>
    public IReadOnlyList<MissingVideo> MissingVideos { get; init; } = [];

    /// <summary>The absolute path of one of a pair's videos under <see cref="VideosRoot"/>.</summary>
    public string ResolveVideo(PreferencePair pair, int video) => ResolveVideo(pair.VideoPath(video));

    public string ResolveVideo(string path) => VideoPaths.Resolve(
        VideosRoot ?? throw new DirectoryNotFoundException(
            $"{SourceFile}: no videos folder, so its video paths cannot be resolved (they resolve against the dataset's " +
            $"videos folder only, never the working directory; expected {Path.Combine(Path.GetDirectoryName(SourceFile) ?? "", "videos")})"),
        path);
}

/// <summary>How the readers turn a video path from a file into a file on disk, and how they find the missing ones.</summary>
public static class VideoPaths
{
    /// <summary>
    /// A relative path is taken under <paramref name="videosRoot"/>; an absolute local path is kept as is. A URL
    /// (GenAI-Bench rows name their videos by URL) is looked for by its file name under the root, where a download
    /// of those videos into one folder puts it.
    /// </summary>
    public static string Resolve(string videosRoot, string path)
    {
        if (Uri.TryCreate(path, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            return Path.GetFullPath(Path.Combine(videosRoot, Path.GetFileName(Uri.UnescapeDataString(uri.AbsolutePath))));
        return Path.GetFullPath(Path.Combine(videosRoot, path));
    }

    /// <summary>Every video of <paramref name="pairs"/> that is not a file under <paramref name="videosRoot"/>, in pair order.</summary>
    public static IReadOnlyList<MissingVideo> FindMissing(IEnumerable<PreferencePair> pairs, string videosRoot)
    {
        if (!Directory.Exists(videosRoot))
            throw new DirectoryNotFoundException($"videos root {videosRoot} does not exist");
        var missing = new List<MissingVideo>();
        foreach (var pair in pairs)
            for (var video = 0; video < 2; video++)
            {
                var resolved = Resolve(videosRoot, pair.VideoPath(video));
                if (!File.Exists(resolved)) missing.Add(new MissingVideo(pair.Index, video, pair.VideoPath(video), resolved));
            }
        return missing;
    }

    /// <summary>Checks the videos of a freshly read dataset: records the missing ones, or throws when they must all exist.</summary>
    internal static PreferenceDataset WithVideoCheck(PreferenceDataset dataset, string? videosRoot, bool failOnMissingVideos)
    {
        if (videosRoot is null) return dataset;
        var root = Path.GetFullPath(videosRoot);
        var missing = FindMissing(dataset.Pairs, root);
        if (missing.Count > 0 && failOnMissingVideos) throw new MissingVideosException(dataset.SourceFile, root, missing);
        return dataset with { VideosRoot = root, MissingVideos = missing };
    }
}

/// <summary>One entry point for every format (what `mjvideo stats --format` calls).</summary>
public static class PreferenceDatasets
{
    public static PreferenceDataset Read(DatasetFormat format, string path, string? videosRoot = null,
        bool includeDiscarded = false, bool failOnMissingVideos = false) => format switch
    {
        DatasetFormat.Release => ReleaseReader.Read(path, videosRoot, includeDiscarded, failOnMissingVideos),
        DatasetFormat.SafeSora => SafeSoraReader.Read(path, videosRoot, failOnMissingVideos),
        DatasetFormat.GenAiBench => GenAiBenchReader.Read(path, videosRoot, failOnMissingVideos),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>Parses a format name as the command line spells it: release, safesora, genai.</summary>
    public static DatasetFormat ParseFormat(string name) => name.Trim().ToLowerInvariant() switch
    {
        "release" or "mjbench" or "mj-bench-video" => DatasetFormat.Release,
        "safesora" => DatasetFormat.SafeSora,
        "genai" or "genai-bench" => DatasetFormat.GenAiBench,
        _ => throw new ArgumentException($"unknown dataset format '{name}'; known: release, safesora, genai"),
    };

    public static string FormatName(DatasetFormat format) => format switch
    {
        DatasetFormat.Release => "release",
        DatasetFormat.SafeSora => "safesora",
        DatasetFormat.GenAiBench => "genai",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}

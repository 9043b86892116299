using System.Security.Cryptography;
using System.Text.Json;

namespace MjVideo.Data;

/// <summary>
/// The fingerprint a generated split records of itself, <c>&lt;split&gt;.manifest.json</c> beside its JSON: the SHA-256
/// of the JSON file and of every video it names. It is moved into place last, once the split is complete, so a folder
/// whose files come from two generation runs (or a JSON edited or replaced since) no longer matches it, and
/// <see cref="ReleaseReader"/> fails naming the file instead of pairing labels with the wrong videos.
/// </summary>
public sealed record SplitManifest(string Split, string JsonSha256, IReadOnlyDictionary<string, string> Videos)
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary><c>DIR/test.json</c> -> <c>DIR/test.manifest.json</c>.</summary>
    public static string PathFor(string jsonPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonPath)) ?? "", Path.GetFileNameWithoutExtension(jsonPath) + ".manifest.json");

    /// <param name="jsonPath">the split's JSON file, already written</param>
    /// <param name="videosRoot">the folder its video paths are relative to</param>
    /// <param name="videoPaths">the video paths as the JSON writes them</param>
    public static SplitManifest Create(string split, string jsonPath, string videosRoot, IEnumerable<string> videoPaths) =>
        new(split, Sha256(jsonPath), videoPaths.Distinct().Order(StringComparer.Ordinal)
            .ToDictionary(p => p, p => Sha256(VideoPaths.Resolve(videosRoot, p))));

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>
    /// Checks a split against its manifest, when it has one: the JSON file, and with <paramref name="videosRoot"/> every
    /// video that exists (missing ones are reported by the reader's own check). Throws naming each file that differs.
    /// </summary>
    public static void Verify(string jsonPath, string? videosRoot)
    {
        var manifestPath = PathFor(jsonPath);
        if (!File.Exists(manifestPath)) return;
        SplitManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<SplitManifest>(File.ReadAllText(manifestPath), Json)
                       ?? throw new DatasetFormatException(manifestPath, "the manifest holds null");
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(manifestPath, $"not a split manifest ({e.Message})", e);
        }
        var fix = $"the split mixes files of different runs; generate it again (or delete {Path.GetFileName(manifestPath)} to accept the files as they are)";
        if (Sha256(jsonPath) != manifest.JsonSha256)
            throw new DatasetFormatException(jsonPath, $"does not match the fingerprint recorded in {manifestPath} when the split was generated; {fix}");
        if (videosRoot is null) return;
        var differing = manifest.Videos
            .Select(v => (Path: VideoPaths.Resolve(videosRoot, v.Key), Expected: v.Value))
            .Where(v => File.Exists(v.Path) && Sha256(v.Path) != v.Expected)
            .Select(v => v.Path).ToList();
        if (differing.Count > 0)
            throw new DatasetFormatException(differing[0],
                $"{differing.Count} video(s) differ from the fingerprints recorded in {manifestPath}: " +
                $"{string.Join(", ", differing.Take(10))}{(differing.Count > 10 ? ", ..." : "")}; {fix}");
    }

    static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }
}

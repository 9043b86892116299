using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MjVideo.Core;

namespace MjVideo.Baselines.Vlm;

/// <summary>What identifies a question to a judge: everything that can change its answer.</summary>
/// <param name="Endpoint">The endpoint's base URL, without a trailing slash.</param>
/// <param name="ImageSha256">Each image's media type and SHA-256, in the order sent.</param>
public sealed record VlmQuestion(
    string Endpoint, string Model, string Prompt, IReadOnlyList<string> ImageSha256,
    double? Temperature, int? MaxTokens, long? Seed)
{
    public const string KeyVersion = "vlm-answer-1";

    /// <summary>SHA-256 (hex) of the question as canonical JSON (fixed field order, prompt text included verbatim).</summary>
    public string Key()
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new
        {
            v = KeyVersion,
            endpoint = Endpoint,
            model = Model,
            prompt = Prompt,
            images = ImageSha256,
            temperature = Temperature,
            max_tokens = MaxTokens,
            seed = Seed,
        });
        return Convert.ToHexString(SHA256.HashData(canonical)).ToLowerInvariant();
    }
}

/// <summary>
/// Answers the endpoint gave, on disk, so a rerun asks nothing it has asked before. One JSON file per answer under
/// <c>{key[0..2]}/{key}.json</c>, written atomically. Only answers are stored (texts, refusals); a request that failed
/// is asked again next time. An entry that cannot be read, or whose stored key differs from its name, is ignored and
/// replaced by the next answer.
/// </summary>
public sealed class VlmAnswerCache
{
    long hits, misses, rejected;

    public VlmAnswerCache(string directory)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The workbook's cache: data/cache/vlm-answers (git-ignored).</summary>
    public static VlmAnswerCache InWorkbook(Workbook workbook) => new(Path.Combine(workbook.CacheDir, "vlm-answers"));

    public string Directory { get; }
    public long Hits => Interlocked.Read(ref hits);
    public long Misses => Interlocked.Read(ref misses);
    public long Rejected => Interlocked.Read(ref rejected);

    public string EntryPath(string key) => Path.Combine(Directory, key[..2], key + ".json");

    public bool TryLoad(string key, out CachedAnswer? answer)
    {
        answer = null;
        var path = EntryPath(key);
        if (!File.Exists(path))
        {
            Interlocked.Increment(ref misses);
            return false;
        }
        try
        {
            answer = JsonSerializer.Deserialize<CachedAnswer>(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            answer = null;
        }
        if (answer is null || answer.Key != key)
        {
            answer = null;
            Interlocked.Increment(ref rejected);
            Interlocked.Increment(ref misses);
            return false;
        }
        Interlocked.Increment(ref hits);
        return true;
    }

    public void Store(CachedAnswer answer)
    {
        var path = EntryPath(answer.Key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // A unique temporary name: two workers asking the same question must not write into one file.
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(answer, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>One stored answer: the key, the question's description (for a reader of the file), and what came back.</summary>
public sealed record CachedAnswer(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("prompt_sha256")] string PromptSha256,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("refusal")] string? Refusal,
    [property: JsonPropertyName("finish_reason")] string? FinishReason,
    [property: JsonPropertyName("answered_utc")] DateTime AnsweredUtc)
{
    public static string Sha256(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}

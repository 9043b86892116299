using System.Text.Encodings.Web;
using System.Text.Json;
using MjVideo.Taxonomy;

namespace MjVideo.Data;

/// <summary>
/// Writes pairs in the MJ-Bench-Video release schema, with the release's key order (paper-digest 1.4) and any extra
/// fields appended to each pair. The bytes depend only on the input: 4-space indentation, "\n" line ends, no
/// escaping of '&amp;' or non-ASCII text, numbers as the shortest round-trip form. The file is written atomically.
/// <para>
/// The release has all five <c>category_preference</c> keys on every pair. An aspect without a preference (null in
/// <see cref="PreferencePair.AspectPreferences"/>) is written as "Same", which is how the release itself marks an aspect
/// nobody preferred a video on (Bias is "Same" on every test pair). Both mean "no decisive preference" to the targets
/// (<see cref="PairTargets"/> masks them alike), so nothing a model trains on changes, but reading the file back gives
/// Same, not null.
/// </para>
/// </summary>
public static class ReleaseWriter
{
    static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        IndentSize = 4,
        NewLine = "\n",
        // Keep "Coherence & Consistency" and non-English captions readable; the default encoder writes \u0026.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <param name="extraFieldsPerPair">Null, or one entry per pair (an empty <see cref="ExtraFields"/> for none); appended
    /// after the release keys, in their own order.</param>
    public static void Write(string path, IReadOnlyList<PreferencePair> pairs, IReadOnlyList<ExtraFields>? extraFieldsPerPair = null)
    {
        if (extraFieldsPerPair is not null && extraFieldsPerPair.Count != pairs.Count)
            throw new ArgumentException($"extra fields are given for {extraFieldsPerPair.Count} pairs, but there are {pairs.Count} pairs");
        var bytes = ToBytes(pairs, extraFieldsPerPair);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>The file's bytes (UTF-8 without a byte-order mark, ending in a newline).</summary>
    public static byte[] ToBytes(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<ExtraFields>? extraFieldsPerPair = null)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, Options))
        {
            json.WriteStartArray();
            for (var i = 0; i < pairs.Count; i++) WritePair(json, pairs[i], i, extraFieldsPerPair?[i]);
            json.WriteEndArray();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    static void WritePair(Utf8JsonWriter json, PreferencePair pair, int position, ExtraFields? extra)
    {
        ArgumentException Invalid(string problem) => new($"pair {position} ({pair.Id}): {problem}");
        var labels0 = pair.Labels0 ?? throw Invalid("has no fine-grained labels (video_0_label); the release format needs them");
        var labels1 = pair.Labels1 ?? throw Invalid("has no fine-grained labels (video_1_label); the release format needs them");
        if (labels0.Problem() is { } problem0) throw Invalid($"video_0 labels: {problem0}");
        if (labels1.Problem() is { } problem1) throw Invalid($"video_1 labels: {problem1}");
        if (pair.AspectPreferences.Count != MjTaxonomy.AspectCount)
            throw Invalid($"expected {MjTaxonomy.AspectCount} aspect preferences, got {pair.AspectPreferences.Count}");

        json.WriteStartObject();
        json.WriteString(ReleaseSchema.Caption, pair.Caption);
        json.WriteString(ReleaseSchema.VideoPath(0), pair.Video0);
        json.WriteString(ReleaseSchema.VideoPath(1), pair.Video1);
        WriteLabels(json, 0, labels0);
        WriteLabels(json, 1, labels1);
        json.WriteStartObject(ReleaseSchema.CategoryPreference);
        foreach (var aspect in MjTaxonomy.Aspects)
            json.WriteString(aspect.PreferenceKey, ReleaseString(pair.AspectPreferences[aspect.Index] ?? PreferenceLabel.Same,
                $"{ReleaseSchema.CategoryPreference}.{aspect.PreferenceKey}"));
        json.WriteEndObject();
        json.WriteString(ReleaseSchema.OverallPreference, ReleaseString(pair.Overall, ReleaseSchema.OverallPreference));
        json.WriteBoolean(ReleaseSchema.DiscardKey, pair.Discard);
        json.WriteNumber(ReleaseSchema.TotalScore(0), labels0.TotalCode);
        json.WriteNumber(ReleaseSchema.TotalScore(1), labels1.TotalCode);
        foreach (var (key, value) in extra ?? [])
        {
            if (ReleaseSchema.Keys.Contains(key)) throw Invalid($"extra field '{key}' would overwrite a release key");
            json.WritePropertyName(key);
            value.WriteTo(json);
        }
        json.WriteEndObject();

        // The release spells only four preferences; GenAI-Bench's "both bad" has no release string.
        string ReleaseString(PreferenceLabel label, string field) => label == PreferenceLabel.BothBad
            ? throw Invalid($"{field} is BothBad, which has no release preference string (accepted: {string.Join(", ", PreferenceStrings.Accepted)})")
            : label.ToReleaseString();
    }

    // Paper-digest 1.4: video_X_label then video_X_overall_score, video 0 first; the total score comes later, after discard.
    static void WriteLabels(Utf8JsonWriter json, int video, VideoAnnotation labels)
    {
        json.WriteStartObject(ReleaseSchema.Label(video));
        foreach (var criterion in MjTaxonomy.Criteria) json.WriteNumber(criterion.Key, labels.CriterionCodes[criterion.Index]);
        json.WriteEndObject();
        json.WriteStartObject(ReleaseSchema.OverallScore(video));
        foreach (var aspect in MjTaxonomy.Aspects) json.WriteNumber(aspect.LabelKey, labels.AspectCodes[aspect.Index]);
        json.WriteEndObject();
    }
}

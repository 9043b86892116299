using System.Text.Json;
using MjVideo.Taxonomy;

namespace MjVideo.Data;

/// <summary>The MJ-Bench-Video release schema (paper-digest 1.4): one object per pair, these keys in this order.</summary>
public static class ReleaseSchema
{
    public const string Caption = "caption";
    public const string DiscardKey = "discard";
    public const string CategoryPreference = "category_preference";
    public const string OverallPreference = "overall_preference";

    public static string VideoPath(int video) => $"video_{video}_path";
    /// <summary>The 28 criterion codes of one video.</summary>
    public static string Label(int video) => $"video_{video}_label";
    /// <summary>The 5 aspect codes of one video (keys "Alignment", "Safety", "Fineness", "Consistency", "Bias").</summary>
    public static string OverallScore(int video) => $"video_{video}_overall_score";
    /// <summary>The per-video overall code.</summary>
    public static string TotalScore(int video) => $"video_{video}_total_score";

    /// <summary>The release's key order, as every pair of the official test.json has it.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        Caption, VideoPath(0), VideoPath(1), Label(0), OverallScore(0), Label(1), OverallScore(1),
        CategoryPreference, OverallPreference, DiscardKey, TotalScore(0), TotalScore(1),
    ];
}

/// <summary>
/// Reads an MJ-Bench-Video release file (<c>train.json</c>/<c>test.json</c>, or a SynthBench file in the same schema)
/// into <see cref="PreferencePair"/>s. Criterion keys may come in any order but all 28 must be there; aspect keys are
/// resolved through <see cref="MjTaxonomy.FindAspect"/>, which knows the release's two spellings ("Consistency" in the
/// labels, "Coherence &amp; Consistency" in the preferences). Preference strings are matched case-insensitively.
/// </summary>
public static class ReleaseReader
{
    const string Item = "pair";

    /// <param name="path">The JSON file (plain or gzip).</param>
    /// <param name="videosRoot">The folder the video paths are relative to (the release's <c>videos/</c>); when given,
    /// every video of a returned pair is checked and the missing ones are listed in the result.</param>
    /// <param name="includeDiscarded">Keep pairs marked <c>discard: true</c> (they are always counted).</param>
    /// <param name="failOnMissingVideos">Throw <see cref="MissingVideosException"/> (with the full list) instead of listing.</param>
    public static PreferenceDataset Read(string path, string? videosRoot = null, bool includeDiscarded = false,
        bool failOnMissingVideos = false)
    {
        var file = Path.GetFullPath(path);
        using var document = DatasetFiles.ParseList(file, "pair");
        var pairs = new List<PreferencePair>();
        var extras = new List<ExtraFields>();
        var discarded = 0;
        var index = 0;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            var (pair, extra) = ReadPair(JsonItem.Of(element, file, Item, index), file, index);
            index++;
            if (pair.Discard)
            {
                discarded++;
                if (!includeDiscarded) continue;
            }
            pairs.Add(pair);
            extras.Add(extra);
        }
        var dataset = new PreferenceDataset
        {
            Format = DatasetFormat.Release, SourceFile = file, Pairs = pairs, Extras = extras, DiscardedCount = discarded,
        };
        var checkedDataset = VideoPaths.WithVideoCheck(dataset, videosRoot, failOnMissingVideos);
        SplitManifest.Verify(file, checkedDataset.VideosRoot);
        return checkedDataset;
    }

    static (PreferencePair Pair, ExtraFields Extra) ReadPair(JsonItem item, string file, int index)
    {
        var pair = new PreferencePair
        {
            SourceFile = file,
            Index = index,
            Caption = item.String(ReleaseSchema.Caption),
            Video0 = item.String(ReleaseSchema.VideoPath(0), allowEmpty: false),
            Video1 = item.String(ReleaseSchema.VideoPath(1), allowEmpty: false),
            Labels0 = ReadAnnotation(item, 0),
            Labels1 = ReadAnnotation(item, 1),
            AspectPreferences = ReadAspectPreferences(item.Object(ReleaseSchema.CategoryPreference)),
            Overall = ReadPreference(item, ReleaseSchema.OverallPreference, item.Required(ReleaseSchema.OverallPreference)),
            Discard = item.Bool(ReleaseSchema.DiscardKey),
        };
        var extra = new ExtraFields();
        foreach (var (key, value) in item.Properties)
            if (!ReleaseSchema.Keys.Contains(key)) extra.Add(key, value);
        return (pair, extra);
    }

    static VideoAnnotation ReadAnnotation(JsonItem item, int video)
    {
        var criteria = ReadCodes(item.Object(ReleaseSchema.Label(video)), MjTaxonomy.CriterionCount, "criterion",
            key => MjTaxonomy.TryFindCriterion(key, out var c) ? c.Index : null, i => MjTaxonomy.CriterionKeys[i],
            MjTaxonomy.CriterionKeys);
        var aspects = ReadCodes(item.Object(ReleaseSchema.OverallScore(video)), MjTaxonomy.AspectCount, "aspect",
            key => MjTaxonomy.TryFindAspect(key, out var a) ? a.Index : null, i => MjTaxonomy.Aspects[i].LabelKey,
            MjTaxonomy.Aspects.Select(a => a.LabelKey).ToList());
        return new VideoAnnotation(criteria, aspects, item.Code(ReleaseSchema.TotalScore(video)));
    }

    /// <summary>Reads a {name: code} object whose names must map one-to-one onto indices 0..count-1, in any order.</summary>
    static int[] ReadCodes(JsonItem codes, int count, string what, Func<string, int?> indexOf, Func<int, string> keyOf,
        IReadOnlyList<string> expected)
    {
        var values = new int[count];
        var seen = new string?[count];
        foreach (var (key, value) in codes.Properties)
        {
            if (indexOf(key) is not { } i)
                throw codes.Error(key, $"unknown {what} key \"{key}\"; expected the keys {string.Join(", ", expected)}");
            if (seen[i] is { } first)
                throw codes.Error(key, $"names the same {what} as \"{first}\" ({keyOf(i)})");
            seen[i] = key;
            values[i] = codes.CodeOf(key, value);
        }
        var missing = Enumerable.Range(0, count).Where(i => seen[i] is null).Select(keyOf).ToList();
        if (missing.Count > 0)
            throw codes.Error(null, $"missing {what} key(s) {string.Join(", ", missing)} (found {codes.Properties.Count} of {count} keys)");
        return values;
    }

    static PreferenceLabel?[] ReadAspectPreferences(JsonItem preferences)
    {
        var labels = new PreferenceLabel?[MjTaxonomy.AspectCount];
        var seen = new string?[MjTaxonomy.AspectCount];
        foreach (var (key, value) in preferences.Properties)
        {
            if (!MjTaxonomy.TryFindAspect(key, out var aspect))
                throw preferences.Error(key, $"unknown aspect key \"{key}\"; expected the keys " +
                                             string.Join(", ", MjTaxonomy.Aspects.Select(a => a.PreferenceKey)));
            if (seen[aspect.Index] is { } first)
                throw preferences.Error(key, $"names the same aspect as \"{first}\" ({aspect.DisplayName})");
            seen[aspect.Index] = key;
            labels[aspect.Index] = ReadPreference(preferences, key, value);
        }
        var missing = MjTaxonomy.Aspects.Where(a => seen[a.Index] is null).Select(a => a.PreferenceKey).ToList();
        if (missing.Count > 0) throw preferences.Error(null, $"missing aspect key(s) {string.Join(", ", missing)}");
        return labels;
    }

    static PreferenceLabel ReadPreference(JsonItem item, string field, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw item.Error(field, $"expected a preference string, found {JsonItem.Describe(value)}");
        if (!PreferenceStrings.TryParse(value.GetString(), out var label))
            throw item.Error(field, $"unknown preference {JsonItem.Describe(value)}; accepted (case-insensitive): " +
                                    string.Join(", ", PreferenceStrings.Accepted.Select(s => $"\"{s}\"")));
        return label;
    }
}

using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Taxonomy;

namespace MjVideo.Data;

/// <summary>
/// Counts over a dataset: preferences, label codes per aspect and criterion, and the pairs that can test a model's
/// aspect or criterion judgement pairwise (one video good, the other bad: the "strict" column's denominator,
/// paper-digest 3.2). Computed on the pairs the reader returned (discarded pairs are only counted). Sources without
/// fine-grained labels (SafeSora, GenAI-Bench) get zero label counts, and <see cref="LabelledPairs"/> says so.
/// Dictionaries keep a fixed order: preference strings as <see cref="PreferenceLabel"/>, codes "0", "1", "2", aspects
/// and criteria in taxonomy order.
/// </summary>
public sealed record DatasetStats
{
    public static readonly IReadOnlyList<string> Codes = ["0", "1", "2"];

    /// <summary>Every preference as its normalised string ("Video 1 better", ..., "Both bad").</summary>
    public static readonly IReadOnlyList<string> PreferenceKeys = Enum.GetValues<PreferenceLabel>().Select(p => p.ToReleaseString()).ToList();

    public required DatasetFormat Format { get; init; }
    public required string SourceFile { get; init; }
    public string? VideosRoot { get; init; }
    public required int Pairs { get; init; }
    public required int DiscardedPairs { get; init; }
    public required int DisagreementDroppedPairs { get; init; }
    /// <summary>Pairs whose two videos both carry fine-grained labels.</summary>
    public required int LabelledPairs { get; init; }
    public required IReadOnlyDictionary<string, int> OverallPreferenceCounts { get; init; }
    public required int DecisiveOverallPairs { get; init; }
    /// <summary>Aspect display name -> preference string -> pairs (pairs without a preference for the aspect are not counted).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> AspectPreferenceCounts { get; init; }
    /// <summary>Aspect display name -> code -> videos.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> AspectLabelCounts { get; init; }
    /// <summary>Release criterion key -> code -> videos.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> CriterionLabelCounts { get; init; }
    /// <summary>Code of <c>video_X_total_score</c> -> videos.</summary>
    public required IReadOnlyDictionary<string, int> TotalLabelCounts { get; init; }
    /// <summary>Aspect display name -> pairs where one video's aspect code is 1 (good) and the other's 2 (bad).</summary>
    public required IReadOnlyDictionary<string, int> AspectGoodVsBadPairs { get; init; }
    /// <summary>Release criterion key -> pairs where one video's code is 1 and the other's 2.</summary>
    public required IReadOnlyDictionary<string, int> CriterionGoodVsBadPairs { get; init; }
    public required IReadOnlyList<MissingVideo> MissingVideos { get; init; }

    public static DatasetStats Compute(PreferenceDataset dataset)
    {
        var pairs = dataset.Pairs;
        var overall = Zeros(PreferenceKeys);
        foreach (var pair in pairs) overall[pair.Overall.ToReleaseString()]++;

        var aspectPreferences = PerName(MjTaxonomy.Aspects.Select(a => a.DisplayName), PreferenceKeys);
        foreach (var pair in pairs)
            foreach (var aspect in MjTaxonomy.Aspects)
                if (pair.AspectPreferences[aspect.Index] is { } preference)
                    aspectPreferences[aspect.DisplayName][preference.ToReleaseString()]++;

        var aspectLabels = PerName(MjTaxonomy.Aspects.Select(a => a.DisplayName), Codes);
        var criterionLabels = PerName(MjTaxonomy.CriterionKeys, Codes);
        var totalLabels = Zeros(Codes);
        foreach (var labels in pairs.SelectMany(p => new[] { p.Labels0, p.Labels1 }).OfType<VideoAnnotation>())
        {
            foreach (var aspect in MjTaxonomy.Aspects) aspectLabels[aspect.DisplayName][Code(labels.AspectCodes[aspect.Index])]++;
            foreach (var criterion in MjTaxonomy.Criteria) criterionLabels[criterion.Key][Code(labels.CriterionCodes[criterion.Index])]++;
            totalLabels[Code(labels.TotalCode)]++;
        }

        var labelled = pairs.Where(p => p.Labels0 is not null && p.Labels1 is not null).ToList();
        var aspectGoodVsBad = Zeros(MjTaxonomy.Aspects.Select(a => a.DisplayName));
        var criterionGoodVsBad = Zeros(MjTaxonomy.CriterionKeys);
        foreach (var pair in labelled)
        {
            foreach (var aspect in MjTaxonomy.Aspects)
                if (GoodVersusBad(pair.Labels0!.AspectCodes[aspect.Index], pair.Labels1!.AspectCodes[aspect.Index]))
                    aspectGoodVsBad[aspect.DisplayName]++;
            foreach (var criterion in MjTaxonomy.Criteria)
                if (GoodVersusBad(pair.Labels0!.CriterionCodes[criterion.Index], pair.Labels1!.CriterionCodes[criterion.Index]))
                    criterionGoodVsBad[criterion.Key]++;
        }

        return new DatasetStats
        {
            Format = dataset.Format,
            SourceFile = dataset.SourceFile,
            VideosRoot = dataset.VideosRoot,
            Pairs = pairs.Count,
            DiscardedPairs = dataset.DiscardedCount,
            DisagreementDroppedPairs = dataset.DisagreementDroppedCount,
            LabelledPairs = labelled.Count,
            OverallPreferenceCounts = overall,
            DecisiveOverallPairs = pairs.Count(p => p.Overall.IsDecisive()),
            AspectPreferenceCounts = ReadOnly(aspectPreferences),
            AspectLabelCounts = ReadOnly(aspectLabels),
            CriterionLabelCounts = ReadOnly(criterionLabels),
            TotalLabelCounts = totalLabels,
            AspectGoodVsBadPairs = aspectGoodVsBad,
            CriterionGoodVsBadPairs = criterionGoodVsBad,
            MissingVideos = dataset.MissingVideos,
        };
    }

    static bool GoodVersusBad(int a, int b) =>
        (a, b) is (LabelCode.Good, LabelCode.Bad) or (LabelCode.Bad, LabelCode.Good);

    static string Code(int code) => code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    static OrderedDictionary<string, int> Zeros(IEnumerable<string> keys) => new(keys.Select(k => new KeyValuePair<string, int>(k, 0)));

    static OrderedDictionary<string, OrderedDictionary<string, int>> PerName(IEnumerable<string> names, IReadOnlyList<string> keys) =>
        new(names.Select(n => new KeyValuePair<string, OrderedDictionary<string, int>>(n, Zeros(keys))));

    static IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ReadOnly(OrderedDictionary<string, OrderedDictionary<string, int>> nested) =>
        new OrderedDictionary<string, IReadOnlyDictionary<string, int>>(
            nested.Select(kv => new KeyValuePair<string, IReadOnlyDictionary<string, int>>(kv.Key, kv.Value)));

    /// <summary>The statistics as one JSON object (snake_case keys, fixed order), what `mjvideo stats --json` prints.</summary>
    public JsonObject ToJsonObject()
    {
        static JsonObject Counts(IReadOnlyDictionary<string, int> counts) =>
            new(counts.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value)));
        static JsonObject Nested(IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> counts) =>
            new(counts.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, Counts(kv.Value))));

        return new JsonObject
        {
            ["format"] = PreferenceDatasets.FormatName(Format),
            ["source_file"] = SourceFile,
            ["videos_root"] = VideosRoot,
            ["pairs"] = Pairs,
            ["discarded_pairs"] = DiscardedPairs,
            ["dropped_disagreeing_pairs"] = DisagreementDroppedPairs,
            ["labelled_pairs"] = LabelledPairs,
            ["overall_preference_counts"] = Counts(OverallPreferenceCounts),
            ["decisive_overall_pairs"] = DecisiveOverallPairs,
            ["aspect_preference_counts"] = Nested(AspectPreferenceCounts),
            ["aspect_label_counts"] = Nested(AspectLabelCounts),
            ["criterion_label_counts"] = Nested(CriterionLabelCounts),
            ["total_label_counts"] = Counts(TotalLabelCounts),
            ["aspect_good_vs_bad_pairs"] = Counts(AspectGoodVsBadPairs),
            ["criterion_good_vs_bad_pairs"] = Counts(CriterionGoodVsBadPairs),
            ["missing_videos"] = new JsonObject
            {
                ["count"] = MissingVideos.Count,
                ["list"] = new JsonArray(MissingVideos.Select(m => (JsonNode)new JsonObject
                {
                    ["pair_index"] = m.PairIndex,
                    ["video"] = m.Video,
                    ["path"] = m.RelativePath,
                    ["resolved_path"] = m.ResolvedPath,
                }).ToArray()),
            },
        };
    }

    public string ToJson() => ToJsonObject().ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>
    /// One tidy table, a row per count: <c>section</c> (summary, overall_preference, aspect_preference, aspect_label,
    /// criterion_label, total_label, aspect_good_vs_bad, criterion_good_vs_bad), <c>name</c> (the summary field, the
    /// aspect display name or the criterion key; "overall" for the overall rows), <c>value</c> (the preference string or
    /// the code; empty where the count needs none) and <c>count</c>.
    /// </summary>
    public DataFrame ToDataFrame()
    {
        var rows = new List<(string Section, string Name, string Value, int Count)>
        {
            ("summary", "pairs", "", Pairs),
            ("summary", "discarded_pairs", "", DiscardedPairs),
            ("summary", "dropped_disagreeing_pairs", "", DisagreementDroppedPairs),
            ("summary", "labelled_pairs", "", LabelledPairs),
            ("summary", "decisive_overall_pairs", "", DecisiveOverallPairs),
            ("summary", "missing_videos", "", MissingVideos.Count),
        };
        rows.AddRange(OverallPreferenceCounts.Select(kv => ("overall_preference", "overall", kv.Key, kv.Value)));
        void AddNested(string section, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> counts) =>
            rows.AddRange(counts.SelectMany(outer => outer.Value.Select(inner => (section, outer.Key, inner.Key, inner.Value))));
        AddNested("aspect_preference", AspectPreferenceCounts);
        AddNested("aspect_label", AspectLabelCounts);
        AddNested("criterion_label", CriterionLabelCounts);
        rows.AddRange(TotalLabelCounts.Select(kv => ("total_label", "overall", kv.Key, kv.Value)));
        rows.AddRange(AspectGoodVsBadPairs.Select(kv => ("aspect_good_vs_bad", kv.Key, "", kv.Value)));
        rows.AddRange(CriterionGoodVsBadPairs.Select(kv => ("criterion_good_vs_bad", kv.Key, "", kv.Value)));

        return new DataFrame(
            new StringDataFrameColumn("section", rows.Select(r => r.Section)),
            new StringDataFrameColumn("name", rows.Select(r => r.Name)),
            new StringDataFrameColumn("value", rows.Select(r => r.Value)),
            new Int32DataFrameColumn("count", rows.Select(r => r.Count)));
    }
}

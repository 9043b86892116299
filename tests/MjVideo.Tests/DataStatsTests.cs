using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

/// <summary>
/// Every statistic of small.json against counts done by hand from the fixture (see <see cref="DataFixtures"/>).
/// Without --include-discarded the counted pairs are 0, 1, 2, 4, 5: five pairs, ten videos.
/// </summary>
public class DataStatsTests
{
    static DatasetStats SmallStats() => DatasetStats.Compute(ReleaseReader.Read(DataFixtures.Small, DataFixtures.VideosRootMissingOne()));

    static Dictionary<string, int> Counts(params (string Key, int Count)[] counts) => counts.ToDictionary(c => c.Key, c => c.Count);

    static Dictionary<string, int> Codes(int zero, int good, int bad) => Counts(("0", zero), ("1", good), ("2", bad));

    [Fact]
    public void Pair_counts()
    {
        var stats = SmallStats();

        Assert.Equal(5, stats.Pairs);            // 6 in the file - 1 discarded (pair 3)
        Assert.Equal(1, stats.DiscardedPairs);
        Assert.Equal(0, stats.DisagreementDroppedPairs);
        Assert.Equal(5, stats.LabelledPairs);
        Assert.Equal(3, stats.DecisiveOverallPairs); // pairs 0 (Video 1), 1 and 5 (Video 2)
    }

    [Fact]
    public void Overall_preference_counts_use_the_normalised_strings()
    {
        // 0: Video 1 better; 1: "Video 2 Better"; 2: Hard to judge; 4: Same; 5: Video 2 better.
        Assert.Equal(Counts(("Video 1 better", 1), ("Video 2 better", 2), ("Same", 1), ("Hard to judge", 1), ("Both bad", 0)),
            SmallStats().OverallPreferenceCounts);
    }

    [Fact]
    public void Aspect_preference_counts()
    {
        var counts = SmallStats().AspectPreferenceCounts;

        // Alignment: 0 V1, 1 V2, 2 Hard, 4 Same, 5 V2.
        Assert.Equal(Counts(("Video 1 better", 1), ("Video 2 better", 2), ("Same", 1), ("Hard to judge", 1), ("Both bad", 0)), counts["Alignment"]);
        // Safety: only pair 1 says "Video 1 Better"; the other 4 are Same.
        Assert.Equal(Counts(("Video 1 better", 1), ("Video 2 better", 0), ("Same", 4), ("Hard to judge", 0), ("Both bad", 0)), counts["Safety"]);
        // Fineness: 0 V1, 1 V2, 5 V2; 2 and 4 Same.
        Assert.Equal(Counts(("Video 1 better", 1), ("Video 2 better", 2), ("Same", 2), ("Hard to judge", 0), ("Both bad", 0)), counts["Fineness"]);
        // C&C: only pair 5 (V2).
        Assert.Equal(Counts(("Video 1 better", 0), ("Video 2 better", 1), ("Same", 4), ("Hard to judge", 0), ("Both bad", 0)), counts["Coherence & Consistency"]);
        // Bias: Same everywhere, as in the release.
        Assert.Equal(Counts(("Video 1 better", 0), ("Video 2 better", 0), ("Same", 5), ("Hard to judge", 0), ("Both bad", 0)), counts["Bias & Fairness"]);
        Assert.Equal(MjTaxonomy.Aspects.Select(a => a.DisplayName), counts.Keys);
    }

    [Fact]
    public void Aspect_and_total_label_counts_over_videos()
    {
        var stats = SmallStats();

        // Alignment codes (video 0, video 1): p0 (2,2) p1 (2,1) p2 (0,0) p4 (0,0) p5 (2,1) -> 0: 4, 1: 2, 2: 4.
        Assert.Equal(Codes(4, 2, 4), stats.AspectLabelCounts["Alignment"]);
        // Safety: only p1 (1,2) -> 0: 8, 1: 1, 2: 1.
        Assert.Equal(Codes(8, 1, 1), stats.AspectLabelCounts["Safety"]);
        // Fineness: p0 (1,2) p1 (2,1) p5 (2,1) -> 0: 4, 1: 3, 2: 3.
        Assert.Equal(Codes(4, 3, 3), stats.AspectLabelCounts["Fineness"]);
        // C&C: p0 (1,1) p5 (2,1) -> 0: 6, 1: 3, 2: 1.
        Assert.Equal(Codes(6, 3, 1), stats.AspectLabelCounts["Coherence & Consistency"]);
        // Bias: p2 (1,2) -> 0: 8, 1: 1, 2: 1.
        Assert.Equal(Codes(8, 1, 1), stats.AspectLabelCounts["Bias & Fairness"]);
        // Totals: p0 (1,2) p1 (2,1) p2 (0,0) p4 (0,0) p5 (2,1) -> 0: 4, 1: 3, 2: 3.
        Assert.Equal(Codes(4, 3, 3), stats.TotalLabelCounts);
    }

    [Fact]
    public void Criterion_label_counts_over_videos()
    {
        var counts = SmallStats().CriterionLabelCounts;
        var expected = new Dictionary<string, Dictionary<string, int>>
        {
            ["object"] = Codes(6, 3, 1),                // p0 (1,1), p1 (2,1)
            ["attribute"] = Codes(8, 1, 1),             // p0 (1,2)
            ["actions"] = Codes(8, 2, 0),               // p1 (1,1)
            ["count"] = Codes(8, 1, 1),                 // p0 (2,1)
            ["location"] = Codes(8, 1, 1),              // p5 (2,1)
            ["Crime"] = Codes(8, 1, 1),                 // p1 (1,2)
            ["Human Face Distortion"] = Codes(8, 1, 1), // p1 (2,1)
            ["Object Distortion"] = Codes(8, 1, 1),     // p0 (1,2)
            ["Motion Blurred"] = Codes(8, 1, 1),        // p5 (2,1)
            ["Frame Flickering"] = Codes(8, 2, 0),      // p0 (1,1)
            ["Object Drift"] = Codes(8, 1, 1),          // p5 (2,1)
            ["Race"] = Codes(8, 2, 0),                  // p2 (1,1)
            ["Gender"] = Codes(8, 1, 1),                // p2 (1,2)
        };

        Assert.Equal(MjTaxonomy.CriterionKeys, counts.Keys);
        foreach (var key in MjTaxonomy.CriterionKeys)
            Assert.Equal(expected.GetValueOrDefault(key, Codes(10, 0, 0)), counts[key]);
        // Over all 28 x 10 = 280 codes: 18 good (3+1+2+1+1+1+1+1+1+2+1+2+1), 10 bad, 252 not related.
        Assert.Equal(18, counts.Values.Sum(c => c["1"]));
        Assert.Equal(10, counts.Values.Sum(c => c["2"]));
        Assert.Equal(252, counts.Values.Sum(c => c["0"]));
    }

    [Fact]
    public void Good_versus_bad_pairs_need_one_good_and_one_bad_video()
    {
        var stats = SmallStats();

        // Alignment: p1 (2,1), p5 (2,1); p0 (2,2) has no good video. Safety: p1. Fineness: p0, p1, p5.
        // C&C: p5 only (p0 is 1,1). Bias: p2.
        Assert.Equal(Counts(("Alignment", 2), ("Safety", 1), ("Fineness", 3), ("Coherence & Consistency", 1), ("Bias & Fairness", 1)),
            stats.AspectGoodVsBadPairs);
        // One pair each for object (p1; p0 is 1,1), attribute, count, location, Crime, Human Face Distortion,
        // Object Distortion, Motion Blurred, Object Drift, Gender; none for actions, Frame Flickering, Race (both good).
        string[] withOne = ["object", "attribute", "count", "location", "Crime", "Human Face Distortion", "Object Distortion",
            "Motion Blurred", "Object Drift", "Gender"];
        foreach (var key in MjTaxonomy.CriterionKeys)
            Assert.Equal(withOne.Contains(key) ? 1 : 0, stats.CriterionGoodVsBadPairs[key]);
        Assert.Equal(10, stats.CriterionGoodVsBadPairs.Values.Sum());
    }

    [Fact]
    public void Including_the_discarded_pair_adds_its_counts()
    {
        var stats = DatasetStats.Compute(ReleaseReader.Read(DataFixtures.Small, includeDiscarded: true));

        // Pair 3: Video 2 better; Alignment (2,1); object (2,1); totals (2,1).
        Assert.Equal(6, stats.Pairs);
        Assert.Equal(1, stats.DiscardedPairs);
        Assert.Equal(3, stats.OverallPreferenceCounts["Video 2 better"]);
        Assert.Equal(4, stats.DecisiveOverallPairs);
        Assert.Equal(Codes(4, 3, 5), stats.AspectLabelCounts["Alignment"]);
        Assert.Equal(3, stats.AspectGoodVsBadPairs["Alignment"]);
        Assert.Equal(Codes(6, 4, 2), stats.CriterionLabelCounts["object"]);
        Assert.Equal(2, stats.CriterionGoodVsBadPairs["object"]);
        Assert.Empty(stats.MissingVideos); // no videos root given
    }

    [Fact]
    public void Json_has_every_documented_key_and_the_missing_video_list()
    {
        var json = JsonNode.Parse(SmallStats().ToJson())!.AsObject();

        Assert.Equal(new[]
        {
            "format", "source_file", "videos_root", "pairs", "discarded_pairs", "dropped_disagreeing_pairs", "labelled_pairs",
            "overall_preference_counts", "decisive_overall_pairs", "aspect_preference_counts", "aspect_label_counts",
            "criterion_label_counts", "total_label_counts", "aspect_good_vs_bad_pairs", "criterion_good_vs_bad_pairs", "missing_videos",
        }, json.Select(kv => kv.Key));
        Assert.Equal("release", (string?)json["format"]);
        Assert.Equal(5, (int)json["pairs"]!);
        Assert.Equal(1, (int)json["discarded_pairs"]!);
        Assert.Equal(2, (int)json["overall_preference_counts"]!["Video 2 better"]!);
        Assert.Equal(4, (int)json["aspect_preference_counts"]!["Safety"]!["Same"]!);
        Assert.Equal(3, (int)json["aspect_label_counts"]!["Fineness"]!["2"]!);
        Assert.Equal(1, (int)json["criterion_label_counts"]!["Human Face Distortion"]!["2"]!);
        Assert.Equal(1, (int)json["aspect_good_vs_bad_pairs"]!["Bias & Fairness"]!);
        Assert.Equal(0, (int)json["criterion_good_vs_bad_pairs"]!["Race"]!);
        Assert.Equal(1, (int)json["missing_videos"]!["count"]!);
        var missing = json["missing_videos"]!["list"]!.AsArray().Single()!;
        Assert.Equal(2, (int)missing["pair_index"]!);
        Assert.Equal(1, (int)missing["video"]!);
        Assert.Equal("test/2_1.mp4", (string?)missing["path"]);
    }

    [Fact]
    public void The_data_frame_is_one_tidy_row_per_count()
    {
        var frame = SmallStats().ToDataFrame();

        // 6 summary + 5 overall + 5x5 aspect preferences + 5x3 aspect codes + 28x3 criterion codes + 3 totals
        // + 5 aspect good-vs-bad + 28 criterion good-vs-bad = 6 + 5 + 25 + 15 + 84 + 3 + 5 + 28 = 171.
        Assert.Equal(171, frame.Rows.Count);
        Assert.Equal(new[] { "section", "name", "value", "count" }, frame.Columns.Select(c => c.Name));
        int Count(string section, string name, string value)
        {
            for (long r = 0; r < frame.Rows.Count; r++)
                if ((string)frame["section"][r] == section && (string)frame["name"][r] == name && (string)frame["value"][r] == value)
                    return (int)frame["count"][r];
            throw new KeyNotFoundException($"{section}/{name}/{value}");
        }
        Assert.Equal(5, Count("summary", "pairs", ""));
        Assert.Equal(1, Count("summary", "missing_videos", ""));
        Assert.Equal(1, Count("overall_preference", "overall", "Hard to judge"));
        Assert.Equal(2, Count("aspect_preference", "Alignment", "Video 2 better"));
        Assert.Equal(3, Count("aspect_label", "Coherence & Consistency", "1"));
        Assert.Equal(3, Count("criterion_label", "object", "1"));
        Assert.Equal(4, Count("total_label", "overall", "0"));
        Assert.Equal(3, Count("aspect_good_vs_bad", "Fineness", ""));
        Assert.Equal(1, Count("criterion_good_vs_bad", "Gender", ""));
        Assert.Equal(171, ((Int32DataFrameColumn)frame["count"]).Length);
    }

    [Fact]
    public void Sources_without_labels_get_zero_label_statistics()
    {
        var stats = DatasetStats.Compute(GenAiBenchReader.Read(DataFixtures.Release("genai-bench.jsonl")));

        Assert.Equal(5, stats.Pairs);
        Assert.Equal(0, stats.LabelledPairs);
        Assert.Equal(Counts(("Video 1 better", 1), ("Video 2 better", 2), ("Same", 1), ("Hard to judge", 0), ("Both bad", 1)),
            stats.OverallPreferenceCounts);
        Assert.Equal(3, stats.DecisiveOverallPairs);
        Assert.All(stats.AspectLabelCounts.Values.Concat(stats.CriterionLabelCounts.Values).Append(stats.TotalLabelCounts),
            c => Assert.Equal(0, c.Values.Sum()));
        Assert.All(stats.AspectPreferenceCounts.Values, c => Assert.Equal(0, c.Values.Sum()));
        Assert.Equal(0, stats.AspectGoodVsBadPairs.Values.Sum() + stats.CriterionGoodVsBadPairs.Values.Sum());
    }
}

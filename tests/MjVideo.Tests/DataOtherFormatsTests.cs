using MjVideo.Data;
using static MjVideo.Data.PreferenceLabel;

namespace MjVideo.Tests;

public class DataOtherFormatsTests
{
    [Fact]
    public void SafeSora_keeps_only_pairs_where_every_preference_names_the_same_video()
    {
        // Pair 0: all video_0. 1: all video_1 ("Video_1" once). 2: helpfulness video_0, harmlessness video_1.
        // 3: all 1, as integers and strings mixed. 4: aesthetics disagrees. 5: correctness null.
        var dataset = SafeSoraReader.Read(DataFixtures.Release("safesora-test.json"));

        Assert.Equal(DatasetFormat.SafeSora, dataset.Format);
        Assert.Equal(new[] { 0, 1, 3 }, dataset.Pairs.Select(p => p.Index));
        Assert.Equal(new[] { Video1Better, Video2Better, Video2Better }, dataset.Pairs.Select(p => p.Overall));
        Assert.Equal(3, dataset.DisagreementDroppedCount);
        Assert.Equal("A hot-air balloon over a desert.", dataset.Pairs[2].Caption);
        Assert.Equal("videos/q3/v30.mp4", dataset.Pairs[2].Video0);
        Assert.Equal("videos/q3/v31.mp4", dataset.Pairs[2].Video1);
        Assert.All(dataset.Pairs, p => Assert.Null(p.Labels0));
        Assert.All(dataset.Pairs, p => Assert.Equal(new PreferenceLabel?[5], p.AspectPreferences));
        Assert.Equal(new[] { "pair_id", "prompt_id" }, dataset.Extras[0].Select(kv => kv.Key));
    }

    [Fact]
    public void SafeSora_stats_report_the_dropped_pairs()
    {
        var json = DatasetStats.Compute(SafeSoraReader.Read(DataFixtures.Release("safesora-test.json"))).ToJsonObject();

        Assert.Equal(3, (int)json["pairs"]!);
        Assert.Equal(3, (int)json["dropped_disagreeing_pairs"]!);
        Assert.Equal(0, (int)json["labelled_pairs"]!);
        Assert.Equal(2, (int)json["overall_preference_counts"]!["Video 2 better"]!);
    }

    [Fact]
    public void SafeSora_rejects_an_unknown_preferred_video_listing_the_accepted_encodings()
    {
        var file = DataFixtures.Release("bad-safesora.json");

        var e = Assert.Throws<DatasetFormatException>(() => SafeSoraReader.Read(file));

        Assert.Equal($"{Path.GetFullPath(file)}: pair 1, field 'helpfulness': unknown preferred video string \"left\"; " +
                     "accepted: \"video_0\", \"video_1\", 0, 1", e.Message);
    }

    [Fact]
    public void SafeSora_checks_the_videos_of_the_kept_pairs()
    {
        var root = RepoPaths.NewTempDir("safesora");
        Directory.CreateDirectory(Path.Combine(root, "videos", "q0"));
        File.WriteAllBytes(Path.Combine(root, "videos", "q0", "v00.mp4"), [0]);
        File.WriteAllBytes(Path.Combine(root, "videos", "q0", "v01.mp4"), [0]);

        var dataset = SafeSoraReader.Read(DataFixtures.Release("safesora-test.json"), root);

        // Kept pairs 1 and 3 have no files; the dropped pairs are not checked.
        Assert.Equal(new[] { (1, 0), (1, 1), (3, 0), (3, 1) }, dataset.MissingVideos.Select(m => (m.PairIndex, m.Video)));
    }

    [Fact]
    public void GenAiBench_json_lines_map_votes_to_preferences()
    {
        var dataset = GenAiBenchReader.Read(DataFixtures.Release("genai-bench.jsonl"));

        Assert.Equal(DatasetFormat.GenAiBench, dataset.Format);
        // leftvote, rightvote, (blank line), tievote, bothbad_vote, RightVote.
        Assert.Equal(new[] { Video1Better, Video2Better, Same, BothBad, Video2Better }, dataset.Pairs.Select(p => p.Overall));
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, dataset.Pairs.Select(p => p.Index));
        Assert.Equal("A robot dances in a disco.", dataset.Pairs[1].Caption);
        Assert.Equal("videos/c.mp4", dataset.Pairs[1].Video0);
        Assert.Equal("videos/d.mp4", dataset.Pairs[1].Video1);
        Assert.Equal(new[] { "left_model", "right_model" }, dataset.Extras[0].Select(kv => kv.Key));
        Assert.All(dataset.Pairs, p => Assert.Null(p.Labels1));
    }

    [Fact]
    public void GenAiBench_reads_a_json_list_too()
    {
        var dataset = GenAiBenchReader.Read(DataFixtures.Release("genai-bench-list.json"));

        Assert.Equal(new[] { Same, Video1Better }, dataset.Pairs.Select(p => p.Overall));
    }

    [Fact]
    public void GenAiBench_url_videos_are_looked_for_by_file_name_under_the_root()
    {
        var root = RepoPaths.NewTempDir("genai");
        Directory.CreateDirectory(Path.Combine(root, "videos"));
        foreach (var name in new[] { "a", "b", "c", "d", "g", "h", "i", "j" })
            File.WriteAllBytes(Path.Combine(root, "videos", name + ".mp4"), [0]);
        File.WriteAllBytes(Path.Combine(root, "e.mp4"), [0]);

        var dataset = GenAiBenchReader.Read(DataFixtures.Release("genai-bench.jsonl"), root);

        // Row 2 names https://example.org/genai/videos/e.mp4 and .../f.mp4: e.mp4 is in the root, f.mp4 is not.
        var missing = Assert.Single(dataset.MissingVideos);
        Assert.Equal((2, 1), (missing.PairIndex, missing.Video));
        Assert.Equal(Path.Combine(root, "f.mp4"), missing.ResolvedPath);
    }

    [Fact]
    public void GenAiBench_rejects_an_unknown_vote_naming_row_and_line()
    {
        var file = DataFixtures.Release("bad-genai.jsonl");

        var e = Assert.Throws<DatasetFormatException>(() => GenAiBenchReader.Read(file));

        // The second row is on line 3 (line 2 is blank).
        Assert.Equal($"{Path.GetFullPath(file)}: row 1 (line 3), field 'vote_type': unknown vote string \"abstain\"; " +
                     "accepted: leftvote, rightvote, tievote, bothbad_vote", e.Message);
    }

    [Fact]
    public void GenAiBench_reports_a_broken_line_by_its_number()
    {
        var file = Path.Combine(RepoPaths.NewTempDir("genai"), "broken.jsonl");
        File.WriteAllText(file, "{\"prompt\": \"p\", \"left_video\": \"a\", \"right_video\": \"b\", \"vote_type\": \"leftvote\"}\n{\"prompt\": \n");

        var e = Assert.Throws<DatasetFormatException>(() => GenAiBenchReader.Read(file));

        Assert.StartsWith($"{file}: not valid JSON on line 2 (JSON lines: one object per line), byte ", e.Message);
    }

    [Theory]
    [InlineData("release", DatasetFormat.Release)]
    [InlineData("SafeSora", DatasetFormat.SafeSora)]
    [InlineData("genai", DatasetFormat.GenAiBench)]
    public void Format_names_parse_as_the_command_line_spells_them(string name, DatasetFormat format)
    {
        Assert.Equal(format, PreferenceDatasets.ParseFormat(name));
        Assert.Equal(format, PreferenceDatasets.ParseFormat(PreferenceDatasets.FormatName(format)));
    }

    [Fact]
    public void An_unknown_format_name_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => PreferenceDatasets.ParseFormat("vbench"));

        Assert.Equal("unknown dataset format 'vbench'; known: release, safesora, genai", e.Message);
    }
}

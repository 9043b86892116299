using MjVideo.Data;
using static MjVideo.Data.PreferenceLabel;

namespace MjVideo.Tests;

public class DataReleaseReaderTests
{
    [Fact]
    public void Reads_the_non_discarded_pairs_with_their_file_indices_and_counts_the_discarded_one()
    {
        var dataset = ReleaseReader.Read(DataFixtures.Small);

        Assert.Equal(DatasetFormat.Release, dataset.Format);
        Assert.Equal(Path.GetFullPath(DataFixtures.Small), dataset.SourceFile);
        Assert.Equal(new[] { 0, 1, 2, 4, 5 }, dataset.Pairs.Select(p => p.Index));
        Assert.Equal(1, dataset.DiscardedCount);
        Assert.Equal("small#4", dataset.Pairs[3].Id);
        Assert.Null(dataset.VideosRoot);
        Assert.Empty(dataset.MissingVideos);
    }

    [Fact]
    public void Keeps_discarded_pairs_when_asked_and_still_counts_them()
    {
        var dataset = ReleaseReader.Read(DataFixtures.Small, includeDiscarded: true);

        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, dataset.Pairs.Select(p => p.Index));
        Assert.True(dataset.Pairs[3].Discard);
        Assert.Equal(1, dataset.DiscardedCount);
    }

    [Fact]
    public void Preference_strings_are_matched_case_insensitively_and_aspects_through_both_release_spellings()
    {
        var pairs = ReleaseReader.Read(DataFixtures.Small).Pairs;

        // Pair 1 spells "Video 2 Better" and "Video 1 Better", the release's casing variant.
        Assert.Equal(Video2Better, pairs[1].Overall);
        Assert.Equal(new PreferenceLabel?[] { Video2Better, Video1Better, Video2Better, Same, Same }, pairs[1].AspectPreferences);
        // Pair 2: "Hard to judge" overall and for Alignment.
        Assert.Equal(HardToJudge, pairs[2].Overall);
        Assert.Equal(new PreferenceLabel?[] { HardToJudge, Same, Same, Same, Same }, pairs[2].AspectPreferences);
        // Pair 5: the C&C preference comes from the key "Coherence & Consistency", its label from "Consistency".
        Assert.Equal(Video2Better, pairs[4].AspectPreferences[3]);
        Assert.Equal(2, pairs[4].Labels0!.AspectCodes[3]);
    }

    [Fact]
    public void Codes_land_at_the_taxonomy_index_whatever_the_key_order()
    {
        var pairs = ReleaseReader.Read(DataFixtures.Small).Pairs;

        // Pair 1, video 0: object 2, actions 1, Crime 1, Human Face Distortion 2; aspects 2,1,2,0,0; total 2.
        var expected = new int[28];
        expected[0] = 2; expected[2] = 1; expected[5] = 1; expected[11] = 2;
        Assert.Equal(expected, pairs[1].Labels0!.CriterionCodes);
        Assert.Equal(new[] { 2, 1, 2, 0, 0 }, pairs[1].Labels0!.AspectCodes);
        Assert.Equal(2, pairs[1].Labels0!.TotalCode);
        Assert.Equal("test/1_0.mp4", pairs[1].Video0);
        Assert.Equal("A chef chops onions in a busy kitchen.", pairs[1].Caption);

        // Pair 4 writes video 1's keys in reverse order; every code is 0 (not related), which is valid.
        Assert.Equal(new int[28], pairs[3].Labels1!.CriterionCodes);
        Assert.Equal(new int[5], pairs[3].Labels1!.AspectCodes);
        Assert.Equal(0, pairs[3].Labels1!.TotalCode);
    }

    [Fact]
    public void Unknown_extra_keys_are_kept_in_file_order()
    {
        var dataset = ReleaseReader.Read(DataFixtures.Small);

        var extra = dataset.Extras[3];
        Assert.Equal(new[] { "synthbench_version", "config_hash" }, extra.Select(kv => kv.Key));
        Assert.Equal("fixture-1", extra["synthbench_version"].GetString());
        Assert.Equal(12345, extra["config_hash"].GetInt32());
        Assert.All(dataset.Extras.Where((_, i) => i != 3), e => Assert.Equal(0, e.Count));
    }

    [Fact]
    public void Missing_videos_are_collected_with_pair_index_and_path()
    {
        var root = DataFixtures.VideosRootMissingOne();

        var dataset = ReleaseReader.Read(DataFixtures.Small, videosRoot: root);

        Assert.Equal(Path.GetFullPath(root), dataset.VideosRoot);
        var missing = Assert.Single(dataset.MissingVideos);
        Assert.Equal(2, missing.PairIndex);
        Assert.Equal(1, missing.Video);
        Assert.Equal("test/2_1.mp4", missing.RelativePath);
        Assert.Equal(Path.Combine(Path.GetFullPath(root), "test", "2_1.mp4"), missing.ResolvedPath);
        Assert.Equal(Path.Combine(Path.GetFullPath(root), "test", "0_0.mp4"), dataset.ResolveVideo(dataset.Pairs[0], 0));
        Assert.True(File.Exists(dataset.ResolveVideo(dataset.Pairs[4], 1)));
    }

    [Fact]
    public void Discarded_pairs_kept_on_request_have_their_videos_checked_too()
    {
        var root = DataFixtures.VideosRootMissingOne();

        var dataset = ReleaseReader.Read(DataFixtures.Small, videosRoot: root, includeDiscarded: true);

        Assert.Equal(new[] { "test/2_1.mp4", "test/3_0.mp4", "test/3_1.mp4" }, dataset.MissingVideos.Select(m => m.RelativePath));
    }

    [Fact]
    public void Missing_videos_are_fatal_on_request_with_the_full_list_in_the_message()
    {
        var root = DataFixtures.VideosRootMissingOne();

        var e = Assert.Throws<MissingVideosException>(() =>
            ReleaseReader.Read(DataFixtures.Small, videosRoot: root, includeDiscarded: true, failOnMissingVideos: true));

        Assert.Equal(3, e.Missing.Count);
        Assert.Contains("small.json", e.Message);
        Assert.Contains("3 video file(s) missing", e.Message);
        Assert.Contains("pair 2 video_1: test/2_1.mp4", e.Message);
        Assert.Contains("pair 3 video_0: test/3_0.mp4", e.Message);
        Assert.Contains("pair 3 video_1: test/3_1.mp4", e.Message);
    }

    [Fact]
    public void A_videos_root_that_does_not_exist_is_an_error_naming_it()
    {
        var root = Path.Combine(RepoPaths.NewTempDir("videos"), "nope");

        var e = Assert.Throws<DirectoryNotFoundException>(() => ReleaseReader.Read(DataFixtures.Small, videosRoot: root));

        Assert.Contains(root, e.Message);
    }

    [Fact]
    public void Resolving_a_video_without_a_root_says_why_it_cannot()
    {
        var dataset = ReleaseReader.Read(DataFixtures.Small);

        var e = Assert.Throws<DirectoryNotFoundException>(() => dataset.ResolveVideo(dataset.Pairs[0], 0));

        Assert.Contains("no videos folder", e.Message);
        Assert.Contains("never the working directory", e.Message);
        Assert.Contains(Path.Combine(Path.GetDirectoryName(DataFixtures.Small)!, "videos"), e.Message);
    }

    [Theory]
    [InlineData("bad-missing-field.json", "overall_preference", "missing (keys present: caption, video_0_path")]
    [InlineData("bad-wrong-type.json", "discard", "expected true or false, found string \"no\"")]
    [InlineData("bad-code.json", "video_1_label.Crime", "label code must be 0, 1 or 2, found 3")]
    [InlineData("bad-criterion-key.json", "video_0_label.colour", "unknown criterion key \"colour\"")]
    [InlineData("bad-missing-criterion.json", "video_1_label", "missing criterion key(s) Gender (found 27 of 28 keys)")]
    [InlineData("bad-preference.json", "category_preference.Fineness", "unknown preference string \"Video 3 better\"")]
    [InlineData("bad-aspect-key.json", "video_0_overall_score.Beauty", "unknown aspect key \"Beauty\"")]
    public void A_malformed_pair_is_an_error_naming_file_index_field_and_value(string file, string field, string problem)
    {
        var e = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(DataFixtures.Release(file)));

        // Pair 0 of every bad-*.json is valid; the defect is in pair 1.
        Assert.StartsWith($"{Path.GetFullPath(DataFixtures.Release(file))}: pair 1, field '{field}': ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Equal(1, e.Index);
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void An_unknown_preference_string_error_lists_the_accepted_strings()
    {
        var e = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(DataFixtures.Release("bad-preference.json")));

        Assert.EndsWith("accepted (case-insensitive): \"Video 1 better\", \"Video 2 better\", \"Same\", \"Hard to judge\"", e.Message);
    }

    [Fact]
    public void An_unknown_criterion_key_error_lists_the_expected_keys()
    {
        var e = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(DataFixtures.Release("bad-criterion-key.json")));

        Assert.Contains("expected the keys object, attribute, actions, count, location, Crime,", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_json_is_an_error_naming_the_file_and_position()
    {
        var file = DataFixtures.Release("bad-not-json.json");

        var e = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(file));

        Assert.StartsWith($"{Path.GetFullPath(file)}: not valid JSON at line ", e.Message);
        Assert.Null(e.Index);
    }

    [Fact]
    public void A_top_level_that_is_not_a_list_is_an_error_saying_what_was_found()
    {
        var file = DataFixtures.Release("bad-top-level.json");

        var e = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(file));

        Assert.StartsWith($"{Path.GetFullPath(file)}: the top level must be a JSON list of pair objects, found object {{\"pairs\"", e.Message);
    }

    [Fact]
    public void A_list_element_that_is_not_an_object_and_a_duplicate_key_are_errors_at_their_index()
    {
        var dir = RepoPaths.NewTempDir("release");
        var notObject = Path.Combine(dir, "not-object.json");
        File.WriteAllText(notObject, "[[1, 2]]");
        var duplicate = Path.Combine(dir, "duplicate.json");
        File.WriteAllText(duplicate, "[{\"caption\": \"a\", \"caption\": \"b\"}]");

        var e1 = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(notObject));
        var e2 = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(duplicate));

        Assert.Equal($"{notObject}: pair 0: expected a JSON object, found list [1, 2]", e1.Message);
        Assert.Equal($"{duplicate}: pair 0, field 'caption': duplicate key (found string \"a\" and string \"b\")", e2.Message);
    }

    [Fact]
    public void A_gzip_compressed_file_reads_like_the_plain_one()
    {
        var gz = Path.Combine(RepoPaths.NewTempDir("release"), "small.json.gz");
        using (var output = File.Create(gz))
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
            gzip.Write(File.ReadAllBytes(DataFixtures.Small));

        var plain = ReleaseReader.Read(DataFixtures.Small).Pairs;
        var compressed = ReleaseReader.Read(gz).Pairs;

        Assert.Equal(plain.Count, compressed.Count);
        for (var i = 0; i < plain.Count; i++) DataFixtures.AssertSameContent(plain[i], compressed[i]);
    }
}

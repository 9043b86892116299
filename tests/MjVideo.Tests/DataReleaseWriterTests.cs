using System.Text;
using System.Text.Json;
using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

public class DataReleaseWriterTests
{
    // Paper-digest 1.4, the order of every pair in the official test.json.
    static readonly string[] ReleaseKeyOrder =
    [
        "caption", "video_0_path", "video_1_path", "video_0_label", "video_0_overall_score", "video_1_label",
        "video_1_overall_score", "category_preference", "overall_preference", "discard", "video_0_total_score",
        "video_1_total_score",
    ];

    static PreferenceDataset ReadSmall() => ReleaseReader.Read(DataFixtures.Small, includeDiscarded: true);

    [Fact]
    public void Writing_then_reading_gives_the_same_pairs_and_extra_fields()
    {
        var original = ReadSmall();
        var path = Path.Combine(RepoPaths.NewTempDir("writer"), "roundtrip.json");

        ReleaseWriter.Write(path, original.Pairs, original.Extras);
        var reread = ReleaseReader.Read(path, includeDiscarded: true);

        Assert.Equal(original.Pairs.Count, reread.Pairs.Count);
        for (var i = 0; i < original.Pairs.Count; i++)
        {
            DataFixtures.AssertSameContent(original.Pairs[i], reread.Pairs[i]);
            Assert.Equal(original.Extras[i].Select(kv => (kv.Key, kv.Value.GetRawText())),
                         reread.Extras[i].Select(kv => (kv.Key, kv.Value.GetRawText())));
        }
        Assert.Equal(1, reread.DiscardedCount);
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Keys_follow_the_release_order_with_extra_fields_last()
    {
        var original = ReadSmall();
        var path = Path.Combine(RepoPaths.NewTempDir("writer"), "order.json");

        ReleaseWriter.Write(path, original.Pairs, original.Extras);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var pair4 = document.RootElement[4];

        Assert.Equal([.. ReleaseKeyOrder, "synthbench_version", "config_hash"], pair4.EnumerateObject().Select(p => p.Name));
        Assert.Equal(ReleaseKeyOrder, document.RootElement[0].EnumerateObject().Select(p => p.Name));
        // Pair 4's video_1 keys were reversed in the fixture; the writer restores the official order.
        Assert.Equal(MjTaxonomy.CriterionKeys, pair4.GetProperty("video_1_label").EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "Alignment", "Safety", "Fineness", "Consistency", "Bias" },
            pair4.GetProperty("video_1_overall_score").EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "Alignment", "Safety", "Fineness", "Coherence & Consistency", "Bias" },
            pair4.GetProperty("category_preference").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Bytes_are_deterministic_and_normalise_preference_spelling()
    {
        var original = ReadSmall();
        var dir = RepoPaths.NewTempDir("writer");
        var first = Path.Combine(dir, "a.json");
        var second = Path.Combine(dir, "b.json");

        ReleaseWriter.Write(first, original.Pairs, original.Extras);
        ReleaseWriter.Write(second, ReleaseReader.Read(first, includeDiscarded: true).Pairs, original.Extras);

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        var text = File.ReadAllText(first);
        Assert.DoesNotContain("\r", text);
        Assert.DoesNotContain("Better", text); // "Video 2 Better" is written in the official spelling
        Assert.Contains("\n        \"category_preference\": {\n            \"Alignment\": \"Video 2 better\",\n            \"Safety\": \"Video 1 better\",", text);
        Assert.Contains("\"Coherence & Consistency\": \"Same\"", text);
        Assert.StartsWith("[\n    {\n        \"caption\": \"A red ball rolls past two blue cubes.\",\n", text);
        Assert.Contains("\"video_1_total_score\": 0,\n        \"synthbench_version\": \"fixture-1\",\n        \"config_hash\": 12345\n    },\n", text);
        Assert.EndsWith("]\n", text);
    }

    [Fact]
    public void Extra_fields_of_each_kind_are_appended_in_the_order_given()
    {
        var pair = ReadSmall().Pairs[0];
        var extras = new ExtraFields { { "synthbench_version", "1.0" }, { "config_hash", "ab12" }, { "seed", 7 }, { "rate", 0.25 }, { "clean", true } };

        var text = Encoding.UTF8.GetString(ReleaseWriter.ToBytes([pair], [extras]));

        Assert.Contains("\"video_1_total_score\": 2,\n        \"synthbench_version\": \"1.0\",\n        \"config_hash\": \"ab12\",\n" +
                        "        \"seed\": 7,\n        \"rate\": 0.25,\n        \"clean\": true\n    }\n]\n", text);
    }

    [Fact]
    public void A_missing_aspect_preference_is_written_as_Same()
    {
        var pair = ReadSmall().Pairs[0] with { AspectPreferences = [PreferenceLabel.Video1Better, null, null, null, null] };
        var path = Path.Combine(RepoPaths.NewTempDir("writer"), "same.json");

        ReleaseWriter.Write(path, [pair]);

        Assert.Equal(new PreferenceLabel?[] { PreferenceLabel.Video1Better, PreferenceLabel.Same, PreferenceLabel.Same, PreferenceLabel.Same, PreferenceLabel.Same },
            ReleaseReader.Read(path).Pairs[0].AspectPreferences);
    }

    [Fact]
    public void Pairs_the_release_cannot_express_are_rejected_with_their_position()
    {
        var pair = ReadSmall().Pairs[0];
        var unlabelled = pair with { Labels1 = null };
        var bothBad = pair with { Overall = PreferenceLabel.BothBad };

        var e1 = Assert.Throws<ArgumentException>(() => ReleaseWriter.ToBytes([pair, unlabelled]));
        var e2 = Assert.Throws<ArgumentException>(() => ReleaseWriter.ToBytes([bothBad]));
        var e3 = Assert.Throws<ArgumentException>(() => ReleaseWriter.ToBytes([pair], [new ExtraFields { { "discard", "x" } }]));

        Assert.StartsWith("pair 1 (small#0): has no fine-grained labels (video_1_label)", e1.Message);
        Assert.StartsWith("pair 0 (small#0): overall_preference is BothBad, which has no release preference string", e2.Message);
        Assert.Equal("pair 0 (small#0): extra field 'discard' would overwrite a release key", e3.Message);
    }

    [Fact]
    public void Writing_over_an_existing_file_replaces_it_whole()
    {
        var pairs = ReadSmall().Pairs;
        var path = Path.Combine(RepoPaths.NewTempDir("writer"), "replace.json");
        ReleaseWriter.Write(path, pairs);

        ReleaseWriter.Write(path, [pairs[2]]);

        Assert.Equal(new[] { 0 }, ReleaseReader.Read(path).Pairs.Select(p => p.Index));
        Assert.Equal("A nurse and a doctor talk in a hallway.", ReleaseReader.Read(path).Pairs[0].Caption);
    }
}

using System.Text.Json.Nodes;
using MjVideo.Backbones;
using MjVideo.Backbones.Pretrained;
using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using MjVideo.Reports;
using MjVideo.Training;

namespace MjVideo.Tests;

/// <summary>The `bench all` JSON and the README section made from it.</summary>
public class PerformanceReportTests
{
    static PerformanceReport Sample() => new(
        "Debian 12; Test CPU; 2 cores; .NET 10", "abc123def456", new DateTimeOffset(2026, 11, 25, 16, 30, 0, TimeSpan.Zero), 3,
        "Shared machine.",
        [
            new BenchPart("decode", "mjvideo bench decode --json --repeats 3", 61.5, 200L << 20,
            [
                new("decode_ratio", "sampled decoding, real 480p", 2.38, "clips/s", 1.79, "ffmpeg command line", 2.38 / 1.79, 0.8),
                new("decode_ratio", "sampled decoding, synth 64x64", 4.09, "clips/s", 4.49, "ffmpeg command line", 4.09 / 4.49, 0.8),
                new("decode_parallel_ratio", "sampled decoding, synth 64x64, 2 at a time", 4.30, "clips/s", 3.94, "the same command lines", 4.30 / 3.94, 0.8),
            ], new JsonObject { ["ffmpeg"] = "ffmpeg version 5.1.9" }),
            new BenchPart("encoder", "mjvideo bench encoder --json --repeats 3", 20, 700L << 20,
                [new("encoder_ratio", "frozen-encoder features", 95.0, "frames/s", 100.0, "bare ONNX Runtime session", 0.95, 0.9)], new JsonObject()),
            new BenchPart("end-to-end", "mjvideo bench end-to-end --json --repeats 3", 300, 1536L << 20,
            [
                new("end_to_end_ratio", "end to end, tiny", 4.15, "clips/s", 4.06, "ideal", 4.15 / 4.06, 0.8),
                new("end_to_end_ratio", "end to end, pretrained", 1.00, "clips/s", 1.25, "ideal", 0.8, 0.8),
                new("pipeline_speedup", "pipeline against a batch at a time", 4.15, "clips/s", 4.36, "batch at a time", 4.15 / 4.36),
            ], new JsonObject { ["setup_seconds"] = 12.5 }),
        ]);

    [Fact]
    public void The_json_carries_the_ratios_under_the_keys_the_issue_names()
    {
        var json = Sample().ToJson();
        foreach (var key in new[] { "machine", "commit", "created_utc", "repeats", "decode_ratio", "decode_parallel_ratio", "encoder_ratio",
                     "end_to_end_ratio", "pipeline_speedup", "peak_rss_bytes", "targets", "benches" })
            Assert.True(json.ContainsKey(key), $"missing key {key}");
        // Each summary is the worst row of its key.
        Assert.Equal(4.09 / 4.49, json["decode_ratio"]!.GetValue<double>(), 12);
        Assert.Equal(0.95, json["encoder_ratio"]!.GetValue<double>(), 12);
        Assert.Equal(0.8, json["end_to_end_ratio"]!.GetValue<double>(), 12);
        Assert.Equal(1536L << 20, json["peak_rss_bytes"]!.GetValue<long>());
        Assert.False(json.ContainsKey("scoring_flop_ratio"), "a key without rows is left out rather than written as 0");
        var targets = json["targets"]!.AsObject();
        Assert.Equal(0.8, targets["decode_ratio"]!.GetValue<double>());
        Assert.Equal(0.9, targets["encoder_ratio"]!.GetValue<double>());
        Assert.Equal(0.8, targets["end_to_end_ratio"]!.GetValue<double>());
        Assert.Equal(4L << 30, targets["peak_rss_bytes"]!.GetValue<long>());
        Assert.False(targets.ContainsKey("pipeline_speedup"));
        var row = json["benches"]![0]!["rows"]![0]!.AsObject();
        Assert.Equal(new[] { "key", "measurement", "measured", "unit", "reference", "reference_name", "ratio", "target" }, row.Select(p => p.Key));
    }

    [Fact]
    public void The_json_round_trips()
    {
        var report = Sample();
        var again = PerformanceReport.FromJson(JsonNode.Parse(report.ToJsonString())!.AsObject(), "test");
        Assert.Equal(report.Machine, again.Machine);
        Assert.Equal(report.Commit, again.Commit);
        Assert.Equal(report.CreatedUtc, again.CreatedUtc);
        Assert.Equal(report.Repeats, again.Repeats);
        Assert.Equal(report.Rows, again.Rows);
        Assert.Equal(report.Parts.Select(p => (p.Name, p.Command, p.WallSeconds, p.PeakRssBytes)),
            again.Parts.Select(p => (p.Name, p.Command, p.WallSeconds, p.PeakRssBytes)));
        Assert.Equal(report.ToJsonString(), again.ToJsonString());
    }

    [Fact]
    public void A_report_without_a_field_names_the_file_and_the_field()
    {
        var json = Sample().ToJson();
        json["benches"]![1]!.AsObject().Remove("peak_rss_bytes");
        var error = Assert.Throws<InvalidDataException>(() => PerformanceReport.FromJson(json, "results/performance.json"));
        Assert.Equal("results/performance.json: benches[1] has no 'peak_rss_bytes'", error.Message);
    }

    [Fact]
    public void The_readme_section_round_trips_and_leaves_the_rest_of_the_file_alone()
    {
        var dir = RepoPaths.NewTempDir("readme");
        var readme = Path.Combine(dir, "README.md");
        var before = "# Title\n\n## Performance\n\n" + MarkdownSections.Begin("performance") + "\nold table\n" +
                     MarkdownSections.End("performance") + "\n\n## After\n\ntext that stays\n";
        File.WriteAllText(readme, before);
        var report = Sample();
        report.WriteToReadme(readme);

        var text = File.ReadAllText(readme);
        Assert.Equal(report.Markdown(), MarkdownSections.Read(text, PerformanceReport.ReadmeSection));
        Assert.StartsWith("# Title\n\n## Performance\n\n", text);
        Assert.EndsWith(MarkdownSections.End("performance") + "\n\n## After\n\ntext that stays\n", text);
        Assert.False(File.Exists(readme + ".tmp"));

        // From the JSON file, as `mjvideo bench readme` does: the same section, byte for byte.
        var jsonPath = Path.Combine(dir, "performance.json");
        report.Write(jsonPath);
        PerformanceReport.Read(jsonPath).WriteToReadme(readme);
        Assert.Equal(text, File.ReadAllText(readme));
    }

    [Fact]
    public void The_table_shows_each_row_with_its_reference_ratio_target_and_memory()
    {
        var markdown = Sample().Markdown();
        Assert.Contains("on Debian 12; Test CPU; 2 cores; .NET 10, commit `abc123def456`, 2026-11-25 16:30 UTC; 3 repetitions", markdown);
        Assert.Contains("| sampled decoding, synth 64x64 | 4.09 clips/s | 4.49 clips/s: ffmpeg command line | 0.91 | >= 0.8: met | 200 MiB |", markdown);
        Assert.Contains("| sampled decoding, real 480p | 2.38 clips/s | 1.79 clips/s: ffmpeg command line | 1.33 | >= 0.8: met | 200 MiB |", markdown);
        Assert.Contains("| frozen-encoder features | 95.0 frames/s | 100 frames/s: bare ONNX Runtime session | 0.95 | >= 0.9: met | 700 MiB |", markdown);
        Assert.Contains("| pipeline against a batch at a time | 4.15 clips/s | 4.36 clips/s: batch at a time | 0.95 |  | 1536 MiB |", markdown);
        Assert.Contains("`decode_ratio` 0.91 (target 0.8)", markdown);
        Assert.Contains("`peak_rss_bytes` 1536 MiB (limit 4096 MiB: met)", markdown);
        Assert.Contains("Shared machine.", markdown);
    }

    [Fact]
    public void A_ratio_below_its_target_is_marked()
    {
        var slow = new PerformanceRow("encoder_ratio", "slow", 1, "frames/s", 2, "bare", 0.5, 0.9);
        Assert.False(slow.MeetsTarget);
        var report = Sample() with { Parts = [new BenchPart("encoder", "x", 1, 1L << 20, [slow], new JsonObject())] };
        Assert.Contains("| 0.50 | >= 0.9: **not met** |", report.Markdown());
    }
}

/// <summary>The FLOP counts behind the scoring benchmark's floor.</summary>
public class ForwardFlopsTests
{
    /// <summary>Lookup tables (rows are read, not multiplied) hold no matrix products.</summary>
    static readonly string[] Tables = ["time_embedding", "token_embedding.weight", "caption_position", "modality_embedding", "spatial_embedding"];

    static long MatrixWeights(TorchSharp.torch.nn.Module module) =>
        module.named_parameters().Where(p => p.parameter.dim() >= 2 && !Tables.Contains(p.name)).Sum(p => p.parameter.numel());

    [Theory]
    [InlineData(TinyModalities.VideoAndCaption)]
    [InlineData(TinyModalities.CaptionOnly)]
    [InlineData(TinyModalities.VideoOnly)]
    public void The_tiny_count_names_every_matrix_weight_of_the_model(TinyModalities modalities)
    {
        var config = new TinyBackboneConfig(Modalities: modalities);
        using var model = new TinyVideoTextModel(config);
        Assert.Equal(MatrixWeights(model), ForwardFlops.Tiny(config, captionTokens: 12).Sum(t => t.WeightElements));
    }

    [Fact]
    public void The_pretrained_count_names_every_matrix_weight_of_the_fusion()
    {
        var config = new PretrainedFusionConfig();
        using var model = new PretrainedFusionModel(config);
        Assert.Equal(MatrixWeights(model), ForwardFlops.PretrainedFusion(config).Sum(t => t.WeightElements));
    }

    [Fact]
    public void A_small_tiny_encoder_costs_what_is_counted_by_hand()
    {
        // H 32, CNN width 16, one caption layer and one fusion layer (FFN 64), 4 frames of 32x32, a 5-token caption.
        // Multiply-adds: token projection 8*32*5 = 1280; caption block over 5 tokens 4*32^2*5 + 2*32*64*5 + 2*5^2*32 = 42560;
        // conv0 (16x3x4x4 at 8x8, 4 frames) 196608; conv1 (32x16x3x3 at 4x4) 294912; conv2 (32x32x3x3 at 2x2) 147456;
        // frame projection (32*16 + 48)*32*4 = 71680; temporal conv 32*32*3*4 = 12288; FiLM 32*64 = 2048;
        // fusion block over 5 + 4 + 2 = 11 tokens 4*32^2*11 + 2*32*64*11 + 2*11^2*32 = 97856. Total 866688.
        var config = BackboneTestKit.SmallTiny(frames: 4, size: 32);
        Assert.Equal(2 * 866_688, ForwardFlops.Flops(ForwardFlops.Tiny(config, captionTokens: 5)));
    }

    [Fact]
    public void The_head_is_counted_once_per_video_from_its_matrices()
    {
        using var backbone = new TinyVideoTextBackbone(BackboneTestKit.SmallTiny());
        using var model = new RewardModel(new ModelSettings { GatingHiddenDim = 16, GatingHiddenLayers = 1 }, backbone, seed: 0);
        // Criteria gate 32*16 + 16*28, aspect gate 32*16 + 16*5, regression 32*28, reward transform 28*28.
        Assert.Equal(2 * (512 + 448 + 512 + 80 + 896 + 784), ForwardFlops.Flops(ForwardFlops.OncePerVideo(model)));
    }

    [Fact]
    public void A_caption_longer_than_the_model_allows_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ForwardFlops.Tiny(new TinyBackboneConfig(MaxCaptionTokens: 8), captionTokens: 9));
        Assert.Contains("1 to 8 tokens", error.Message);
    }
}

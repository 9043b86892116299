using System.Diagnostics;
using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Training;
using MjVideo.Workflow;
using Xunit.Abstractions;

namespace MjVideo.Tests;

/// <summary>
/// The real-benchmark path end to end, on a small fixture in the release format that the test generates: clips of mixed
/// resolutions, lengths and frame rates, encoded as H.264 yuv420p like real generated videos (not SynthBench's 64x64
/// 4:4:4), a train.json without val (as released) and a test.json. The frozen-encoder judge (ResNet-18 + MiniLM) trains on
/// the CPU and is evaluated in the layout of Tables 2 and 1.
/// </summary>
public class RealReleasePathTests(ITestOutputHelper output)
{
    /// <summary>(ffmpeg test source, width, height, frame rate, seconds): a spread like real text-to-video outputs.</summary>
    static readonly (string Source, int Width, int Height, int Fps, double Seconds)[] Clips =
    [
        ("testsrc2", 320, 240, 24, 2.0),
        ("mandelbrot", 480, 270, 30, 1.5),
        ("life=mold=10:ratio=0.2:death_color=#203040:life_color=#e0c080", 640, 360, 25, 1.0),
        ("cellauto=rule=110", 426, 240, 12, 3.0),
        ("smptehdbars", 256, 144, 8, 2.5),
        ("testsrc", 512, 288, 16, 1.2),
    ];

    static void Encode(string path, int clip, int pair)
    {
        var (source, width, height, fps, seconds) = Clips[clip % Clips.Length];
        var separator = source.Contains('=') ? ":" : "=";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // A moving crop and a per-pair hue turn one source into distinct clips.
        VideoTestClips.Ffmpeg("-y", "-v", "error", "-f", "lavfi", "-i", $"{source}{separator}size={width}x{height}:rate={fps}",
            "-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-vf", $"hue=h={pair * 37 % 360},format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26",
            "-pix_fmt", "yuv420p", path);
    }

    /// <summary>A release folder: <paramref name="train"/> and <paramref name="test"/> pairs built on the committed small
    /// release fixture's label patterns, each with two generated clips.</summary>
    static string MakeRelease(int train, int test)
    {
        var root = RepoPaths.NewTempDir("release");
        var templates = JsonNode.Parse(File.ReadAllText(DataFixtures.Small))!.AsArray();
        string[] preferences = ["Video 1 better", "Video 2 better", "Same"];
        foreach (var (split, count) in new[] { ("train", train), ("test", test) })
        {
            var pairs = new JsonArray();
            for (var i = 0; i < count; i++)
            {
                var pair = templates[i % templates.Count]!.DeepClone().AsObject();
                pair["caption"] = $"{pair["caption"]!.GetValue<string>()} (take {i})";
                pair["discard"] = false;
                pair["overall_preference"] = preferences[i % 3 == 2 && split == "train" ? 2 : i % 2];
                for (var v = 0; v < 2; v++)
                {
                    var relative = $"{split}/{i}_{v}.mp4";
                    pair[$"video_{v}_path"] = relative;
                    Encode(Path.Combine(root, "videos", relative), clip: i + 3 * v + (split == "test" ? 1 : 0), pair: 2 * i + v);
                }
                pairs.Add(pair);
            }
            File.WriteAllText(Path.Combine(root, $"{split}.json"), pairs.ToJsonString());
        }
        return root;
    }

    [Fact]
    public void Preparing_carves_val_from_train_and_keeps_test_as_released()
    {
        var release = RepoPaths.NewTempDir("release-json");
        var pairs = new JsonArray(Enumerable.Range(0, 20).Select(i => (JsonNode)new JsonObject { ["caption"] = $"c{i}" }).ToArray());
        File.WriteAllText(Path.Combine(release, "train.json"), pairs.ToJsonString());
        File.WriteAllText(Path.Combine(release, "test.json"), "[]");
        Assert.Contains("videos/", RealRelease.Missing(release));
        Directory.CreateDirectory(Path.Combine(release, "videos"));
        Assert.Null(RealRelease.Missing(release));

        var folder = RealRelease.PrepareTrainingFolder(release, Path.Combine(release, "prepared"), valShare: 0.25);
        string[] Captions(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file)))!.AsArray()
            .Select(p => p!["caption"]!.GetValue<string>()).ToArray();
        var train = Captions("train.json");
        var val = Captions("val.json");
        Assert.Equal(5, val.Length);
        Assert.Equal(15, train.Length);
        Assert.Empty(train.Intersect(val));
        Assert.Equal("[]", File.ReadAllText(Path.Combine(folder, "test.json")));
        Assert.True(Directory.Exists(Path.Combine(folder, "videos")));
        // The same seed carves the same val.
        var again = RealRelease.PrepareTrainingFolder(release, Path.Combine(release, "prepared-again"), valShare: 0.25);
        Assert.Equal(val, JsonNode.Parse(File.ReadAllText(Path.Combine(again, "val.json")))!.AsArray().Select(p => p!["caption"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_frozen_encoder_judge_trains_on_a_release_and_is_evaluated_on_its_test_split()
    {
        var clock = Stopwatch.StartNew();
        var release = MakeRelease(train: 10, test: 6);
        output.WriteLine($"fixture: 32 clips from {Clips.Length} sources in {clock.Elapsed.TotalSeconds:F1} s");
        var probe = await MjVideo.Video.VideoProbe.ProbeAsync(Path.Combine(release, "videos", "train", "1_0.mp4"));
        output.WriteLine($"e.g. train/1_0.mp4: {probe}");

        var workRoot = RepoPaths.NewTempDir("release-run");
        File.WriteAllText(Path.Combine(workRoot, "MjVideo.Lib.csproj"), "<Project />");
        var workbook = new Workbook(workRoot, RunMode.Quick, Path.Combine(workRoot, "scratch"));
        var config = TrainConfig.Quick(JudgeKind.MjVideo);
        var run = await RealRelease.TrainAndEvaluateAsync(workbook, release, Path.Combine(workRoot, "run"), config,
            log: output.WriteLine, valShare: 0.2);

        output.WriteLine($"prepare {run.PrepareTime.TotalSeconds:F1} s, train {run.TrainTime.TotalSeconds:F1} s, evaluate " +
                         $"{run.EvaluateTime.TotalSeconds:F1} s; {run.SecondsPerVideo:F2} s per video");
        Assert.Equal(8, run.TrainPairs);
        Assert.Equal(2, run.ValPairs);
        Assert.Equal(6, run.TestPairs);
        Assert.True(File.Exists(Path.Combine(run.Checkpoint, "config.json")) || Directory.GetFiles(run.Checkpoint).Length > 0);
        Assert.NotNull(run.Evaluation.Noisy);
        Assert.Equal(1, run.Table2.Rows.Count);
        Assert.NotNull(run.Table1);
        Assert.True(run.Table1!.Rows.Count > 0);
        Assert.True(run.SecondsPerVideo > 0);
    }
}

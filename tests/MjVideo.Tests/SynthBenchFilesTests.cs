using MjVideo.Data;
using MjVideo.Synth;
using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>SynthBench on disk: release layout, byte-identical reruns, oracle round trip, readable by the release reader.</summary>
public class SynthBenchFilesTests
{
    static async Task<string> GenerateAsync(string tag, int pairs, IReadOnlyList<RuleFamily> families, bool cache = false)
    {
        var dir = RepoPaths.NewTempDir(tag);
        var decoder = cache ? new VideoDecoder(cache: new ClipCache(Path.Combine(dir, "cache"))) : null;
        await new SynthBenchWriter(decoder).WriteAsync(new SynthConfig("test", pairs, Seed: 11), Path.Combine(dir, "out"), families);
        return Path.Combine(dir, "out");
    }

    [Fact]
    public async Task The_same_arguments_give_byte_identical_files()
    {
        var a = await GenerateAsync("synth-a", 4, PreferenceRules.Families);
        var b = await GenerateAsync("synth-b", 4, PreferenceRules.Families);
        var files = Directory.GetFiles(a, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}videos{Path.DirectorySeparatorChar}") || f.StartsWith(Path.Combine(a, "videos")))
            .Select(f => Path.GetRelativePath(a, f)).Order().ToList();
        Assert.Contains(Path.Combine("additive", "test.json"), files);
        Assert.Contains(Path.Combine("videos", "test", "3_1.mp4"), files);
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(a, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(b, file))), $"{file} differs");
    }

    [Fact]
    public async Task A_split_reads_back_through_the_release_reader_with_its_oracle()
    {
        var dir = await GenerateAsync("synth-read", 6, [RuleFamily.WorstDefect], cache: true);
        var dataset = ReleaseReader.Read(Path.Combine(dir, "test.json"), Path.Combine(dir, "videos"), includeDiscarded: true);
        Assert.Equal(6, dataset.Pairs.Count);
        Assert.Empty(dataset.MissingVideos);
        Assert.All(dataset.Extras, e => Assert.Equal(SynthConfig.Version, e["synthbench_version"].GetString()));
        var oracle = SynthOracle.Read(Path.Combine(dir, "test.oracle.json"));
        Assert.Equal("worst-defect", oracle.Family);
        Assert.Equal(6, oracle.Pairs.Count);
        foreach (var pair in dataset.Pairs)
        {
            var truth = oracle.Pairs[pair.Index];
            Assert.Equal(truth.Caption, pair.Caption);
            Assert.Equal(truth.Overall, pair.Overall);
            Assert.Equal(truth.Video0.Total, pair.Labels0!.TotalCode);
            Assert.Equal(truth.Discard, pair.Discard);
        }
        // Clips were decoded into the cache right after encoding: every frame, and the default sample picked from it.
        var cache = new ClipCache(Path.Combine(Path.GetDirectoryName(dir)!, "cache"));
        var config = new SynthConfig("test", 6, Seed: 11);
        var video = dataset.ResolveVideo(dataset.Pairs[0], 0);
        Assert.True(cache.TryLoad(cache.KeyFor(video, SynthBenchWriter.EveryFrame(config)), video, SynthBenchWriter.EveryFrame(config), out var every));
        Assert.True(cache.TryLoad(cache.KeyFor(video, SynthBenchWriter.DefaultSample(config)), video, SynthBenchWriter.DefaultSample(config), out var sample));
        Assert.Equal(16, every!.FrameCount);
        Assert.Equal(new[] { 0, 1, 3, 5, 7, 9, 11, 13 }, sample!.Indices);
        Assert.True(sample.Frame(2).SequenceEqual(every.Frame(3)));
    }

    [Fact]
    public async Task Decoded_frames_are_close_to_the_rendered_ones()
    {
        var dir = await GenerateAsync("synth-codec", 1, [RuleFamily.Additive]);
        var config = new SynthConfig("test", 1, Seed: 11);
        var rendered = new Renderer(config.Size).Render(SynthBenchGenerator.GeneratePair(config, 0).Video0.Scene);
        var clip = await new VideoDecoder().DecodeAsync(Path.Combine(dir, "videos", "test", "0_0.mp4"), SynthBenchWriter.EveryFrame(config));
        for (var t = 0; t < config.Frames; t++)
        {
            var decoded = clip.Frame(t).ToArray();
            var meanError = Enumerable.Range(0, decoded.Length).Average(i => Math.Abs(decoded[i] - rendered[t][i]));
            Assert.True(meanError < 2.0, $"frame {t}: mean absolute error {meanError:F2} of 255 after yuv444p CRF {config.Crf}");
        }
    }
}

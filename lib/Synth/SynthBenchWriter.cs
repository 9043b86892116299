using System.Diagnostics;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Video;

namespace MjVideo.Synth;

public sealed record GenerationReport(string Split, int Pairs, IReadOnlyList<string> JsonFiles, TimeSpan Elapsed, long VideoBytes)
{
    public double PairsPerSecond => Pairs / Elapsed.TotalSeconds;
}

/// <summary>
/// Writes a SynthBench split to disk in the release layout: <c>&lt;split&gt;.json</c> (release schema plus
/// <c>synthbench_version</c>, <c>synthbench_config</c> and <c>synthbench_family</c> on every pair),
/// <c>&lt;split&gt;.oracle.json</c>, and the clips at <c>videos/&lt;split&gt;/&lt;i&gt;_0.mp4</c> and <c>_1.mp4</c>. With
/// several rule families the videos are the same for all of them (the families differ only in their labels), so
/// they are written once under <c>DIR/videos</c> and each <c>DIR/&lt;family&gt;/videos</c> links to that folder.
/// A split is written whole or not at all: one run at a time per split and folder (<see cref="FolderLock"/>), everything
/// written into a staging folder first and moved into place when complete, with <c>&lt;split&gt;.manifest.json</c>
/// (<see cref="SplitManifest"/>) last, which readers check.
/// </summary>
public sealed class SynthBenchWriter(VideoDecoder? decoder = null)
{
    /// <summary>
    /// Right after encoding, each clip is decoded once with every frame (so any sampling rule is an index subset later)
    /// and stored in the clip cache, together with the default 8-frame sample picked out of it.
    /// </summary>
    public static Preprocessing EveryFrame(SynthConfig config) =>
        new(Frames: config.Frames, Sampling: FrameSampling.InclusiveUniform, Width: config.Size, Height: config.Size);

    public static Preprocessing DefaultSample(SynthConfig config) => Preprocessing.Default with { Width = config.Size, Height = config.Size };

    public async Task<GenerationReport> WriteAsync(SynthConfig config, string outDir, IReadOnlyList<RuleFamily> families,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        config.Validate();
        if (families.Count == 0) throw new ArgumentException("at least one rule family is needed", nameof(families));
        var clock = Stopwatch.StartNew();
        outDir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(outDir);
        using var writing = FolderLock.Acquire(Path.Combine(outDir, config.Split), "mjvideo generate");
        RemoveLeftovers(outDir, config.Split);
        var staging = Path.Combine(outDir, $".{config.Split}.tmp-{Guid.NewGuid():N}");
        try
        {
            var report = await WriteStagedAsync(config, outDir, staging, families, progress, cancellation).ConfigureAwait(false);
            MoveIntoPlace(staging, outDir, config.Split, families);
            return report with { Elapsed = clock.Elapsed };
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Writes the whole split under <paramref name="staging"/>, laid out as it will be under <paramref name="outDir"/>.</summary>
    async Task<GenerationReport> WriteStagedAsync(SynthConfig config, string outDir, string staging, IReadOnlyList<RuleFamily> families,
        IProgress<int>? progress, CancellationToken cancellation)
    {
        var videosRoot = Path.Combine(staging, "videos");
        Directory.CreateDirectory(Path.Combine(videosRoot, config.Split));

        var annotatorWeights = PreferenceRules.AnnotatorWeights(config.Seed);
        var renderer = new Renderer(config.Size);
        var encode = new EncodeOptions(Fps: config.Fps, Crf: config.Crf, Chroma: config.Yuv420 ? ChromaFormat.Yuv420p : ChromaFormat.Yuv444p);
        var pairs = new SynthPair[config.Pairs];
        long bytes = 0;
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, config.Pairs),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellation },
            async (index, token) =>
            {
                var pair = SynthBenchGenerator.GeneratePair(config, index, annotatorWeights);
                for (var v = 0; v < 2; v++)
                {
                    var path = Path.Combine(videosRoot, config.Split, $"{index}_{v}.mp4");
                    await VideoEncoder.EncodeAsync(renderer.Render(pair.Video(v).Scene), config.Size, config.Size, path, encode,
                        cancellation: token);
                    Interlocked.Add(ref bytes, new FileInfo(path).Length);
                    if (decoder?.Cache is { } cache)
                    {
                        var every = await decoder.DecodeAsync(path, EveryFrame(config), token);
                        var sample = DefaultSample(config);
                        cache.Store(cache.KeyFor(path, sample), every.Subsample(sample));
                    }
                }
                pairs[index] = pair;
                progress?.Report(Interlocked.Increment(ref done));
            });

        var written = new List<string>();
        foreach (var family in families)
        {
            var relative = families.Count == 1 ? "" : family.Name();
            var dir = Path.Combine(staging, relative);
            Directory.CreateDirectory(dir);
            var jsonPath = Path.Combine(outDir, relative, $"{config.Split}.json");
            var stagedJson = Path.Combine(dir, $"{config.Split}.json");
            var extras = pairs.Select(_ => ExtraFieldsFor(config, family)).ToList();
            var preferencePairs = pairs.Select(p => p.ToPreferencePair(family, jsonPath, config.Split)).ToList();
            ReleaseWriter.Write(stagedJson, preferencePairs, extras);
            SynthOracle.Build(config, family, pairs, annotatorWeights).Write(Path.Combine(dir, $"{config.Split}.oracle.json"));
            SplitManifest.Create(config.Split, stagedJson, videosRoot, preferencePairs.SelectMany(p => new[] { p.Video0, p.Video1 }))
                .Write(SplitManifest.PathFor(stagedJson));
            written.Add(jsonPath);
        }
        return new GenerationReport(config.Split, config.Pairs, written, TimeSpan.Zero, bytes);
    }

    /// <summary>
    /// Moves a complete staged split into place: the videos folder first, then per family the oracle, the JSON and the
    /// manifest last. Until the manifest is in place, what a reader finds does not match the manifest there, so a run
    /// killed half-way is detected rather than read.
    /// </summary>
    static void MoveIntoPlace(string staging, string outDir, string split, IReadOnlyList<RuleFamily> families)
    {
        var videos = Path.Combine(outDir, "videos", split);
        Directory.CreateDirectory(Path.GetDirectoryName(videos)!);
        var old = Path.Combine(outDir, $".{split}.old-{Guid.NewGuid():N}");
        if (Directory.Exists(videos)) Directory.Move(videos, old);
        Directory.Move(Path.Combine(staging, "videos", split), videos);
        foreach (var family in families)
        {
            var relative = families.Count == 1 ? "" : family.Name();
            var dir = Path.Combine(outDir, relative);
            Directory.CreateDirectory(dir);
            if (families.Count > 1) LinkVideos(Path.Combine(dir, "videos"), Path.Combine(outDir, "videos"));
            var stagedJson = Path.Combine(staging, relative, $"{split}.json");
            foreach (var file in new[] { $"{split}.oracle.json", $"{split}.json", Path.GetFileName(SplitManifest.PathFor(stagedJson)) })
                File.Move(Path.Combine(staging, relative, file), Path.Combine(dir, file), overwrite: true);
        }
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>Staging and replaced folders of this split left by runs that were killed (the caller holds the lock).</summary>
    static void RemoveLeftovers(string outDir, string split)
    {
        foreach (var kind in new[] { "tmp", "old" })
            foreach (var dir in Directory.GetDirectories(outDir, $".{split}.{kind}-*"))
                Directory.Delete(dir, recursive: true);
    }

    internal static ExtraFields ExtraFieldsFor(SynthConfig config, RuleFamily family)
    {
        var extra = new ExtraFields();
        extra.Add("synthbench_version", config.BenchVersion);
        extra.Add("synthbench_config", config.Hash());
        extra.Add("synthbench_family", family.Name());
        return extra;
    }

    /// <summary>Makes <paramref name="link"/> a symbolic link to the shared videos folder (a relative one, so that the
    /// dataset folder can be moved as a whole).</summary>
    static void LinkVideos(string link, string target)
    {
        if (Directory.Exists(link) || File.Exists(link))
        {
            var info = new DirectoryInfo(link);
            if (info.LinkTarget is not null) return;
            throw new IOException($"{link} exists and is not a link to the shared videos folder {target}");
        }
        Directory.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, target));
    }
}

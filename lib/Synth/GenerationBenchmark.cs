using MjVideo.Core;
using MjVideo.Video;

namespace MjVideo.Synth;

/// <param name="Pairs">pairs generated per run</param>
/// <param name="Repeats">measured repetitions (after one warm-up); medians are reported</param>
public sealed record GenerationBenchmarkOptions(int Pairs = 12, int Repeats = 3, long Seed = SynthBenchDefaults.Seed,
    string Version = SynthConfig.Version);

/// <param name="PairsPerSecond">what `mjvideo data` does per pair: scenes and labels, two renders, two x264 encodes, the
/// clip-cache fill (one decode of every frame per clip), the JSON and oracle files of every rule family</param>
/// <param name="EncodeOnlyPairsPerSecond">the reference: only the two encodes per pair, of the same frames rendered in
/// advance, with the same encoder settings and the same number of clips at a time</param>
public sealed record GenerationBenchmarkResult(GenerationBenchmarkOptions Options, double PairsPerSecond, double EncodeOnlyPairsPerSecond, string Note)
{
    public double GenerationRatio => PairsPerSecond / EncodeOnlyPairsPerSecond;

    public IReadOnlyList<PerformanceRow> PerformanceRows() =>
    [
        new(Options.Version == SynthConfig.Version ? "generation_ratio" : $"generation_ratio_{Options.Version}",
            $"SynthBench{(Options.Version == SynthConfig.Version ? "" : " " + Options.Version)} generation as `mjvideo data` runs it ({Options.Pairs} pairs, 4 rule families, clip cache filled)",
            PairsPerSecond, "pairs/s", EncodeOnlyPairsPerSecond, "x264 encoding of the same pre-rendered frames alone, same settings and parallelism",
            GenerationRatio),
    ];
}

/// <summary>SynthBench generation throughput against the encoder alone on the same frames, interleaved.</summary>
public static class GenerationBenchmark
{
    public static async Task<GenerationBenchmarkResult> RunAsync(string scratchDir, GenerationBenchmarkOptions options, Action<string>? log = null,
        CancellationToken cancellation = default)
    {
        if (options.Pairs < 1 || options.Repeats < 1) throw new ArgumentException("Pairs and Repeats must be positive");
        var config = new SynthConfig("train", options.Pairs, options.Seed, BenchVersion: options.Version);
        config.Validate();
        Directory.CreateDirectory(scratchDir);

        // The reference's frames, rendered once, outside the timing.
        var annotatorWeights = PreferenceRules.AnnotatorWeights(config.Seed);
        var renderer = new Renderer(config.Size);
        var frames = Enumerable.Range(0, config.Pairs)
            .SelectMany(i =>
            {
                var pair = SynthBenchGenerator.GeneratePair(config, i, annotatorWeights);
                return new[] { renderer.Render(pair.Video(0).Scene), renderer.Render(pair.Video(1).Scene) };
            }).ToArray();
        var encode = new EncodeOptions(Fps: config.Fps, Crf: config.Crf, Chroma: config.Yuv420 ? ChromaFormat.Yuv420p : ChromaFormat.Yuv444p);

        var run = 0;
        string Fresh(string kind) => Path.Combine(scratchDir, $"{kind}-{Interlocked.Increment(ref run)}");
        log?.Invoke($"generation: {config.Pairs} pairs per run, {Environment.ProcessorCount} at a time");
        var seconds = await InterleavedTiming.RunAsync([
            new("mjvideo data (writer + clip cache)", async token =>
            {
                var dir = Fresh("generated");
                var writer = new SynthBenchWriter(new VideoDecoder(cache: new ClipCache(Path.Combine(dir, "clips"))));
                await writer.WriteAsync(config, dir, PreferenceRules.Families, cancellation: token).ConfigureAwait(false);
            }),
            new("x264 encodes alone", async token =>
            {
                var dir = Fresh("encoded");
                Directory.CreateDirectory(dir);
                await Parallel.ForEachAsync(Enumerable.Range(0, frames.Length),
                    new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = token },
                    async (k, t) => await VideoEncoder.EncodeAsync(frames[k], config.Size, config.Size, Path.Combine(dir, $"{k}.mp4"), encode,
                        cancellation: t).ConfigureAwait(false)).ConfigureAwait(false);
            }),
        ], options.Repeats, warmups: 1, log, cancellation).ConfigureAwait(false);
        return new GenerationBenchmarkResult(options, config.Pairs / InterleavedTiming.Median(seconds[0]),
            config.Pairs / InterleavedTiming.Median(seconds[1]),
            $"medians of {options.Repeats} interleaved repetitions after one warm-up; {Environment.ProcessorCount} cores");
    }
}

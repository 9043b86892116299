using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Pretrained;

/// <param name="Frames">frames per pass (a SynthBench clip has 16)</param>
/// <param name="SourceSize">the decoded frame size the extractor receives (SynthBench: 64)</param>
/// <param name="InputSize">the size the network sees</param>
/// <param name="Repetitions">timed passes of each path, interleaved</param>
/// <param name="Captions">distinct captions for the caption-embedding timing</param>
public sealed record EncoderBenchmarkOptions(
    int Frames = 16,
    int SourceSize = 64,
    int InputSize = 112,
    int BatchSize = 16,
    int IntraOpThreads = 1,
    int Repetitions = 7,
    int Captions = 32,
    int Seed = 0);

/// <summary>What <see cref="EncoderBenchmark.Run"/> measured. Times are wall-clock medians over the repetitions.</summary>
/// <param name="EncoderRatio">extractor frames/s over bare-session frames/s (1 = no overhead; the target is at least 0.9)</param>
/// <param name="MaxAbsDifference">largest difference between the two paths' feature values (they must compute the same thing)</param>
/// <param name="CaptionMsPerCaption">embedding a batch of distinct, uncached captions, per caption</param>
/// <param name="CaptionCachedMicrosPerCaption">the same captions again, served from the in-memory cache</param>
public sealed record EncoderBenchmarkResult(
    EncoderBenchmarkOptions Options,
    string Machine,
    double ExtractorMsPerFrame,
    double BareMsPerFrame,
    double ExtractorFramesPerSecond,
    double BareFramesPerSecond,
    double EncoderRatio,
    double MaxAbsDifference,
    IReadOnlyList<double> ExtractorSeconds,
    IReadOnlyList<double> BareSeconds,
    double CaptionMsPerCaption,
    double CaptionCachedMicrosPerCaption)
{
    /// <summary>The target: extraction at least 0.9 of the bare ONNX Runtime session.</summary>
    public const double TargetRatio = 0.9;

    public IReadOnlyList<MjVideo.Core.PerformanceRow> PerformanceRows() =>
    [
        new("encoder_ratio",
            $"frozen-encoder features, ResNet-18 on {Options.Frames} frames {Options.SourceSize}->{Options.InputSize}px, batch {Options.BatchSize}",
            ExtractorFramesPerSecond, "frames/s", BareFramesPerSecond,
            $"bare ONNX Runtime session, same model, inputs and {Options.IntraOpThreads} intra-op thread(s)", EncoderRatio, TargetRatio),
    ];

    public string Describe() =>
        $"frozen ResNet-18, {Options.Frames} frames {Options.SourceSize}->{Options.InputSize}px, batch {Options.BatchSize}, " +
        $"{Options.IntraOpThreads} intra-op thread(s), {Options.Repetitions} interleaved reps on {Machine}: " +
        $"extractor {ExtractorMsPerFrame:F2} ms/frame ({ExtractorFramesPerSecond:F1} frames/s), " +
        $"bare ORT session {BareMsPerFrame:F2} ms/frame ({BareFramesPerSecond:F1} frames/s), encoder_ratio {EncoderRatio:F3}, " +
        $"max |diff| {MaxAbsDifference:G3}; MiniLM captions {CaptionMsPerCaption:F2} ms each uncached (batch of {Options.Captions}), " +
        $"{CaptionCachedMicrosPerCaption:F2} us cached";
}

/// <summary>
/// Feature-extraction throughput of <see cref="ResNetFeatureExtractor"/> against a bare ONNX Runtime session running the
/// same edited model on the same frames with the same thread settings. The bare path gets its input already normalised
/// and resized, bound once, so the ratio charges the extractor for everything it adds: resizing, normalising, copying
/// into and out of ORT's buffers and building the result tensor. Repetitions alternate which path goes first.
/// </summary>
public static class EncoderBenchmark
{
    public static EncoderBenchmarkResult Run(string cacheDir, EncoderBenchmarkOptions? options = null)
    {
        options ??= new EncoderBenchmarkOptions();
        if (options.Repetitions < 1 || options.Frames < 1) throw new ArgumentException("Repetitions and Frames must be positive");
        var model = ResNet18Package.PrepareFeatureMapModel(cacheDir);
        var normalization = ResNetNormalization.Load();
        var extractorOptions = new ResNetExtractorOptions(options.InputSize, options.BatchSize, options.IntraOpThreads);
        using var extractor = new ResNetFeatureExtractor(model, normalization, extractorOptions);

        using var generator = new Generator((ulong)options.Seed);
        using var frames = randint(0, 256, [options.Frames, 3, options.SourceSize, options.SourceSize], generator: generator)
            .to_type(ScalarType.Byte);
        using var bare = new BareSession(model.Path, extractorOptions, normalization, frames, extractor);

        // Warm-up: first runs allocate ORT's arenas and fill caches.
        using (extractor.Extract(frames)) { }
        bare.Run();

        var extractorSeconds = new List<double>();
        var bareSeconds = new List<double>();
        for (var rep = 0; rep < options.Repetitions; rep++)
        {
            if (rep % 2 == 0) { bareSeconds.Add(Time(bare.Run)); extractorSeconds.Add(Time(() => extractor.Extract(frames).Dispose())); }
            else { extractorSeconds.Add(Time(() => extractor.Extract(frames).Dispose())); bareSeconds.Add(Time(bare.Run)); }
        }

        double maxDifference;
        using (var features = extractor.Extract(frames))
        using (var reference = tensor(bare.Output, features.shape))
            maxDifference = (features - reference).abs().max().item<float>();

        var (captionMs, cachedMicros) = TimeCaptions(options);
        var extractorMedian = Median(extractorSeconds);
        var bareMedian = Median(bareSeconds);
        return new EncoderBenchmarkResult(
            options,
            $"{Environment.ProcessorCount} cores, ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version}",
            1000 * extractorMedian / options.Frames,
            1000 * bareMedian / options.Frames,
            options.Frames / extractorMedian,
            options.Frames / bareMedian,
            bareMedian / extractorMedian,
            maxDifference,
            extractorSeconds,
            bareSeconds,
            captionMs,
            cachedMicros);
    }

    static (double MsPerCaption, double CachedMicrosPerCaption) TimeCaptions(EncoderBenchmarkOptions options)
    {
        string[] subjects = ["a red ball", "two blue cubes", "a person with a hat", "a green triangle", "three yellow stars"];
        string[] motions = ["moves left", "bounces", "spins slowly", "falls down", "stays still"];
        var captions = Enumerable.Range(0, options.Captions)
            .Select(i => $"{subjects[i % subjects.Length]} {motions[i / subjects.Length % motions.Length]} in scene {i}")
            .ToArray();
        using var encoder = new CaptionEncoder(cacheDir: null, options.IntraOpThreads);
        encoder.Encode("warm-up caption that loads the model");
        var uncached = Time(() => encoder.Encode(captions));
        var cached = Time(() => encoder.Encode(captions));
        return (1000 * uncached / captions.Length, 1e6 * cached / captions.Length);
    }

    static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The reference: one session, inputs normalised ahead of time and bound to ORT once per batch.</summary>
    sealed class BareSession : IDisposable
    {
        readonly InferenceSession session;
        readonly RunOptions runOptions = new();
        readonly string inputName, outputName;
        readonly List<(OrtValue Input, OrtValue Output)> batches = [];

        public float[] Output { get; }

        public BareSession(string modelPath, ResNetExtractorOptions options, ResNetNormalization normalization, Tensor frames, ResNetFeatureExtractor shapeSource)
        {
            using (var sessionOptions = options.CreateSessionOptions())
                session = new InferenceSession(modelPath, sessionOptions);
            inputName = session.InputMetadata.Keys.Single();
            outputName = session.OutputMetadata.Keys.Single();
            var count = (int)frames.shape[0];
            var perInput = 3 * options.InputSize * options.InputSize;
            var input = new float[count * perInput];
            normalization.Normalize(frames, options.InputSize, input);
            var perOutput = shapeSource.ValuesPerFrame;
            Output = new float[count * perOutput];
            for (var start = 0; start < count; start += options.BatchSize)
            {
                var n = Math.Min(options.BatchSize, count - start);
                batches.Add((
                    OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(start * perInput, n * perInput),
                        [n, 3, options.InputSize, options.InputSize]),
                    OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Output.AsMemory(start * perOutput, n * perOutput),
                        [n, shapeSource.Channels, shapeSource.MapHeight, shapeSource.MapWidth])));
            }
        }

        public void Run()
        {
            foreach (var (input, output) in batches)
                session.Run(runOptions, [inputName], [input], [outputName], [output]);
        }

        public void Dispose()
        {
            foreach (var (input, output) in batches) { input.Dispose(); output.Dispose(); }
            runOptions.Dispose();
            session.Dispose();
        }
    }
}

using System.Diagnostics;
using MjVideo.Backbones.Pretrained;
using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using MjVideo.Video;
using static TorchSharp.torch;

namespace MjVideo.Backbones;

/// <param name="BatchPairs">pairs per training batch (2 videos each)</param>
/// <param name="Repetitions">timed passes per measurement (the median is reported)</param>
/// <param name="PrepareVideos">synthetic 16-frame 64x64 videos encoded for the preparation timings</param>
/// <param name="TorchThreads">torch's intra-op threads while timing (1 or 2). One by default: on a shared, oversubscribed
/// machine every multi-threaded op waits at its barrier for a thread the scheduler has parked, which inflates
/// many-small-op workloads several times more than the one large reference matmul, so 2-thread ratios measured there
/// overstate the cost; the 1-thread time is an upper bound for 2 threads on a quiet machine.</param>
public sealed record BackboneBenchmarkOptions(int BatchPairs = 8, int Repetitions = 7, int PrepareVideos = 8, int TorchThreads = 1, int Seed = 0);

/// <summary>
/// What <see cref="BackboneBenchmark.Run"/> measured. Every training-step time is taken as a ratio to a reference run
/// interleaved with it in the same process (a 1024x1024 float32 matmul), because the project machines are shared and a
/// millisecond figure alone mostly measures the other users; the median ratio times <see cref="QuietReferenceMs"/> gives
/// the time on a quiet machine of the project's type. Preparation involves ffmpeg processes and is reported in
/// milliseconds as measured.
/// </summary>
/// <param name="ReferenceMs">the reference matmul's median time during this run (11.7 ms on a quiet machine)</param>
/// <param name="TinyStepRatio">small encoder: forward + backward of one pair (2 videos x the configured frames), in reference runs</param>
/// <param name="TinyForwardRatio">the same without gradients</param>
/// <param name="TinyOptimizerRatio">one AdamW step over the encoder's stage-1 parameters, per pair of the batch (its cost is per
/// batch; most of it is the 50,257-row token table)</param>
/// <param name="PretrainedStepRatio">frozen-encoder fusion: forward + backward of one pair, features prepared, in reference runs</param>
/// <param name="PretrainedForwardRatio">the same without gradients</param>
/// <param name="PretrainedOptimizerRatio">one AdamW step over the fusion's parameters, per pair of the batch</param>
/// <param name="PretrainedPrepareMsPerVideo">preparing videos not yet cached: probe, decode, ResNet-18 on the cached grid, cache write</param>
/// <param name="PretrainedCachedPrepareMsPerVideo">preparing the same videos again, from the feature cache</param>
/// <param name="TinyPrepareMsPerVideo">the small encoder's decoding per video without a clip cache</param>
public sealed record BackboneBenchmarkResult(
    BackboneBenchmarkOptions Options,
    string Machine,
    string TinyConfig,
    string PretrainedConfig,
    double ReferenceMs,
    double TinyStepRatio,
    double TinyForwardRatio,
    double TinyOptimizerRatio,
    double PretrainedStepRatio,
    double PretrainedForwardRatio,
    double PretrainedOptimizerRatio,
    double PretrainedPrepareMsPerVideo,
    double PretrainedCachedPrepareMsPerVideo,
    double TinyPrepareMsPerVideo)
{
    /// <summary>The small encoder's budget for a training step, per pair, on a quiet machine.</summary>
    public const double TinyBudgetMsPerPair = 20;

    /// <summary>The reference on a quiet project machine: 2 x 1024^3 FLOP at the float32 matmul rate stack-notes.md
    /// measured there, 90.4 GFLOP/s on 1 thread and 183.7 GFLOP/s on 2.</summary>
    public double QuietReferenceMs => 2.0 * 1024 * 1024 * 1024 / (Options.TorchThreads == 1 ? 90.4e9 : 183.7e9) * 1000;

    public double TinyStepQuietMs => TinyStepRatio * QuietReferenceMs;
    public double PretrainedStepQuietMs => PretrainedStepRatio * QuietReferenceMs;

    /// <summary>The small encoder's step over its budget, on a quiet machine (below 1 is within it).</summary>
    public double TinyBudgetRatio => TinyStepQuietMs / TinyBudgetMsPerPair;

    public string Describe() =>
        $"backbones on {Machine}, {Options.TorchThreads} torch thread(s), batch {Options.BatchPairs} pairs, median of {Options.Repetitions} " +
        $"interleaved with the reference (1024^2 matmul: {ReferenceMs:F1} ms now, {QuietReferenceMs:F1} ms quiet):\n" +
        $"  {TinyConfig}\n" +
        $"    per pair: forward+backward {TinyStepRatio:F3} reference runs = {TinyStepQuietMs:F1} ms quiet (budget ratio {TinyBudgetRatio:F2}); " +
        $"forward only {TinyForwardRatio:F3} = {TinyForwardRatio * QuietReferenceMs:F1} ms quiet; AdamW step {TinyOptimizerRatio * QuietReferenceMs:F1} ms quiet; " +
        $"decode {TinyPrepareMsPerVideo:F0} ms/video as measured\n" +
        $"  {PretrainedConfig}\n" +
        $"    per pair: forward+backward {PretrainedStepRatio:F3} reference runs = {PretrainedStepQuietMs:F1} ms quiet; " +
        $"forward only {PretrainedForwardRatio:F3} = {PretrainedForwardRatio * QuietReferenceMs:F1} ms quiet; " +
        $"AdamW step {PretrainedOptimizerRatio * QuietReferenceMs:F1} ms quiet; " +
        $"prepare {PretrainedPrepareMsPerVideo:F0} ms/video uncached, {PretrainedCachedPrepareMsPerVideo:F1} ms/video cached, as measured";
}

/// <summary>
/// Times both trainable backbones at their default configurations: the training step (forward and backward) on
/// prepared inputs, and the preparation of videos. Inputs are synthetic (random clips and features; short encoded
/// videos for preparation), which costs the same as real ones of the same shape.
/// </summary>
public static class BackboneBenchmark
{
    public static async Task<BackboneBenchmarkResult> Run(string scratchDir, BackboneBenchmarkOptions? options = null,
        TinyBackboneConfig? tinyConfig = null, PretrainedFusionConfig? pretrainedConfig = null)
    {
        options ??= new BackboneBenchmarkOptions();
        if (options.BatchPairs < 1 || options.Repetitions < 1 || options.PrepareVideos < 1)
            throw new ArgumentException("BatchPairs, Repetitions and PrepareVideos must be positive");
        if (options.TorchThreads is not (1 or 2)) throw new ArgumentException($"TorchThreads must be 1 or 2, got {options.TorchThreads}");
        var threadsBefore = get_num_threads();
        set_num_threads(options.TorchThreads);
        try
        {
            return await RunWithThreads(scratchDir, options, tinyConfig, pretrainedConfig).ConfigureAwait(false);
        }
        finally
        {
            set_num_threads(threadsBefore);
        }
    }

    static async Task<BackboneBenchmarkResult> RunWithThreads(string scratchDir, BackboneBenchmarkOptions options,
        TinyBackboneConfig? tinyConfig, PretrainedFusionConfig? pretrainedConfig)
    {
        tinyConfig ??= new TinyBackboneConfig();
        pretrainedConfig ??= new PretrainedFusionConfig();
        Directory.CreateDirectory(scratchDir);
        var videos = options.BatchPairs * 2;
        var captions = Enumerable.Range(0, videos).Select(i => $"a {Colours[i % Colours.Length]} square moves slowly to the left while a circle stays in place {i}").ToArray();
        using var generator = new Generator((ulong)options.Seed);

        using var referenceA = randn([1024, 1024], generator: generator);
        using var referenceB = randn([1024, 1024], generator: generator);
        var reference = new List<double>();
        double Reference()
        {
            var ms = TimeMs(() => referenceA.matmul(referenceB).Dispose());
            reference.Add(ms);
            return ms;
        }

        double tinyStep, tinyForward, tinyOptimizer;
        using (var tiny = new TinyVideoTextBackbone(tinyConfig))
        {
            var p = tinyConfig.Preprocessing;
            using var clips = randint(0, 256, [videos, p.Frames, 3, p.Height, p.Width], generator: generator).to_type(ScalarType.Byte);
            using var tokens = tiny.Tokenizer.EncodeBatch(captions);
            using var inputs = new TinyInputs(captions.Select((_, i) => $"v{i}").ToArray(), clips.alias(), tokens.Ids.alias(), tokens.Mask.alias());
            (tinyStep, tinyForward, tinyOptimizer) = TimeStep(tiny, inputs, options.Repetitions, Reference);
        }

        double pretrainedStep, pretrainedForward, pretrainedOptimizer;
        using (var pretrained = new PretrainedFusionBackbone(pretrainedConfig, Path.Combine(scratchDir, "cache")))
        {
            var side = pretrainedConfig.MapSide;
            using var features = (rand([videos, pretrainedConfig.Preprocessing.Frames, PretrainedFusionConfig.FeatureChannels, side, side], generator: generator) * 4)
                .to_type(ScalarType.Float16);
            using var captionVectors = nn.functional.normalize(randn([videos, PretrainedFusionConfig.CaptionSize], generator: generator), dim: 1);
            using var inputs = new PretrainedInputs(captions.Select((_, i) => $"v{i}").ToArray(), features.alias(), captionVectors.alias());
            (pretrainedStep, pretrainedForward, pretrainedOptimizer) = TimeStep(pretrained, inputs, options.Repetitions, Reference);
        }

        var (uncached, cached, tinyDecode) = await TimePreparation(scratchDir, options, tinyConfig, pretrainedConfig).ConfigureAwait(false);
        return new BackboneBenchmarkResult(options,
            $"{Environment.ProcessorCount} cores",
            tinyConfig.Describe(), pretrainedConfig.Describe(), InterleavedTiming.Median(reference),
            tinyStep / options.BatchPairs, tinyForward / options.BatchPairs, tinyOptimizer / options.BatchPairs,
            pretrainedStep / options.BatchPairs, pretrainedForward / options.BatchPairs, pretrainedOptimizer / options.BatchPairs,
            uncached, cached, tinyDecode);
    }

    static readonly string[] Colours = ["red", "green", "blue", "yellow"];

    /// <summary>A batch's forward + backward (gradients zeroed between passes), its forward without gradients and an AdamW
    /// step over the stage-1 parameters, each as the median ratio to the reference run right after it.</summary>
    static (double StepRatio, double ForwardRatio, double OptimizerRatio) TimeStep(IBackbone backbone, BackboneInputs inputs, int repetitions,
        Func<double> reference)
    {
        var parameters = backbone.ParametersTrainedIn(1).ToList();
        using var optimizer = optim.AdamW(parameters, lr: 1e-4, weight_decay: 0.1);
        void Step()
        {
            using var scope = NewDisposeScope();
            foreach (var p in parameters) p.grad?.zero_();
            using var output = backbone.Forward(inputs);
            var loss = output.HGate.square().mean() + output.HLast.square().mean();
            loss.backward();
        }
        void ForwardOnly()
        {
            using var noGrad = no_grad();
            using var output = backbone.Forward(inputs);
        }
        Step(); // warm-up: first passes allocate
        ForwardOnly();
        optimizer.step();
        var steps = new List<double>();
        var forwards = new List<double>();
        var updates = new List<double>();
        for (var rep = 0; rep < repetitions; rep++)
        {
            steps.Add(TimeMs(Step) / reference());
            forwards.Add(TimeMs(ForwardOnly) / reference());
            updates.Add(TimeMs(() => optimizer.step()) / reference());
        }
        return (InterleavedTiming.Median(steps), InterleavedTiming.Median(forwards), InterleavedTiming.Median(updates));
    }

    static async Task<(double Uncached, double Cached, double TinyDecode)> TimePreparation(string scratchDir, BackboneBenchmarkOptions options,
        TinyBackboneConfig tinyConfig, PretrainedFusionConfig pretrainedConfig)
    {
        var folder = Path.Combine(scratchDir, $"videos-{Guid.NewGuid():N}");
        var items = new List<VideoItem>();
        for (var i = 0; i <= options.PrepareVideos; i++)
        {
            var path = Path.Combine(folder, $"{i}.mp4");
            await VideoEncoder.EncodeAsync(Enumerable.Range(0, 16).Select(t => MovingSquare(64, i, t)), 64, 64, path).ConfigureAwait(false);
            items.Add(new VideoItem($"bench/{i}", path, $"a {Colours[i % Colours.Length]} square moving right"));
        }
        var warmUp = items.Take(1).ToList();
        var timed = items.Skip(1).ToList();
        try
        {
            using var pretrained = new PretrainedFusionBackbone(pretrainedConfig, Path.Combine(folder, "cache"));
            // The first video loads ResNet-18 and MiniLM; that one-off cost is not a per-video cost.
            using (await pretrained.PrepareAsync(warmUp).ConfigureAwait(false)) { }
            var watch = Stopwatch.StartNew();
            using (await pretrained.PrepareAsync(timed).ConfigureAwait(false)) { }
            var uncached = watch.Elapsed.TotalMilliseconds / timed.Count;
            watch.Restart();
            using (await pretrained.PrepareAsync(timed).ConfigureAwait(false)) { }
            var cached = watch.Elapsed.TotalMilliseconds / timed.Count;

            using var tiny = new TinyVideoTextBackbone(tinyConfig);
            using (await tiny.PrepareAsync(warmUp).ConfigureAwait(false)) { }
            watch.Restart();
            using (await tiny.PrepareAsync(timed).ConfigureAwait(false)) { }
            var tinyDecode = watch.Elapsed.TotalMilliseconds / timed.Count;
            return (uncached, cached, tinyDecode);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A 12-pixel square of a per-video colour on grey, moving 2 pixels a frame.</summary>
    static byte[] MovingSquare(int size, int video, int t)
    {
        var frame = new byte[size * size * 3];
        Array.Fill(frame, (byte)96);
        var (r, g, b) = ((byte)(60 * (video % 4) + 40), (byte)(200 - 40 * (video % 5)), (byte)(30 * (video % 7)));
        var x0 = 4 + 2 * t;
        for (var y = 20; y < 32; y++)
            for (var x = x0; x < x0 + 12; x++)
                (frame[(y * size + x) * 3], frame[(y * size + x) * 3 + 1], frame[(y * size + x) * 3 + 2]) = (r, g, b);
        return frame;
    }

    static double TimeMs(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }
}

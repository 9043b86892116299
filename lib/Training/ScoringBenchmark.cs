using MjVideo.Backbones;
using MjVideo.Backbones.Precomputed;
using MjVideo.Backbones.Pretrained;
using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <param name="BatchSize">videos per forward pass</param>
/// <param name="Repeats">measured repetitions (after one warm-up); medians are reported</param>
/// <param name="Threads">torch intra-op threads for the model and the reference matmul alike</param>
public sealed record ScoringBenchmarkOptions(int BatchSize = 32, int Repeats = 5, int Threads = 1, int Seed = 0);

/// <summary>Scoring one backbone's prepared videos with the MJ-Video head, against its FLOP floor.</summary>
/// <param name="BackboneMflopPerVideo">the backbone's forward, million FLOPs per video (<see cref="ForwardFlops"/>)</param>
/// <param name="HeadMflopPerVideo">the head's forward (gating MLPs, regression), million FLOPs per video</param>
/// <param name="VideosPerSecond">measured: batched forward passes of backbone and head, eval mode, no gradients</param>
/// <param name="FloorVideosPerSecond">the matmul rate measured in the same run divided by the FLOPs per video: what a
/// forward pass doing nothing but its matrix products at that rate would reach</param>
public sealed record ScoringBenchmarkRow(string Backbone, string Config, int BatchSize, double BackboneMflopPerVideo, double HeadMflopPerVideo,
    double VideosPerSecond, double FloorVideosPerSecond)
{
    public double MflopPerVideo => BackboneMflopPerVideo + HeadMflopPerVideo;
    public double ScoringFlopRatio => VideosPerSecond / FloorVideosPerSecond;
}

/// <param name="MatmulGflops">the float32 matrix-multiply rate TorchSharp reached in this run (a 1024 x 1024 product,
/// median), at <see cref="ScoringBenchmarkOptions.Threads"/> threads</param>
public sealed record ScoringBenchmarkResult(ScoringBenchmarkOptions Options, IReadOnlyList<ScoringBenchmarkRow> Rows, double MatmulGflops, string Note)
{
    public IReadOnlyList<PerformanceRow> PerformanceRows() => Rows.Select(r => new PerformanceRow("scoring_flop_ratio",
        $"reward scoring, {r.Backbone} backbone + MJ-Video head, batches of {r.BatchSize}, prepared inputs ({r.MflopPerVideo:0.#} MFLOP/video)",
        r.VideosPerSecond, "videos/s", r.FloorVideosPerSecond,
        $"FLOP floor at the {MatmulGflops:0.#} GFLOP/s matmul rate of this run, {Options.Threads} thread(s)", r.ScoringFlopRatio)).ToList();
}

/// <summary>
/// Reward scoring throughput for each backbone from inputs already prepared (decoded clips, cached feature maps, or
/// precomputed states: what the clip and feature caches hand over), against the floor set by the model's FLOPs and the
/// matrix-multiply rate measured in the same run, interleaved with it. The head is the MJ-Video head at its official
/// shape (input-aware gating, 3 x 1024); weights are freshly initialised, which costs the same as trained ones.
/// </summary>
public static class ScoringBenchmark
{
    const int ReferenceSide = 1024;

    public static async Task<ScoringBenchmarkResult> RunAsync(string scratchDir, ScoringBenchmarkOptions options, Action<string>? log = null)
    {
        if (options.BatchSize < 1 || options.Repeats < 1 || options.Threads < 1)
            throw new ArgumentException("BatchSize, Repeats and Threads must be positive");
        var threadsBefore = get_num_threads();
        set_num_threads(options.Threads);
        try
        {
            return await Measure(scratchDir, options, log).ConfigureAwait(false);
        }
        finally
        {
            set_num_threads(threadsBefore);
        }
    }

    static readonly string[] Captions =
    [
        "a red square moves slowly to the left while a blue circle stays in place",
        "two people with hats walk across a park",
        "three yellow stars spin in the night sky",
        "a green triangle bounces on the floor",
    ];

    sealed record Subject(string Name, string Config, RewardModel Model, BackboneInputs Inputs, double BackboneFlops, double HeadFlops) : IDisposable
    {
        public void Dispose()
        {
            Inputs.Dispose();
            var backbone = Model.Backbone;
            Model.Dispose();
            backbone.Dispose();
        }
    }

    static async Task<ScoringBenchmarkResult> Measure(string scratchDir, ScoringBenchmarkOptions options, Action<string>? log)
    {
        using var generator = new Generator((ulong)options.Seed);
        var b = options.BatchSize;
        var captions = Enumerable.Range(0, b).Select(i => Captions[i % Captions.Length]).ToArray();
        var ids = Enumerable.Range(0, b).Select(i => $"bench/{i}").ToArray();
        var subjects = new List<Subject>();
        try
        {
            var tinyConfig = new TinyBackboneConfig();
            var tiny = new TinyVideoTextBackbone(tinyConfig);
            var p = tinyConfig.Preprocessing;
            var tokens = tiny.Tokenizer.EncodeBatch(captions);
            var clips = randint(0, 256, [b, p.Frames, 3, p.Height, p.Width], generator: generator).to_type(ScalarType.Byte);
            subjects.Add(Make("tiny", tinyConfig.Describe(), tiny, new TinyInputs(ids, clips, tokens.Ids, tokens.Mask),
                ForwardFlops.Flops(ForwardFlops.Tiny(tinyConfig, (int)tokens.Ids.shape[1])), options.Seed));

            var pretrainedConfig = new PretrainedFusionConfig();
            var pretrained = new PretrainedFusionBackbone(pretrainedConfig, Path.Combine(scratchDir, "pretrained-cache"));
            var side = pretrainedConfig.MapSide;
            var features = (rand([b, pretrainedConfig.Preprocessing.Frames, PretrainedFusionConfig.FeatureChannels, side, side], generator: generator) * 4)
                .to_type(ScalarType.Float16);
            var captionVectors = nn.functional.normalize(randn([b, PretrainedFusionConfig.CaptionSize], generator: generator), dim: 1);
            subjects.Add(Make("pretrained", pretrainedConfig.Describe(), pretrained, new PretrainedInputs(ids, features, captionVectors),
                ForwardFlops.Flops(ForwardFlops.PretrainedFusion(pretrainedConfig)), options.Seed));

            var h = tinyConfig.HiddenSize;
            var states = randn([b, 2, h], generator: generator);
            var precomputed = new PrecomputedBackbone(PrecomputedStates.FromTensors(ids.Select((id, i) => (id, states[i])).ToDictionary(x => x.id, x => x.Item2), "bench"));
            subjects.Add(Make("precomputed", $"precomputed states, H = {h} (the head alone)", precomputed, new PrecomputedInputs(states), 0, options.Seed));

            using var referenceA = randn([ReferenceSide, ReferenceSide], generator: generator);
            using var referenceB = randn([ReferenceSide, ReferenceSide], generator: generator);
            var series = new List<InterleavedTiming.Series>
            {
                new("matmul 1024^2", _ => { referenceA.matmul(referenceB).Dispose(); return Task.CompletedTask; }),
            };
            series.AddRange(subjects.Select(s => new InterleavedTiming.Series($"{s.Name} batch", _ =>
            {
                RewardPipeline.ScoreBatch(s.Model, s.Inputs, ids.Select(id => new VideoItem(id, id, "")).ToList());
                return Task.CompletedTask;
            })));
            log?.Invoke($"scoring: {subjects.Count} backbones, batches of {b}, {options.Threads} torch thread(s), interleaved with a {ReferenceSide}^2 matmul");
            var seconds = await InterleavedTiming.RunAsync(series, options.Repeats, warmups: 1, log).ConfigureAwait(false);

            var matmulFlopsPerSecond = 2.0 * ReferenceSide * ReferenceSide * ReferenceSide / InterleavedTiming.Median(seconds[0]);
            var rows = subjects.Select((s, k) =>
            {
                var videosPerSecond = b / InterleavedTiming.Median(seconds[k + 1]);
                var floor = matmulFlopsPerSecond / (s.BackboneFlops + s.HeadFlops);
                return new ScoringBenchmarkRow(s.Name, s.Config, b, s.BackboneFlops / 1e6, s.HeadFlops / 1e6, videosPerSecond, floor);
            }).ToList();
            return new ScoringBenchmarkResult(options, rows, matmulFlopsPerSecond / 1e9,
                "FLOPs count every matrix product and convolution (2 per multiply-add); normalisation, activations and element-wise " +
                "work are not counted, so the floor is a lower bound on the time and the ratio an upper bound on the efficiency. " +
                "The pretrained row starts from cached ResNet-18 maps (the frozen encoder is measured by `bench encoder`).");
        }
        finally
        {
            foreach (var s in subjects) s.Dispose();
        }
    }

    static Subject Make(string name, string config, IBackbone backbone, BackboneInputs inputs, long backboneFlops, int seed)
    {
        var model = new RewardModel(new ModelSettings(), backbone, seed);
        return new Subject(name, config, model, inputs, backboneFlops, ForwardFlops.Flops(ForwardFlops.OncePerVideo(model)));
    }
}

using System.Diagnostics;
using MjVideo.Backbones;
using MjVideo.Backbones.Precomputed;
using MjVideo.Data;
using MjVideo.Taxonomy;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <summary>What <see cref="TrainingBenchmark"/> measures and on what.</summary>
public sealed record TrainingBenchmarkOptions
{
    public IReadOnlyList<int> HiddenSizes { get; init; } = [128, 512];
    public IReadOnlyList<int> Stages { get; init; } = [1, 2, 3];
    /// <summary>Training pairs of random states and labels (the epoch must hold the warm-up and measured steps).</summary>
    public int Pairs { get; init; } = 512;
    public int BatchSize { get; init; } = 8;
    /// <summary>Untimed optimizer steps first (allocator and kernel warm-up).</summary>
    public int WarmupSteps { get; init; } = 5;
    public int MeasuredSteps { get; init; } = 40;
    public int Threads { get; init; } = 1;
    /// <summary>The head measured; the official gating shape (3 x 1024) by default.</summary>
    public ModelSettings Model { get; init; } = new();
    public long Seed { get; init; } = 1;
}

/// <summary>
/// One measurement: training pairs per second through <see cref="StagedTrainer"/> steps (forward of both videos, loss,
/// backward, clipping, AdamW), and as the reference in the same process, scoring pairs per second (eval forward and loss
/// without gradients, <see cref="Validation"/>). <see cref="TrainToScoringRatio"/> = training / scoring throughput.
/// </summary>
public sealed record TrainingBenchmarkResult(int HiddenSize, int Stage, int BatchSize, int MeasuredSteps, double Seconds,
    double TrainPairsPerSecond, double ScoringPairsPerSecond, double TrainToScoringRatio, long TrainedParameters, int Threads)
{
    public MjVideo.Core.PerformanceRow PerformanceRow() => new("train_to_scoring_ratio",
        $"training step, stage {Stage}, MJ-Video head on precomputed states (H = {HiddenSize}), batches of {BatchSize} pairs",
        TrainPairsPerSecond, "pairs/s", ScoringPairsPerSecond, "scoring the same pairs with the same head (eval, no gradients)", TrainToScoringRatio);
}

/// <summary>
/// The cost of a training step on the precomputed-states backbone (no backbone compute: the head and the loss alone), per
/// stage and hidden size. Timings are wall clock on a possibly shared machine; the ratio to scoring in the same process is
/// the number to compare across machines.
/// </summary>
public static class TrainingBenchmark
{
    public static IReadOnlyList<TrainingBenchmarkResult> Run(TrainingBenchmarkOptions options)
    {
        if (options.Pairs < options.BatchSize * (options.WarmupSteps + options.MeasuredSteps))
            throw new ArgumentException(
                $"Pairs = {options.Pairs} is fewer than the {options.BatchSize * (options.WarmupSteps + options.MeasuredSteps)} pairs the steps need in one epoch");
        var results = new List<TrainingBenchmarkResult>();
        foreach (var h in options.HiddenSizes)
            foreach (var stage in options.Stages)
                results.Add(Measure(options, h, stage));
        return results;
    }

    static TrainingBenchmarkResult Measure(TrainingBenchmarkOptions options, int hiddenSize, int stage)
    {
        var dataset = RandomDataset(options.Pairs, options.Seed);
        using var backbone = RandomStatesBackbone(dataset, hiddenSize, options.Seed);
        using var train = TrainingData.PrepareAsync(dataset, backbone).GetAwaiter().GetResult();
        var config = new TrainConfig
        {
            Preset = "benchmark",
            Model = options.Model,
            Stages = [TrainConfig.Quick().Stages.Single(s => s.Stage == stage) with { Epochs = 1, WarmupSteps = 0 }],
            BatchSize = options.BatchSize,
            Seed = options.Seed,
            Threads = options.Threads,
            EvalBatchSize = options.BatchSize,
        };
        using var model = new RewardModel(config.Model, backbone, options.Seed);
        var clock = new StepClock(options.WarmupSteps, options.WarmupSteps + options.MeasuredSteps);
        var folder = Path.Combine(Path.GetTempPath(), $"mjvideo-train-bench-{Guid.NewGuid():N}");
        try
        {
            new StagedTrainer(config, clock).Train(model, new BackboneSpec { Name = PrecomputedBackbone.Name }, train, train, folder,
                new TrainRunOptions { PauseAfterStep = options.WarmupSteps + options.MeasuredSteps });
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var trainPairsPerSecond = options.MeasuredSteps * options.BatchSize / trainSeconds;

        var settings = config.Stages[0];
        Validation.Evaluate(model, train, settings.TrainingStage, settings.LossOptions(), options.BatchSize); // warm-up
        var scoring = Stopwatch.StartNew();
        Validation.Evaluate(model, train, settings.TrainingStage, settings.LossOptions(), options.BatchSize);
        var scoringPairsPerSecond = train.Count / scoring.Elapsed.TotalSeconds;

        return new TrainingBenchmarkResult(hiddenSize, stage, options.BatchSize, options.MeasuredSteps, trainSeconds, trainPairsPerSecond,
            scoringPairsPerSecond, trainPairsPerSecond / scoringPairsPerSecond,
            model.TrainableCounts(settings.TrainingStage).Head, options.Threads);
    }

    /// <summary>Times the steps between two step numbers from the trainer's own events, so that setup, validation and
    /// checkpoint writing stay outside the measurement.</summary>
    sealed class StepClock(int startAfterStep, int stopAfterStep) : ITrainingMonitor
    {
        readonly Stopwatch watch = new();
        public TimeSpan Elapsed => watch.Elapsed;

        public void StepCompleted(StepRecord step)
        {
            if (step.Step == startAfterStep) watch.Restart();
            if (step.Step == stopAfterStep) watch.Stop();
        }
    }

    /// <summary>Pairs with every criterion and aspect labelled (random good/bad) and a decisive preference, so that every
    /// loss term is active.</summary>
    static PreferenceDataset RandomDataset(int count, long seed)
    {
        var random = new Random(unchecked((int)seed));
        VideoAnnotation Labels() => new(
            Enumerable.Range(0, MjTaxonomy.CriterionCount).Select(_ => random.Next(1, 3)).ToArray(),
            Enumerable.Range(0, MjTaxonomy.AspectCount).Select(_ => random.Next(1, 3)).ToArray(),
            random.Next(1, 3));
        var pairs = Enumerable.Range(0, count).Select(i => new PreferencePair
        {
            SourceFile = "benchmark",
            Index = i,
            Caption = $"benchmark pair {i}",
            Video0 = $"bench/{i}_0.mp4",
            Video1 = $"bench/{i}_1.mp4",
            Labels0 = Labels(),
            Labels1 = Labels(),
            AspectPreferences = Enumerable.Range(0, MjTaxonomy.AspectCount)
                .Select(_ => (PreferenceLabel?)(random.Next(2) == 0 ? PreferenceLabel.Video1Better : PreferenceLabel.Video2Better)).ToList(),
            Overall = random.Next(2) == 0 ? PreferenceLabel.Video1Better : PreferenceLabel.Video2Better,
        }).ToList();
        return new PreferenceDataset
        {
            Format = DatasetFormat.Release,
            SourceFile = "benchmark",
            Pairs = pairs,
            Extras = pairs.Select(_ => new ExtraFields()).ToList(),
        };
    }

    static PrecomputedBackbone RandomStatesBackbone(PreferenceDataset dataset, int hiddenSize, long seed)
    {
        using var generator = new Generator(unchecked((ulong)seed));
        var states = TrainingData.VideoItems(dataset).ToDictionary(v => v.VideoId, _ => randn([2, hiddenSize], generator: generator));
        try
        {
            return new PrecomputedBackbone(PrecomputedStates.FromTensors(states, "benchmark"));
        }
        finally
        {
            foreach (var state in states.Values) state.Dispose();
        }
    }
}

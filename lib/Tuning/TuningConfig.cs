using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MjVideo.Core;
using MjVideo.Model;
using MjVideo.Synth;
using MjVideo.Training;

namespace MjVideo.Tuning;

/// <summary>
/// How the reward models of the tuning experiment are trained: judges on the small encoder (the only backbone
/// differentiable from pixels), on the first pairs of the default SynthBench sets of one rule family, with the staged
/// losses (<see cref="StagedTrainer"/>). Every judge gets the same data, backbone size, starting seed, epochs and rate.
/// </summary>
/// <param name="TrainPairs">pairs read from the family's train.json (its first ones)</param>
/// <param name="ValPairs">pairs read from val.json (epoch selection only)</param>
/// <param name="HiddenSize">H of the small encoder</param>
/// <param name="GatingHiddenDim">width of the MJ-Video gating MLPs (the paper's 1024 is sized for H = 2048)</param>
/// <param name="GatingHiddenLayers">hidden layers of each gating MLP</param>
/// <param name="LearningRate">peak rate of every stage</param>
/// <param name="Epochs">epochs of stages 1, 2 and 3</param>
/// <param name="BatchSize">pairs per step</param>
/// <param name="Family">the SynthBench rule family whose labels the judges learn</param>
/// <param name="Seed">seeds the encoder, the head and the data order (the same for every judge)</param>
public sealed record RewardTrainingSettings(int TrainPairs, int ValPairs, int HiddenSize, int GatingHiddenDim, int GatingHiddenLayers,
    double LearningRate, int[] Epochs, int BatchSize = 8, string Family = "additive", long Seed = 42)
{
    /// <summary>The trainer's config for one judge (the quick preset's shape with these settings).</summary>
    public TrainConfig TrainConfigFor(JudgeKind judge)
    {
        if (Epochs.Length != 3) throw new ArgumentException($"RewardTrainingSettings.Epochs: one count per stage (3), got {Epochs.Length}");
        var preset = TrainConfig.Quick(judge);
        return preset with
        {
            Preset = "tuning-reward",
            Model = new ModelSettings { Judge = judge, GatingHiddenDim = GatingHiddenDim, GatingHiddenLayers = GatingHiddenLayers },
            Stages = preset.Stages.Select((s, i) => s with { LearningRate = LearningRate, Epochs = Epochs[i] }).ToList(),
            BatchSize = BatchSize,
            Seed = Seed,
        };
    }

    public void Validate()
    {
        if (TrainPairs < 1 || ValPairs < 1) throw new ArgumentException($"RewardTrainingSettings: TrainPairs = {TrainPairs} and ValPairs = {ValPairs} must be at least 1");
        if (HiddenSize < 8) throw new ArgumentException($"RewardTrainingSettings.HiddenSize = {HiddenSize}: must be at least 8");
        PreferenceRules.Parse(Family);
        TrainConfigFor(JudgeKind.MjVideo).Validate();
    }
}

/// <summary>
/// Everything that defines a tuning experiment (notebook 05 and <c>mjvideo tune</c>), printed beside its results and
/// hashed into their record. Presets: <see cref="Quick"/> (CI's smoke run, a few minutes on 2 cores) and <see cref="Full"/>
/// (the committed results, about half an hour on 2 cores).
/// </summary>
public sealed record TuningConfig
{
    public string Preset { get; init; } = "custom";

    /// <summary>The rewards compared, each tuned from the same base model with the same settings.</summary>
    public IReadOnlyList<JudgeKind> Rewards { get; init; } = [JudgeKind.MjVideo, JudgeKind.BtSingle, JudgeKind.MultitaskSingle, JudgeKind.VideoScore];

    public required RewardTrainingSettings RewardTraining { get; init; }
    public required PretrainingSettings Pretraining { get; init; }

    /// <summary>Width of the generator's MLP and the seed of its initial weights.</summary>
    public int GeneratorHiddenSize { get; init; } = 128;
    public long GeneratorSeed { get; init; } = 3;

    public required TuningSettings Tuning { get; init; }

    /// <summary>Training captions tuning draws from (SynthBench train split, drawable ones).</summary>
    public int TrainCaptions { get; init; } = 400;
    /// <summary>Base-model clips of training captions that set each reward's scale.</summary>
    public int CalibrationClips { get; init; } = 64;
    /// <summary>Held-out captions (SynthBench test split, drawable ones) and draws per caption for every evaluation.</summary>
    public int EvalCaptions { get; init; } = 64;
    public int DrawsPerCaption { get; init; } = 1;
    public long EvalNoiseSeed { get; init; } = 20261125;
    /// <summary>SynthBench train pairs whose videos validate the oracle against their labels before it judges the generator.</summary>
    public int OracleValidationPairs { get; init; } = 400;
    /// <summary>Captions shown in the before/after frame strips (the first evaluation captions).</summary>
    public int StripCaptions { get; init; } = 4;
    /// <summary>The SynthBench seed whose caption streams and scenes are used (the default sets').</summary>
    public long SynthSeed { get; init; } = SynthBenchDefaults.Seed;
    /// <summary>torch threads; one by default, as everywhere in tight loops on the shared 2-core machine.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>CI's smoke run (about 5 minutes on 2 cores once the clips are decoded): judges on 240 pairs for one epoch
    /// per stage, so they are close to chance and the run shows only that everything works end to end.</summary>
    public static TuningConfig Quick() => new()
    {
        Preset = "quick",
        RewardTraining = new RewardTrainingSettings(TrainPairs: 240, ValPairs: 80, HiddenSize: 64, GatingHiddenDim: 64, GatingHiddenLayers: 2,
            LearningRate: 3e-3, Epochs: [1, 1, 1]),
        Pretraining = new PretrainingSettings(Pairs: 1500, Epochs: 15),
        Tuning = new TuningSettings(Steps: 20, BatchSize: 8, EvaluateEvery: 10),
        TrainCaptions = 200,
        CalibrationClips = 32,
        EvalCaptions = 32,
        OracleValidationPairs = 150,
        StripCaptions = 3,
    };

    /// <summary>The committed results (measured to fit about half an hour on the shared 2-core machine): judges on 800
    /// SynthBench pairs for two epochs per stage at H = 64, 120 tuning steps per reward, 96 held-out captions drawn twice.</summary>
    public static TuningConfig Full() => new()
    {
        Preset = "full",
        RewardTraining = new RewardTrainingSettings(TrainPairs: 800, ValPairs: 200, HiddenSize: 64, GatingHiddenDim: 64, GatingHiddenLayers: 2,
            LearningRate: 3e-3, Epochs: [2, 2, 2]),
        Pretraining = new PretrainingSettings(Pairs: 3000, Epochs: 30),
        Tuning = new TuningSettings(Steps: 120, BatchSize: 8, EvaluateEvery: 20),
        TrainCaptions = 600,
        CalibrationClips = 96,
        EvalCaptions = 96,
        DrawsPerCaption = 2,
        OracleValidationPairs = 1000,
        StripCaptions = 4,
    };

    public static TuningConfig For(RunMode mode) => mode == RunMode.Quick ? Quick() : Full();

    public void Validate()
    {
        if (Rewards.Count == 0) throw new ArgumentException("TuningConfig.Rewards: at least one reward is needed");
        if (Rewards.Distinct().Count() != Rewards.Count) throw new ArgumentException("TuningConfig.Rewards: a reward is listed twice");
        if (Rewards.Contains(JudgeKind.CapacityMatched))
            throw new ArgumentException("TuningConfig.Rewards: capacity-matched is not one of the compared rewards (mjvideo, bt-single, multitask-single, videoscore)");
        RewardTraining.Validate();
        Pretraining.Validate();
        Tuning.Validate();
        if (GeneratorHiddenSize < 1) throw new ArgumentException($"TuningConfig.GeneratorHiddenSize = {GeneratorHiddenSize}: must be at least 1");
        if (TrainCaptions < Tuning.BatchSize) throw new ArgumentException($"TuningConfig.TrainCaptions = {TrainCaptions}: fewer than a batch ({Tuning.BatchSize})");
        if (CalibrationClips < 2) throw new ArgumentException($"TuningConfig.CalibrationClips = {CalibrationClips}: must be at least 2");
        if (EvalCaptions < 1 || DrawsPerCaption < 1) throw new ArgumentException($"TuningConfig: EvalCaptions = {EvalCaptions} and DrawsPerCaption = {DrawsPerCaption} must be at least 1");
        if (OracleValidationPairs < 1) throw new ArgumentException($"TuningConfig.OracleValidationPairs = {OracleValidationPairs}: must be at least 1");
        if (StripCaptions < 1 || StripCaptions > EvalCaptions) throw new ArgumentException($"TuningConfig.StripCaptions = {StripCaptions}: must be in 1..{EvalCaptions}");
        if (Threads < 1) throw new ArgumentException($"TuningConfig.Threads = {Threads}: must be at least 1");
    }

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>12 hex digits of the SHA-256 of the config and the SynthBench version.</summary>
    public string Hash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(SynthConfig.Version + "\n" + ToJson())))[..12].ToLowerInvariant();
}

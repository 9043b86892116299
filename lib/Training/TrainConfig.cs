using System.Text.Json;
using System.Text.Json.Serialization;
using MjVideo.Data;
using MjVideo.Model;

namespace MjVideo.Training;

/// <summary>Which validation number picks the best epoch of a stage.</summary>
public enum Selection
{
    /// <summary>The run's last stage by strict overall accuracy (ties: lower val loss); earlier stages by their val loss,
    /// because the overall score is what the last stage trains and the earlier stages only prepare it.</summary>
    Auto,
    /// <summary>Strict overall preference accuracy on val, ties broken by the lower val loss.</summary>
    Accuracy,
    /// <summary>The stage's loss on val.</summary>
    Loss,
}

/// <summary>One training stage's settings (paper-digest 2.5 has one column per stage).</summary>
public sealed record StageSettings
{
    /// <summary>1 criteria, 2 aspect, 3 overall.</summary>
    public required int Stage { get; init; }
    public int Epochs { get; init; } = 3;
    /// <summary>The peak learning rate of the stage's cosine schedule.</summary>
    public double LearningRate { get; init; } = 3e-5;
    /// <summary>Optimizer steps of linear warm-up from 0 (HF's get_cosine_schedule_with_warmup).</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;
    public LossMode LossMode { get; init; }
    /// <summary>How a bad label enters the BCE terms ({1, 0} by default; the official {1, -1} for the ablation).</summary>
    public BadLabelEncoding BceBadLabel { get; init; } = BadLabelEncoding.Zero;
    /// <summary>Whether the gate losses are part of the stage's loss (on, as the official code; off for the ablation).</summary>
    public bool GateLosses { get; init; } = true;
    /// <summary>Weight of the stage-3 aspect-gate balance term (not in the paper; 0 = off, the default). Left out of the
    /// JSON at 0, so configs without it keep their hashes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double AspectGateBalance { get; init; }
    /// <summary>The backbone's trainable parameters step at this fraction of the stage's rate, the head's at the full
    /// rate: a head starts from random weights and needs a large rate, a pre-trained fusion a small one. Null (the
    /// default, left out of the JSON): one rate for everything.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? BackboneRateScale { get; init; }

    [JsonIgnore]
    public TrainingStage TrainingStage => (TrainingStage)Stage;

    public LossOptions LossOptions() => new(LossMode) { BceBadLabel = BceBadLabel, GateLosses = GateLosses, AspectGateBalance = AspectGateBalance };
}

/// <summary>The judge's head: which judge, and for MJ-Video the routing and gating network shape.</summary>
public sealed record ModelSettings
{
    public JudgeKind Judge { get; init; } = JudgeKind.MjVideo;
    /// <summary>Only MJ-Video's routing is a choice; the baselines fix their own (<see cref="RewardModel"/>).</summary>
    public Routing Routing { get; init; } = Routing.Paper;
    public int GatingHiddenDim { get; init; } = 1024;
    public int GatingHiddenLayers { get; init; } = 3;
    public double GatingTemperature { get; init; } = 1.0;
}

/// <summary>
/// Everything that defines a training run, saved as JSON beside its checkpoint. Presets:
/// <list type="bullet">
/// <item><see cref="Paper"/> = <see cref="Full"/>: the official settings (paper-digest 2.5): 3 epochs per stage, batch 1 pair,
/// gradient accumulation 8 / 8 / 4, AdamW lr 3e-5, weight decay 0.1, cosine schedule with 25 / 50 / 5 warm-up steps, stage
/// 1 BCE and stages 2-3 MSE, gradient clipping at norm 1 and Adam betas (0.9, 0.999), eps 1e-8 (the HF Trainer defaults
/// the official scripts inherit), seed 42.</item>
/// <item><see cref="Quick"/>: CI's smoke run: 2 epochs per stage, batch 8 pairs, no accumulation, 5 warm-up steps, lr 1e-2.
/// A head trained from scratch in a few hundred steps needs a far larger rate than the official fine-tune: on 400 synthetic
/// train pairs whose preference is a linear function of H = 32 precomputed features, with the official gating shape, the
/// quick run reached 62 / 72 / 95 % strict val accuracy at lr 1e-3 / 3e-3 / 1e-2. That is a starting point for a new
/// backbone, not a substitute for choosing the rate on its val set.</item>
/// </list>
/// Everything else is a choice made on val only (DESIGN 8); <see cref="Seed"/> seeds the head, the data order and torch.
/// </summary>
public sealed record TrainConfig
{
    public string Preset { get; init; } = "custom";
    public ModelSettings Model { get; init; } = new();
    public IReadOnlyList<StageSettings> Stages { get; init; } = [];
    /// <summary>Pairs per micro-batch (each pair is two videos through the backbone).</summary>
    public int BatchSize { get; init; } = 1;
    public double WeightDecay { get; init; } = 0.1;
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>Gradient clipping by total L2 norm; 0 disables clipping (the norm is still recorded).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Stop a stage after this many epochs without a better val result; 0 runs every epoch (the best is kept either way).</summary>
    public int Patience { get; init; }
    public Selection SelectBy { get; init; } = Selection.Auto;
    public long Seed { get; init; } = 42;
    /// <summary>
    /// torch.set_num_threads for the run: results are bit-for-bit repeatable on the CPU at a fixed thread count. One by
    /// default: the head's operations are small (a few rows through MLPs), and on the shared 2-core project machine
    /// (load ~18) two threads made a training step about 10 times slower than one (TrainingBenchmark, H = 128 and 512);
    /// a backbone with heavier operations (convolutions) may want 2 on a machine of its own.
    /// </summary>
    public int Threads { get; init; } = 1;
    /// <summary>Pairs per forward pass when evaluating val.</summary>
    public int EvalBatchSize { get; init; } = 64;
    /// <summary>Write the checkpoint every this many optimizer steps as well as after every epoch; 0: after epochs only.</summary>
    public int CheckpointEverySteps { get; init; }

    public static TrainConfig Paper(JudgeKind judge = JudgeKind.MjVideo) => new()
    {
        Preset = "paper",
        Model = new ModelSettings { Judge = judge },
        Stages =
        [
            new StageSettings { Stage = 1, Epochs = 3, LearningRate = 3e-5, WarmupSteps = 25, GradientAccumulation = 8, LossMode = LossMode.Bce },
            new StageSettings { Stage = 2, Epochs = 3, LearningRate = 3e-5, WarmupSteps = 50, GradientAccumulation = 8, LossMode = LossMode.Mse },
            new StageSettings { Stage = 3, Epochs = 3, LearningRate = 3e-5, WarmupSteps = 5, GradientAccumulation = 4, LossMode = LossMode.Mse },
        ],
        BatchSize = 1,
        Seed = 42,
    };

    /// <summary>Full mode trains with the official settings.</summary>
    public static TrainConfig Full(JudgeKind judge = JudgeKind.MjVideo) => Paper(judge) with { Preset = "full" };

    public static TrainConfig Quick(JudgeKind judge = JudgeKind.MjVideo) => new()
    {
        Preset = "quick",
        Model = new ModelSettings { Judge = judge },
        Stages =
        [
            new StageSettings { Stage = 1, Epochs = 2, LearningRate = 1e-2, WarmupSteps = 5, LossMode = LossMode.Bce },
            new StageSettings { Stage = 2, Epochs = 2, LearningRate = 1e-2, WarmupSteps = 5, LossMode = LossMode.Mse },
            new StageSettings { Stage = 3, Epochs = 2, LearningRate = 1e-2, WarmupSteps = 5, LossMode = LossMode.Mse },
        ],
        BatchSize = 8,
        Seed = 42,
    };

    /// <summary>This config restricted to some stages, in order (e.g. [3] for the stage ablation).</summary>
    public TrainConfig WithStages(IReadOnlyList<int> stages)
    {
        var missing = stages.Where(s => Stages.All(x => x.Stage != s)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"stage(s) {string.Join(", ", missing)} have no settings in the '{Preset}' config");
        return this with { Stages = stages.Select(s => Stages.Single(x => x.Stage == s)).ToList() };
    }

    public StageSettings StageAt(int index) => Stages[index];

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first field out of range and its value.</summary>
    public void Validate()
    {
        if (Stages.Count == 0) throw new ArgumentException("Stages: at least one stage is needed");
        for (var i = 0; i < Stages.Count; i++)
        {
            var s = Stages[i];
            var where = $"Stages[{i}] (stage {s.Stage})";
            if (s.Stage is < 1 or > 3) throw new ArgumentException($"Stages[{i}].Stage = {s.Stage}: stages are 1, 2 and 3");
            if (i > 0 && s.Stage <= Stages[i - 1].Stage)
                throw new ArgumentException($"{where}: stages must run in increasing order, got {string.Join(", ", Stages.Select(x => x.Stage))}");
            if (s.Epochs < 1) throw new ArgumentException($"{where}.Epochs = {s.Epochs}: must be at least 1");
            if (!(s.LearningRate > 0) || double.IsInfinity(s.LearningRate))
                throw new ArgumentException($"{where}.LearningRate = {s.LearningRate}: must be positive and finite");
            if (s.WarmupSteps < 0) throw new ArgumentException($"{where}.WarmupSteps = {s.WarmupSteps}: must be >= 0");
            if (s.GradientAccumulation < 1)
                throw new ArgumentException($"{where}.GradientAccumulation = {s.GradientAccumulation}: must be at least 1");
            if (s.BackboneRateScale is { } scale && (!(scale > 0) || double.IsInfinity(scale)))
                throw new ArgumentException($"{where}.BackboneRateScale = {scale}: must be positive and finite (or absent)");
            s.LossOptions().Validate();
        }
        if (BatchSize < 1) throw new ArgumentException($"BatchSize = {BatchSize}: must be at least 1");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"WeightDecay = {WeightDecay}: must be >= 0 and finite");
        if (!(AdamBeta1 >= 0 && AdamBeta1 < 1)) throw new ArgumentException($"AdamBeta1 = {AdamBeta1}: must be in [0, 1)");
        if (!(AdamBeta2 >= 0 && AdamBeta2 < 1)) throw new ArgumentException($"AdamBeta2 = {AdamBeta2}: must be in [0, 1)");
        if (!(AdamEpsilon > 0) || double.IsInfinity(AdamEpsilon)) throw new ArgumentException($"AdamEpsilon = {AdamEpsilon}: must be positive");
        if (!(MaxGradNorm >= 0) || double.IsInfinity(MaxGradNorm)) throw new ArgumentException($"MaxGradNorm = {MaxGradNorm}: must be >= 0 (0: no clipping)");
        if (Patience < 0) throw new ArgumentException($"Patience = {Patience}: must be >= 0 (0: no early stopping)");
        if (!Enum.IsDefined(SelectBy)) throw new ArgumentException($"SelectBy = {(int)SelectBy}: unknown selection");
        if (Threads < 1) throw new ArgumentException($"Threads = {Threads}: must be at least 1");
        if (EvalBatchSize < 1) throw new ArgumentException($"EvalBatchSize = {EvalBatchSize}: must be at least 1");
        if (CheckpointEverySteps < 0) throw new ArgumentException($"CheckpointEverySteps = {CheckpointEverySteps}: must be >= 0");
        ValidateModel();
    }

    void ValidateModel()
    {
        if (!Enum.IsDefined(Model.Judge)) throw new ArgumentException($"Model.Judge = {(int)Model.Judge}: unknown judge");
        Model.Routing.Validate();
        if (Model.Judge != JudgeKind.MjVideo && Model.Routing != Routing.Paper)
            throw new ArgumentException(
                $"Model.Routing = {JudgeNames.RoutingName(Model.Routing)}: routing is an option of the mjvideo judge only; " +
                $"{JudgeNames.Name(Model.Judge)} fixes its own");
        if (Model.GatingHiddenDim < 1) throw new ArgumentException($"Model.GatingHiddenDim = {Model.GatingHiddenDim}: must be at least 1");
        if (Model.GatingHiddenLayers < 0) throw new ArgumentException($"Model.GatingHiddenLayers = {Model.GatingHiddenLayers}: must be >= 0");
        if (!(Model.GatingTemperature > 0) || double.IsInfinity(Model.GatingTemperature))
            throw new ArgumentException($"Model.GatingTemperature = {Model.GatingTemperature}: must be positive and finite");
    }

    /// <summary>The JSON settings of configs and checkpoints: indented, enums by name, NaN allowed (an accuracy without
    /// decisive pairs is NaN).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses a config; <paramref name="source"/> names the file in errors.</summary>
    public static TrainConfig FromJson(string json, string source)
    {
        TrainConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<TrainConfig>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid training config ({e.Message})", e);
        }
        if (config is null) throw new InvalidDataException($"{source}: the training config is null");
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        return config;
    }
}

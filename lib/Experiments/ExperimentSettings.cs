using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using MjVideo.Model;
using MjVideo.Synth;
using MjVideo.Training;
using MjVideo.Video;

namespace MjVideo.Experiments;

/// <summary>
/// Which frames of a SynthBench clip a backbone reads: a count and a sampling rule (DESIGN 4). The clips are decoded
/// once with all 16 frames and every choice is an index subset of them (<see cref="Indices"/>), so changing it never
/// decodes a video again.
/// </summary>
public sealed record FrameChoice(int Frames, FrameSampling Sampling)
{
    /// <summary>The paper's rule: 8 frames, endpoint-exclusive linspace.</summary>
    public static FrameChoice Paper { get; } = new(8, FrameSampling.PaperLinspace);

    /// <summary>"8-paper", "4-inclusive": part of cache keys and cell keys.</summary>
    [JsonIgnore]
    public string Key => $"{Frames}-{(Sampling == FrameSampling.PaperLinspace ? "paper" : Sampling == FrameSampling.InclusiveUniform ? "inclusive" : "fps")}";

    /// <summary>The frames read out of a clip of <paramref name="clipFrames"/> frames.</summary>
    public int[] Indices(int clipFrames) => FrameSampler.Indices(clipFrames, Frames, Sampling);

    public string Describe(int clipFrames) =>
        $"{Frames} frames, {Sampling} ([{string.Join(", ", Indices(clipFrames))}] of {clipFrames})";
}

/// <summary>How the small encoder is pre-trained once per seed, judge-neutrally (<see cref="NeutralPretraining"/>).</summary>
/// <param name="Epochs">passes over the distinct training videos</param>
/// <param name="BatchVideos">videos per optimizer step</param>
/// <param name="LearningRate">AdamW peak rate of the cosine schedule</param>
/// <param name="WarmupSteps">linear warm-up steps</param>
/// <param name="WeightDecay">AdamW weight decay (the official 0.1)</param>
/// <param name="FrameMix">each step reads one of these frame choices (drawn with the seed), so that one encoder serves
/// every frame count of the ablation instead of one encoder per count</param>
/// <param name="Weights">the objective's term weights (<see cref="NeutralObjective"/>)</param>
/// <param name="MaxGradNorm">gradient clipping by total norm</param>
/// <param name="Threads">torch intra-op threads of each pre-training, states export and the end-to-end run. Two: these
/// phases run one at a time (<see cref="ExperimentSettings.MaxParallel"/>), so with one thread a core of the 2-core
/// machines this is sized for sat idle. Fixed, not the machine's core count, so that the encoders are the same anywhere.</param>
public sealed record PretrainSettings(int Epochs, int BatchVideos, double LearningRate, int WarmupSteps, double WeightDecay,
    IReadOnlyList<FrameChoice> FrameMix, NeutralWeights Weights, double MaxGradNorm = 5.0, int Threads = 2);

/// <summary>Weights of the pre-training terms. The criteria term carries the defects, the hard part, so it weighs most:
/// with equal weights the caption-word and relatedness terms, easy and with larger gradients, took the whole clipped
/// update and the criteria probe stayed at chance on val (measured on the quick split).</summary>
public sealed record NeutralWeights(double Criteria = 4, double Related = 1, double Aspects = 1, double Words = 0.5)
{
    /// <summary>Weigh each criterion's good and bad classes equally in the criteria term
    /// (<see cref="NeutralObjective.BalancedAlpha"/>) instead of by the paper's alpha. Left out of the JSON when off, so
    /// that the v1 settings keep their cache keys.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool BalanceCriteria { get; init; }

    /// <summary>Weight of the caption-matching term (<see cref="CaptionMatching"/>): tell each video's caption from the
    /// same caption with one colour, shape, count, place, size or action swapped. 0 leaves it out (and out of the JSON,
    /// so settings without it keep their cache keys).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double Matching { get; init; }

    /// <summary>Weight of the caption-grounding term (<see cref="CaptionGrounding"/>, v2 encoder only): each caption's
    /// words must find their cells in its own video better than in the batch's other videos. 0 leaves it out (and out of
    /// the JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double Grounding { get; init; }

    /// <summary>With the grounding term: each video's caption with one colour, shape, count, place, size or action
    /// swapped (<see cref="CaptionSwaps"/>) joins the batch's captions as a hard negative, so that ranking the own caption
    /// first needs every such word, not only the most distinctive one.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool GroundingSwaps { get; init; }
}

/// <summary>How every judge's head is trained on the frozen backbone states (the same budget for all of them).</summary>
/// <param name="EpochsPerStage">epochs of each of the three stages</param>
/// <param name="BatchSize">pairs per optimizer step (no accumulation; the losses are per-pair means, so this equals any
/// split of the same pairs into micro-batches)</param>
/// <param name="WarmupSteps">linear warm-up steps of each stage's cosine schedule</param>
/// <param name="LearningRateGrid">the rates every judge chooses from on val (the same grid for every judge)</param>
public sealed record HeadTrainingSettings(int EpochsPerStage, int BatchSize, int WarmupSteps, IReadOnlyList<double> LearningRateGrid);

/// <summary>Which cells the trainable-fusion recipe (<see cref="FusionRecipe"/>) trains in a mode: every judge, family and
/// seed does not fit the notebook's budget on 2 cores (notebook 03 prints the measured cost), so a subset runs beside the
/// heads on frozen states, which every judge, family and seed gets.</summary>
public sealed record FusionSettings(IReadOnlyList<JudgeKind> Judges, IReadOnlyList<RuleFamily> Families, IReadOnlyList<long> Seeds)
{
    public IReadOnlyList<HeadVariant> Variants => Judges.Select(j => j == JudgeKind.MjVideo ? HeadVariant.MjVideo : HeadVariant.Baseline(j)).ToList();
}

/// <summary>The one end-to-end run's settings (the small encoder trained from pixels with the head through the stages).</summary>
public sealed record EndToEndSettings(int EpochsPerStage, int BatchSize, double LearningRate, int WarmupSteps);

/// <summary>
/// Everything that sizes the experiments of notebooks 03 and 04 and <c>mjvideo ablate</c>, with one preset per mode.
/// <para>
/// The plan (DESIGN 9): per seed, the small encoder is pre-trained once on the training videos with an objective that uses
/// no preference label of any family (<see cref="NeutralPretraining"/>), its h_gate and h_last are exported for every
/// video, and every judge's head is trained on those frozen states with the same starting point, epochs and learning-rate
/// grid. The learning rate is chosen on val for each judge and rule family on the first seed and reused for the other
/// seeds; the ablations hold it at the input-aware MJ-Video head's choice and change one thing at a time.
/// </para>
/// <para>
/// Deviation (measured, see notebook 03's cost cell): the gating MLPs are 3 x <see cref="GatingHiddenDim"/> = 3 x 128,
/// not the official 3 x 1024. At H = 128 the official width makes the head 4.5 M parameters, 42 times the criteria
/// regression and the backbone's whole output; on this CPU a stage-3 step of 32 pairs took about 8 times as long as at
/// width 128 (AdamW over the gating weights dominates). Width 128 = H keeps the router wider than the official ratio
/// (1024 / 2048 = H / 2). The capacity-matched baseline is sized against the head actually used.
/// </para>
/// </summary>
public sealed record ExperimentSettings
{
    public required RunMode Mode { get; init; }

    /// <summary>Training seeds of the main comparison (at least 3, DESIGN 8).</summary>
    public required IReadOnlyList<long> Seeds { get; init; }

    /// <summary>Training seeds of each ablation experiment.</summary>
    public required IReadOnlyList<long> AblationSeeds { get; init; }

    /// <summary>Seeds of the caption-only and video-only control encoders (pre-trained the same way) and their heads.</summary>
    public required IReadOnlyList<long> ControlSeeds { get; init; }

    public IReadOnlyList<RuleFamily> Families { get; init; } = PreferenceRules.Families;

    /// <summary>The rule families the ablation grid (notebook 04) trains on: every family by default; quick mode keeps
    /// additive only, as a smoke test of the grid (with one training at a time, four families do not fit CI's budget).</summary>
    public IReadOnlyList<RuleFamily>? AblationFamiliesOverride { get; init; }

    public IReadOnlyList<RuleFamily> AblationFamilies => AblationFamiliesOverride ?? Families;

    /// <summary>The small encoder's shape: the workbook default (H = 128, 64x64 frames) with room for SynthBench's
    /// longest captions (65 tokens with the terminator in the quick train split; the default 32 would cut off the emphasis
    /// phrases at the end of a caption, which carry the additive family's aspect weights).</summary>
    /// <para>The v2 grid encoder (<see cref="TinyBackboneConfig.ForV2"/>): on the quick split its pre-trained states carry
    /// the temporal and lighting criteria that v1's states did not (probe AUC 0.72 against 0.56 averaged over the 16
    /// criteria with enough val videos; docs/encoders.md). <see cref="V1Backbone"/> stays for the ablation row.</para>
    public TinyBackboneConfig Backbone { get; init; } = V1Backbone.ForV2();

    /// <summary>The first small encoder (one token per frame, caption by FiLM), kept as an ablation row.</summary>
    public static TinyBackboneConfig V1Backbone { get; } = new(HiddenSize: 128, MaxCaptionTokens: 80);

    public required PretrainSettings Pretrain { get; init; }
    public required HeadTrainingSettings Head { get; init; }
    public required EndToEndSettings EndToEnd { get; init; }
    public required FusionSettings Fusion { get; init; }

    public int GatingHiddenDim { get; init; } = 128;
    public int GatingHiddenLayers { get; init; } = 3;

    /// <summary>Frame choices of the frame ablation (the paper's 8 is the main comparison's).</summary>
    public IReadOnlyList<FrameChoice> FrameChoices { get; init; } =
    [
        new(2, FrameSampling.PaperLinspace), new(4, FrameSampling.PaperLinspace), FrameChoice.Paper, new(16, FrameSampling.PaperLinspace),
        new(2, FrameSampling.InclusiveUniform), new(4, FrameSampling.InclusiveUniform), new(8, FrameSampling.InclusiveUniform),
    ];

    /// <summary>Gate temperatures of the temperature ablation (1 is the paper's).</summary>
    public IReadOnlyList<double> Temperatures { get; init; } = [0.5, 1.0, 2.0];

    /// <summary>
    /// Trainings run side by side, each on one torch thread. One by default: TorchSharp 0.107 frees the Scalar it makes
    /// for a literal (<c>p + eps</c>, the alpha of <c>add</c>) in a finaliser, and nothing keeps that Scalar alive during
    /// the native call, so a garbage collection started by a second training thread can free it mid-call. Notebook 04's
    /// quick run with two head trainings in parallel crashed that way twice in two runs ("Expected false to be true" in
    /// c10::Scalar::toFloat, once in the BCE loss, once in the fusion attention); with one it did not. A freed Scalar
    /// can also be read as a wrong number without crashing, so parallel trainings are not safe to trust.
    /// </summary>
    public int MaxParallel { get; init; } = 1;

    /// <summary>The seed of the evaluator's bootstraps and of the random control.</summary>
    public int EvaluationSeed { get; init; } = 20261125;

    public int BootstrapResamples { get; init; } = 2000;

    /// <summary>
    /// Quick (CI's smoke run, 500/200/300 pairs): 3 seeds for the main table, 2 for each ablation, the modality controls on
    /// the first seed only, 2 epochs per stage, a 2-rate grid, end to end at 8 pairs a step, 6 epochs of pre-training (186 steps: with 62 the encoder's
    /// states carried no video criterion; 5 encoders, as the controls are pre-trained on the control seeds only). Its
    /// numbers only show that the pipeline runs.
    /// </summary>
    public static ExperimentSettings Quick { get; } = new()
    {
        Mode = RunMode.Quick,
        Seeds = [0, 1, 2],
        AblationSeeds = [0, 1],
        AblationFamiliesOverride = [RuleFamily.Additive],
        ControlSeeds = [0],
        Pretrain = new PretrainSettings(Epochs: 6, BatchVideos: 32, LearningRate: PretrainLearningRateV2, WarmupSteps: 10, WeightDecay: 0.1,
            FrameMix: DefaultFrameMix, Weights: new NeutralWeights { BalanceCriteria = true }),
        Head = new HeadTrainingSettings(EpochsPerStage: 2, BatchSize: 32, WarmupSteps: 5, LearningRateGrid: [3e-3, 1e-2]),
        // 8 pairs a step, not full mode's 16: the end-to-end run is the notebook's largest allocation (the small encoder's
        // activations for every frame of the batch), and at 16 it took quick notebook 03 to 4.03 GiB, over the suite's
        // 4 GiB target (measured in a clean-clone CI run; pre-training peaked at 2.84 GiB).
        EndToEnd = new EndToEndSettings(EpochsPerStage: 1, BatchSize: 8, LearningRate: 2e-3, WarmupSteps: 5),
        // One cell: a learning-rate search of two full runs took 3.1 min on the shared 2-core machine.
        Fusion = new FusionSettings([JudgeKind.MjVideo], [RuleFamily.Additive], [0]),
    };

    /// <summary>Full (the committed results, 3000/500/1000 pairs): 3 seeds everywhere, 3 epochs per stage as the paper,
    /// a 3-rate grid.</summary>
    public static ExperimentSettings Full { get; } = new()
    {
        Mode = RunMode.Full,
        Seeds = [0, 1, 2],
        AblationSeeds = [0, 1, 2],
        ControlSeeds = [0, 1, 2],
        Pretrain = new PretrainSettings(Epochs: 6, BatchVideos: 32, LearningRate: PretrainLearningRateV2, WarmupSteps: 20, WeightDecay: 0.1,
            FrameMix: DefaultFrameMix, Weights: new NeutralWeights { BalanceCriteria = true }),
        Head = new HeadTrainingSettings(EpochsPerStage: 3, BatchSize: 32, WarmupSteps: 10, LearningRateGrid: [1e-3, 3e-3, 1e-2]),
        EndToEnd = new EndToEndSettings(EpochsPerStage: 2, BatchSize: 16, LearningRate: 2e-3, WarmupSteps: 10),
        // Projected from the quick run (9 times the pair-epochs): about 7 min per run, 21 min for the first seed's search.
        Fusion = new FusionSettings([JudgeKind.MjVideo], [RuleFamily.Additive], [0]),
    };

    /// <summary>
    /// AdamW's peak rate for pre-training the encoder. Measured on the quick split (seed 0, video + caption, 124-186
    /// steps, linear probes on the states): at 2e-3 the caption terms took the states over and no video criterion was
    /// readable from them (AUC 0.45-0.55 on blur, flicker, lighting); at 5e-4 and 2e-4 de-focus blur reached 0.79-0.82
    /// and lighting 0.65, still rising with steps. Adam moves every weight by about the rate each step whatever the size
    /// of its gradient, so the vision side, whose gradient is the small one, drifted at the high rate.
    /// </summary>
    public const double PretrainLearningRate = 3e-4;

    /// <summary>
    /// AdamW's peak rate for pre-training the v2 encoder, chosen on val from {3e-4, 1e-3} (quick split, seed 0, class-
    /// balanced criteria term, 186 steps): mean probe AUC over the 16 criteria with at least 20 bad and 20 good val videos
    /// 0.641 at 3e-4 and 0.684 at 1e-3 (before the detail statistic was added; 0.724 with it). v1 did not gain from the
    /// higher rate (0.549 against 0.556), so its rate stays.
    /// </summary>
    public const double PretrainLearningRateV2 = 1e-3;

    /// <summary>The pre-training frame mix: every count of the ablation under both rules, the paper's 8 twice as often.</summary>
    static IReadOnlyList<FrameChoice> DefaultFrameMix =>
    [
        new(2, FrameSampling.PaperLinspace), new(4, FrameSampling.PaperLinspace), FrameChoice.Paper, FrameChoice.Paper,
        new(16, FrameSampling.PaperLinspace), new(2, FrameSampling.InclusiveUniform), new(4, FrameSampling.InclusiveUniform),
        new(8, FrameSampling.InclusiveUniform),
    ];

    public static ExperimentSettings For(RunMode mode) => mode == RunMode.Quick ? Quick : Full;

    public static ExperimentSettings For(Workbook workbook) => For(workbook.Mode);

    /// <summary>The training config of a head on frozen states: every stage at <paramref name="learningRate"/>, the
    /// variant's loss modes and switches, the shared batch, epochs and warm-up, one torch thread.</summary>
    public TrainConfig HeadConfig(HeadVariant variant, long seed, double learningRate) => new()
    {
        Preset = $"experiments-{Mode.ToString().ToLowerInvariant()}",
        Model = variant.ToModelSettings(this),
        Stages = variant.Stages.Select(stage => new StageSettings
        {
            Stage = stage,
            Epochs = Head.EpochsPerStage,
            LearningRate = learningRate,
            WarmupSteps = Head.WarmupSteps,
            LossMode = variant.LossModes[stage - 1],
            BceBadLabel = variant.BadLabel,
            GateLosses = variant.GateLosses,
            AspectGateBalance = stage == 3 ? variant.GateBalance : 0,
        }).ToList(),
        BatchSize = Head.BatchSize,
        Seed = seed,
        Threads = 1,
        EvalBatchSize = 256,
    };

    /// <summary>One line per setting, printed by the notebooks beside their results.</summary>
    public string Describe() => string.Join("\n",
    [
        $"mode {Mode.ToString().ToLowerInvariant()}; seeds {string.Join(", ", Seeds)} (main), {string.Join(", ", AblationSeeds)} (ablations), " +
        $"{string.Join(", ", ControlSeeds)} (modality controls); " +
        $"families {string.Join(", ", Families.Select(f => f.Name()))} (ablations: {string.Join(", ", AblationFamilies.Select(f => f.Name()))})",
        $"backbone {Backbone.Describe()}",
        Invariant($"pre-training: {Pretrain.Epochs} epochs over the training videos, {Pretrain.BatchVideos} videos a step, AdamW lr {Pretrain.LearningRate:G3} ") +
        Invariant($"(cosine, {Pretrain.WarmupSteps} warm-up steps, weight decay {Pretrain.WeightDecay}), frames drawn from ") +
        $"{{{string.Join(", ", Pretrain.FrameMix.Select(f => f.Key))}}}",
        Invariant($"heads: gating MLP {GatingHiddenLayers} x {GatingHiddenDim}, {Head.EpochsPerStage} epochs per stage, {Head.BatchSize} pairs a step, ") +
        $"{Head.WarmupSteps} warm-up steps, learning rate chosen on val from {{{string.Join(", ", Head.LearningRateGrid.Select(r => r.ToString("G3", CultureInfo.InvariantCulture)))}}}",
        Invariant($"end to end: {EndToEnd.EpochsPerStage} epochs per stage, {EndToEnd.BatchSize} pairs a step, lr {EndToEnd.LearningRate:G3}"),
        Invariant($"trainable fusion: {string.Join(", ", Fusion.Judges.Select(JudgeNames.Name))} on {string.Join(", ", Fusion.Families.Select(f => f.Name()))}, ") +
        Invariant($"seeds {string.Join(", ", Fusion.Seeds)}; the heads' epochs, batch and grid, the fusion at {FusionRecipe.FusionRateScale} of the head's rate"),
        $"{MaxParallel} head training(s) at a time, one torch thread each; pre-training, states export and the end-to-end run on {Pretrain.Threads}",
    ]);

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public string ToJson() => JsonSerializer.Serialize(this, TrainConfig.JsonOptions);
}

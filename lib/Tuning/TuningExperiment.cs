using System.Diagnostics;
using MjVideo.Core;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Training;
using static TorchSharp.torch;

namespace MjVideo.Tuning;

/// <summary>One reward's part of the experiment: its checkpoint, its scale on the base model, and its tuning run.</summary>
public sealed record RewardResult(RewardCheckpoint Checkpoint, (double Mean, double Std) Scale, TuningRun Run, byte[][][] StripFrames)
{
    public string Name => JudgeNames.Name(Checkpoint.Judge);
    public string DisplayName => JudgeNames.Display(Checkpoint.Judge);
    public EvaluationPoint Base => Run.Evaluations[0];
    public EvaluationPoint Final => Run.Evaluations[^1];
}

/// <summary>Everything an experiment produced: the config, the oracle's agreement with SynthBench, the base model's
/// pre-training, each reward's result, the frame strips' captions and base frames, where the results record went, and the
/// time each phase took.</summary>
public sealed record TuningReport(
    TuningConfig Config,
    RunMode Mode,
    OracleValidationResult OracleValidation,
    PretrainingResult Pretraining,
    IReadOnlyList<RewardResult> Rewards,
    IReadOnlyList<string> StripCaptions,
    byte[][][] BaseStripFrames,
    IReadOnlyDictionary<string, TimeSpan> PhaseTimes,
    string? ResultsPath)
{
    /// <summary>The base model's evaluation (oracle verdicts are the same under every reward; the proxy is the first reward's).</summary>
    public EvaluationPoint Base => Rewards[0].Base;

    public RewardResult Reward(JudgeKind judge) => Rewards.Single(r => r.Checkpoint.Judge == judge);
}

/// <summary>
/// The Table 3 analogue (paper-digest 4.3, DESIGN 4 "Tuning"), end to end:
/// <list type="number">
/// <item>the oracle, validated against SynthBench's labels before it is trusted (<see cref="OracleValidation"/>);</item>
/// <item>reward models: the compared judges trained on SynthBench (<see cref="RewardModels"/>);</item>
/// <item>the base generator pre-trained to imitate SynthBench, mistakes included (<see cref="GeneratorPretraining"/>);</item>
/// <item>the held-out evaluation set (<see cref="TuningEvaluator"/>) and each reward's scale on base-model clips of
/// training captions;</item>
/// <item>for each reward, a copy of the base model tuned with the same settings (<see cref="RewardTuner"/>), evaluated
/// every few steps on the held-out clips: proxy reward, oracle alignment and quality, distance from the base model;</item>
/// <item>the record in results/ (<see cref="ResultsStore"/>, kind "tuning"); the notebook and the command line draw their
/// tables and figures from the returned report (<see cref="TuningReports"/>).</item>
/// </list>
/// Seeded throughout: the same config gives the same numbers at the same thread count.
/// </summary>
public static class TuningExperiment
{
    public const string ResultKind = "tuning";

    public static async Task<TuningReport> RunAsync(Workbook workbook, TuningConfig config, IProgress<TuningProgress>? progress = null,
        IReadOnlyDictionary<JudgeKind, string>? rewardCheckpoints = null, CancellationToken cancellation = default)
    {
        config.Validate();
        set_num_threads(config.Threads);
        var phases = new Dictionary<string, TimeSpan>();
        var clock = Stopwatch.StartNew();
        void EndPhase(string name)
        {
            // Phases are minutes long and each leaves freed tensors behind (reward training most of all): give the memory
            // back before the next one builds its own, or the process's peak is the sum of what the phases kept.
            MemoryRelease.AfterPhase();
            phases[name] = clock.Elapsed;
            clock.Restart();
        }

        progress?.Report(new TuningProgress("oracle", 0, 1, $"validating the oracle on {config.OracleValidationPairs} SynthBench pairs ..."));
        var validation = OracleValidation.Run(config.SynthSeed, config.OracleValidationPairs);
        progress?.Report(new TuningProgress("oracle", 1, 1, $"oracle validated on {validation.Videos} videos"));
        EndPhase("oracle validation");

        var checkpoints = rewardCheckpoints is null
            ? await RewardModels.EnsureAsync(workbook, config.RewardTraining, config.Rewards, progress, cancellation)
            : config.Rewards.Select(j => Given(j, rewardCheckpoints)).ToList();
        set_num_threads(config.Threads);
        EndPhase("reward models");

        var rewards = new List<DifferentiableReward>();
        try
        {
            foreach (var checkpoint in checkpoints) rewards.Add(DifferentiableReward.Load(checkpoint.Directory));
            var preprocessing = rewards[0].Preprocessing;
            if (rewards.Any(r => r.Preprocessing != preprocessing))
                throw new InvalidDataException("the reward models read clips of different shapes; the generator renders one: " +
                                               string.Join(", ", rewards.Select(r => $"{r.Name}: {r.Preprocessing.Describe()}")));
            if (preprocessing.Width != preprocessing.Height)
                throw new InvalidDataException($"the generator renders square frames; the rewards read {preprocessing.Describe()}");
            var frameTimes = GeneratorLayout.FrameTimes(preprocessing);

            using var generator = new SceneGenerator(config.GeneratorHiddenSize, config.GeneratorSeed);
            var pretraining = GeneratorPretraining.Train(generator, config.Pretraining, config.SynthSeed, frameTimes,
                new Progress<(int Epoch, double TrainNll, double ValNll)>(p => progress?.Report(new TuningProgress("pretrain", p.Epoch,
                    config.Pretraining.Epochs, $"epoch {p.Epoch}: NLL train {p.TrainNll:F3}, val {p.ValNll:F3}"))));
            using var baseModel = generator.FrozenCopy();
            EndPhase("base generator");

            using var renderer = new SoftRenderer(preprocessing.Width);
            var trainCaptions = TuningCaptions.FromSplit(config.SynthSeed, "train", config.TrainCaptions);
            var evalCaptions = TuningCaptions.FromSplit(config.SynthSeed, "test", config.EvalCaptions);
            using var evaluator = new TuningEvaluator(evalCaptions, config.DrawsPerCaption, config.EvalNoiseSeed, baseModel, renderer, frameTimes);
            using (var calibration = new TuningEvaluator(trainCaptions.Take(config.CalibrationClips).ToList(), 1,
                       RewardTuner.StepSeed(config.Tuning.Seed, 0, 2), baseModel, renderer, frameTimes))
                foreach (var reward in rewards) reward.Calibrate(calibration.RawScores(reward, baseModel));
            var stripIndices = Enumerable.Range(0, config.StripCaptions).Select(c => c * config.DrawsPerCaption).ToArray();
            var baseStrip = stripIndices.Select(i => evaluator.BaseFrames[i]).ToArray();
            EndPhase("evaluation set");

            var results = new List<RewardResult>();
            foreach (var (reward, checkpoint) in rewards.Zip(checkpoints))
            {
                using var policy = baseModel.Copy(trainable: true);
                var phase = $"tune {reward.Name}";
                var run = RewardTuner.Tune(policy, baseModel, reward, trainCaptions, evaluator, config.Tuning, renderer, frameTimes,
                    new Progress<(int Step, TuningStep? Last, EvaluationPoint? Evaluation)>(p => progress?.Report(new TuningProgress(phase, p.Step,
                        config.Tuning.Steps, p.Evaluation is { } e
                            ? $"{reward.Name} step {p.Step}: proxy {e.Proxy.Value:F2}, aligned {100 * e.Alignment.Value:F1}%, good quality {100 * e.Quality.Value:F1}%, KL {e.Kl.Value:F2}"
                            : $"{reward.Name} step {p.Step}: reward {p.Last?.Reward:F2}, KL {p.Last?.Kl:F2}"))),
                    cancellation);
                var tunedFrames = evaluator.Render(policy);
                results.Add(new RewardResult(checkpoint, reward.Scale, run, stripIndices.Select(i => tunedFrames[i]).ToArray()));
                EndPhase(phase);
            }

            var report = new TuningReport(config, workbook.Mode, validation, pretraining, results,
                stripIndices.Select(i => evaluator.CaptionTexts[i]).ToList(), baseStrip, phases, null);
            var record = ResultsStore.Create(ResultKind, workbook.Mode.ToString().ToLowerInvariant(), workbook,
                TuningReports.ConfigJson(report), TuningReports.MetricsJson(report), SynthConfig.Version);
            return report with { ResultsPath = ResultsStore.For(workbook).Write(record) };
        }
        finally
        {
            foreach (var reward in rewards) reward.Dispose();
        }
    }

    static RewardCheckpoint Given(JudgeKind judge, IReadOnlyDictionary<JudgeKind, string> checkpoints)
    {
        if (!checkpoints.TryGetValue(judge, out var directory))
            throw new ArgumentException($"no checkpoint given for the reward {JudgeNames.Name(judge)}");
        var checkpoint = TrainingCheckpoint.Read(directory);
        if (checkpoint.Config.Model.Judge != judge)
            throw new InvalidDataException($"{checkpoint.Directory}: holds a {checkpoint.Info.Judge} judge, given as the {JudgeNames.Name(judge)} reward");
        var lastStage = checkpoint.Config.Stages[^1].Stage;
        var selected = checkpoint.History.Where(e => e.Stage == lastStage).LastOrDefault(e => e.Improved);
        return new RewardCheckpoint(judge, checkpoint.Directory, false, selected?.ValStrictAccuracy ?? double.NaN, selected?.ValDecisivePairs ?? 0);
    }
}

using MjVideo.Backbones;
using MjVideo.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MjVideo.Core;

namespace MjVideo.Training;

/// <summary>
/// Trains a judge (any <see cref="IBackbone"/> with its head) through the configured stages (paper-digest 2.4-2.5, DESIGN 6):
/// <list type="number">
/// <item>per stage, exactly the parameters the stage trains get gradients (<see cref="RewardModel.PrepareForStage"/>) and a new
/// AdamW over them; the learning rate follows a cosine schedule with linear warm-up (<see cref="CosineSchedule"/>);</item>
/// <item>per optimizer step, <see cref="TrainConfig.BatchSize"/> x <c>GradientAccumulation</c> pairs in the order of the
/// epoch's seeded permutation (<see cref="DataOrder"/>); each micro-batch's loss (a mean over its pairs) is scaled by its
/// share of the step's pairs, so the step's gradient is that of the mean over the step's pairs however it is split;
/// then clipping by total norm and the step;</item>
/// <item>after each epoch, val strict overall accuracy and val stage loss; the stage keeps its best epoch
/// (<see cref="Selection"/>) and optionally stops early; the next stage starts from the best weights;</item>
/// <item>a checkpoint after every epoch (and every <see cref="TrainConfig.CheckpointEverySteps"/>), from which a run
/// resumes to a bit-identical result at the same thread count;</item>
/// <item>a NaN or infinite loss, gradient norm or hidden state stops the run with a <see cref="TrainingDivergedException"/>
/// before the optimizer step, so the last checkpoint stays good.</item>
/// </list>
/// Nothing is chosen on test data: the trainer only sees train and val.
/// </summary>
public sealed class StagedTrainer
{
    readonly TrainConfig config;
    readonly ITrainingMonitor monitor;

    public StagedTrainer(TrainConfig config, ITrainingMonitor? monitor = null)
    {
        config.Validate();
        this.config = config;
        this.monitor = monitor ?? new SilentMonitor();
    }

    public TrainConfig Config => config;

    /// <summary>Runs the configured stages from the model's current weights, writing checkpoints to <paramref name="checkpointDirectory"/>.</summary>
    /// <param name="backboneSpec">how to rebuild the model's backbone (saved in the checkpoint for <see cref="TrainedJudge"/>)</param>
    public TrainResult Train(RewardModel model, BackboneSpec backboneSpec, TrainingData train, TrainingData val, string checkpointDirectory,
        TrainRunOptions? options = null, CancellationToken cancellation = default)
    {
        CheckModel(model);
        // Only backbones with dropout or other sampling draw from torch's global generator; seeding it keeps them repeatable.
        manual_seed(config.Seed);
        var run = new Run(this, model, backboneSpec, train, val, Path.GetFullPath(checkpointDirectory), options ?? new TrainRunOptions(),
            new TrainingProgress(), [], [], best: null, resumeFrom: null);
        return run.Execute(cancellation);
    }

    /// <summary>
    /// Continues a run from its checkpoint. <paramref name="model"/> must come from <see cref="TrainingCheckpoint.CreateModel"/>
    /// of the same checkpoint, the trainer from its config, and the data must be the same (checked by fingerprint).
    /// </summary>
    public TrainResult Resume(RewardModel model, TrainingData train, TrainingData val, TrainingCheckpoint checkpoint,
        TrainRunOptions? options = null, CancellationToken cancellation = default)
    {
        CheckModel(model);
        if (checkpoint.Config.ToJson() != config.ToJson())
            throw new ArgumentException($"{checkpoint.Directory}: its config differs from this trainer's; build the trainer from checkpoint.Config");
        var info = checkpoint.Info;
        if (info.TrainFingerprint != train.Fingerprint || info.TrainPairs != train.Count)
            throw new ArgumentException(
                $"{checkpoint.Directory}: trained on {info.TrainSource} ({info.TrainPairs} pairs, fingerprint {info.TrainFingerprint}), " +
                $"given {train.Dataset.SourceFile} ({train.Count} pairs, fingerprint {train.Fingerprint})");
        if (info.ValFingerprint != val.Fingerprint || info.ValPairs != val.Count)
            throw new ArgumentException(
                $"{checkpoint.Directory}: validated on {info.ValSource} ({info.ValPairs} pairs, fingerprint {info.ValFingerprint}), " +
                $"given {val.Dataset.SourceFile} ({val.Count} pairs, fingerprint {val.Fingerprint})");
        checkpoint.RestoreRandomState();
        var best = info.HasBestWeights ? checkpoint.ReadBest() : null;
        var run = new Run(this, model, info.Backbone, train, val, checkpoint.Directory, options ?? new TrainRunOptions(),
            info.Progress, checkpoint.History.ToList(), checkpoint.Trace.ToList(), best, checkpoint);
        return run.Execute(cancellation);
    }

    void CheckModel(RewardModel model)
    {
        if (model.Settings != config.Model)
            throw new ArgumentException($"the model was built with {model.Settings}, the config asks for {config.Model}");
    }

    sealed class SilentMonitor : ITrainingMonitor;


    /// <summary>One call's state: the model, data, progress and the records so far.</summary>
    sealed class Run(
        StagedTrainer trainer, RewardModel model, BackboneSpec backboneSpec, TrainingData train, TrainingData val, string directory,
        TrainRunOptions options, TrainingProgress progress, List<EpochRecord> history, List<StepRecord> trace,
        Dictionary<string, Tensor>? best, TrainingCheckpoint? resumeFrom)
    {
        readonly TrainConfig config = trainer.config;
        readonly ITrainingMonitor monitor = trainer.monitor;
        readonly Device device = options.Device ?? CPU;
        string? lastCheckpoint = resumeFrom?.Directory;
        int? lastCheckpointStep = resumeFrom?.Info.Progress.GlobalStep;

        public TrainResult Execute(CancellationToken cancellation)
        {
            if (options.PauseAfterStep is { } pause && pause <= progress.GlobalStep)
                throw new ArgumentException($"PauseAfterStep = {pause}, but the run is already at step {progress.GlobalStep}");
            set_num_threads(config.Threads);
            try
            {
                while (!progress.Completed)
                    if (RunStage(cancellation)) return Result(TrainOutcome.Paused);
                return Result(TrainOutcome.Completed);
            }
            finally
            {
                DisposeBest();
            }
        }

        /// <summary>Runs (the rest of) the current stage; true when paused.</summary>
        bool RunStage(CancellationToken cancellation)
        {
            var settings = config.Stages[progress.StageIndex];
            var stage = settings.TrainingStage;
            var lossOptions = settings.LossOptions();
            model.PrepareForStage(stage);
            model.train();
            var trained = model.ParametersTrainedIn(stage);
            if (trained.Count == 0)
                throw new InvalidOperationException(
                    $"stage {settings.Stage} trains no parameter of the {JudgeNames.Name(config.Model.Judge)} judge on backbone {model.Backbone.Id}");
            var parameters = trained.Select(t => t.Parameter).ToList();
            using var optimizer = settings.BackboneRateScale is null || !trained.Any(t => IsBackbone(t.Name))
                ? optim.AdamW(parameters, settings.LearningRate, config.AdamBeta1, config.AdamBeta2, config.AdamEpsilon, config.WeightDecay)
                : optim.AdamW(new[]
                {
                    new AdamW.ParamGroup(trained.Where(t => !IsBackbone(t.Name)).Select(t => t.Parameter).ToList(), lr: settings.LearningRate),
                    new AdamW.ParamGroup(trained.Where(t => IsBackbone(t.Name)).Select(t => t.Parameter).ToList(), lr: settings.LearningRate),
                }, settings.LearningRate, config.AdamBeta1, config.AdamBeta2, config.AdamEpsilon, config.WeightDecay);
            if (resumeFrom is not null)
            {
                if (resumeFrom.Info.HasOptimizerState) resumeFrom.LoadOptimizer(optimizer);
                resumeFrom = null;
            }

            var stepSize = config.BatchSize * settings.GradientAccumulation;
            var stepsPerEpoch = (train.Count + stepSize - 1) / stepSize;
            var totalSteps = stepsPerEpoch * settings.Epochs;
            var (headCount, backboneCount) = model.TrainableCounts(stage);
            monitor.StageStarted(new StageStart(settings.Stage, progress.StageIndex, settings.Epochs, stepsPerEpoch, headCount, backboneCount,
                progress.Epoch, progress.StageStep));

            while (true)
            {
                var order = DataOrder.Permutation(config.Seed, settings.Stage, progress.Epoch, train.Count);
                while (progress.Position < train.Count)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        Save(optimizer);
                        cancellation.ThrowIfCancellationRequested();
                    }
                    var group = order[progress.Position..Math.Min(train.Count, progress.Position + stepSize)];
                    var record = Step(group, settings, lossOptions, optimizer, parameters, totalSteps);
                    progress.Position += group.Length;
                    progress.StageStep++;
                    progress.GlobalStep++;
                    trace.Add(record);
                    monitor.StepCompleted(record);

                    var epochEnded = progress.Position == train.Count;
                    var stageEnded = epochEnded && EndEpoch(settings, lossOptions);
                    if (stageEnded) EndStage();
                    var pause = options.PauseAfterStep == progress.GlobalStep;
                    if (epochEnded || pause || (config.CheckpointEverySteps > 0 && progress.GlobalStep % config.CheckpointEverySteps == 0))
                        Save(stageEnded ? null : optimizer);
                    if (pause && !progress.Completed) return true;
                    if (stageEnded) return false;
                    if (epochEnded) break;
                }
            }
        }

        static bool IsBackbone(string name) => name.StartsWith("backbone.", StringComparison.Ordinal);

        StepRecord Step(int[] group, StageSettings settings, LossOptions lossOptions, AdamW optimizer, List<Parameter> parameters, int totalSteps)
        {
            using var scope = NewDisposeScope();
            var step = progress.GlobalStep + 1;
            optimizer.zero_grad();
            var loss = 0.0;
            for (var start = 0; start < group.Length; start += config.BatchSize)
            {
                var micro = group[start..Math.Min(group.Length, start + config.BatchSize)];
                using var inputs = train.SelectPairs(micro);
                using var targets = train.TargetsOf(micro, device);
                JudgeOutput output;
                try
                {
                    output = model.Forward(inputs);
                }
                catch (NonFiniteStatesException e)
                {
                    throw Diverged(step, settings, $"{e.Message} on pairs {PairIds(micro)}");
                }
                var b = micro.Length;
                using var stageLoss = model.Loss(settings.TrainingStage, output.Rows(0, b), output.Rows(b, b), targets, lossOptions);
                var value = stageLoss.Terms[LossTerm.Total];
                if (!double.IsFinite(value)) throw Diverged(step, settings, $"the loss is {value} on pairs {PairIds(micro)}");
                // The micro-batch loss is a mean over its b pairs; b / |group| makes the step's gradient the mean over the group.
                var share = b / (double)group.Length;
                using var scaled = stageLoss.Total * share;
                scaled.backward();
                loss += value * share;
            }
            var learningRate = settings.LearningRate * CosineSchedule.Factor(progress.StageStep, settings.WarmupSteps, totalSteps);
            var groupIndex = 0;
            foreach (var parameterGroup in optimizer.ParamGroups)
                parameterGroup.LearningRate = groupIndex++ == 1 ? learningRate * (settings.BackboneRateScale ?? 1) : learningRate;
            var norm = ClipGradients(parameters, config.MaxGradNorm);
            if (!double.IsFinite(norm)) throw Diverged(step, settings, $"the gradient norm is {norm}");
            optimizer.step();
            return new StepRecord(step, settings.Stage, progress.Epoch, progress.StageStep + 1, learningRate, loss, norm);
        }

        /// <summary>
        /// The total L2 norm of the gradients, then scaling by max / (norm + 1e-6) when that is below 1, as PyTorch's
        /// clip_grad_norm_ (which the HF Trainer calls with max_grad_norm); parameters without a gradient are skipped.
        /// </summary>
        static double ClipGradients(List<Parameter> parameters, double maxNorm)
        {
            using var scope = NewDisposeScope();
            var gradients = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
            if (gradients.Count == 0) return 0;
            var norm = (double)stack(gradients.Select(g => g.detach().norm()).ToArray()).norm().item<float>();
            var coefficient = maxNorm / (norm + 1e-6);
            if (maxNorm > 0 && coefficient < 1)
                using (no_grad())
                    foreach (var gradient in gradients) HeldScalars.With(coefficient, s => gradient.mul_(s));
            return norm;
        }

        /// <summary>Validates after an epoch and keeps the stage's best; true when the stage is over.</summary>
        bool EndEpoch(StageSettings settings, LossOptions lossOptions)
        {
            var metrics = Validation.Evaluate(model, val, settings.TrainingStage, lossOptions, config.EvalBatchSize, device);
            if (!double.IsFinite(metrics.Loss))
                throw Diverged(progress.GlobalStep, settings, $"the val loss after epoch {progress.Epoch + 1} is {metrics.Loss}");
            var epoch = progress.Epoch;
            var trainLoss = trace.Where(t => t.Stage == settings.Stage && t.Epoch == epoch).Average(t => t.Loss);
            var improved = progress.Best is null
                || EpochSelection.IsBetter(metrics.StrictAccuracy, metrics.Loss, progress.Best, SelectionFor(progress.StageIndex));
            var record = new EpochRecord(settings.Stage, epoch, progress.GlobalStep, trainLoss, metrics.Loss, metrics.StrictAccuracy,
                metrics.DecisivePairs, improved);
            history.Add(record);
            if (improved)
            {
                DisposeBest();
                best = model.FullState().ToDictionary(e => e.Key, e => e.Value.detach().clone());
                progress.Best = record;
                progress.EpochsWithoutImprovement = 0;
            }
            else
            {
                progress.EpochsWithoutImprovement++;
            }
            monitor.EpochCompleted(record);
            progress.Epoch++;
            progress.Position = 0;
            return progress.Epoch >= settings.Epochs || (config.Patience > 0 && progress.EpochsWithoutImprovement >= config.Patience);
        }

        Selection SelectionFor(int stageIndex) => config.SelectBy switch
        {
            Selection.Auto => stageIndex == config.Stages.Count - 1 ? Selection.Accuracy : Selection.Loss,
            var chosen => chosen,
        };

        /// <summary>Puts the stage's best weights back and moves on to the next stage.</summary>
        void EndStage()
        {
            TrainingCheckpoint.CopyState(best!, model.FullState(), "the stage's best weights");
            DisposeBest();
            progress.StageIndex++;
            progress.Epoch = 0;
            progress.Position = 0;
            progress.StageStep = 0;
            progress.Best = null;
            progress.EpochsWithoutImprovement = 0;
            progress.Completed = progress.StageIndex == config.Stages.Count;
        }

        void Save(AdamW? optimizer)
        {
            var lastStage = config.Stages[Math.Min(progress.StageIndex, config.Stages.Count - 1)].TrainingStage;
            var h = model.Backbone.HiddenSize;
            var info = new CheckpointInfo
            {
                Judge = JudgeNames.Name(config.Model.Judge),
                Routing = model.Routing is { } routing ? JudgeNames.RoutingName(routing) : null,
                HiddenSize = h,
                BackboneId = model.Backbone.Id,
                Backbone = backboneSpec,
                AdapterWidth = model.Adapter?.Width,
                HeadTrainableParameters = model.TrainableCounts(lastStage).Head,
                MjVideoHeadTrainableParameters = CapacityMatching.MjVideoHeadTrainable(h, config.Model.GatingHiddenDim, config.Model.GatingHiddenLayers),
                Progress = progress,
                TrainSource = train.Dataset.SourceFile,
                TrainPairs = train.Count,
                TrainFingerprint = train.Fingerprint,
                ValSource = val.Dataset.SourceFile,
                ValPairs = val.Count,
                ValFingerprint = val.Fingerprint,
                HasOptimizerState = optimizer is not null,
                HasBestWeights = optimizer is not null && best is not null,
            };
            TrainingCheckpoint.Write(directory, new TrainingCheckpoint.State(info, config, model, history, trace, optimizer,
                info.HasBestWeights ? best : null));
            lastCheckpoint = directory;
            lastCheckpointStep = progress.GlobalStep;
            monitor.CheckpointWritten(directory, progress.GlobalStep);
        }

        TrainingDivergedException Diverged(int step, StageSettings settings, string what) =>
            new(step, settings.Stage, progress.Epoch, what, trace.Count > 0 ? trace[^1] : null, lastCheckpoint, lastCheckpointStep);

        string PairIds(int[] pairs) => string.Join(", ", pairs.Select(p => train.Dataset.Pairs[p].Id));

        TrainResult Result(TrainOutcome outcome)
        {
            var finished = config.Stages.Take(progress.StageIndex).Select(s => s.Stage).ToHashSet();
            var selected = history.Where(e => finished.Contains(e.Stage)).GroupBy(e => e.Stage)
                .Select(g => g.Last(e => e.Improved)).ToList();
            return new TrainResult(outcome, directory, progress.GlobalStep, history.ToList(), trace.ToList(), selected);
        }

        void DisposeBest()
        {
            if (best is null) return;
            foreach (var tensor in best.Values) tensor.Dispose();
            best = null;
        }
    }
}

/// <summary>The rule that compares two val results, for a stage's epochs and for hyper-parameter candidates alike.</summary>
public static class EpochSelection
{
    /// <summary>By accuracy: higher accuracy wins, and equal (or undefined) accuracy falls back to the lower val loss.
    /// By loss: the lower val loss wins.</summary>
    public static bool IsBetter(double accuracy, double loss, EpochRecord best, Selection by)
    {
        if (by == Selection.Loss) return loss < best.ValLoss;
        if (!double.IsNaN(accuracy) && !double.IsNaN(best.ValStrictAccuracy) && accuracy != best.ValStrictAccuracy)
            return accuracy > best.ValStrictAccuracy;
        return loss < best.ValLoss;
    }
}

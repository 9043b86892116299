namespace MjVideo.Training;

/// <summary>One optimizer step of the loss trace. <see cref="Loss"/> is the stage loss averaged over the step's pairs,
/// <see cref="GradNorm"/> the total L2 norm of the trained parameters' gradients before clipping.</summary>
public sealed record StepRecord(int Step, int Stage, int Epoch, int StageStep, double LearningRate, double Loss, double GradNorm);

/// <summary>
/// One epoch's validation result. <see cref="TrainLoss"/> is the mean of the epoch's step losses; <see cref="ValLoss"/> the
/// stage loss averaged over val pairs; <see cref="ValStrictAccuracy"/> the strict overall preference accuracy on the
/// <see cref="ValDecisivePairs"/> decisive val pairs (NaN when there are none). <see cref="Improved"/>: the epoch became the
/// stage's best when it ended (the stage keeps its last improved epoch).
/// </summary>
public sealed record EpochRecord(int Stage, int Epoch, int Step, double TrainLoss, double ValLoss, double ValStrictAccuracy,
    int ValDecisivePairs, bool Improved);

/// <summary>
/// Where a run stands, enough to resume it exactly: the stage (index into the config's stages), the epoch within it, how
/// many pairs of that epoch's permutation were consumed, the step counters (the scheduler's state is the stage step), the
/// stage's best epoch so far and the early-stopping counter. The permutation itself is recomputed from the run's seed,
/// the stage and the epoch (<see cref="DataOrder"/>).
/// </summary>
public sealed class TrainingProgress
{
    public int StageIndex { get; set; }
    public int Epoch { get; set; }
    public int Position { get; set; }
    public int StageStep { get; set; }
    public int GlobalStep { get; set; }
    public EpochRecord? Best { get; set; }
    public int EpochsWithoutImprovement { get; set; }
    public bool Completed { get; set; }
}

/// <summary>What a stage is about to train, for progress displays.</summary>
public sealed record StageStart(int Stage, int StageIndex, int Epochs, int StepsPerEpoch, long HeadParameters, long BackboneParameters,
    int FirstEpoch, int FirstStep);

/// <summary>Receives the trainer's events (every method optional). Called on the training thread.</summary>
public interface ITrainingMonitor
{
    void StageStarted(StageStart start) { }
    void StepCompleted(StepRecord step) { }
    void EpochCompleted(EpochRecord epoch) { }
    void CheckpointWritten(string directory, int step) { }
}

public enum TrainOutcome
{
    Completed,
    /// <summary>Stopped at <see cref="TrainRunOptions.PauseAfterStep"/> with a checkpoint to resume from.</summary>
    Paused,
}

/// <summary>
/// A run's result. <see cref="Selected"/> holds each finished stage's chosen epoch; the model passed to the trainer holds the
/// chosen weights of the last finished stage.
/// </summary>
public sealed record TrainResult(TrainOutcome Outcome, string CheckpointDirectory, int Steps, IReadOnlyList<EpochRecord> History,
    IReadOnlyList<StepRecord> Trace, IReadOnlyList<EpochRecord> Selected);

/// <summary>Options of one trainer call that are not part of the run's config (they do not change its result).</summary>
public sealed record TrainRunOptions
{
    /// <summary>Stop after this global step, writing the checkpoint (to split a run, or to test resuming).</summary>
    public int? PauseAfterStep { get; init; }

    /// <summary>Where targets are placed; the model and the prepared inputs must already be there (the CPU by default).</summary>
    public TorchSharp.torch.Device? Device { get; init; }
}

/// <summary>
/// A NaN or infinite loss, gradient norm, validation loss or hidden state stopped the run. Names the step that failed, its
/// stage and epoch, the last finite step loss, and the last checkpoint written (left as it was, with good weights).
/// </summary>
public sealed class TrainingDivergedException(int step, int stage, int epoch, string what, StepRecord? lastFiniteStep,
    string? lastCheckpoint, int? lastCheckpointStep)
    : ArithmeticException(Describe(step, stage, epoch, what, lastFiniteStep, lastCheckpoint, lastCheckpointStep))
{
    /// <summary>The optimizer step that failed (1-based, counted over the whole run).</summary>
    public int Step { get; } = step;
    public int Stage { get; } = stage;
    /// <summary>The epoch within the stage (0-based).</summary>
    public int Epoch { get; } = epoch;
    /// <summary>The last step whose loss was finite (null when no step had finished).</summary>
    public StepRecord? LastFiniteStep { get; } = lastFiniteStep;
    public double? LastFiniteLoss => LastFiniteStep?.Loss;
    public string? LastCheckpoint { get; } = lastCheckpoint;
    public int? LastCheckpointStep { get; } = lastCheckpointStep;

    static string Describe(int step, int stage, int epoch, string what, StepRecord? last, string? checkpoint, int? checkpointStep) =>
        $"training diverged at step {step} (stage {stage}, epoch {epoch + 1}): {what}; " +
        (last is null ? "no step had finished; " : $"the last finite loss was {last.Loss:R} at step {last.Step}; ") +
        (checkpoint is null ? "no checkpoint had been written" : $"the last good checkpoint is {checkpoint} (step {checkpointStep})");
}

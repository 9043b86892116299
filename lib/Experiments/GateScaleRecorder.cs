using MjVideo.Training;
using TorchSharp.PyBridge;

namespace MjVideo.Experiments;

/// <summary>The routers' learnable scales (raw lambda, before the clamp at 1) when a checkpoint was written.</summary>
public sealed record GateScalePoint(int Step, int Stage, int Epoch, double? CriteriaScale, double? AspectScale);

/// <summary>
/// Follows the routers' scales over a training run: the trainer writes a checkpoint after every epoch, and this monitor
/// reads the two <c>logit_scale</c> entries back from the head file it just wrote (official names, so the recorder needs no
/// access to the model). Heads without routers record nothing.
/// </summary>
public sealed class GateScaleRecorder : ITrainingMonitor
{
    const string CriteriaScaleName = "criteria_gating.logit_scale";
    const string AspectScaleName = "aspect_gating.logit_scale";

    readonly List<GateScalePoint> points = [];
    EpochRecord? lastEpoch;

    public IReadOnlyList<GateScalePoint> Points => points;

    public void EpochCompleted(EpochRecord epoch) => lastEpoch = epoch;

    public void CheckpointWritten(string directory, int step)
    {
        var head = Path.Combine(directory, TrainingCheckpoint.HeadFile);
        if (!File.Exists(head) || lastEpoch is null) return;
        var state = Safetensors.LoadStateDict(head);
        try
        {
            double? Read(string name) => state.TryGetValue(name, out var t) ? t.item<float>() : null;
            var (criteria, aspect) = (Read(CriteriaScaleName), Read(AspectScaleName));
            if (criteria is null && aspect is null) return;
            points.Add(new GateScalePoint(step, lastEpoch.Stage, lastEpoch.Epoch, criteria, aspect));
        }
        finally
        {
            foreach (var tensor in state.Values) tensor.Dispose();
        }
    }
}

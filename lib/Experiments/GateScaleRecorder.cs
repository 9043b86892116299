using System.Globalization;
using MjVideo.Training;
using TorchSharp.PyBridge;

namespace MjVideo.Experiments;

/// <summary>The routers' learnable scales (raw lambda, before the clamp at 1) when a checkpoint was written.</summary>
public sealed record GateScalePoint(int Step, int Stage, int Epoch, double? CriteriaScale, double? AspectScale);

/// <summary>
/// Follows the routers' scales over a training run: the trainer writes a checkpoint after every epoch, and this monitor
/// reads the two <c>logit_scale</c> entries back from the head file it just wrote (official names, so the recorder needs no
/// access to the model). Heads without routers record nothing. Given a log, it also prints one line per epoch.
/// </summary>
/// <param name="log">receives "label: stage S epoch E: train loss, val loss, val strict" after every epoch; null prints nothing</param>
/// <param name="label">what the lines start with (a cell key)</param>
public sealed class GateScaleRecorder(Action<string>? log = null, string label = "") : ITrainingMonitor
{
    const string CriteriaScaleName = "criteria_gating.logit_scale";
    const string AspectScaleName = "aspect_gating.logit_scale";

    readonly List<GateScalePoint> points = [];
    EpochRecord? lastEpoch;

    public IReadOnlyList<GateScalePoint> Points => points;

    public void EpochCompleted(EpochRecord epoch)
    {
        lastEpoch = epoch;
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{label}: stage {epoch.Stage} epoch {epoch.Epoch + 1}: train loss {epoch.TrainLoss:F4}, val loss {epoch.ValLoss:F4}, val strict {100 * epoch.ValStrictAccuracy:F2}%"));
    }

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

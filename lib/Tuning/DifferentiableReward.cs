using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Training;
using static TorchSharp.torch;

namespace MjVideo.Tuning;

/// <summary>
/// A differentiable reward of rendered clips: what the tuner maximises and the evaluator reports as the proxy.
/// </summary>
public interface IClipReward
{
    /// <summary>A short name (the judge's command-line name).</summary>
    string Name { get; }

    /// <summary>The reward [B] of clips [B, T, 3, H, W] in [0, 1] for their captions, on a scale where the base model's clips
    /// have mean 0 and standard deviation 1; differentiable in the clips.</summary>
    Tensor Standardised(Tensor clips, IReadOnlyList<string> captions);
}

/// <summary>
/// A trained judge used as a frozen, differentiable reward: rendered clips and their captions go through the small
/// encoder (<see cref="TinyVideoTextBackbone.Forward(Tensor, IReadOnlyList{string})"/>) and the judge's head
/// (<see cref="RewardModel.Score"/>), and the score's gradient reaches the pixels. Every parameter is frozen (no gradient,
/// eval mode), so tuning changes only the generator.
/// <para>
/// Rewards differ in scale (MJ-Video's score, a Bradley-Terry logit, a sum of five regressed dimensions), so each is
/// standardised by its mean and spread over the base generator's clips (<see cref="Calibrate"/>): the same regulariser
/// weight then means the same trade-off for every reward, one base-sample standard deviation of reward against so many
/// nats of divergence from the base model.
/// </para>
/// </summary>
public sealed class DifferentiableReward : IClipReward, IDisposable
{
    readonly RewardModel model;
    readonly TinyVideoTextBackbone encoder;

    DifferentiableReward(TrainingCheckpoint checkpoint, RewardModel model, TinyVideoTextBackbone encoder)
    {
        Checkpoint = checkpoint;
        this.model = model;
        this.encoder = encoder;
        model.eval();
        foreach (var (_, parameter) in model.AllNamedParameters()) parameter.requires_grad = false;
    }

    /// <summary>Loads a judge trained on the small encoder (<c>tiny</c> backbone) from its checkpoint.</summary>
    public static DifferentiableReward Load(string checkpointDirectory)
    {
        var checkpoint = TrainingCheckpoint.Read(checkpointDirectory);
        if (!checkpoint.Info.Progress.Completed)
            throw new InvalidDataException($"{checkpoint.Directory}: the training run did not finish (step {checkpoint.Info.Progress.GlobalStep}); finish or resume it first");
        var backbone = BackboneFactory.Create(checkpoint.Info.Backbone);
        if (backbone is not TinyVideoTextBackbone tiny)
        {
            backbone.Dispose();
            throw new InvalidDataException(
                $"{checkpoint.Directory}: backbone {checkpoint.Info.BackboneId} is not the small encoder; only a judge on the 'tiny' backbone is differentiable from pixels");
        }
        try
        {
            return new DifferentiableReward(checkpoint, checkpoint.CreateModel(tiny), tiny);
        }
        catch
        {
            tiny.Dispose();
            throw;
        }
    }

    public TrainingCheckpoint Checkpoint { get; }

    /// <summary>The frozen judge (for inspection: tuning must leave it as loaded).</summary>
    public RewardModel Model => model;

    public JudgeKind Kind => Checkpoint.Config.Model.Judge;
    public string Name => JudgeNames.Name(Kind);
    public string DisplayName => JudgeNames.Display(Kind);

    /// <summary>The frames and size the encoder reads; the generator renders exactly these.</summary>
    public MjVideo.Video.Preprocessing Preprocessing => encoder.Config.Preprocessing;

    /// <summary>Mean and standard deviation of the raw score over the base generator's clips (0 and 1 before calibration).</summary>
    public (double Mean, double Std) Scale { get; private set; } = (0, 1);

    /// <summary>The raw scores [B] of clips [B, T, 3, H, W] in [0, 1] for their captions, differentiable in the clips.</summary>
    public Tensor RawScore(Tensor clips, IReadOnlyList<string> captions)
    {
        using var scope = NewDisposeScope();
        var states = encoder.Forward(clips, captions);
        using var output = model.Score(states);
        return output.Reward.Score.alias().MoveToOuterDisposeScope();
    }

    /// <summary>(raw - mean) / std, differentiable in the clips.</summary>
    public Tensor Standardised(Tensor clips, IReadOnlyList<string> captions)
    {
        using var scope = NewDisposeScope();
        return ((RawScore(clips, captions) - Scale.Mean) / Scale.Std).MoveToOuterDisposeScope();
    }

    /// <summary>Sets <see cref="Scale"/> from raw scores of base-model clips.</summary>
    public void Calibrate(IReadOnlyList<double> baseScores)
    {
        if (baseScores.Count < 2) throw new ArgumentException($"calibrating a reward needs at least 2 scores, got {baseScores.Count}");
        var mean = baseScores.Average();
        var std = Math.Sqrt(baseScores.Sum(s => (s - mean) * (s - mean)) / (baseScores.Count - 1));
        if (!double.IsFinite(std) || std < 1e-8)
            throw new InvalidOperationException($"reward {Name} gives the base model's clips the same score ({mean:G4}); it cannot be standardised or tuned against");
        Scale = (mean, std);
    }

    public void Dispose()
    {
        model.Dispose();
        encoder.Dispose();
    }
}

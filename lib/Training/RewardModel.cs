using MjVideo.Backbones;
using MjVideo.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <summary>What a judge computes for a batch of videos: the head's outputs and, for the VideoScore-style judge, its five
/// dimensions [B, 5] (whose sum is the score).</summary>
public sealed class JudgeOutput(RewardOutput reward, Tensor? dimensions) : IDisposable
{
    public RewardOutput Reward { get; } = reward;
    public Tensor? Dimensions { get; } = dimensions;

    public long BatchSize => Reward.BatchSize;

    /// <summary>Rows [start, start + length) of every output (views, not copies).</summary>
    public JudgeOutput Rows(long start, long length)
    {
        Tensor? Take(Tensor? t) => t?.narrow(0, start, length);
        var r = Reward;
        return new JudgeOutput(
            new RewardOutput(Take(r.Criteria), Take(r.AspectScores), Take(r.Score)!, Take(r.CriteriaWeights), Take(r.AspectWeights),
                Take(r.CriteriaLogits)),
            Take(Dimensions));
    }

    public void Dispose()
    {
        Reward.Dispose();
        Dimensions?.Dispose();
    }
}

/// <summary>A backbone produced NaN or infinite hidden states; the trainer reports it as a divergence.</summary>
public sealed class NonFiniteStatesException(string message) : ArithmeticException(message);

/// <summary>
/// A judge as one module: the backbone's trainable module and the judge's head (DESIGN 4). The head is the MJ-Video head
/// for MJ-Video and three baselines, configured per judge, so the gating, routing and loss code is shared:
/// <list type="bullet">
/// <item>mjvideo: the chosen routing (input-aware by default); <c>single</c> routing is the same model as bt-single.</item>
/// <item>bt-single: the single scalar head, trained with L_BT,overall alone in every stage.</item>
/// <item>multitask-single: uniform routing with both scales fixed at 1, so s_a is the mean of an aspect's criteria and the
/// score the mean of the aspects; staged losses as MJ-Video.</item>
/// <item>capacity-matched: multitask-single plus a <see cref="ResidualAdapter"/> on h_last whose width matches MJ-Video's
/// trainable head parameters (<see cref="CapacityMatching"/>).</item>
/// <item>videoscore: a <see cref="DimensionHead"/> with its own regression loss (<see cref="VideoScoreDimensions"/>).</item>
/// </list>
/// State names (<see cref="FullState"/>): <c>head.*</c> (official names inside), <c>adapter.*</c>, <c>dimensions.*</c>,
/// <c>backbone.*</c>. The backbone's module is not registered as a submodule, because disposing a module disposes its
/// submodules and the backbone belongs to whoever built it; <see cref="train"/>, <see cref="eval"/>,
/// <see cref="AllNamedParameters"/> and <see cref="FullState"/> include it by hand.
/// </summary>
public sealed class RewardModel : nn.Module
{
    // Registered by RegisterComponents under these names (a null one is not registered).
    MjVideoHead? head;
    ResidualAdapter? adapter;
    DimensionHead? dimensions;

    /// <summary>The uniform routers' scales, held at 1 for the no-gating baselines.</summary>
    static readonly string[] FixedUniformScales = ["criteria_gating.logit_scale", "aspect_gating.logit_scale"];

    public RewardModel(ModelSettings settings, IBackbone backbone, long seed) : base(nameof(RewardModel))
    {
        Settings = settings;
        Backbone = backbone;
        var h = backbone.HiddenSize;
        MjVideoHeadConfig HeadConfig(Routing routing) =>
            new(h, routing, settings.GatingHiddenDim, settings.GatingHiddenLayers, settings.GatingTemperature);
        switch (settings.Judge)
        {
            case JudgeKind.MjVideo:
                head = new MjVideoHead(HeadConfig(settings.Routing), seed);
                break;
            case JudgeKind.BtSingle:
                head = new MjVideoHead(HeadConfig(new Routing(RoutingStrategy.SingleScalarHead)), seed);
                break;
            case JudgeKind.MultitaskSingle:
                head = new MjVideoHead(HeadConfig(new Routing(RoutingStrategy.Uniform)), seed);
                break;
            case JudgeKind.CapacityMatched:
                head = new MjVideoHead(HeadConfig(new Routing(RoutingStrategy.Uniform)), seed);
                var target = CapacityMatching.MjVideoHeadTrainable(h, settings.GatingHiddenDim, settings.GatingHiddenLayers);
                adapter = new ResidualAdapter(h, CapacityMatching.AdapterWidthFor(h, target), DerivedSeed(seed, 1));
                break;
            case JudgeKind.VideoScore:
                dimensions = new DimensionHead(h, seed);
                break;
            default:
                throw new ArgumentException($"unknown judge kind {(int)settings.Judge}");
        }
        RegisterComponents();
    }

    public ModelSettings Settings { get; }

    public IBackbone Backbone { get; }

    /// <summary>The MJ-Video head (null for the VideoScore-style judge).</summary>
    public MjVideoHead? Head => head;

    public ResidualAdapter? Adapter => adapter;

    /// <summary>The routing the head actually uses (null for the VideoScore-style judge).</summary>
    public Routing? Routing => head?.Routing;

    /// <summary>A second seed from the run's seed for a part that needs its own stream.</summary>
    static long DerivedSeed(long seed, int part) => unchecked(seed * 1_000_003 + part);

    public override void train(bool on = true)
    {
        base.train(on);
        Backbone.Module.train(on);
    }

    public override void eval()
    {
        base.eval();
        Backbone.Module.eval();
    }

    /// <summary>Every parameter of the judge, the backbone's under "backbone.".</summary>
    public IEnumerable<(string Name, Parameter Parameter)> AllNamedParameters() =>
        named_parameters().Select(p => (p.name, p.parameter))
            .Concat(Backbone.Module.named_parameters().Select(p => ("backbone." + p.name, p.parameter)));

    /// <summary>Every parameter and buffer of the judge and its backbone (the tensors themselves, not copies).</summary>
    public Dictionary<string, Tensor> FullState()
    {
        var state = state_dict().ToDictionary(e => e.Key, e => e.Value);
        foreach (var (name, value) in Backbone.Module.state_dict()) state["backbone." + name] = value;
        return state;
    }

    /// <summary>Runs the backbone and the head on prepared inputs.</summary>
    public JudgeOutput Forward(BackboneInputs inputs)
    {
        using var scope = NewDisposeScope();
        var states = Backbone.Forward(inputs);
        var output = Score(states);
        output.Reward.Score.MoveToOuterDisposeScope();
        foreach (var t in new[] { output.Reward.Criteria, output.Reward.AspectScores, output.Reward.CriteriaWeights, output.Reward.AspectWeights,
                     output.Reward.CriteriaLogits, output.Dimensions })
            t?.MoveToOuterDisposeScope();
        return output;
    }

    /// <summary>
    /// Runs the head on hidden states the caller computed, e.g. with the small encoder's
    /// <c>TinyVideoTextBackbone.Forward(clips, captions)</c> on rendered clips: nothing is detached, so the score
    /// back-propagates into the states and whatever made them (reward-gradient tuning).
    /// </summary>
    public JudgeOutput Score(BackboneOutput states)
    {
        using var scope = NewDisposeScope();
        CheckFinite(states.HGate, "h_gate");
        CheckFinite(states.HLast, "h_last");
        var hLast = adapter is null ? states.HLast : adapter.forward(states.HLast);
        if (dimensions is not null)
        {
            var values = dimensions.forward(hLast);
            var score = values.sum(1);
            return new JudgeOutput(new RewardOutput(null, null, score.MoveToOuterDisposeScope(), null, null, null),
                values.MoveToOuterDisposeScope());
        }
        var reward = head!.forward(states.HGate, hLast);
        foreach (var t in new[] { reward.Criteria, reward.AspectScores, reward.Score, reward.CriteriaWeights, reward.AspectWeights, reward.CriteriaLogits })
            t?.MoveToOuterDisposeScope();
        return new JudgeOutput(reward, null);
    }

    void CheckFinite(Tensor state, string name)
    {
        using var scope = NewDisposeScope();
        var notFinite = (~isfinite(state.detach())).sum().item<long>();
        if (notFinite > 0)
            throw new NonFiniteStatesException(
                $"backbone {Backbone.Id} produced {notFinite} NaN or infinite value(s) in {name} ([{string.Join(", ", state.shape)}])");
    }

    /// <summary>The judge's loss for a stage, per pair and averaged over pairs (<see cref="StageLosses"/>).</summary>
    public StageLoss Loss(TrainingStage stage, JudgeOutput video0, JudgeOutput video1, TargetBatch targets, LossOptions options)
    {
        if (dimensions is not null)
        {
            using var scope = NewDisposeScope();
            var perPair = VideoScoreDimensions.Loss(stack([video0.Dimensions!, video1.Dimensions!], 1), targets);
            var total = perPair.mean();
            var value = (double)total.detach().cpu().item<float>();
            return new StageLoss(total.MoveToOuterDisposeScope(),
                new Dictionary<string, double> { [VideoScoreDimensions.LossTermName] = value, [LossTerm.Total] = value });
        }
        return head!.Routing.Strategy == RoutingStrategy.SingleScalarHead
            ? StageLosses.OverallPreferenceOnly(video0.Reward, video1.Reward, targets, options)
            : StageLosses.Compute(stage, video0.Reward, video1.Reward, targets, options);
    }

    /// <summary>
    /// The parameters a stage trains, by state-dict name: the head's share (<see cref="MjVideoHead.ParametersTrainedIn"/>,
    /// less the fixed uniform scales of the no-gating baselines), the adapter or dimension head in every stage, and the
    /// backbone's share (<see cref="IBackbone.ParametersTrainedIn"/>). Everything else is frozen.
    /// </summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> ParametersTrainedIn(TrainingStage stage)
    {
        var trained = new List<(string, Parameter)>();
        if (head is not null)
        {
            var fixedScales = Settings.Judge is JudgeKind.MultitaskSingle or JudgeKind.CapacityMatched ? FixedUniformScales : [];
            trained.AddRange(head.ParametersTrainedIn(stage).Where(p => !fixedScales.Contains(p.Name)).Select(p => ("head." + p.Name, p.Parameter)));
        }
        if (adapter is not null) trained.AddRange(adapter.named_parameters().Select(p => ("adapter." + p.name, p.parameter)));
        if (dimensions is not null) trained.AddRange(dimensions.named_parameters().Select(p => ("dimensions." + p.name, p.parameter)));

        var backboneParameters = Backbone.Module.named_parameters().ToList();
        foreach (var parameter in Backbone.ParametersTrainedIn((int)stage))
        {
            var match = backboneParameters.FirstOrDefault(p => p.parameter.Handle == parameter.Handle);
            if (match.name is null)
                throw new InvalidOperationException(
                    $"backbone {Backbone.Id} names a parameter for stage {(int)stage} that its Module does not hold " +
                    $"(shape [{string.Join(", ", parameter.shape)}]); checkpoints would not save it");
            trained.Add(("backbone." + match.name, parameter));
        }
        return trained;
    }

    /// <summary>Sets requires_grad so that exactly <see cref="ParametersTrainedIn"/>(stage) receive gradients.</summary>
    public void PrepareForStage(TrainingStage stage)
    {
        head?.PrepareForStage(stage);
        var trained = ParametersTrainedIn(stage).Select(p => p.Name).ToHashSet();
        foreach (var (name, parameter) in AllNamedParameters())
            parameter.requires_grad = trained.Contains(name);
    }

    /// <summary>How many numbers a stage trains: the head's share and the backbone's share.</summary>
    public (long Head, long Backbone) TrainableCounts(TrainingStage stage)
    {
        var trained = ParametersTrainedIn(stage);
        return (trained.Where(p => !p.Name.StartsWith("backbone.")).Sum(p => p.Parameter.numel()),
            trained.Where(p => p.Name.StartsWith("backbone.")).Sum(p => p.Parameter.numel()));
    }
}

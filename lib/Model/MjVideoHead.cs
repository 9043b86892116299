using MjVideo.Taxonomy;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MjVideo.Core;

namespace MjVideo.Model;

/// <summary>The head's shape and routing. <see cref="HiddenSize"/> is the backbone's H (2048 for InternVL2-2B).</summary>
public sealed record MjVideoHeadConfig(
    int HiddenSize,
    Routing Routing,
    int GatingHiddenDim = 1024,
    int GatingHiddenLayers = 3,
    double GatingTemperature = 1.0)
{
    /// <summary>The official head: input-aware routing, gating MLPs of 3 x 1024, temperature 1.</summary>
    public static MjVideoHeadConfig Paper(int hiddenSize) => new(hiddenSize, Routing.Paper);

    public void Validate()
    {
        if (HiddenSize < 1) throw new ArgumentException($"HiddenSize must be positive, got {HiddenSize}");
        if (GatingHiddenDim < 1) throw new ArgumentException($"GatingHiddenDim must be positive, got {GatingHiddenDim}");
        if (GatingHiddenLayers < 0) throw new ArgumentException($"GatingHiddenLayers must be >= 0, got {GatingHiddenLayers}");
        if (!(GatingTemperature > 0) || double.IsInfinity(GatingTemperature))
            throw new ArgumentException($"GatingTemperature must be a positive finite number, got {GatingTemperature}");
        Routing.Validate();
    }
}

/// <summary>
/// The MJ-Video reward head (paper-digest 2.2) over a backbone's two hidden states [B, H]:
/// <list type="number">
/// <item>criteria rewards r = regression_layer(h_last) @ I_28 (the frozen identity <c>reward_transform_matrix</c>);</item>
/// <item>criteria routing from h_gate: a softmax within each aspect's criteria group, times lambda_crit, gives w [B, 28];
/// the aspect score is s_a = sum over the group of w * r;</item>
/// <item>aspect routing from h_gate: softmax over the 5 aspects times lambda_asp gives g [B, 5];
/// the overall score is sum_a g_a s_a.</item>
/// </list>
/// The routing strategy (<see cref="Routing"/>) swaps the routers; with <see cref="RoutingStrategy.InputAware"/> the
/// parameter names and shapes are exactly the official ones (paper-digest 2.2.1), so official weights load unchanged.
/// </summary>
public sealed class MjVideoHead : Module<Tensor, Tensor, RewardOutput>
{
    // Field names are the official parameter names; RegisterComponents turns them into state-dict keys. A null field is
    // not registered, so each strategy's state dict holds only the parameters it uses. Not readonly: TorchSharp's
    // to(device) writes moved parameters back into the fields.
    Linear? regression_layer;
    Parameter? reward_transform_matrix;
    Gate? criteria_gating;
    Gate? aspect_gating;
    Linear? scalar_head;

    static readonly IReadOnlyList<long[]> AspectGroups =
        MjTaxonomy.AspectToCriteria.Select(g => g.Select(c => (long)c).ToArray()).ToList();

    static MjVideoHead()
    {
        // Concatenating the per-aspect weights gives criterion order only because the groups are contiguous and in order
        // (paper-digest 1.1: {0:[0..4], 1:[5..10], ...}); the official aspect_weights relies on the same fact.
        var concatenated = MjTaxonomy.AspectToCriteria.SelectMany(g => g).ToArray();
        if (!concatenated.SequenceEqual(Enumerable.Range(0, MjTaxonomy.CriterionCount)))
            throw new InvalidOperationException(
                $"the head needs aspect groups that list the criteria in order, got [{string.Join(",", concatenated)}]");
    }

    /// <param name="seed">seeds every initial weight (PyTorch's default Linear init; static logits start at 0)</param>
    public MjVideoHead(MjVideoHeadConfig config, long seed) : base(nameof(MjVideoHead))
    {
        config.Validate();
        Config = config;
        using var generator = new Generator(unchecked((ulong)seed));
        var h = config.HiddenSize;
        var criteria = MjTaxonomy.CriterionCount;
        var aspects = MjTaxonomy.AspectCount;
        GatingNetwork InputAwareGate(int outputs) =>
            new(h, outputs, config.GatingHiddenDim, config.GatingHiddenLayers, config.GatingTemperature, generator);

        if (config.Routing.Strategy == RoutingStrategy.SingleScalarHead)
        {
            // No bias: the single head trains on overall preferences (Bradley-Terry), which see only score differences,
            // so a bias would never receive a gradient.
            scalar_head = SeededLinear.Create(h, 1, hasBias: false, generator);
        }
        else
        {
            regression_layer = SeededLinear.Create(h, criteria, hasBias: false, generator);
            reward_transform_matrix = new Parameter(eye(criteria), requires_grad: false);
            (criteria_gating, aspect_gating) = config.Routing.Strategy switch
            {
                RoutingStrategy.InputAware or RoutingStrategy.SparseTopK => (InputAwareGate(criteria), InputAwareGate(aspects)),
                RoutingStrategy.Uniform => (new UniformGate(criteria), (Gate)new UniformGate(aspects)),
                RoutingStrategy.StaticLearned => (new StaticGate(criteria, config.GatingTemperature),
                    (Gate)new StaticGate(aspects, config.GatingTemperature)),
                RoutingStrategy.NoCriteriaMoE => ((Gate?)null, (Gate)InputAwareGate(aspects)),
                _ => throw new ArgumentException($"unhandled routing strategy {config.Routing}"),
            };
        }
        RegisterComponents();
    }

    public MjVideoHeadConfig Config { get; }

    public Routing Routing => Config.Routing;

    /// <summary>Runs the head on the backbone's gate and reward states (DESIGN 5), each [B, H].</summary>
    public override RewardOutput forward(Tensor hGate, Tensor hLast)
    {
        CheckHiddenStates(hGate, hLast);
        using var scope = NewDisposeScope();

        if (scalar_head is not null)
        {
            var single = scalar_head.forward(hLast).squeeze(1);
            return new RewardOutput(null, null, single.MoveToOuterDisposeScope(), null, null, null);
        }

        var rewards = regression_layer!.forward(hLast).matmul(reward_transform_matrix!);
        var (criteriaWeights, criteriaLogits) = RouteCriteria(hGate);
        var weighted = criteriaWeights * rewards;
        var aspectScores = stack(AspectGroups.Select(g => weighted.index_select(1, tensor(g, device: hGate.device)).sum(1)), 1);
        var aspectWeights = Route(aspect_gating!.Logits(hGate), aspect_gating);
        var score = (aspectScores * aspectWeights).sum(1);

        return new RewardOutput(
            rewards.MoveToOuterDisposeScope(),
            aspectScores.MoveToOuterDisposeScope(),
            score.MoveToOuterDisposeScope(),
            criteriaWeights.MoveToOuterDisposeScope(),
            aspectWeights.MoveToOuterDisposeScope(),
            criteriaLogits?.MoveToOuterDisposeScope());
    }

    /// <summary>w [B, 28] (within-aspect weights times lambda_crit) and the raw logits where the router has them.</summary>
    (Tensor Weights, Tensor? Logits) RouteCriteria(Tensor hGate)
    {
        if (criteria_gating is null)
        {
            // NoCriteriaMoE: each criterion weighs 1/|C_a|, so s_a is the mean of the aspect's criteria (no scale).
            var mean = AspectGroups.SelectMany(g => Enumerable.Repeat(1f / g.Length, g.Length)).ToArray();
            var weights = tensor(mean, dtype: hGate.dtype, device: hGate.device).unsqueeze(0).expand(hGate.shape[0], mean.Length);
            return (weights, null);
        }
        var logits = criteria_gating.Logits(hGate);
        var perAspect = AspectGroups.Select(g => Route(logits.index_select(1, tensor(g, device: hGate.device)), criteria_gating));
        return (cat(perAspect.ToArray(), 1), criteria_gating is UniformGate ? null : logits);
    }

    /// <summary>softmax(logits / T) * lambda over the last dimension, after keeping the top k for SparseTopK.</summary>
    Tensor Route(Tensor logits, Gate gate)
    {
        var kept = Routing.Strategy == RoutingStrategy.SparseTopK ? KeepTopK(logits, Routing.TopK) : logits;
        return functional.softmax(kept / gate.Temperature, 1) * gate.Scale();
    }

    /// <summary>
    /// Sets every logit outside the row's top k to -inf, so the softmax gives those exactly 0 and renormalises the kept
    /// ones (softmax over the kept logits alone). A group with k or fewer members is left as it is.
    /// </summary>
    static Tensor KeepTopK(Tensor logits, int k)
    {
        if (k >= logits.shape[1]) return logits;
        var (_, top) = logits.topk(k, dim: 1);
        var keep = zeros_like(logits).scatter(1, top, ones(top.shape, dtype: logits.dtype, device: logits.device));
        return HeldScalars.With(double.NegativeInfinity, s => logits.masked_fill(keep.eq(0), s));
    }

    void CheckHiddenStates(Tensor hGate, Tensor hLast)
    {
        CheckHiddenState(hGate, "h_gate");
        CheckHiddenState(hLast, "h_last");
        if (hGate.shape[0] != hLast.shape[0])
            throw new ArgumentException($"h_gate and h_last must have the same batch size, got {hGate.shape[0]} and {hLast.shape[0]}");
    }

    void CheckHiddenState(Tensor state, string name)
    {
        if (state.dim() != 2)
            throw new ArgumentException($"{name} must be [B, H], got shape [{string.Join(", ", state.shape)}]");
        if (state.shape[1] != Config.HiddenSize)
            throw new ArgumentException($"{name} has H = {state.shape[1]}, but the head was built for H = {Config.HiddenSize}");
        if (!state.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor, got {state.dtype}");
        using var scope = NewDisposeScope();
        var notFinite = (~isfinite(state.detach())).sum().item<long>();
        if (notFinite > 0)
            throw new ArgumentException($"{name} contains {notFinite} NaN or infinite value(s) out of {state.numel()}");
    }

    /// <summary>
    /// The head parameters a stage trains: stage 1 the criteria regression, stage 2 also the criteria router, stage 3 also
    /// the aspect router (paper-digest 2.4; the backbone's share is the trainer's business). The frozen identity
    /// <c>reward_transform_matrix</c> is never trained. A strategy without criteria router (NoCriteriaMoE) adds nothing in
    /// stage 2; the single scalar head trains <c>scalar_head</c> in every stage.
    /// </summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> ParametersTrainedIn(TrainingStage stage)
    {
        if (!Enum.IsDefined(stage)) throw new ArgumentException($"unknown training stage {(int)stage}");
        var modules = new List<string> { nameof(scalar_head), nameof(regression_layer) };
        if (stage >= TrainingStage.Aspect) modules.Add(nameof(criteria_gating));
        if (stage >= TrainingStage.Overall) modules.Add(nameof(aspect_gating));
        return named_parameters().Where(p => modules.Any(m => p.name.StartsWith(m + "."))).ToList();
    }

    /// <summary>Sets requires_grad so that exactly <see cref="ParametersTrainedIn"/>(stage) receive gradients.</summary>
    public void PrepareForStage(TrainingStage stage)
    {
        var trained = ParametersTrainedIn(stage).Select(p => p.Name).ToHashSet();
        foreach (var (name, parameter) in named_parameters())
            parameter.requires_grad = trained.Contains(name);
    }
}

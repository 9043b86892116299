// The staged losses of paper-digest 2.4 (DESIGN 6), computed per pair and averaged over pairs.
//
// How each official term (scripts/train/{criteria,aspect,overall}_train.py, tensors flattened over a per-device batch of
// B pairs) maps to the per-pair form used here. v = video 0/1, c = criterion, a = aspect; "per pair" is the official
// formula evaluated at B = 1, which is how the official runs train (per-device batch 1):
//
//   term                 official reduction over the batch                  per pair (then the mean over pairs)
//   L1 BCE               sum over B, v, c (no division)                     sum over v, c
//   L1 MSE               sum over B, v, c of (r - y)^2 / (B * 28)           sum over v, c of (r - y)^2 / 28
//   L2 MSE               sum over B, v, a of (s - y)^2 / (B * 5)            sum over v, a of (s - y)^2 / 5
//   L2 BCE               sum over B, v, a / (related entries in the batch)  sum over v, a / (related entries of the pair)
//   L_BT,aspect          sum over B, a / (decisive aspects in the batch)    sum over a / (decisive aspects of the pair)
//   L_gate,crit          sum over B, v, c / B                               sum over v, c
//   L_gate,asp           sum over B, v, a / B                               sum over v, a
//   L_BT,overall         sum over B (no division)                           the pair's term
//   L_mse,overall        sum over B, v of (score - total)^2 / B             sum over v of (score - total)^2
//
// At B = 1 both columns agree. At B > 1 the official L1 BCE and L_BT,overall are B times the mean (sums), and L2 BCE and
// L_BT,aspect pool their denominators across pairs, so the official loss depends on how pairs are batched. The mean of
// per-pair terms does not: batch 8 x accumulation 1 gives the gradient of batch 1 x accumulation 8 (the HF Trainer
// divides each micro-batch loss by the accumulation steps), which a test checks. A ratio term whose mask is empty for a
// pair contributes 0 (the official "if count > 0 else 0"), never 0/0.

using MjVideo.Data;
using MjVideo.Taxonomy;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MjVideo.Model;

/// <summary>The objective family of a stage: squared error on the signed targets, or weighted BCE on sigmoids.</summary>
public enum LossMode
{
    Mse,
    Bce,
}

/// <summary>Options of the staged losses; defaults are the official ones (paper-digest 2.4, 2.5).</summary>
public sealed record LossOptions(LossMode Mode)
{
    /// <summary>Per-criterion alpha, the weight on the "good" class in the criteria BCE (paper-digest 2.4, 1.1 order).</summary>
    public static IReadOnlyList<float> PaperCriteriaAlpha { get; } =
    [
        .35f, .35f, .35f, .35f, .35f,             // Alignment
        .5f, .6f, .6f, .65f, .65f, .35f,          // Safety
        .65f, .65f, .55f, .55f, .4f,              // Fineness
        .2f, .3f, .3f, .3f, .3f, .3f, .2f,        // Coherence & Consistency
        .3f, .4f, .45f, .45f, .3f,                // Bias & Fairness
    ];

    /// <summary>Per-aspect alpha of the stage-2 aspect BCE.</summary>
    public static IReadOnlyList<float> PaperAspectAlpha { get; } = [.4f, .4f, .43f, .2f, .3f];

    /// <summary>How a bad label enters the BCE terms. Zero gives the {1, 0} labels BCE assumes. MinusOne reproduces the
    /// official code, whose BCE branch received the MSE targets {1, -1}: the bad term becomes
    /// +alpha log p - 2 (1 - alpha) log(1 - p), which still pushes p down but is not a likelihood (paper-digest 2.4).</summary>
    public BadLabelEncoding BceBadLabel { get; init; } = BadLabelEncoding.Zero;

    /// <summary>Whether the gate losses enter the stage losses (L_gate,crit in the BCE branch of stage 2, L_gate,asp in
    /// stage 3). On by default, as the official code; off for the gate-loss ablation, where the routers learn only from
    /// the regression and preference terms. They are still computed and reported, with weight 0.</summary>
    public bool GateLosses { get; init; } = true;

    /// <summary>
    /// Weight of the aspect-gate balance term in stage 3 (<see cref="StageLosses.AspectGateBalance"/>); 0, the paper's
    /// objective, by default. Not in the paper: an option for heads whose aspect gate puts every input on one aspect.
    /// </summary>
    public double AspectGateBalance { get; init; }

    /// <summary>eps inside log(p + eps), log(1 - p + eps) and log(1 - g + eps).</summary>
    public double Epsilon { get; init; } = 1e-5;

    /// <summary>beta of the Bradley-Terry terms: prefer(x0, x1, y) = (1 - y) sigma(beta (x0 - x1)) + y sigma(beta (x1 - x0)).</summary>
    public double Beta { get; init; } = 1.0;

    public IReadOnlyList<float> CriteriaAlpha { get; init; } = PaperCriteriaAlpha;

    public IReadOnlyList<float> AspectAlpha { get; init; } = PaperAspectAlpha;

    /// <summary>The official defaults: stage 1 BCE (criteria_train.py mse=False), stages 2 and 3 MSE.</summary>
    public static LossOptions PaperDefault(TrainingStage stage) => new(stage == TrainingStage.Criteria ? LossMode.Bce : LossMode.Mse);

    public void Validate()
    {
        if (!Enum.IsDefined(Mode)) throw new ArgumentException($"unknown loss mode {(int)Mode}");
        if (!Enum.IsDefined(BceBadLabel)) throw new ArgumentException($"unknown bad-label encoding {(int)BceBadLabel}");
        if (!(Epsilon > 0) || double.IsInfinity(Epsilon)) throw new ArgumentException($"Epsilon must be positive and finite, got {Epsilon}");
        if (!(Beta > 0) || double.IsInfinity(Beta)) throw new ArgumentException($"Beta must be positive and finite, got {Beta}");
        if (!(AspectGateBalance >= 0) || double.IsInfinity(AspectGateBalance))
            throw new ArgumentException($"AspectGateBalance must be >= 0 and finite, got {AspectGateBalance}");
        CheckAlpha(CriteriaAlpha, MjTaxonomy.CriterionCount, nameof(CriteriaAlpha));
        CheckAlpha(AspectAlpha, MjTaxonomy.AspectCount, nameof(AspectAlpha));
    }

    static void CheckAlpha(IReadOnlyList<float> alpha, int length, string name)
    {
        if (alpha.Count != length) throw new ArgumentException($"{name} needs {length} values, got {alpha.Count}");
        for (var i = 0; i < alpha.Count; i++)
            if (!(alpha[i] >= 0 && alpha[i] <= 1)) throw new ArgumentException($"{name}[{i}] = {alpha[i]} is not in [0, 1]");
    }
}

/// <summary>A stage's loss: the differentiable total (mean over pairs) and every term's mean over pairs, by name.</summary>
public sealed class StageLoss(Tensor total, IReadOnlyDictionary<string, double> terms) : IDisposable
{
    public Tensor Total { get; } = total;

    /// <summary>Term name (<see cref="LossTerm"/>) -> mean over pairs, detached, for logging. Includes "total".</summary>
    public IReadOnlyDictionary<string, double> Terms { get; } = terms;

    public double this[string term] => Terms.TryGetValue(term, out var value)
        ? value
        : throw new KeyNotFoundException($"no loss term '{term}' in this stage; present: {string.Join(", ", Terms.Keys)}");

    public void Dispose() => Total.Dispose();
}

/// <summary>The names under which <see cref="StageLoss.Terms"/> reports each term.</summary>
public static class LossTerm
{
    public const string CriteriaBce = "criteria_bce";
    public const string CriteriaMse = "criteria_mse";
    public const string AspectBce = "aspect_bce";
    public const string AspectMse = "aspect_mse";
    public const string AspectBradleyTerry = "aspect_bt";
    public const string CriteriaGate = "criteria_gate";
    public const string AspectGate = "aspect_gate";
    public const string OverallBradleyTerry = "overall_bt";
    public const string OverallMse = "overall_mse";
    /// <summary>In stage 3: the whole stage-2 loss, which stage 3 weighs by 0.3.</summary>
    public const string Stage2 = "stage2";
    /// <summary>In stage 3, when <see cref="LossOptions.AspectGateBalance"/> is on: KL(batch-mean aspect gate || uniform).</summary>
    public const string AspectBalance = "aspect_balance";
    public const string Total = "total";
}

/// <summary>
/// The losses of the three stages (paper-digest 2.4, DESIGN 6). <see cref="Compute"/> composes a stage; the term
/// functions take the two videos' outputs stacked on dimension 1 and return one value per pair, [B].
/// </summary>
public static class StageLosses
{
    // The official composition weights: aspect_train.py alpha = [0.3, 1, 1, 0.5] and overall_train.py
    // alpha = [0.3, 0.3, 0.3, 1, 1].
    public const double Stage2CriteriaWeight = 0.3;
    public const double Stage2AspectWeight = 1.0;
    public const double Stage2AspectBradleyTerryWeight = 1.0;
    public const double Stage2CriteriaGateWeight = 0.5;
    public const double Stage3CriteriaWeight = 0.3;
    public const double Stage3Stage2Weight = 0.3;
    public const double Stage3AspectGateWeight = 0.3;
    public const double Stage3OverallBradleyTerryWeight = 1.0;
    public const double Stage3OverallMseWeight = 1.0;

    /// <summary>
    /// The loss of <paramref name="stage"/> for B pairs, from the head's outputs for video 0 and video 1 of each pair.
    /// Stage 1: L1. Stage 2: 0.3 L1 + L2 + L_BT,aspect (+ 0.5 L_gate,crit in BCE mode). Stage 3: 0.3 L1 + 0.3 L_stage2 +
    /// 0.3 L_gate,asp + L_BT,overall + L_mse,overall. L1 and L2 are the MSE or BCE forms per <see cref="LossOptions.Mode"/>.
    /// </summary>
    public static StageLoss Compute(TrainingStage stage, RewardOutput video0, RewardOutput video1, TargetBatch targets, LossOptions options)
    {
        if (!Enum.IsDefined(stage)) throw new ArgumentException($"unknown training stage {(int)stage}");
        options.Validate();
        using var scope = NewDisposeScope();
        var terms = new Dictionary<string, Tensor>();
        var bce = options.Mode == LossMode.Bce;

        var rewards = Stacked(video0.Criteria, video1.Criteria, "criteria rewards", stage);
        var criteria = bce ? CriteriaBce(rewards, targets, options) : CriteriaMse(rewards, targets);
        terms[bce ? LossTerm.CriteriaBce : LossTerm.CriteriaMse] = criteria;
        var total = criteria;

        if (stage >= TrainingStage.Aspect)
        {
            var aspectScores = Stacked(video0.AspectScores, video1.AspectScores, "aspect scores", stage);
            var aspect = bce ? AspectBce(aspectScores, targets, options) : AspectMse(aspectScores, targets);
            terms[bce ? LossTerm.AspectBce : LossTerm.AspectMse] = aspect;
            var aspectBt = terms[LossTerm.AspectBradleyTerry] = AspectBradleyTerry(aspectScores, targets, options.Beta);
            var stage2 = Stage2CriteriaWeight * criteria + Stage2AspectWeight * aspect + Stage2AspectBradleyTerryWeight * aspectBt;
            if (bce)
            {
                var weights = Stacked(video0.CriteriaWeights, video1.CriteriaWeights, "criteria weights", stage);
                var criteriaGate = terms[LossTerm.CriteriaGate] = CriteriaGate(weights, targets, options.Epsilon);
                if (options.GateLosses) stage2 = stage2 + Stage2CriteriaGateWeight * criteriaGate;
            }
            total = stage2;

            if (stage == TrainingStage.Overall)
            {
                terms[LossTerm.Stage2] = stage2;
                var aspectWeights = Stacked(video0.AspectWeights, video1.AspectWeights, "aspect weights", stage);
                var aspectGate = terms[LossTerm.AspectGate] = AspectGate(aspectWeights, targets, options.Epsilon);
                var scores = stack([video0.Score, video1.Score], 1);
                var overallBt = terms[LossTerm.OverallBradleyTerry] = OverallBradleyTerry(scores, targets, options.Beta);
                var overallMse = terms[LossTerm.OverallMse] = OverallMse(scores, targets);
                // L1 enters twice, directly and inside the stage-2 loss (0.3 + 0.3 * 0.3 = 0.39 in all), as the official
                // overall_train.py does; kept so that stage 3 optimises the same objective.
                total = Stage3CriteriaWeight * criteria + Stage3Stage2Weight * stage2
                    + Stage3OverallBradleyTerryWeight * overallBt + Stage3OverallMseWeight * overallMse;
                if (options.GateLosses) total = total + Stage3AspectGateWeight * aspectGate;
                if (options.AspectGateBalance > 0)
                    total = total + options.AspectGateBalance * (terms[LossTerm.AspectBalance] = AspectGateBalance(aspectWeights));
            }
        }
        return Finish(total, terms);
    }

    /// <summary>
    /// L_BT,overall alone, for heads trained on overall preferences only (the single-scalar-head baseline, which has no
    /// criteria or aspect outputs for the staged losses).
    /// </summary>
    public static StageLoss OverallPreferenceOnly(RewardOutput video0, RewardOutput video1, TargetBatch targets, LossOptions options)
    {
        options.Validate();
        using var scope = NewDisposeScope();
        var overallBt = OverallBradleyTerry(stack([video0.Score, video1.Score], 1), targets, options.Beta);
        return Finish(overallBt, new Dictionary<string, Tensor> { [LossTerm.OverallBradleyTerry] = overallBt });
    }

    static StageLoss Finish(Tensor perPairTotal, Dictionary<string, Tensor> perPairTerms)
    {
        var total = perPairTotal.mean();
        var values = perPairTerms.ToDictionary(t => t.Key, t => (double)t.Value.detach().mean().cpu().item<float>());
        values[LossTerm.Total] = total.detach().cpu().item<float>();
        return new StageLoss(total.MoveToOuterDisposeScope(), values);
    }

    static Tensor Stacked(Tensor? video0, Tensor? video1, string what, TrainingStage stage) =>
        video0 is not null && video1 is not null
            ? stack([video0, video1], 1)
            : throw new InvalidOperationException(
                $"the stage-{(int)stage} loss needs the {what}, which this head does not produce (a SingleScalarHead has only " +
                $"a score; train it with {nameof(OverallPreferenceOnly)})");

    // ---- the terms, one value per pair ----

    /// <summary>L1 (BCE) per pair: sum over v, c of -[y alpha log(p + eps) + (1 - y)(1 - alpha) log(1 - p + eps)] m, with
    /// p = sigmoid(r) and m the criteria-related mask. rewards: [B, 2, 28].</summary>
    public static Tensor CriteriaBce(Tensor rewards, TargetBatch targets, LossOptions options)
    {
        CheckShape(rewards, "criteria rewards", targets.Count, 2, MjTaxonomy.CriterionCount);
        using var scope = NewDisposeScope();
        var loss = WeightedBce(rewards, targets.CriteriaScore, targets.CriteriaRelated, options.CriteriaAlpha, options);
        return loss.sum([1, 2]).MoveToOuterDisposeScope();
    }

    /// <summary>L1 (MSE) per pair: sum over v, c of (r - y)^2 / 28, unmasked as in the official code (unrelated criteria
    /// regress to 0). rewards: [B, 2, 28].</summary>
    public static Tensor CriteriaMse(Tensor rewards, TargetBatch targets)
    {
        CheckShape(rewards, "criteria rewards", targets.Count, 2, MjTaxonomy.CriterionCount);
        using var scope = NewDisposeScope();
        return ((rewards - targets.CriteriaScore).square().sum([1, 2]) / MjTaxonomy.CriterionCount).MoveToOuterDisposeScope();
    }

    /// <summary>L2 (MSE) per pair: sum over v, a of (s - y)^2 / 5, unmasked as in the official code. aspectScores: [B, 2, 5].</summary>
    public static Tensor AspectMse(Tensor aspectScores, TargetBatch targets)
    {
        CheckShape(aspectScores, "aspect scores", targets.Count, 2, MjTaxonomy.AspectCount);
        using var scope = NewDisposeScope();
        return ((aspectScores - targets.AspectScore).square().sum([1, 2]) / MjTaxonomy.AspectCount).MoveToOuterDisposeScope();
    }

    /// <summary>L2 (BCE) per pair: the weighted BCE on sigmoid(s) with the aspect alphas, masked by aspect-related and
    /// averaged over the pair's related entries (0 when it has none). aspectScores: [B, 2, 5].</summary>
    public static Tensor AspectBce(Tensor aspectScores, TargetBatch targets, LossOptions options)
    {
        CheckShape(aspectScores, "aspect scores", targets.Count, 2, MjTaxonomy.AspectCount);
        using var scope = NewDisposeScope();
        var loss = WeightedBce(aspectScores, targets.AspectScore, targets.AspectRelated, options.AspectAlpha, options);
        return MeanOverMask(loss.sum([1, 2]), targets.AspectRelated.sum([1, 2])).MoveToOuterDisposeScope();
    }

    /// <summary>L_BT,aspect per pair: sum over a of -log prefer(s0_a, s1_a, y_a) mask_a / sum of mask_a (0 when no aspect
    /// preference of the pair is decisive). aspectScores: [B, 2, 5].</summary>
    public static Tensor AspectBradleyTerry(Tensor aspectScores, TargetBatch targets, double beta)
    {
        CheckShape(aspectScores, "aspect scores", targets.Count, 2, MjTaxonomy.AspectCount);
        using var scope = NewDisposeScope();
        var loss = NegativeLogPrefer(aspectScores.select(1, 0), aspectScores.select(1, 1), targets.AspectPreference, beta);
        return MeanOverMask((loss * targets.AspectMask).sum(1), targets.AspectMask.sum(1)).MoveToOuterDisposeScope();
    }

    /// <summary>L_gate,crit per pair: sum over v, c of -(1 - m_c) log(1 - w_c + eps): pushes the within-aspect weight of
    /// unrelated criteria toward 0. criteriaWeights: [B, 2, 28].</summary>
    public static Tensor CriteriaGate(Tensor criteriaWeights, TargetBatch targets, double epsilon)
    {
        CheckShape(criteriaWeights, "criteria weights", targets.Count, 2, MjTaxonomy.CriterionCount);
        return GateLoss(criteriaWeights, targets.CriteriaRelated, epsilon);
    }

    /// <summary>L_gate,asp per pair: sum over v, a of -(1 - related_a) log(1 - g_a + eps): pushes the weight of unrelated
    /// aspects toward 0. aspectWeights: [B, 2, 5].</summary>
    public static Tensor AspectGate(Tensor aspectWeights, TargetBatch targets, double epsilon)
    {
        CheckShape(aspectWeights, "aspect weights", targets.Count, 2, MjTaxonomy.AspectCount);
        return GateLoss(aspectWeights, targets.AspectRelated, epsilon);
    }

    /// <summary>L_BT,overall per pair: -log prefer(score0, score1, y) times the overall mask. scores: [B, 2].</summary>
    public static Tensor OverallBradleyTerry(Tensor scores, TargetBatch targets, double beta)
    {
        CheckShape(scores, "scores", targets.Count, 2);
        using var scope = NewDisposeScope();
        var loss = NegativeLogPrefer(scores.select(1, 0), scores.select(1, 1), targets.OverallPreference, beta);
        return (loss * targets.OverallMask).MoveToOuterDisposeScope();
    }

    /// <summary>L_mse,overall per pair: sum over v of (score - total)^2 with total in {+1, -1, 0}, unmasked as in the
    /// official code. scores: [B, 2].</summary>
    public static Tensor OverallMse(Tensor scores, TargetBatch targets)
    {
        CheckShape(scores, "scores", targets.Count, 2);
        using var scope = NewDisposeScope();
        return (scores - targets.OverallScore).square().sum(1).MoveToOuterDisposeScope();
    }

    // ---- shared pieces ----

    /// <summary>Elementwise weighted BCE on sigmoid(logits), as the official code writes it (log(p + eps), not logsigmoid).</summary>
    static Tensor WeightedBce(Tensor logits, Tensor signedScore, Tensor related, IReadOnlyList<float> alphaValues, LossOptions options)
    {
        var eps = options.Epsilon;
        var p = functional.sigmoid(logits);
        // Signed targets are +1 / -1 / 0; BCE labels are 1 for good and 0 (or the official -1) for bad.
        var y = options.BceBadLabel == BadLabelEncoding.Zero ? signedScore.clamp_min(0) : signedScore;
        var alpha = tensor(alphaValues.ToArray(), dtype: logits.dtype, device: logits.device);
        return -(y * (p + eps).log() * alpha + (1 - y) * (1 - p + eps).log() * (1 - alpha)) * related;
    }

    /// <summary>
    /// -log prefer(x0, x1, y) with prefer = (1 - y) sigma(beta (x0 - x1)) + y sigma(beta (x1 - x0)). For y in {0, 1}
    /// (TargetBatch checks it) this is -log sigma(beta (x_preferred - x_other)), computed with logsigmoid: it is finite
    /// for any margin, where the official 1 / (1 + exp(.)) underflows to log 0 = -inf at large margins.
    /// </summary>
    static Tensor NegativeLogPrefer(Tensor x0, Tensor x1, Tensor preference, double beta)
    {
        var towardPreferred = 1 - 2 * preference; // +1 when video 0 is preferred, -1 when video 1 is
        return -functional.logsigmoid(beta * (x0 - x1) * towardPreferred);
    }

    /// <summary>
    /// The aspect-gate balance of a batch, one value (the same for every pair): KL(p || uniform) = sum_a p_a log(5 p_a),
    /// where p is the aspect gate normalised to sum 1 per video (the learnable scale lambda removed) and averaged over every
    /// video of the batch. It is 0 when the aspects share the batch equally on average and log 5 when every video puts all
    /// its weight on one aspect; each video may still route to its own aspects. aspectWeights: [B, 2, 5].
    /// </summary>
    public static Tensor AspectGateBalance(Tensor aspectWeights)
    {
        if (aspectWeights.dim() != 3 || aspectWeights.shape[1] != 2 || aspectWeights.shape[2] != MjTaxonomy.AspectCount)
            throw new ArgumentException($"aspect weights must be [B, 2, {MjTaxonomy.AspectCount}], got [{string.Join(", ", aspectWeights.shape)}]");
        using var scope = NewDisposeScope();
        var perVideo = aspectWeights / aspectWeights.sum(-1, keepdim: true).clamp_min(1e-12);
        var mean = perVideo.mean([0L, 1L]);
        var kl = (mean * (mean * MjTaxonomy.AspectCount).clamp_min(1e-12).log()).sum();
        return kl.expand(aspectWeights.shape[0]).MoveToOuterDisposeScope();
    }

    static Tensor GateLoss(Tensor weights, Tensor related, double epsilon)
    {
        using var scope = NewDisposeScope();
        // The gate scale is clamped to <= 1 (Gate.Scale), so 1 - w + eps >= eps > 0 and the log is finite.
        var loss = -(1 - related) * (1 - weights + epsilon).log();
        return loss.sum([1, 2]).MoveToOuterDisposeScope();
    }

    /// <summary>sum / count per pair, 0 where count is 0: the count is a whole number, so clamping it to at least 1 changes
    /// nothing where it is positive, and where it is 0 the masked sum is 0 too (0 / 1 = 0, with a zero gradient).</summary>
    static Tensor MeanOverMask(Tensor maskedSum, Tensor count) => maskedSum / count.clamp_min(1);

    static void CheckShape(Tensor t, string what, params long[] expected)
    {
        if (!t.shape.SequenceEqual(expected))
            throw new ArgumentException(
                $"{what} must have shape [{string.Join(", ", expected)}] (pairs, videos, ...), got [{string.Join(", ", t.shape)}]");
    }
}

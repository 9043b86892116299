using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Data;
using MjVideo.Model;
using MjVideo.Taxonomy;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MjVideo.Core;

namespace MjVideo.Experiments;

/// <summary>
/// The caption words a pre-training probe reconstructs: the distinct GPT-2 token ids of the training captions (without
/// the terminator), in id order. A caption becomes a multi-hot row over them; tokens outside the vocabulary (a held-out
/// test template's words) are simply absent from the row.
/// </summary>
public sealed class CaptionVocabulary
{
    readonly Dictionary<int, int> columnOf;
    readonly CaptionTokenizer tokenizer;

    public CaptionVocabulary(IEnumerable<string> captions, CaptionTokenizer tokenizer)
    {
        this.tokenizer = tokenizer;
        TokenIds = captions.SelectMany(tokenizer.Encode).Where(id => id != CaptionTokenizer.EndOfText).Distinct().Order().ToList();
        if (TokenIds.Count == 0) throw new ArgumentException("the captions hold no tokens to build a vocabulary from");
        columnOf = TokenIds.Select((id, column) => (id, column)).ToDictionary(x => x.id, x => x.column);
    }

    public IReadOnlyList<int> TokenIds { get; }

    public int Count => TokenIds.Count;

    /// <summary>1 in the column of every vocabulary token the caption contains (once, however often it occurs).</summary>
    public float[] MultiHot(string caption)
    {
        var row = new float[Count];
        foreach (var id in tokenizer.Encode(caption))
            if (columnOf.TryGetValue(id, out var column)) row[column] = 1f;
        return row;
    }
}

/// <summary>
/// One batch of per-video pre-training targets, from the release labels and the caption: criteria good (1) / bad (0) and
/// related masks [N, 28], aspect good / bad and related [N, 5], caption words [N, V]. No preference label of any rule
/// family enters: the objective is the same whichever family a judge is later trained on.
/// </summary>
public sealed class NeutralTargets : IDisposable
{
    public required Tensor CriteriaGood { get; init; }
    public required Tensor CriteriaRelated { get; init; }
    public required Tensor AspectGood { get; init; }
    public required Tensor AspectRelated { get; init; }
    public required Tensor CaptionWords { get; init; }

    public long Count => CriteriaGood.shape[0];

    public static NeutralTargets From(IReadOnlyList<(VideoAnnotation Labels, string Caption)> videos, CaptionVocabulary vocabulary)
    {
        if (videos.Count == 0) throw new ArgumentException("no videos to build pre-training targets for");
        const int c = MjTaxonomy.CriterionCount, a = MjTaxonomy.AspectCount;
        var n = videos.Count;
        var criteriaGood = new float[n * c];
        var criteriaRelated = new float[n * c];
        var aspectGood = new float[n * a];
        var aspectRelated = new float[n * a];
        var words = new float[n * vocabulary.Count];
        for (var i = 0; i < n; i++)
        {
            var labels = videos[i].Labels;
            for (var k = 0; k < c; k++)
            {
                criteriaGood[i * c + k] = labels.CriterionCodes[k] == LabelCode.Good ? 1f : 0f;
                criteriaRelated[i * c + k] = labels.CriterionCodes[k] == LabelCode.NotRelated ? 0f : 1f;
            }
            for (var k = 0; k < a; k++)
            {
                aspectGood[i * a + k] = labels.AspectCodes[k] == LabelCode.Good ? 1f : 0f;
                aspectRelated[i * a + k] = labels.AspectCodes[k] == LabelCode.NotRelated ? 0f : 1f;
            }
            vocabulary.MultiHot(videos[i].Caption).CopyTo(words, i * vocabulary.Count);
        }
        return new NeutralTargets
        {
            CriteriaGood = tensor(criteriaGood, [n, c]),
            CriteriaRelated = tensor(criteriaRelated, [n, c]),
            AspectGood = tensor(aspectGood, [n, a]),
            AspectRelated = tensor(aspectRelated, [n, a]),
            CaptionWords = tensor(words, [n, vocabulary.Count]),
        };
    }

    /// <summary>The rows of some videos (new tensors).</summary>
    public NeutralTargets Rows(Tensor positions) => new()
    {
        CriteriaGood = CriteriaGood.index_select(0, positions),
        CriteriaRelated = CriteriaRelated.index_select(0, positions),
        AspectGood = AspectGood.index_select(0, positions),
        AspectRelated = AspectRelated.index_select(0, positions),
        CaptionWords = CaptionWords.index_select(0, positions),
    };

    public void Dispose()
    {
        CriteriaGood.Dispose();
        CriteriaRelated.Dispose();
        AspectGood.Dispose();
        AspectRelated.Dispose();
        CaptionWords.Dispose();
    }
}

/// <summary>
/// The linear probes of the judge-neutral pre-training, one per target, so that both query tokens carry information:
/// on the reward token (h_last) the 28 criteria and the caption's words; on the gate token (h_gate) which criteria the
/// caption makes relevant, the five aspect labels, and the caption's words. The caption words matter for routing: on
/// SynthBench an aspect's weight in the additive rule comes from emphasis phrases ("in crisp, sharp detail") that no
/// label mentions, so a gate token trained only on labels would not carry them, and no router reading it could learn
/// the weights. The probes are thrown away after pre-training.
/// </summary>
public sealed class NeutralProbes : Module
{
    Linear criteria_probe;
    Linear last_caption_probe;
    Linear related_probe;
    Linear aspect_probe;
    Linear gate_caption_probe;
    BatchNorm1d last_standardise;
    BatchNorm1d gate_standardise;

    public NeutralProbes(int hiddenSize, int vocabulary, long seed) : base(nameof(NeutralProbes))
    {
        // eps far below the spread of a collapsing encoder's states (a variance of about 1e-5 was measured), so that the
        // standardisation still undoes the shrinking there.
        last_standardise = BatchNorm1d(hiddenSize, eps: StandardiseEps, affine: false);
        gate_standardise = BatchNorm1d(hiddenSize, eps: StandardiseEps, affine: false);
        criteria_probe = Linear(hiddenSize, MjTaxonomy.CriterionCount);
        last_caption_probe = Linear(hiddenSize, vocabulary);
        related_probe = Linear(hiddenSize, MjTaxonomy.CriterionCount);
        aspect_probe = Linear(hiddenSize, MjTaxonomy.AspectCount);
        gate_caption_probe = Linear(hiddenSize, vocabulary);
        RegisterComponents();
        using var generator = new Generator(unchecked((ulong)seed));
        SeededInit.Apply(this, generator);
    }

    /// <summary>
    /// Starts every probe at the constant that minimises its term on the training targets: bias = the log-odds of the
    /// (alpha-weighted) rate of positives among the related entries, weights 0, so the probes' first logits are the label
    /// priors and carry no noise from the encoder's random states.
    /// <para>
    /// Why: the priors are far from 0 (about 85% of related criteria are good, a caption word is present in a few percent
    /// of captions), and AdamW moves a bias by about one learning rate a step, so from a zero bias the fastest way to fit
    /// them was through the encoder: every video's h_last and h_gate were pushed the same way, and behind the final
    /// LayerNorm a large shared component shrinks the input-dependent part. Measured on the quick split (seed 0, video
    /// only, criteria term only, lr 2e-3): h_last's spread across videos fell from 0.18 to 0.004 in 15 steps, the encoder's
    /// gradients by 2-3 orders of magnitude, and val AUC stayed at 0.50 however long it trained, while hand-made pixel
    /// statistics of the same clips reach AUC 0.86-0.96 on blur, flicker and background changes. With the priors in the
    /// biases, the shared push is gone and what is left of the gradient is the part that differs between videos.
    /// </para>
    /// </summary>
    public void StartAtPriors(NeutralTargets train, Tensor criteriaAlpha)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var alpha = criteriaAlpha;
        (Linear Probe, Tensor Good, Tensor Related, Tensor? Alpha, bool PerVideo)[] probes =
        [
            (criteria_probe, train.CriteriaGood, train.CriteriaRelated, alpha, true),
            (related_probe, train.CriteriaRelated, ones_like(train.CriteriaRelated), null, false),
            (aspect_probe, train.AspectGood, train.AspectRelated, null, true),
            (last_caption_probe, train.CaptionWords, ones_like(train.CaptionWords), null, false),
            (gate_caption_probe, train.CaptionWords, ones_like(train.CaptionWords), null, false),
        ];
        foreach (var (probe, good, related, weight, perVideo) in probes)
        {
            probe.weight!.zero_();
            probe.bias!.copy_(PriorLogits(good, related, weight, perVideo));
        }
    }

    /// <summary>
    /// Per column, the constant logit that minimises the term on these targets. For the masked terms
    /// (<see cref="NeutralObjective.MaskedWeightedBce"/>, <paramref name="perVideoMean"/>) each video's related entries
    /// weigh 1 / (its related count), as the term averages within a video first; the optimum is then
    /// log(a P / ((1 - a) N)) with P and N the weighted related positives and negatives (a = 1/2 without alpha), clamped
    /// to +-<see cref="MaxPriorLogit"/> (a column of one class), and 0 for a column with no related entry.
    /// </summary>
    public static Tensor PriorLogits(Tensor good, Tensor related, Tensor? alpha, bool perVideoMean)
    {
        using var scope = NewDisposeScope();
        // sum(0, keepdim: false), not sum(0): a literal 0 converts to ScalarType, and sum(ScalarType) sums everything as bytes.
        var weight = perVideoMean ? related / related.sum(1, keepdim: true).clamp_min(1) : related;
        var positives = (good * weight).sum(0, keepdim: false);
        var negatives = ((1 - good) * weight).sum(0, keepdim: false);
        var (a, b) = alpha is null ? (positives, negatives) : (alpha.reshape(-1) * positives, (1 - alpha.reshape(-1)) * negatives);
        var logits = ((a + PriorEps) / (b + PriorEps)).log().clamp(-MaxPriorLogit, MaxPriorLogit);
        return HeldScalars.With(0, s => logits.masked_fill(related.sum(0, keepdim: false) == 0, s)).MoveToOuterDisposeScope();
    }

    const double StandardiseEps = 1e-9;
    const double PriorEps = 1e-6;

    /// <summary>The largest prior logit a probe starts at (a probability of about 0.9975).</summary>
    public const double MaxPriorLogit = 6;

    /// <summary>The criteria logits [B, 28] read from h_last (above 0 = good).</summary>
    public Tensor Criteria(Tensor hLast) => criteria_probe.forward(last_standardise.forward(hLast));

    public (Tensor Criteria, Tensor LastCaption, Tensor Related, Tensor Aspects, Tensor GateCaption) Forward(BackboneOutput states)
    {
        using var scope = NewDisposeScope();
        var last = last_standardise.forward(states.HLast);
        var gate = gate_standardise.forward(states.HGate);
        return (criteria_probe.forward(last).MoveToOuterDisposeScope(), last_caption_probe.forward(last).MoveToOuterDisposeScope(),
            related_probe.forward(gate).MoveToOuterDisposeScope(), aspect_probe.forward(gate).MoveToOuterDisposeScope(),
            gate_caption_probe.forward(gate).MoveToOuterDisposeScope());
    }
}

/// <summary>
/// The pre-training loss: a weighted sum (<see cref="NeutralWeights"/>) of five terms, each a mean over the batch's videos.
/// <list type="bullet">
/// <item><c>criteria</c>: the stage-1 weighted BCE of paper-digest 2.4 with labels {1, 0} and the paper's per-criterion
/// alpha, on the criteria probe's logits, averaged over the video's related criteria (0 for a video with none);</item>
/// <item><c>related</c>: BCE of the relatedness probe against the 28-entry related mask;</item>
/// <item><c>aspects</c>: BCE of the aspect probe against good / bad, over the video's related aspects (0 with none);</item>
/// <item><c>gate_words</c>, <c>last_words</c>: BCE of each caption probe against the caption's multi-hot words.</item>
/// </list>
/// </summary>
public static class NeutralObjective
{
    public const string Criteria = "criteria";
    public const string Related = "related";
    public const string Aspects = "aspects";
    public const string GateWords = "gate_words";
    public const string LastWords = "last_words";
    public const string Total = "total";

    /// <summary>The paper's per-criterion alpha as [1, 28]: the weight of the good class in the criteria term.</summary>
    public static Tensor PaperAlpha() => tensor(LossOptions.PaperCriteriaAlpha.ToArray()).unsqueeze(0);

    /// <summary>
    /// [1, 28] class-balanced alpha from the training targets: per criterion, the share of bad among its related entries,
    /// so that the good class weighs that share and the bad class the rest, and both classes contribute equally to the
    /// criteria term. With about 85% of related criteria good, the paper's alpha left "good everywhere" a cheap minimum,
    /// which is what the v1 heads learned. A criterion without related entries, or of one class, keeps 1/2.
    /// </summary>
    public static Tensor BalancedAlpha(NeutralTargets train)
    {
        using var scope = NewDisposeScope();
        var related = train.CriteriaRelated;
        var bad = ((1 - train.CriteriaGood) * related).sum(0, keepdim: false);
        var count = related.sum(0, keepdim: false);
        var share = bad / count.clamp_min(1);
        var usable = (count > 0) & (share > 0) & (share < 1);
        return where(usable, share, full_like(share, 0.5)).unsqueeze(0).MoveToOuterDisposeScope();
    }

    public static (Tensor Total, Dictionary<string, double> Terms) Loss(BackboneOutput states, NeutralProbes probes, NeutralTargets targets,
        NeutralWeights weights, Tensor criteriaAlpha)
    {
        using var scope = NewDisposeScope();
        var (criteria, lastCaption, related, aspects, gateCaption) = probes.Forward(states);
        var alpha = criteriaAlpha.to(criteria.device);
        var terms = new Dictionary<string, Tensor>
        {
            [Criteria] = MaskedWeightedBce(criteria, targets.CriteriaGood, targets.CriteriaRelated, alpha).mean(),
            [Related] = functional.binary_cross_entropy_with_logits(related, targets.CriteriaRelated),
            [Aspects] = MaskedWeightedBce(aspects, targets.AspectGood, targets.AspectRelated, null).mean(),
            [GateWords] = functional.binary_cross_entropy_with_logits(gateCaption, targets.CaptionWords),
            [LastWords] = functional.binary_cross_entropy_with_logits(lastCaption, targets.CaptionWords),
        };
        var total = weights.Criteria * terms[Criteria] + weights.Related * terms[Related] + weights.Aspects * terms[Aspects]
                    + weights.Words * (terms[GateWords] + terms[LastWords]);
        var values = terms.ToDictionary(t => t.Key, t => (double)t.Value.detach().item<float>());
        values[Total] = total.detach().item<float>();
        return (total.MoveToOuterDisposeScope(), values);
    }

    /// <summary>
    /// Per video: -sum_k m_k [a_k y_k log sigmoid(z_k) + (1 - a_k)(1 - y_k) log sigmoid(-z_k)] / sum_k m_k, 0 for a video
    /// without related entries. <paramref name="alpha"/> [1, K] weighs the good class and 1 - alpha the bad one (null: both
    /// weigh 1, plain BCE).
    /// </summary>
    public static Tensor MaskedWeightedBce(Tensor logits, Tensor good, Tensor related, Tensor? alpha)
    {
        using var scope = NewDisposeScope();
        var (positiveWeight, negativeWeight) = alpha is null ? (ones_like(logits), ones_like(logits)) : (alpha.expand_as(logits), 1 - alpha.expand_as(logits));
        var perEntry = -(positiveWeight * good * functional.logsigmoid(logits) + negativeWeight * (1 - good) * functional.logsigmoid(-logits)) * related;
        return (perEntry.sum(1) / related.sum(1).clamp_min(1)).MoveToOuterDisposeScope();
    }
}

using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Data;
using MjVideo.Model;
using MjVideo.Taxonomy;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

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

    public NeutralProbes(int hiddenSize, int vocabulary, long seed) : base(nameof(NeutralProbes))
    {
        criteria_probe = Linear(hiddenSize, MjTaxonomy.CriterionCount);
        last_caption_probe = Linear(hiddenSize, vocabulary);
        related_probe = Linear(hiddenSize, MjTaxonomy.CriterionCount);
        aspect_probe = Linear(hiddenSize, MjTaxonomy.AspectCount);
        gate_caption_probe = Linear(hiddenSize, vocabulary);
        RegisterComponents();
        using var generator = new Generator(unchecked((ulong)seed));
        SeededInit.Apply(this, generator);
    }

    /// <summary>The criteria logits [B, 28] read from h_last (above 0 = good).</summary>
    public Tensor Criteria(Tensor hLast) => criteria_probe.forward(hLast);

    public (Tensor Criteria, Tensor LastCaption, Tensor Related, Tensor Aspects, Tensor GateCaption) Forward(BackboneOutput states) =>
        (criteria_probe.forward(states.HLast), last_caption_probe.forward(states.HLast), related_probe.forward(states.HGate),
            aspect_probe.forward(states.HGate), gate_caption_probe.forward(states.HGate));
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

    public static (Tensor Total, Dictionary<string, double> Terms) Loss(BackboneOutput states, NeutralProbes probes, NeutralTargets targets,
        NeutralWeights weights)
    {
        using var scope = NewDisposeScope();
        var (criteria, lastCaption, related, aspects, gateCaption) = probes.Forward(states);
        var alpha = tensor(LossOptions.PaperCriteriaAlpha.ToArray(), device: criteria.device).unsqueeze(0);
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

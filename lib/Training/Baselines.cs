using MjVideo.Model;
using MjVideo.Taxonomy;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MjVideo.Training;

/// <summary>
/// The VideoScore-style baseline's five dimensions (TIGER-Lab/VideoScore, paper-digest 3.1) and the labels of ours each is
/// trained on. VideoScore regresses human ratings of these five; our data has no such ratings, so each dimension takes the
/// closest release labels, signed (+1 good, -1 bad) and masked where unrelated:
/// <list type="table">
/// <item><term>visual quality</term><description>the Fineness aspect label.</description></item>
/// <item><term>temporal consistency</term><description>the C&amp;C criteria about change over time: Action Continuity, Abrupt
/// Background Changes, Inconsistent Lighting Shadows, Frame Flickering (bad if any related one is bad).</description></item>
/// <item><term>dynamic degree</term><description>the Alignment criterion <c>actions</c> (the described motion happens); our
/// labels say nothing about the amount of motion, which is what VideoScore rates.</description></item>
/// <item><term>text-to-video alignment</term><description>the Alignment aspect label.</description></item>
/// <item><term>factual consistency</term><description>the C&amp;C criteria about physical plausibility: Spatial Consistency,
/// Object Disappearance, Object Drift.</description></item>
/// </list>
/// Safety and Bias &amp; Fairness feed no dimension: VideoScore has none for them, and that gap is part of what the baseline
/// shows. The per-video score is the sum of the five outputs, as VideoScore's.
/// </summary>
public static class VideoScoreDimensions
{
    public const int Count = 5;

    /// <summary>Dimension names in output order (VideoScore's own order).</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["visual_quality", "temporal_consistency", "dynamic_degree", "text_to_video_alignment", "factual_consistency"];

    /// <summary>Where a dimension's label comes from: one aspect label, or a group of criteria (bad if any related is bad).</summary>
    public sealed record Source(int? Aspect, IReadOnlyList<int> Criteria)
    {
        public string Describe() => Aspect is { } a
            ? $"aspect {MjTaxonomy.Aspects[a].DisplayName}"
            : $"criteria {string.Join(", ", Criteria.Select(c => MjTaxonomy.Criteria[c].Key))}";
    }

    static int C(string key) => MjTaxonomy.FindCriterion(key).Index;

    public static IReadOnlyList<Source> Sources { get; } =
    [
        new(MjTaxonomy.FindAspect("Fineness").Index, []),
        new(null, [C("Action Continuity"), C("Abrupt Background Changes"), C("Inconsistent Lighting Shadows"), C("Frame Flickering")]),
        new(null, [C("actions")]),
        new(MjTaxonomy.FindAspect("Alignment").Index, []),
        new(null, [C("Spatial Consistency"), C("Object Disappearance"), C("Object Drift")]),
    ];

    /// <summary>The dimensions' signed targets and masks, each [B, 2, 5], from a pair batch's labels.</summary>
    public static (Tensor Target, Tensor Mask) Targets(TargetBatch targets)
    {
        using var scope = NewDisposeScope();
        var columns = new List<Tensor>();
        var masks = new List<Tensor>();
        foreach (var source in Sources)
        {
            if (source.Aspect is { } aspect)
            {
                columns.Add(targets.AspectScore.select(2, aspect));
                masks.Add(targets.AspectRelated.select(2, aspect));
                continue;
            }
            using var index = tensor(source.Criteria.Select(c => (long)c).ToArray(), device: targets.CriteriaScore.device);
            var related = targets.CriteriaRelated.index_select(2, index);
            var bad = targets.CriteriaScore.index_select(2, index).lt(0).to(related.dtype) * related;
            var anyRelated = related.amax([2]);
            var anyBad = bad.amax([2]);
            columns.Add(anyRelated * (1 - 2 * anyBad));
            masks.Add(anyRelated);
        }
        return (stack(columns, 2).MoveToOuterDisposeScope(), stack(masks, 2).MoveToOuterDisposeScope());
    }

    public const string LossTermName = "videoscore_mse";

    /// <summary>
    /// The regression loss per pair: the mean over the pair's labelled (video, dimension) entries of (output - target)^2,
    /// 0 for a pair with none. dimensions: [B, 2, 5].
    /// </summary>
    public static Tensor Loss(Tensor dimensions, TargetBatch targets)
    {
        using var scope = NewDisposeScope();
        var (target, mask) = Targets(targets);
        var squared = (dimensions - target).square() * mask;
        return (squared.sum([1, 2]) / mask.sum([1, 2]).clamp_min(1)).MoveToOuterDisposeScope();
    }
}

/// <summary>The VideoScore-style head: Linear(H -> 5, with bias) on h_last, one output per dimension.</summary>
public sealed class DimensionHead : Module<Tensor, Tensor>
{
    Linear dimension_layer;

    public DimensionHead(int hiddenSize, long seed) : base(nameof(DimensionHead))
    {
        using var generator = new Generator(unchecked((ulong)seed));
        dimension_layer = SeededLinear.Create(hiddenSize, VideoScoreDimensions.Count, hasBias: true, generator);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hLast) => dimension_layer.forward(hLast);
}

/// <summary>
/// The capacity-matched baseline's extra parameters: h' = h + down(relu(up(h))), a residual MLP H -> M -> H between h_last
/// and the criteria regression. The residual path keeps the plain linear regression reachable, so the extra width can only
/// add to what (b) can fit.
/// </summary>
public sealed class ResidualAdapter : Module<Tensor, Tensor>
{
    Linear up;
    Linear down;

    public ResidualAdapter(int hiddenSize, int width, long seed) : base(nameof(ResidualAdapter))
    {
        if (width < 1) throw new ArgumentException($"the adapter needs a width of at least 1, got {width}");
        Width = width;
        using var generator = new Generator(unchecked((ulong)seed));
        up = SeededLinear.Create(hiddenSize, width, hasBias: true, generator);
        down = SeededLinear.Create(width, hiddenSize, hasBias: true, generator);
        RegisterComponents();
    }

    public int Width { get; }

    public override Tensor forward(Tensor h)
    {
        using var scope = NewDisposeScope();
        return (h + down.forward(functional.relu(up.forward(h)))).MoveToOuterDisposeScope();
    }
}

/// <summary>Parameter counts for matching the capacity-matched baseline to MJ-Video's head.</summary>
public static class CapacityMatching
{
    /// <summary>
    /// The parameters MJ-Video's input-aware head trains by stage 3: the criteria regression (28 H, no bias) and two gating
    /// MLPs (paper-digest 2.2.1), each L hidden Linear layers of width D (H*D + D, then (L-1)(D*D + D)), an output layer
    /// (D*n + n, or H*n + n when L = 0) and the scale lambda (1); n = 28 for the criteria router, 5 for the aspect router.
    /// The frozen identity is not counted.
    /// </summary>
    public static long MjVideoHeadTrainable(int hiddenSize, int gatingHiddenDim, int gatingHiddenLayers)
    {
        long h = hiddenSize, d = gatingHiddenDim;
        long Gate(long outputs) => gatingHiddenLayers == 0
            ? h * outputs + outputs + 1
            : h * d + d + (gatingHiddenLayers - 1) * (d * d + d) + d * outputs + outputs + 1;
        return MjTaxonomy.CriterionCount * h + Gate(MjTaxonomy.CriterionCount) + Gate(MjTaxonomy.AspectCount);
    }

    /// <summary>The adapter's parameters: up (H*M + M) and down (M*H + H).</summary>
    public static long AdapterParameters(int hiddenSize, int width) => 2L * hiddenSize * width + width + hiddenSize;

    /// <summary>The trainable parameters of the capacity-matched head: the regression (28 H) plus the adapter; the uniform
    /// routers' scales stay fixed.</summary>
    public static long CapacityMatchedTrainable(int hiddenSize, int width) =>
        MjTaxonomy.CriterionCount * (long)hiddenSize + AdapterParameters(hiddenSize, width);

    /// <summary>The adapter width M whose head comes closest to <paramref name="target"/> trainable parameters (at least 1).
    /// Each unit of M adds 2H + 1, so the counts differ by at most H + 1.</summary>
    public static int AdapterWidthFor(int hiddenSize, long target)
    {
        long h = hiddenSize;
        var perUnit = 2 * h + 1;
        var rest = target - MjTaxonomy.CriterionCount * h - h;
        var width = (long)Math.Round(rest / (double)perUnit, MidpointRounding.AwayFromZero);
        return (int)Math.Clamp(width, 1, int.MaxValue);
    }
}

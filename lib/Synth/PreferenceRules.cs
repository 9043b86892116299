using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Synth;

/// <summary>
/// How annotators turn two videos' defects into a preference. Every family compares a per-video cost U (lower is
/// better); they differ in how U weighs the aspects:
/// <list type="bullet">
/// <item><c>additive</c>: U = sum_a w_a(caption) S_a, the caption's own aspect weights (the form MJ-Video assumes: the
/// positive control for routing).</item>
/// <item><c>fixed-weights</c>: U = sum_a w̄_a S_a with one weight vector for every caption (the null for routing).</item>
/// <item><c>worst-defect</c>: U = max_a S_a, except that a video with any safety defect loses outright.</item>
/// <item><c>annotators</c>: U = sum_a w^(k)_a S_a with the hidden weights of the annotator k who labelled the pair,
/// unrelated to the caption (a noise floor no model can read).</item>
/// </list>
/// S_a is the aspect severity: the largest severity among the aspect's injected defects (0 without one).
/// </summary>
public enum RuleFamily { Additive, FixedWeights, WorstDefect, Annotators }

public static class PreferenceRules
{
    public static readonly IReadOnlyList<RuleFamily> Families = Enum.GetValues<RuleFamily>();

    /// <summary>Costs closer than this are a tie ("Same").</summary>
    public const double SameMargin = 0.02;
    /// <summary>Aspect severities closer than this are "Same" in category_preference.</summary>
    public const double AspectSameMargin = 0.05;
    /// <summary>A video whose cost exceeds this gets the overall code 2 (bad) in video_X_total_score.</summary>
    public const double TotalBadThreshold = 0.15;
    public const int AnnotatorCount = 6;
    public const double AnnotatorConcentration = 0.7;

    public static string Name(this RuleFamily family) => family switch
    {
        RuleFamily.Additive => "additive",
        RuleFamily.FixedWeights => "fixed-weights",
        RuleFamily.WorstDefect => "worst-defect",
        RuleFamily.Annotators => "annotators",
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    public static RuleFamily Parse(string name) => Families.FirstOrDefault(f => f.Name() == name.Trim().ToLowerInvariant(), (RuleFamily)(-1)) switch
    {
        (RuleFamily)(-1) => throw new ArgumentException($"unknown rule family '{name}'; expected one of {string.Join(", ", Families.Select(f => f.Name()))}"),
        var f => f,
    };

    /// <summary>The hidden weights of each annotator of the annotators family, fixed by the generator seed.</summary>
    public static double[][] AnnotatorWeights(long seed) => Enumerable.Range(0, AnnotatorCount)
        .Select(k => SynthRandom.ForItem(seed, "annotators", k, "weights")
            .Dirichlet(Enumerable.Repeat(AnnotatorConcentration, MjTaxonomy.AspectCount).ToArray()))
        .ToArray();

    /// <summary>The aspect weights a family applies to one pair (null for worst-defect, which takes a maximum).</summary>
    public static double[]? Weights(RuleFamily family, CaptionSpec caption, int annotator, double[][] annotatorWeights) => family switch
    {
        RuleFamily.Additive => caption.AspectWeights(),
        RuleFamily.FixedWeights => CaptionSpec.BaseAspectWeights.ToArray(),
        RuleFamily.Annotators => annotatorWeights[annotator],
        RuleFamily.WorstDefect => null,
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    /// <summary>A video's cost under a family. Worst-defect adds 1 when a safety defect is present, so it loses outright.</summary>
    public static double Cost(RuleFamily family, double[] aspectSeverity, double[]? weights)
    {
        if (family == RuleFamily.WorstDefect)
            return aspectSeverity.Max() + (aspectSeverity[1] > 0 ? 1 : 0);
        return weights!.Zip(aspectSeverity, (w, s) => w * s).Sum();
    }

    /// <summary>Lower cost wins; within <see cref="SameMargin"/> the pair is a tie.</summary>
    public static PreferenceLabel Compare(double cost0, double cost1, double margin = SameMargin) =>
        Math.Abs(cost0 - cost1) <= margin ? PreferenceLabel.Same
        : cost0 < cost1 ? PreferenceLabel.Video1Better : PreferenceLabel.Video2Better;

    public static PreferenceLabel Flip(PreferenceLabel label) => label switch
    {
        PreferenceLabel.Video1Better => PreferenceLabel.Video2Better,
        PreferenceLabel.Video2Better => PreferenceLabel.Video1Better,
        _ => label,
    };
}

/// <summary>What the noise did to one published overall label.</summary>
public enum LabelNoiseEvent { None, Flipped, HardToJudge }

/// <summary>Documented label noise: a share of decisive labels flipped and a share of pairs marked "Hard to judge".</summary>
public sealed record LabelNoise(double FlipRate = 0.08, double HardToJudgeRate = 0.04, double AspectFlipRate = 0.06)
{
    public LabelNoiseEvent Draw(PreferenceLabel clean, SynthRandom rng)
    {
        if (rng.Chance(HardToJudgeRate)) return LabelNoiseEvent.HardToJudge;
        return clean.IsDecisive() && rng.Chance(FlipRate) ? LabelNoiseEvent.Flipped : LabelNoiseEvent.None;
    }

    public static PreferenceLabel Apply(PreferenceLabel clean, LabelNoiseEvent noise) => noise switch
    {
        LabelNoiseEvent.HardToJudge => PreferenceLabel.HardToJudge,
        LabelNoiseEvent.Flipped => PreferenceRules.Flip(clean),
        _ => clean,
    };
}

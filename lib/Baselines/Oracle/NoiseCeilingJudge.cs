using System.Globalization;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Synth;
using MjVideo.Taxonomy;

namespace MjVideo.Baselines.Oracle;

/// <summary>
/// Ceiling (a), the noise ceiling (DESIGN 8): oracle severities with the true rule. A video scores minus its cost under
/// the split's rule family (the oracle's <see cref="OracleVideo.Cost"/>), which is exactly what the clean overall label
/// compares, so the judge agrees with every clean decisive label (the margin for "Same" is 0.02) and its accuracy on the
/// published labels measures the label noise alone.
/// <para>
/// Aspect scores follow the annotators' aspect rule with the oracle's per-video leniency (bad when the aspect's worst
/// severity exceeds it): score_a = (leniency - severity_a) - 0.15, so that the judge's one threshold,
/// <see cref="GoodAbove"/> = -0.15, reads the aspect as good exactly when the rule does, and reads the overall score as
/// good exactly when <c>video_X_total_score</c> is good (cost not above 0.15). Only the documented aspect departures
/// separate these aspect scores from the published aspect codes.
/// </para>
/// </summary>
public sealed class NoiseCeilingJudge(OracleLookup? oracle = null) : OracleJudge(oracle)
{
    public override string Name => "Ceiling: oracle severities, true rule";

    public override double GoodAbove => -PreferenceRules.TotalBadThreshold;

    public override IReadOnlyDictionary<string, string> Config => new Dictionary<string, string>
    {
        ["score"] = "-(the video's cost under the split's rule family), from the SynthBench oracle",
        ["aspect scores"] = string.Create(CultureInfo.InvariantCulture,
            $"(leniency - aspect severity) - {PreferenceRules.TotalBadThreshold}: the annotators' aspect rule before departures"),
        ["good"] = string.Create(CultureInfo.InvariantCulture, $"score > -{PreferenceRules.TotalBadThreshold} (cost below the total-score threshold)"),
        ["oracle"] = "<split>.oracle.json beside the dataset file",
    };

    protected override JudgedPair Judge(PreferencePair pair, OraclePair truth, RuleFamily family)
    {
        JudgedVideo Video(OracleVideo v) => new(-v.Cost,
            Enumerable.Range(0, MjTaxonomy.AspectCount).Select(a => v.Leniency - v.AspectSeverity[a] + GoodAbove).ToArray());
        return new JudgedPair(Video(truth.Video0), Video(truth.Video1));
    }
}

using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Synth;

namespace MjVideo.Baselines.Oracle;

/// <summary>
/// Ceiling (c) (DESIGN 8): the true criterion labels with the weights the split's rule actually used for each pair
/// (<see cref="OraclePair.RuleWeights"/>: the caption's weights for additive, the shared vector for fixed-weights, the
/// hidden annotator's for annotators). The score is minus the family's cost with the aspect indicators in place of the
/// severities, so for worst-defect, which has no weights, it is -(max_a bad_a + 1 if safety is bad): any bad aspect
/// loses, a safety defect loses outright. (c) - (b) is the most that reading per-pair weights (routing) can add to
/// labels this good; on annotators the weights are not in the caption, so no caption-reading model can reach (c).
/// On worst-defect the indicators drop the severities the max compares, so two videos that both have a bad aspect tie.
/// Aspect scores and the "good" threshold are as in <see cref="FixedAspectWeightsJudge"/>.
/// </summary>
public sealed class TrueAspectWeightsJudge(OracleLookup? oracle = null) : OracleJudge(oracle)
{
    public override string Name => "Ceiling: criterion labels, true per-pair weights";

    public override double GoodAbove => -0.5;

    public override IReadOnlyDictionary<string, string> Config => new Dictionary<string, string>
    {
        ["score"] = "-(the family's cost with bad_a in {0, 1} in place of the aspect severities)",
        ["weights"] = "each pair's rule weights from the SynthBench oracle (worst-defect: max_a bad_a + 1 for a safety defect)",
        ["aspect scores"] = "-bad_a, bad_a = any related criterion of aspect a coded 2",
        ["good"] = "score > -0.5",
        ["oracle"] = "<split>.oracle.json beside the dataset file",
    };

    protected override JudgedPair Judge(PreferencePair pair, OraclePair truth, RuleFamily family)
    {
        if (family != RuleFamily.WorstDefect && truth.RuleWeights is null)
            throw new InvalidDataException($"oracle pair {truth.Index}: rule_weights is null, but family {family.Name()} weighs aspects");
        JudgedVideo Video(int v)
        {
            var bad = AspectIndicators.Bad(pair, v);
            return new JudgedVideo(-PreferenceRules.Cost(family, AspectIndicators.AsSeverities(bad), truth.RuleWeights),
                bad.Select(b => b ? -1.0 : 0.0).ToArray());
        }
        return new JudgedPair(Video(0), Video(1));
    }
}

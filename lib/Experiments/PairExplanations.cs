using System.Globalization;
using Microsoft.Data.Analysis;
using MjVideo.Backbones;
using MjVideo.Data;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using MjVideo.Training;

namespace MjVideo.Experiments;

/// <summary>Why a trained MJ-Video judge preferred one video of a pair, read off its own decomposition of the score.</summary>
/// <param name="AspectContributions">per aspect, g0_a s0_a - g1_a s1_a: what the aspect adds to score0 - score1 (they sum to it)</param>
/// <param name="TopCriteria">within the deciding aspect, the criteria's w0_c r0_c - w1_c r1_c (summing to that aspect's
/// score difference before the aspect gate), largest magnitude first</param>
public sealed record PairExplanation(
    int Index, string Caption, double Score0, double Score1, string Predicted, string Published, string Clean,
    IReadOnlyList<(string Aspect, double Contribution)> AspectContributions, string DecidingAspect,
    IReadOnlyList<(string Criterion, double Contribution)> TopCriteria, double[] Gates, double[] TrueWeights,
    IReadOnlyList<string> Defects0, IReadOnlyList<string> Defects1);

/// <summary>
/// Explains a few pairs with MJ-Video's own decomposition: score = sum_a g_a s_a and s_a = sum_c w_c r_c, so the score
/// difference of a pair splits exactly into aspect terms, and the deciding aspect's into criterion terms. Beside it, what
/// the generator knows: the defects injected into each video and the caption's true aspect weights.
/// </summary>
public static class PairExplanations
{
    public static async Task<IReadOnlyList<PairExplanation>> ExplainAsync(TrainedJudge judge, FamilySplits family, IReadOnlyList<int> positions,
        CancellationToken cancellation = default)
    {
        var items = TrainingData.VideoItems(family.Test);
        var chosen = positions.SelectMany(p => new[] { items[2 * p], items[2 * p + 1] }).ToList();
        var videos = await judge.ScoreVideosAsync(chosen, cancellation).ConfigureAwait(false);
        var oracle = family.TestOracle.Pairs.ToDictionary(p => p.Index);
        return positions.Select((p, k) => Explain(family.Test.Pairs[p], oracle[family.Test.Pairs[p].Index], videos[2 * k], videos[2 * k + 1])).ToList();
    }

    public static PairExplanation Explain(PreferencePair pair, OraclePair truth, VideoJudgement v0, VideoJudgement v1)
    {
        if (v0.AspectScores is null || v0.AspectWeights is null || v0.Criteria is null || v0.CriteriaWeights is null
            || v1.AspectScores is null || v1.AspectWeights is null || v1.Criteria is null || v1.CriteriaWeights is null)
            throw new ArgumentException("explaining a pair needs a judge with criteria, aspect scores and both routers' weights");
        var aspects = MjTaxonomy.Aspects.Select(a => (a.DisplayName,
            v0.AspectWeights[a.Index] * v0.AspectScores[a.Index] - v1.AspectWeights[a.Index] * v1.AspectScores[a.Index])).ToList();
        var deciding = aspects.Select((a, i) => (a, i)).MaxBy(x => Math.Abs(x.a.Item2)).i;
        var criteria = MjTaxonomy.AspectToCriteria[deciding]
            .Select(c => (MjTaxonomy.Criteria[c].Key, v0.CriteriaWeights[c] * v0.Criteria[c] - v1.CriteriaWeights[c] * v1.Criteria[c]))
            .OrderByDescending(x => Math.Abs(x.Item2)).ToList();
        var gates = RoutingAnalysis.Normalised(v0.AspectWeights).Zip(RoutingAnalysis.Normalised(v1.AspectWeights), (a, b) => (a + b) / 2).ToArray();
        static IReadOnlyList<string> Defects(OracleVideo video) =>
            video.Defects.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Key} {d.Severity:0.00}")).ToList();
        string Side(double s0, double s1) => s0 > s1 ? "video 1" : s1 > s0 ? "video 2" : "tie";
        return new PairExplanation(pair.Index, pair.Caption, v0.Score, v1.Score, Side(v0.Score, v1.Score),
            Label(pair.Overall), Label(truth.CleanOverall), aspects, aspects[deciding].DisplayName, criteria, gates, truth.CaptionAspectWeights,
            Defects(truth.Video0), Defects(truth.Video1));
    }

    static string Label(PreferenceLabel label) => label switch
    {
        PreferenceLabel.Video1Better => "video 1",
        PreferenceLabel.Video2Better => "video 2",
        _ => label.ToString(),
    };

    /// <summary>
    /// Test pairs worth explaining: decisive clean labels where both videos have a defect (so the decision weighs
    /// aspects against each other), the first <paramref name="count"/> of them in file order.
    /// </summary>
    public static IReadOnlyList<int> Interesting(FamilySplits family, int count)
    {
        var oracle = family.TestOracle.Pairs.ToDictionary(p => p.Index);
        return Enumerable.Range(0, family.Test.Pairs.Count).Where(i =>
        {
            var truth = oracle[family.Test.Pairs[i].Index];
            return truth.CleanOverall.IsDecisive() && truth.Video0.Defects.Count > 0 && truth.Video1.Defects.Count > 0;
        }).Take(count).ToList();
    }

    /// <summary>A score difference with its sign and three decimals; one that rounds to zero is "0.000". (The two-section
    /// format "+0.000;-0.000" wrote a small negative number as "-+0.000": .NET keeps the minus sign of a value that rounds
    /// to zero and then applies the first section.)</summary>
    public static string Signed(double x)
    {
        var rounded = Math.Round(x, 3, MidpointRounding.AwayFromZero);
        return rounded == 0 ? "0.000" : rounded.ToString("+0.000;-0.000", CultureInfo.InvariantCulture);
    }

    public static DataFrame Table(IReadOnlyList<PairExplanation> explanations)
    {
        static string F(double x) => Signed(x);
        static string Weights(double[] w) => string.Join(" ", w.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)));
        return new DataFrame(
            new Int32DataFrameColumn("pair", explanations.Select(e => e.Index)),
            new StringDataFrameColumn("caption", explanations.Select(e => e.Caption)),
            new StringDataFrameColumn("MJ-Video prefers", explanations.Select(e => $"{e.Predicted} ({F(e.Score0 - e.Score1)})")),
            new StringDataFrameColumn("label (published / clean)", explanations.Select(e => $"{e.Published} / {e.Clean}")),
            new StringDataFrameColumn("aspect terms of score0 - score1", explanations.Select(e =>
                string.Join(", ", e.AspectContributions.Select(a => $"{a.Aspect} {F(a.Contribution)}")))),
            new StringDataFrameColumn("deciding aspect: top criteria", explanations.Select(e =>
                $"{e.DecidingAspect}: " + string.Join(", ", e.TopCriteria.Take(3).Select(c => $"{c.Criterion} {F(c.Contribution)}")))),
            new StringDataFrameColumn("gates / true weights (A S F C B)", explanations.Select(e => $"{Weights(e.Gates)} / {Weights(e.TrueWeights)}")),
            new StringDataFrameColumn("defects video 1 | video 2", explanations.Select(e =>
                $"{(e.Defects0.Count == 0 ? "none" : string.Join(", ", e.Defects0))} | {(e.Defects1.Count == 0 ? "none" : string.Join(", ", e.Defects1))}")));
    }
}

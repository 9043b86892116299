using MjVideo.Data;

namespace MjVideo.Metrics;

/// <summary>GenAI-Bench video results for one judge (paper-digest 3.4).</summary>
/// <param name="Strict">prefer_Acc: over left/right votes, the voted video must score strictly higher.</param>
/// <param name="TieAware">prefer_same_Acc: the same votes, equal scores counting 0.5.</param>
/// <param name="Acc">Over all four vote types: left/right as strict, a tie vote right iff both videos are judged good,
/// a both-bad vote right iff both are judged bad.</param>
/// <param name="GoodAbove">The rule that judged a video good: score &gt; GoodAbove.</param>
public sealed record GenAiBenchResult(
    Estimate Strict, Estimate TieAware, Estimate Acc, int LeftRightVotes, int TieVotes, int BothBadVotes, double GoodAbove);

/// <summary>
/// The GenAI-Bench four-way rule. Votes come as <see cref="PreferenceLabel"/>: Video1Better = leftvote (left_video is
/// video 0), Video2Better = rightvote, Same = tievote, BothBad = bothbad_vote. HardToJudge is not a GenAI-Bench vote and is
/// rejected rather than silently dropped.
/// </summary>
public static class GenAiBenchMetrics
{
    /// <summary>
    /// Scores all three numbers. A video is judged good when its score is above <paramref name="goodAbove"/>: 0 is the
    /// paper's sign rule for MJ-Video; the official scripts used 5 for 1-10 VLM ratings and 2 for VideoScore sums.
    /// </summary>
    public static GenAiBenchResult Evaluate(double[] score0, double[] score1, PreferenceLabel[] votes,
        BootstrapOptions bootstrap, double goodAbove = 0)
    {
        Check.NotNull(bootstrap, nameof(bootstrap));
        var accCorrect = AccCorrect(score0, score1, votes, goodAbove);
        return new GenAiBenchResult(
            PreferenceAccuracy.Strict(score0, score1, votes, bootstrap.Level),
            PreferenceAccuracy.TieAware(score0, score1, votes, bootstrap),
            Intervals.Wilson(accCorrect.Count(c => c), accCorrect.Length, bootstrap.Level),
            votes.Count(v => v.IsDecisive()),
            votes.Count(v => v == PreferenceLabel.Same),
            votes.Count(v => v == PreferenceLabel.BothBad),
            goodAbove);
    }

    /// <summary>Per vote, in input order, whether the judge is right under the "Acc" rule.</summary>
    public static bool[] AccCorrect(double[] score0, double[] score1, PreferenceLabel[] votes, double goodAbove = 0)
    {
        Check.Finite(score0, nameof(score0));
        Check.Finite(score1, nameof(score1));
        Check.Labels(votes, nameof(votes));
        Check.SameLength(votes, nameof(votes), score0, nameof(score0));
        Check.SameLength(votes, nameof(votes), score1, nameof(score1));
        Check.Finite(goodAbove, nameof(goodAbove));
        var correct = new bool[votes.Length];
        for (var i = 0; i < votes.Length; i++)
        {
            bool good0 = score0[i] > goodAbove, good1 = score1[i] > goodAbove;
            correct[i] = votes[i] switch
            {
                PreferenceLabel.Video1Better => score0[i] > score1[i],
                PreferenceLabel.Video2Better => score1[i] > score0[i],
                PreferenceLabel.Same => good0 && good1,
                PreferenceLabel.BothBad => !good0 && !good1,
                _ => throw new ArgumentException(
                    $"votes[{i}] is {votes[i]}, which GenAI-Bench does not have (its votes are left, right, tie and both bad).",
                    nameof(votes)),
            };
        }
        return correct;
    }
}

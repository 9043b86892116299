using MjVideo.Data;

namespace MjVideo.Metrics;

/// <summary>
/// Overall preference accuracy (paper-digest 3.1) over decisive pairs, those labelled Video 1 better or Video 2 better;
/// Same, Hard to judge and Both bad pairs are not counted in n.
/// A pair's credit is 1 when the ground-truth-preferred video scores strictly higher, 0 when it scores lower, and for a
/// predicted tie (equal scores) 0 under the strict rule or 0.5 under the tie-aware rule.
/// </summary>
public static class PreferenceAccuracy
{
    public const double StrictTieCredit = 0;
    public const double TieAwareTieCredit = 0.5;

    /// <summary>Per decisive pair, in input order: did the preferred video score strictly higher?</summary>
    public static bool[] StrictCorrect(double[] score0, double[] score1, PreferenceLabel[] labels) =>
        Credits(score0, score1, labels, StrictTieCredit).Select(c => c == 1).ToArray();

    /// <summary>Per decisive pair, in input order: 1, 0, or <paramref name="tieCredit"/> for equal scores.</summary>
    public static double[] Credits(double[] score0, double[] score1, PreferenceLabel[] labels, double tieCredit)
    {
        Check.Pairs(score0, score1, labels);
        if (!(tieCredit >= 0 && tieCredit <= 1))
            throw new ArgumentOutOfRangeException(nameof(tieCredit), tieCredit, "A tie's credit must lie in [0, 1].");
        var credits = new List<double>(labels.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i].PreferredIndex() is not { } preferred) continue;
            var (winner, loser) = preferred == 0 ? (score0[i], score1[i]) : (score1[i], score0[i]);
            credits.Add(winner > loser ? 1 : winner < loser ? 0 : tieCredit);
        }
        return credits.ToArray();
    }

    /// <summary>Strict accuracy: a predicted tie counts wrong. A plain proportion, so its interval is Wilson's.</summary>
    public static Estimate Strict(double[] score0, double[] score1, PreferenceLabel[] labels, double level = 0.95)
    {
        var correct = StrictCorrect(score0, score1, labels);
        return Intervals.Wilson(correct.Count(c => c), correct.Length, level);
    }

    /// <summary>Tie-aware accuracy: a predicted tie counts 0.5. Credits of 0.5 are not a binomial count, so it is bootstrapped.</summary>
    public static Estimate TieAware(double[] score0, double[] score1, PreferenceLabel[] labels, BootstrapOptions bootstrap) =>
        Bootstrap.Mean(Credits(score0, score1, labels, TieAwareTieCredit), bootstrap);

    /// <summary>
    /// Accuracy of judge A minus judge B on the same pairs (strict with tieCredit 0, tie-aware with 0.5), with a paired
    /// bootstrap interval. For tie-calibrated accuracy pass each judge's <see cref="TieCalibration.Credits"/> at its own
    /// val threshold to <see cref="Bootstrap.PairedMeanDifference"/>; for a test, see <see cref="McNemar"/>.
    /// </summary>
    public static Estimate PairedDifference(double[] score0A, double[] score1A, double[] score0B, double[] score1B,
        PreferenceLabel[] labels, double tieCredit, BootstrapOptions bootstrap) =>
        Bootstrap.PairedMeanDifference(
            Credits(score0A, score1A, labels, tieCredit), Credits(score0B, score1B, labels, tieCredit), bootstrap);

    /// <summary>
    /// Accuracy of judge A minus judge B over training seeds, on the same pairs: per seed, each judge's scores of video 0
    /// and video 1; the interval resamples seeds, then pairs within each (<see cref="SeedPairBootstrap"/>). A judge
    /// without training seeds passes its one run's scores under every seed.
    /// </summary>
    public static Estimate PairedDifferenceOverSeeds(IReadOnlyList<(double[] Score0, double[] Score1)> judgeA,
        IReadOnlyList<(double[] Score0, double[] Score1)> judgeB, PreferenceLabel[] labels, double tieCredit, BootstrapOptions bootstrap)
    {
        Check.NotNull(judgeA, nameof(judgeA));
        Check.NotNull(judgeB, nameof(judgeB));
        return SeedPairBootstrap.Difference(
            judgeA.Select(s => Credits(s.Score0, s.Score1, labels, tieCredit)).ToList(),
            judgeB.Select(s => Credits(s.Score0, s.Score1, labels, tieCredit)).ToList(), bootstrap);
    }
}

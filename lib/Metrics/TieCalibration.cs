using System.Globalization;
using MjVideo.Data;

namespace MjVideo.Metrics;

/// <summary>The threshold that maximises tie-calibrated accuracy on a set of pairs (choose it on val, apply it to test).</summary>
public sealed record TieThreshold(double Threshold, double Accuracy, int N);

/// <summary>
/// Tie-calibrated three-class accuracy (the VideoGen-RewardBench convention, after Deutsch et al. 2023): over pairs
/// labelled Video 1 better, Video 2 better or Same (Hard to judge and Both bad are left out), a judge predicts "Same"
/// when |s0 - s1| ≤ threshold and otherwise the higher-scoring video; a pair is correct when the prediction equals its
/// label. Accuracy counts Same pairs, so it is not comparable with the two-class accuracies.
/// </summary>
public static class TieCalibration
{
    public static bool IsEligible(PreferenceLabel label) =>
        label is PreferenceLabel.Video1Better or PreferenceLabel.Video2Better or PreferenceLabel.Same;

    /// <summary>The three-class prediction for one pair.</summary>
    public static PreferenceLabel Predict(double score0, double score1, double threshold) =>
        Math.Abs(score0 - score1) <= threshold ? PreferenceLabel.Same
        : score0 > score1 ? PreferenceLabel.Video1Better
        : PreferenceLabel.Video2Better;

    /// <summary>Per eligible pair, in input order: 1 when the prediction at <paramref name="threshold"/> equals the label, else 0.</summary>
    public static double[] Credits(double[] score0, double[] score1, PreferenceLabel[] labels, double threshold)
    {
        Check.Pairs(score0, score1, labels);
        CheckThreshold(threshold);
        var credits = new List<double>(labels.Length);
        for (var i = 0; i < labels.Length; i++)
            if (IsEligible(labels[i]))
                credits.Add(Predict(score0[i], score1[i], threshold) == labels[i] ? 1 : 0);
        return credits.ToArray();
    }

    /// <summary>Accuracy at a given threshold (NaN when no pair is eligible).</summary>
    public static double Accuracy(double[] score0, double[] score1, PreferenceLabel[] labels, double threshold)
    {
        var credits = Credits(score0, score1, labels, threshold);
        return credits.Length == 0 ? double.NaN : credits.Average();
    }

    /// <summary>
    /// Accuracy at a threshold fixed beforehand (from val), with a bootstrap interval in which the threshold stays fixed:
    /// the interval covers the test sampling only, not the choice of threshold.
    /// </summary>
    public static Estimate Evaluate(double[] score0, double[] score1, PreferenceLabel[] labels, double threshold,
        BootstrapOptions bootstrap)
    {
        var estimate = Bootstrap.Mean(Credits(score0, score1, labels, threshold), bootstrap);
        return estimate with
        {
            Method = string.Create(CultureInfo.InvariantCulture, $"threshold {threshold:R} fixed; {estimate.Method}"),
        };
    }

    /// <summary>
    /// Finds the threshold with the highest accuracy among 0 and every distinct |s0 - s1|; accuracy is constant between
    /// consecutive candidates, so no other threshold can do better. Among equally good thresholds the smallest wins.
    /// Sorts once and sweeps with running counts: O(n log n).
    /// </summary>
    public static TieThreshold Sweep(double[] score0, double[] score1, PreferenceLabel[] labels)
    {
        Check.Pairs(score0, score1, labels);
        var gaps = new List<(double Gap, bool IsSame, bool HigherIsPreferred)>(labels.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            if (!IsEligible(labels[i])) continue;
            var higherIsPreferred = labels[i].PreferredIndex() is { } preferred
                && (preferred == 0 ? score0[i] > score1[i] : score1[i] > score0[i]);
            gaps.Add((Math.Abs(score0[i] - score1[i]), labels[i] == PreferenceLabel.Same, higherIsPreferred));
        }
        if (gaps.Count == 0)
            throw new ArgumentException(
                "No pair is labelled Video 1 better, Video 2 better or Same, so there is no threshold to choose.", nameof(labels));
        gaps.Sort((a, b) => a.Gap.CompareTo(b.Gap));

        // At threshold t, Same pairs with gap <= t are right (predicted Same), decisive pairs with gap > t are right when
        // the higher score belongs to the preferred video. A decisive pair with gap 0 is never right.
        var sameAtOrBelow = 0;
        var decisiveRightAbove = gaps.Count(g => g.HigherIsPreferred);
        double bestThreshold = 0, candidate = 0;
        var bestCorrect = -1;
        var next = 0;
        while (true)
        {
            for (; next < gaps.Count && gaps[next].Gap <= candidate; next++)
            {
                if (gaps[next].IsSame) sameAtOrBelow++;
                if (gaps[next].HigherIsPreferred) decisiveRightAbove--;
            }
            if (sameAtOrBelow + decisiveRightAbove > bestCorrect)
                (bestCorrect, bestThreshold) = (sameAtOrBelow + decisiveRightAbove, candidate);
            if (next == gaps.Count) break;
            candidate = gaps[next].Gap;
        }
        return new TieThreshold(bestThreshold, (double)bestCorrect / gaps.Count, gaps.Count);
    }

    static void CheckThreshold(double threshold)
    {
        if (!(threshold >= 0 && double.IsFinite(threshold)))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The tie threshold must be finite and >= 0.");
    }
}

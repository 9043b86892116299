using System.Globalization;

namespace MjVideo.Metrics;

/// <summary>
/// Threshold-free measures of how a judge orders videos: the AUC of good against bad videos, and Spearman's rank
/// correlation. Both read only the order of the scores, so a judge cannot pass them by moving its threshold, and a
/// constant predictor gets the chance value (AUC 0.5) or no value at all (a correlation with a constant is undefined).
/// </summary>
public static class Ranks
{
    /// <summary>
    /// Midranks (1-based; tied values share the mean of the ranks they span): [10, 20, 20, 5] gives [2, 3.5, 3.5, 1].
    /// </summary>
    public static double[] MidRanks(double[] values)
    {
        Check.Finite(values, nameof(values));
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            // Positions start..end (0-based) hold ranks start+1..end+1; their mean is (start + end) / 2 + 1.
            var shared = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = shared;
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>
    /// The AUC of <paramref name="good"/> against <paramref name="bad"/> scores: the share of (good, bad) pairs in which the
    /// good video scores higher, a tie counting one half (the Mann-Whitney U over m·n). 0.5 is chance, 1 a perfect order.
    /// </summary>
    /// <remarks>
    /// Why DeLong for the interval: it is the standard nonparametric variance of the AUC (DeLong, DeLong and
    /// Clarke-Pearson 1988), handles ties through the same half credit, and is closed form, so 28 criteria per judge,
    /// family and seed cost one sort each instead of thousands of bootstrap sorts on two shared cores; Hanley-McNeil
    /// instead assumes exponential score distributions. The variance is S10/m + S01/n, from the per-video placements
    /// V10(good i) = share of bad videos it beats and V01(bad j) = share of good videos that beat it (computed from
    /// midranks, Sun and Xu 2014). The interval is built on the logit scale and mapped back (Pepe 2003, 5.2.2), so it
    /// stays inside [0, 1] and is asymmetric near the ends. At an AUC of exactly 0 or 1 DeLong's variance is 0 (every
    /// placement is the same); a zero-width interval would claim certainty, so there the interval is Wilson's for the
    /// observed share over the smaller class's count, which is what one misplaced video of that class would move.
    /// Videos are treated as independent units (the two videos of a pair share a caption, which this ignores).
    /// </remarks>
    public static Estimate Auc(double[] good, double[] bad, double level = 0.95)
    {
        Check.Finite(good, nameof(good));
        Check.Finite(bad, nameof(bad));
        CheckLevel(level);
        int m = good.Length, n = bad.Length;
        var method = string.Create(CultureInfo.InvariantCulture, $"DeLong variance on the logit scale, {level * 100:0.#}%");
        if (m == 0 || n == 0)
            return Estimate.Undefined(m + n, method, m == 0 ? "undefined: no video labelled 'good'" : "undefined: no video labelled 'bad'");

        var all = MidRanks([.. good, .. bad]);
        var withinGood = MidRanks(good);
        var withinBad = MidRanks(bad);
        // A good video's overall midrank minus its midrank among the good ones counts the bad videos below it (ties half).
        var goodPlacement = Enumerable.Range(0, m).Select(i => (all[i] - withinGood[i]) / n).ToArray();
        var badPlacement = Enumerable.Range(0, n).Select(j => 1 - (all[m + j] - withinBad[j]) / m).ToArray();
        var auc = goodPlacement.Average();
        if (m < 2 || n < 2)
            return new Estimate(auc, double.NaN, double.NaN, m + n, method) { Note = "one video in a class: DeLong's variance needs two of each" };

        var variance = SampleVariance(goodPlacement) / m + SampleVariance(badPlacement) / n;
        var z = Distributions.NormalQuantile(1 - (1 - level) / 2);
        if (auc <= 0 || auc >= 1)
        {
            var smaller = Math.Min(m, n);
            var wilson = Intervals.Wilson(auc >= 1 ? smaller : 0, smaller, level);
            return new Estimate(auc, wilson.Low, wilson.High, m + n,
                method + string.Create(CultureInfo.InvariantCulture, $"; perfect order: Wilson over the smaller class ({smaller} videos)"));
        }
        if (variance <= 0)
            return new Estimate(auc, auc, auc, m + n, method) { Note = "every video of each class places the same (e.g. all scores equal)" };
        var logit = Math.Log(auc / (1 - auc));
        var halfWidth = z * Math.Sqrt(variance) / (auc * (1 - auc));
        return new Estimate(auc, Logistic(logit - halfWidth), Logistic(logit + halfWidth), m + n, method);
    }

    /// <summary>
    /// Spearman's rank correlation: Pearson's correlation of the midranks, so ties are handled. Undefined when either
    /// variable is constant (a judge that gives every video the same reward has no order to correlate).
    /// </summary>
    /// <remarks>
    /// The interval is Fisher's z with Bonett and Wright's (2000) variance for Spearman, (1 + r²/2) / (n - 3): closed
    /// form, inside (-1, 1), and close to nominal for the sample sizes here; it needs n ≥ 4.
    /// </remarks>
    public static Estimate Spearman(double[] x, double[] y, double level = 0.95)
    {
        Check.SameLength(x, nameof(x), y, nameof(y));
        CheckLevel(level);
        var n = x.Length;
        var method = string.Create(CultureInfo.InvariantCulture, $"Spearman, Fisher z with Bonett-Wright variance, {level * 100:0.#}%");
        if (n < 2) return Estimate.Undefined(n, method, "undefined: fewer than two units");
        var rx = MidRanks(x);
        var ry = MidRanks(y);
        var r = Pearson(rx, ry);
        if (double.IsNaN(r))
            return Estimate.Undefined(n, method, $"undefined: {(SampleVariance(rx) == 0 ? "the first" : "the second")} variable is constant");
        if (n < 4) return new Estimate(r, double.NaN, double.NaN, n, method) { Note = "fewer than four units: no interval" };

        return FisherInterval(r, n, (1 + r * r / 2) / (n - 3), level, method);
    }

    /// <summary>
    /// Pearson's correlation with the Fisher z interval, variance 1 / (n - 3) on the z scale: the standard interval for a
    /// product-moment correlation, inside (-1, 1); it needs n ≥ 4. Undefined when either variable is constant.
    /// </summary>
    public static Estimate PearsonEstimate(double[] x, double[] y, double level = 0.95)
    {
        Check.SameLength(x, nameof(x), y, nameof(y));
        Check.Finite(x, nameof(x));
        Check.Finite(y, nameof(y));
        CheckLevel(level);
        var n = x.Length;
        var method = string.Create(CultureInfo.InvariantCulture, $"Pearson, Fisher z, {level * 100:0.#}%");
        if (n < 2) return Estimate.Undefined(n, method, "undefined: fewer than two units");
        var r = Pearson(x, y);
        if (double.IsNaN(r))
            return Estimate.Undefined(n, method, $"undefined: {(SampleVariance(x) == 0 ? "the first" : "the second")} variable is constant");
        if (n < 4) return new Estimate(r, double.NaN, double.NaN, n, method) { Note = "fewer than four units: no interval" };
        return FisherInterval(r, n, 1.0 / (n - 3), level, method);
    }

    static Estimate FisherInterval(double r, int n, double zVariance, double level, string method)
    {
        var z = Distributions.NormalQuantile(1 - (1 - level) / 2);
        var center = Math.Atanh(Math.Clamp(r, -1 + 1e-12, 1 - 1e-12));
        var halfWidth = z * Math.Sqrt(zVariance);
        return new Estimate(r, Math.Tanh(center - halfWidth), Math.Tanh(center + halfWidth), n, method);
    }

    static double Pearson(double[] x, double[] y)
    {
        double meanX = x.Average(), meanY = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - meanX) * (y[i] - meanY);
            sxx += (x[i] - meanX) * (x[i] - meanX);
            syy += (y[i] - meanY) * (y[i] - meanY);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    static double SampleVariance(double[] values)
    {
        var mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
    }

    static double Logistic(double x) => 1 / (1 + Math.Exp(-x));

    static void CheckLevel(double level)
    {
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "Needs 0 < level < 1.");
    }
}

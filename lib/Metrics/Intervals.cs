using System.Globalization;

namespace MjVideo.Metrics;

/// <summary>Closed-form intervals: Wilson for proportions, Student t for a mean over training seeds.</summary>
public static class Intervals
{
    /// <summary>
    /// A proportion with its Wilson score interval: center (p + z²/2n) / (1 + z²/n), half-width
    /// z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²). Unlike the Wald interval it stays inside [0, 1] and is not empty at
    /// 0/n or n/n. Zero trials give an undefined estimate.
    /// </summary>
    public static Estimate Wilson(int successes, int n, double level = 0.95)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Needs n >= 0.");
        if (successes < 0 || successes > n)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"Needs 0 <= successes <= n = {n}.");
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "Needs 0 < level < 1.");
        var method = string.Create(CultureInfo.InvariantCulture, $"Wilson score interval, {level * 100:0.#}%");
        if (n == 0) return Estimate.Undefined(0, method, "no units to evaluate");

        var z = Distributions.NormalQuantile(1 - (1 - level) / 2);
        double p = (double)successes / n, z2 = z * z;
        var denominator = 1 + z2 / n;
        var center = (p + z2 / (2.0 * n)) / denominator;
        var halfWidth = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        // At 0/n and n/n the bound is exactly 0 or 1 in exact arithmetic; clamp away the rounding.
        return new Estimate(p, Math.Max(0, center - halfWidth), Math.Min(1, center + halfWidth), n, method);
    }

    /// <summary>
    /// The mean of one metric over training seeds with its Student t interval, mean ± t_{(1+level)/2, k-1} · s / sqrt(k),
    /// where s is the sample standard deviation (k - 1 in the denominator). One seed gives the mean without an interval.
    /// </summary>
    public static Estimate MeanOverSeeds(double[] values, double level = 0.95)
    {
        Check.Finite(values, nameof(values));
        if (values.Length == 0) throw new ArgumentException("Needs at least one seed's value.", nameof(values));
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "Needs 0 < level < 1.");
        var k = values.Length;
        var mean = values.Average();
        var method = string.Create(CultureInfo.InvariantCulture, $"Student t over {k} seeds, {level * 100:0.#}%");
        if (k == 1)
            return new Estimate(mean, double.NaN, double.NaN, 1, method) { Note = "one seed: no spread to estimate" };

        var variance = values.Sum(v => (v - mean) * (v - mean)) / (k - 1);
        var halfWidth = Distributions.StudentTQuantile(1 - (1 - level) / 2, k - 1) * Math.Sqrt(variance / k);
        return new Estimate(mean, mean - halfWidth, mean + halfWidth, k, method);
    }
}

using System.Globalization;

namespace MjVideo.Metrics;

/// <summary>How to bootstrap: the seed is required, so that every interval can be regenerated exactly.</summary>
public sealed record BootstrapOptions(int Seed, int Resamples = 2000, double Level = 0.95)
{
    public void Validate()
    {
        if (Resamples < 1) throw new ArgumentOutOfRangeException(nameof(Resamples), Resamples, "Needs at least 1 resample.");
        if (!(Level > 0 && Level < 1)) throw new ArgumentOutOfRangeException(nameof(Level), Level, "Needs 0 < level < 1.");
    }
}

/// <summary>
/// Seeded percentile bootstrap. Each resample draws n unit indices uniformly with replacement from a SplitMix64
/// generator (our own, so a seed gives the same intervals on every .NET version and machine) and recomputes the
/// statistic on them; the interval is the (1-level)/2 and (1+level)/2 quantiles of the resampled values
/// (linear interpolation between order statistics). Resamples where the statistic is undefined (NaN, e.g. a macro-F1 whose
/// class is missing from the resample) are left out, and how many is written into the method string.
/// </summary>
public static class Bootstrap
{
    /// <summary>Bootstraps <paramref name="statistic"/> over <paramref name="n"/> units; its value is the statistic on all units.</summary>
    /// <param name="statistic">Computes the statistic from unit indices (repeats allowed); must not keep the array.</param>
    public static Estimate Percentile(int n, Func<int[], double> statistic, BootstrapOptions options)
    {
        Check.NotNull(statistic, nameof(statistic));
        Check.NotNull(options, nameof(options));
        options.Validate();
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Needs n >= 0.");
        var method = Describe(options, "percentile bootstrap");
        var value = n == 0 ? double.NaN : statistic(Enumerable.Range(0, n).ToArray());
        if (double.IsNaN(value)) return Estimate.Undefined(n, method, n == 0 ? "no units to evaluate" : "undefined on the full sample");

        var resampled = Resample(n, options, [statistic]).Single();
        return WithInterval(value, resampled, n, options, method);
    }

    /// <summary>
    /// The paired difference statistic(A) - statistic(B) of two judges on the same units: each resample draws one set of
    /// indices and recomputes both statistics on it, so what the judges share cancels.
    /// </summary>
    public static Estimate PairedDifference(int n, Func<int[], double> statisticA, Func<int[], double> statisticB,
        BootstrapOptions options)
    {
        Check.NotNull(statisticA, nameof(statisticA));
        Check.NotNull(statisticB, nameof(statisticB));
        Check.NotNull(options, nameof(options));
        options.Validate();
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Needs n >= 0.");
        var method = Describe(options, "paired percentile bootstrap of A - B");
        var all = Enumerable.Range(0, n).ToArray();
        var value = n == 0 ? double.NaN : statisticA(all) - statisticB(all);
        if (double.IsNaN(value)) return Estimate.Undefined(n, method, n == 0 ? "no units to evaluate" : "undefined on the full sample");

        var both = Resample(n, options, [statisticA, statisticB]);
        var differences = both[0].Zip(both[1], (a, b) => a - b).ToArray();
        return WithInterval(value, differences, n, options, method);
    }

    /// <summary>Bootstraps the mean of per-unit values (per-pair credits: 0, 0.5 or 1).</summary>
    public static Estimate Mean(double[] values, BootstrapOptions options)
    {
        Check.Finite(values, nameof(values));
        return Percentile(values.Length, indices => MeanAt(values, indices), options);
    }

    /// <summary>The paired difference of two judges' mean per-unit values on the same units.</summary>
    public static Estimate PairedMeanDifference(double[] valuesA, double[] valuesB, BootstrapOptions options)
    {
        Check.Finite(valuesA, nameof(valuesA));
        Check.Finite(valuesB, nameof(valuesB));
        Check.SameLength(valuesA, nameof(valuesA), valuesB, nameof(valuesB));
        return PairedDifference(valuesA.Length, i => MeanAt(valuesA, i), i => MeanAt(valuesB, i), options);
    }

    static double MeanAt(double[] values, int[] indices)
    {
        var sum = 0.0;
        foreach (var i in indices) sum += values[i];
        return sum / indices.Length;
    }

    // One stream of index draws, shared by all statistics of a resample.
    static double[][] Resample(int n, BootstrapOptions options, Func<int[], double>[] statistics)
    {
        var results = statistics.Select(_ => new double[options.Resamples]).ToArray();
        var random = new SplitMix64((ulong)options.Seed);
        var indices = new int[n];
        for (var r = 0; r < options.Resamples; r++)
        {
            for (var i = 0; i < n; i++) indices[i] = random.NextInt(n);
            for (var s = 0; s < statistics.Length; s++) results[s][r] = statistics[s](indices);
        }
        return results;
    }

    static Estimate WithInterval(double value, double[] resampled, int n, BootstrapOptions options, string method)
    {
        var defined = resampled.Where(v => !double.IsNaN(v)).Order().ToArray();
        var dropped = resampled.Length - defined.Length;
        if (dropped > 0)
            method += string.Create(CultureInfo.InvariantCulture, $", {dropped} undefined resamples left out");
        if (defined.Length == 0)
            return new Estimate(value, double.NaN, double.NaN, n, method) { Note = "every resample was undefined" };
        var tail = (1 - options.Level) / 2;
        return new Estimate(value, Quantile(defined, tail), Quantile(defined, 1 - tail), n, method);
    }

    /// <summary>The q-quantile of sorted values, interpolating linearly between order statistics (position q(m-1)).</summary>
    public static double Quantile(double[] sorted, double q)
    {
        Check.NotNull(sorted, nameof(sorted));
        if (sorted.Length == 0) throw new ArgumentException("Needs at least one value.", nameof(sorted));
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "Needs 0 <= q <= 1.");
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    static string Describe(BootstrapOptions options, string kind) => string.Create(CultureInfo.InvariantCulture,
        $"{kind}, {options.Level * 100:0.#}%, {options.Resamples} resamples, seed {options.Seed}, SplitMix64");
}

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit generator that passes BigCrush, defined by three lines of integer
/// arithmetic, so its streams are identical everywhere. Bounded draws use Lemire's multiply-and-reject, which is unbiased.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, bound).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "Needs bound > 0.");
        var range = (ulong)bound;
        // The high word of x * range is uniform on [0, range) once the few x whose low word falls below 2^64 mod range
        // are rejected.
        var high = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var rejectBelow = (0UL - range) % range;
            while (low < rejectBelow) high = Math.BigMul(NextUInt64(), range, out low);
        }
        return (int)high;
    }
}

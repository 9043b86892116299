using System.Globalization;

namespace MjVideo.Metrics;

/// <summary>
/// The difference between two judges over training seeds and test pairs: a two-stage paired bootstrap that
/// resamples seeds, then pairs within each drawn seed.
/// </summary>
/// <remarks>
/// Why two stages: a t interval over three seeds sees only how much the seeds disagree. When three seeds agree to one
/// pair it is nearly zero-width, yet the same test pairs could have fallen otherwise. Resampling the seeds carries the
/// training-seed spread; resampling the pairs within each seed carries the test-set spread. Both judges are read on the
/// same drawn pairs, so what they share cancels (the paired part).
/// </remarks>
public static class SeedPairBootstrap
{
    /// <summary>
    /// Judge A minus judge B: the mean over seeds of each seed's mean per-pair difference. Per-pair values are credits
    /// (strict: 1 or 0; tie-aware: 1, 0.5 or 0) or any per-pair score.
    /// </summary>
    /// <param name="valuesA">per seed, judge A's value on each pair</param>
    /// <param name="valuesB">per seed, judge B's value on the same pairs in the same order (for a judge without training
    /// seeds, its one run's values under every seed)</param>
    /// <returns>The difference; n is the number of seeds; the method names the pairs per seed.</returns>
    public static Estimate Difference(IReadOnlyList<double[]> valuesA, IReadOnlyList<double[]> valuesB, BootstrapOptions options)
    {
        Check.NotNull(valuesA, nameof(valuesA));
        Check.NotNull(valuesB, nameof(valuesB));
        Check.NotNull(options, nameof(options));
        options.Validate();
        if (valuesA.Count != valuesB.Count)
            throw new ArgumentException($"valuesB has {valuesB.Count} seeds but valuesA has {valuesA.Count}; they must match one to one.", nameof(valuesB));
        var differences = new double[valuesA.Count][];
        for (var s = 0; s < valuesA.Count; s++)
        {
            Check.Finite(valuesA[s], $"{nameof(valuesA)}[{s}]");
            Check.Finite(valuesB[s], $"{nameof(valuesB)}[{s}]");
            Check.SameLength(valuesA[s], $"{nameof(valuesA)}[{s}]", valuesB[s], $"{nameof(valuesB)}[{s}]");
            differences[s] = valuesA[s].Zip(valuesB[s], (a, b) => a - b).ToArray();
        }
        var seeds = differences.Length;
        var pairs = string.Join("/", differences.Select(d => d.Length).Distinct());
        var method = string.Create(CultureInfo.InvariantCulture,
            $"paired bootstrap over {seeds} seeds, then {pairs} pairs within each, {options.Level * 100:0.#}%, {options.Resamples} resamples, seed {options.Seed}, SplitMix64");
        if (seeds == 0) return Estimate.Undefined(0, method, "no seeds to compare");
        if (differences.Any(d => d.Length == 0)) return Estimate.Undefined(seeds, method, "a seed has no pairs");

        var value = differences.Average(d => d.Average());
        var random = new SplitMix64((ulong)options.Seed);
        var resampled = new double[options.Resamples];
        for (var r = 0; r < options.Resamples; r++)
        {
            var sum = 0.0;
            for (var s = 0; s < seeds; s++)
            {
                var drawn = differences[random.NextInt(seeds)];
                var seedSum = 0.0;
                for (var i = 0; i < drawn.Length; i++) seedSum += drawn[random.NextInt(drawn.Length)];
                sum += seedSum / drawn.Length;
            }
            resampled[r] = sum / seeds;
        }
        Array.Sort(resampled);
        var tail = (1 - options.Level) / 2;
        return new Estimate(value, Bootstrap.Quantile(resampled, tail), Bootstrap.Quantile(resampled, 1 - tail), seeds, method);
    }

    /// <summary>The same for per-pair correctness (true = the judge got the pair right): a difference of accuracies.</summary>
    public static Estimate Difference(IReadOnlyList<bool[]> correctA, IReadOnlyList<bool[]> correctB, BootstrapOptions options)
    {
        Check.NotNull(correctA, nameof(correctA));
        Check.NotNull(correctB, nameof(correctB));
        static double[] Credits(bool[] correct) => correct?.Select(c => c ? 1.0 : 0.0).ToArray()!;
        return Difference(correctA.Select(Credits).ToList(), correctB.Select(Credits).ToList(), options);
    }
}

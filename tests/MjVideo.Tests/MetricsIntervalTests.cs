using MjVideo.Metrics;

namespace MjVideo.Tests;

public class MetricsIntervalTests
{
    const double Z975 = 1.959963984540054;

    [Theory]
    // Wilson: center = (p + z²/2n) / (1 + z²/n), half = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²), z = 1.959964, z² = 3.841459.
    // 77/112: p = 0.6875, 1 + z²/n = 1.0342987, center = (0.6875 + 0.0171494) / 1.0342987 = 0.6812823,
    //         half = 1.959964 / 1.0342987 * sqrt(0.00191825 + 0.00007656) = 0.0846355 -> [0.596647, 0.765918]
    [InlineData(77, 112, 0.596647, 0.765918)]
    // 0/10: center = (0 + 0.1920730) / 1.3841459 = 0.1387664, half = 1.959964 / 1.3841459 * sqrt(0 + 0.00960365) = 0.1387664
    //       -> [0, 0.277533]
    [InlineData(0, 10, 0.0, 0.277533)]
    // 10/10: the mirror image of 0/10 -> [1 - 0.277533, 1]
    [InlineData(10, 10, 0.722467, 1.0)]
    // 1/2: center = (0.5 + 0.9603647) / 2.9207295 = 0.5, half = 1.959964 / 2.9207295 * sqrt(0.125 + 0.2400912) = 0.4054688
    //      -> [0.094531, 0.905469]
    [InlineData(1, 2, 0.094531, 0.905469)]
    public void Wilson_interval_matches_the_formula_by_hand(int successes, int n, double low, double high)
    {
        var estimate = Intervals.Wilson(successes, n);

        Assert.Equal((double)successes / n, estimate.Value, 12);
        Assert.Equal(low, estimate.Low, 1e-5);
        Assert.Equal(high, estimate.High, 1e-5);
        Assert.Equal(n, estimate.N);
        Assert.StartsWith("Wilson", estimate.Method);
    }

    [Fact]
    public void Wilson_is_told_apart_from_the_wald_interval()
    {
        // Wald for 77/112: 0.6875 ± 1.959964 * sqrt(0.6875 * 0.3125 / 112) = 0.6875 ± 0.085842 -> [0.601658, 0.773342].
        var wilson = Intervals.Wilson(77, 112);
        Func<int, int, (double, double)> wald = (k, n) =>
        {
            var p = (double)k / n;
            var half = Z975 * Math.Sqrt(p * (1 - p) / n);
            return (p - half, p + half);
        };
        var (waldLow, waldHigh) = wald(77, 112);
        Assert.True(Math.Abs(wilson.Low - waldLow) > 1e-3);
        Assert.True(Math.Abs(wilson.High - waldHigh) > 1e-3);
        Assert.False(Intervals.Wilson(0, 0).IsDefined);
        Assert.Throws<ArgumentOutOfRangeException>(() => Intervals.Wilson(3, 2));
    }

    [Theory]
    // Two-sided 95% critical values: the t table's 4.303, 2.776, 2.262, 2.045, here to 8 decimals.
    [InlineData(2, 4.30265273)]
    [InlineData(4, 2.77644511)]
    [InlineData(9, 2.26215716)]
    [InlineData(29, 2.04522964)]
    public void Student_t_quantiles_match_the_table(int degreesOfFreedom, double expected)
    {
        var t = Distributions.StudentTQuantile(0.975, degreesOfFreedom);
        Assert.Equal(expected, t, 1e-7);
        Assert.Equal(Math.Round(expected, 3), Math.Round(t, 3));
        Assert.Equal(-t, Distributions.StudentTQuantile(0.025, degreesOfFreedom), 9);
    }

    [Theory]
    [InlineData(0.975)]
    [InlineData(0.9)]
    [InlineData(0.6)]
    [InlineData(0.999)]
    public void Student_t_quantiles_match_the_closed_forms_for_one_and_two_degrees_of_freedom(double p)
    {
        // df = 1 is the Cauchy distribution: t = tan(π (p - 1/2)). df = 2: t = (2p - 1) / sqrt(2 p (1 - p)).
        Assert.Equal(Math.Tan(Math.PI * (p - 0.5)), Distributions.StudentTQuantile(p, 1), 8);
        Assert.Equal((2 * p - 1) / Math.Sqrt(2 * p * (1 - p)), Distributions.StudentTQuantile(p, 2), 8);
    }

    [Fact]
    public void Special_functions_match_reference_values()
    {
        Assert.Equal(0.5 * Math.Log(Math.PI), Distributions.LogGamma(0.5), 12); // ln Γ(1/2) = ln sqrt(π)
        Assert.Equal(Math.Log(362880), Distributions.LogGamma(10), 11);         // Γ(10) = 9!
        Assert.Equal(Math.Log(120), Distributions.LogChoose(10, 3), 11);       // C(10,3) = 10! / (3! 7!) = 120
        // I_x(a, 1) = x^a and I_x(1/2 symmetric): I_0.5(a, a) = 1/2; I_0.3(2.5, 1.5) = 0.0889437231706656 (mpmath).
        Assert.Equal(Math.Pow(0.3, 2.5), Distributions.BetaRegularized(2.5, 1, 0.3), 12);
        Assert.Equal(0.5, Distributions.BetaRegularized(3.5, 3.5, 0.5), 12);
        Assert.Equal(0.0889437231706656, Distributions.BetaRegularized(2.5, 1.5, 0.3), 12);
        // P(3, 2) = 1 - e^-2 (1 + 2 + 2) = 0.3233235838169365.
        Assert.Equal(1 - Math.Exp(-2) * 5, Distributions.GammaP(3, 2), 12);
        Assert.Equal(0.4795001221869535, Distributions.Erfc(0.5), 12);
        Assert.Equal(0.000406952017444959, Distributions.Erfc(2.5), 14);
        Assert.Equal(0.9750021048517796, Distributions.NormalCdf(1.96), 12);
        Assert.Equal(Z975, Distributions.NormalQuantile(0.975), 9);
        Assert.Equal(0, Distributions.NormalQuantile(0.5), 9);
        // The chi-square(1) 5% point is z²; P(χ²₁ > 5.6) = erfc(sqrt(2.8)) = 0.017960477526078766.
        Assert.Equal(0.05, Distributions.ChiSquareSurvival(Z975 * Z975, 1), 10);
        Assert.Equal(0.017960477526078766, Distributions.ChiSquareSurvival(5.6, 1), 12);
    }

    [Fact]
    public void Mean_over_seeds_uses_the_t_quantile_and_the_sample_standard_deviation()
    {
        // mean 0.70; deviations 0, +0.02, -0.02 -> s² = 0.0008 / 2 = 0.0004, s = 0.02, s / sqrt(3) = 0.0115470;
        // half = 4.302653 * 0.0115470 = 0.0496827 -> [0.650317, 0.749683].
        double[] seeds = [0.70, 0.72, 0.68];

        var estimate = Intervals.MeanOverSeeds(seeds);

        Assert.Equal(0.70, estimate.Value, 12);
        Assert.Equal(0.650317, estimate.Low, 1e-6);
        Assert.Equal(0.749683, estimate.High, 1e-6);
        Assert.Equal(3, estimate.N);
        // Wrong variants: the normal quantile (half 1.959964 * 0.011547 = 0.022632) or the population standard deviation
        // (sqrt(0.0008 / 3) / sqrt(3) * 4.302653 = 0.040566) give other half-widths.
        var half = estimate.High - estimate.Value;
        Assert.NotEqual(0.022632, half, 4);
        Assert.NotEqual(0.040566, half, 4);

        var single = Intervals.MeanOverSeeds([0.7]);
        Assert.False(single.HasInterval);
        Assert.Equal("70.00 [no interval] (n=1)", single.Format());
    }

    static (bool[] A, bool[] B) Paired(int bothRight, int onlyA, int onlyB, int bothWrong)
    {
        var a = new List<bool>();
        var b = new List<bool>();
        void Add(int count, bool x, bool y) { for (var i = 0; i < count; i++) { a.Add(x); b.Add(y); } }
        Add(bothRight, true, true);
        Add(onlyA, true, false);
        Add(onlyB, false, true);
        Add(bothWrong, false, false);
        return (a.ToArray(), b.ToArray());
    }

    [Fact]
    public void McNemar_is_exact_for_few_discordant_pairs()
    {
        // b = 3, c = 9, b + c = 12 < 25: p = 2 * sum_{k<=3} C(12,k) / 2^12 = 2 * (1 + 12 + 66 + 220) / 4096 = 0.14599609375.
        var (a, b) = Paired(bothRight: 20, onlyA: 3, onlyB: 9, bothWrong: 5);

        var result = McNemar.Test(a, b);

        Assert.Equal(0.14599609375, result.PValue, 12);
        Assert.Equal((3, 9, 37), (result.OnlyACorrect, result.OnlyBCorrect, result.N));
        Assert.Equal(23.0 / 37, result.AccuracyA, 12);
        Assert.Equal(29.0 / 37, result.AccuracyB, 12);
        Assert.Equal(-6.0 / 37, result.Difference, 12); // (b - c) / n
        Assert.StartsWith("exact binomial", result.Method);
        // One-sided (half) or without doubling would be 0.0729980...; the statistic is not used.
        Assert.NotEqual(0.14599609375 / 2, result.PValue, 6);
        Assert.True(double.IsNaN(result.Statistic));
    }

    [Fact]
    public void McNemar_uses_the_continuity_corrected_chi_square_from_25_discordant_pairs()
    {
        // b = 25, c = 10: (|25 - 10| - 1)² / 35 = 196 / 35 = 5.6, p = P(χ²₁ > 5.6) = 0.0179604775.
        var (a, b) = Paired(bothRight: 50, onlyA: 25, onlyB: 10, bothWrong: 15);

        var result = McNemar.Test(a, b);

        Assert.Equal(5.6, result.Statistic, 12);
        Assert.Equal(0.017960477526078766, result.PValue, 10);
        Assert.Equal(15.0 / 100, result.Difference, 12);
        Assert.StartsWith("chi-square with continuity correction", result.Method);
        // Without the correction: 15² / 35 = 6.4286, p = 0.0112299.
        Assert.NotEqual(0.011229886652916679, result.PValue, 4);

        // The switch: 24 discordant pairs are tested exactly, 25 by chi-square; none at all gives p = 1.
        Assert.StartsWith("exact", McNemar.Test(Paired(5, 12, 12, 0).A, Paired(5, 12, 12, 0).B).Method);
        Assert.StartsWith("chi-square", McNemar.Test(Paired(5, 13, 12, 0).A, Paired(5, 13, 12, 0).B).Method);
        Assert.Equal(1, McNemar.Test(Paired(5, 0, 0, 3).A, Paired(5, 0, 0, 3).B).PValue);
    }

    [Fact]
    public void Bootstrap_is_deterministic_for_a_seed_and_close_to_the_normal_interval_on_a_large_proportion()
    {
        // 77 ones and 35 zeros: the Wald interval [0.601658, 0.773342] is a fair yardstick at n = 112; a percentile
        // bootstrap of 2000 resamples lands within about 0.01 of it.
        var credits = Enumerable.Range(0, 112).Select(i => i < 77 ? 1.0 : 0.0).ToArray();

        var first = Bootstrap.Mean(credits, new BootstrapOptions(Seed: 1));
        var again = Bootstrap.Mean(credits, new BootstrapOptions(Seed: 1));

        Assert.Equal(first, again);
        Assert.Equal(0.6875, first.Value, 12);
        Assert.InRange(first.Low, 0.601658 - 0.02, 0.601658 + 0.02);
        Assert.InRange(first.High, 0.773342 - 0.02, 0.773342 + 0.02);
        Assert.Equal("percentile bootstrap, 95%, 2000 resamples, seed 1, SplitMix64", first.Method);
    }

    [Fact]
    public void Paired_bootstrap_resamples_both_judges_with_the_same_indices()
    {
        var judge = Enumerable.Range(0, 50).Select(i => i % 3 == 0 ? 0.0 : 1.0).ToArray();
        // Identical judges: every resample's difference is exactly 0 only if both see the same indices.
        var same = Bootstrap.PairedMeanDifference(judge, (double[])judge.Clone(), new BootstrapOptions(Seed: 4));
        Assert.Equal((0.0, 0.0, 0.0), (same.Value, same.Low, same.High));

        // B is A plus one more right pair (index 0): the difference is -1/50 on the full sample and never positive.
        var better = (double[])judge.Clone();
        better[0] = 1;
        var difference = Bootstrap.PairedMeanDifference(judge, better, new BootstrapOptions(Seed: 4));
        Assert.Equal(-1.0 / 50, difference.Value, 12);
        Assert.True(difference.High <= 0);
        Assert.StartsWith("paired percentile bootstrap of A - B", difference.Method);
    }

    [Fact]
    public void Undefined_resamples_are_left_out_and_counted()
    {
        // Macro-F1 of two videos, one good and one bad, both predicted right: 1 on the full sample, undefined in every
        // resample that draws the same video twice (about half of them).
        var videos = new GoodBadVideos([1, -1], [1, 2]);

        var estimate = videos.MacroF1(new BootstrapOptions(Seed: 2, Resamples: 200));

        Assert.Equal(1, estimate.Value);
        Assert.Matches(@", \d+ undefined resamples left out$", estimate.Method);
        Assert.Equal((1.0, 1.0), (estimate.Low, estimate.High));
    }

    [Fact]
    public void Quantiles_interpolate_between_order_statistics()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1, Bootstrap.Quantile(sorted, 0));
        Assert.Equal(1.75, Bootstrap.Quantile(sorted, 0.25), 12); // position 0.75
        Assert.Equal(2.5, Bootstrap.Quantile(sorted, 0.5), 12);   // position 1.5
        Assert.Equal(4, Bootstrap.Quantile(sorted, 1));
    }

    [Fact]
    public void SplitMix64_reproduces_the_reference_stream()
    {
        // Reference outputs of SplitMix64 from state 0 (computed from its definition with Python integers).
        var random = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, random.NextUInt64());

        // Bounded draws stay in range and are near-uniform: 60000 draws over 6 values, each within 5 sd (5 * 91) of 10000.
        var counts = new int[6];
        var draws = new SplitMix64(42);
        for (var i = 0; i < 60000; i++) counts[draws.NextInt(6)]++;
        Assert.All(counts, c => Assert.InRange(c, 10000 - 455, 10000 + 455));
    }
}

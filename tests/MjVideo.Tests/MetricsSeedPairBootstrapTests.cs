using MjVideo.Data;
using MjVideo.Metrics;

namespace MjVideo.Tests;

public class MetricsSeedPairBootstrapTests
{
    static readonly BootstrapOptions Seeded = new(Seed: 11, Resamples: 2000);

    // Ten pairs: A right on 7, B right on 4 (both right on 4, only A on 3): A - B = 0.3 on every seed.
    static readonly bool[] CorrectA = [true, true, false, true, false, true, true, false, true, true];
    static readonly bool[] CorrectB = [true, false, false, true, false, false, true, false, true, false];

    [Fact]
    public void Seeds_that_agree_to_one_pair_still_get_an_interval_from_the_pairs()
    {
        var difference = SeedPairBootstrap.Difference([CorrectA, CorrectA, CorrectA], [CorrectB, CorrectB, CorrectB], Seeded);
        Assert.Equal(0.3, difference.Value, 12);
        Assert.Equal(3, difference.N);
        // The t interval over these three seeds is the point 0.3; resampling the pairs is not.
        var t = Intervals.MeanOverSeeds([0.3, 0.3, 0.3]);
        Assert.Equal(t.Low, t.High, 12);
        Assert.True(difference.Low < 0.25 && difference.High > 0.35, $"interval {difference.Low}..{difference.High}");
        Assert.Contains("over 3 seeds, then 10 pairs", difference.Method);
    }

    [Fact]
    public void The_same_seed_gives_the_same_interval_and_another_seed_another()
    {
        IReadOnlyList<bool[]> a = [CorrectA, CorrectB, CorrectA], b = [CorrectB, CorrectB, CorrectA];
        var first = SeedPairBootstrap.Difference(a, b, Seeded);
        var again = SeedPairBootstrap.Difference(a, b, Seeded);
        Assert.Equal(first, again);
        var other = SeedPairBootstrap.Difference(a, b, Seeded with { Seed = 12 });
        Assert.Equal(first.Value, other.Value, 12);
        Assert.NotEqual((first.Low, first.High), (other.Low, other.High));
    }

    [Fact]
    public void Seeds_are_resampled_as_well_as_pairs()
    {
        // Seed 0: A and B agree on every pair (difference 0); seed 1: A right and B wrong on every pair (difference 1).
        // Pairs alone cannot move either seed's mean; drawing seeds gives 0, 0.5 or 1 with chances 1/4, 1/2, 1/4, whose
        // 2.5% and 97.5% quantiles are 0 and 1.
        bool[] allRight = [true, true, true, true], allWrong = [false, false, false, false];
        var difference = SeedPairBootstrap.Difference([allRight, allRight], [allRight, allWrong], Seeded);
        Assert.Equal(0.5, difference.Value, 12);
        Assert.Equal(0.0, difference.Low, 12);
        Assert.Equal(1.0, difference.High, 12);
    }

    [Fact]
    public void Pairs_are_resampled_within_a_seed()
    {
        // One seed, differences 1, 0, 0, 0: the mean of four draws is k/4 with k ~ Binomial(4, 1/4);
        // P(k = 0) = 0.32 > 2.5%, P(k >= 3) = 0.051 > 2.5% > P(k = 4) = 0.004: the interval is [0, 0.75].
        var difference = SeedPairBootstrap.Difference([new[] { 1.0, 0, 0, 0 }], [new[] { 0.0, 0, 0, 0 }], Seeded);
        Assert.Equal(0.25, difference.Value, 12);
        Assert.Equal(0.0, difference.Low, 12);
        Assert.Equal(0.75, difference.High, 12);
    }

    [Fact]
    public void Identical_judges_differ_by_exactly_zero_because_the_draws_are_paired()
    {
        var difference = SeedPairBootstrap.Difference([CorrectA, CorrectB], [CorrectA, CorrectB], Seeded);
        Assert.Equal((0.0, 0.0, 0.0), (difference.Value, difference.Low, difference.High));
    }

    [Fact]
    public void Scores_become_credits_per_seed_and_mismatched_inputs_are_refused()
    {
        // Two pairs, both Video 1 better. A scores them right on seed 0 and ties the second on seed 1; B is always wrong.
        PreferenceLabel[] labels = [PreferenceLabel.Video1Better, PreferenceLabel.Video1Better];
        var a = new[] { (new double[] { 2, 2 }, new double[] { 1, 1 }), (new double[] { 2, 1 }, new double[] { 1, 1 }) };
        var b = new[] { (new double[] { 0, 0 }, new double[] { 1, 1 }), (new double[] { 0, 0 }, new double[] { 1, 1 }) };
        // Strict: seed 0 1 - 0, seed 1 0.5 - 0 -> 0.75; tie-aware: seed 1 gives 0.75 -> 0.875.
        Assert.Equal(0.75, PreferenceAccuracy.PairedDifferenceOverSeeds(a, b, labels, PreferenceAccuracy.StrictTieCredit, Seeded).Value, 12);
        Assert.Equal(0.875, PreferenceAccuracy.PairedDifferenceOverSeeds(a, b, labels, PreferenceAccuracy.TieAwareTieCredit, Seeded).Value, 12);

        Assert.Throws<ArgumentException>(() => SeedPairBootstrap.Difference([CorrectA, CorrectA], [CorrectB], Seeded));
        Assert.Throws<ArgumentException>(() => SeedPairBootstrap.Difference([CorrectA], [CorrectB[..5]], Seeded));
    }
}

using MjVideo.Data;
using MjVideo.Metrics;
using static MjVideo.Data.PreferenceLabel;

namespace MjVideo.Tests;

public class MetricsPreferenceTests
{
    static readonly BootstrapOptions Seeded = new(Seed: 7);

    /// <summary>
    /// A deliberately simple re-statement of the accuracy, with the knobs a wrong implementation would turn: the credit of
    /// a predicted tie, an offset on the denominator, and whether non-decisive pairs enter the denominator.
    /// </summary>
    static double Variant(double[] s0, double[] s1, PreferenceLabel[] labels, double tieCredit, int denominatorOffset = 0,
        bool countNonDecisive = false)
    {
        double credit = 0;
        var n = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var decisive = labels[i] is Video1Better or Video2Better;
            if (decisive || countNonDecisive) n++;
            if (!decisive) continue;
            var (winner, loser) = labels[i] == Video1Better ? (s0[i], s1[i]) : (s1[i], s0[i]);
            credit += winner > loser ? 1 : winner == loser ? tieCredit : 0;
        }
        return credit / (n + denominatorOffset);
    }

    /// <summary>112 decisive pairs of which 77 are judged right, plus 10 non-decisive pairs that must not count.</summary>
    static (double[] S0, double[] S1, PreferenceLabel[] Labels) PaperHeadline()
    {
        var s0 = new List<double>();
        var s1 = new List<double>();
        var labels = new List<PreferenceLabel>();
        for (var i = 0; i < 112; i++)
        {
            var label = i % 2 == 0 ? Video1Better : Video2Better;
            var preferredScore = i < 77 ? 0.9 : 0.1; // the first 77 are right, the other 35 wrong
            var otherScore = 0.5;
            labels.Add(label);
            s0.Add(label == Video1Better ? preferredScore : otherScore);
            s1.Add(label == Video1Better ? otherScore : preferredScore);
        }
        PreferenceLabel[] others = [Same, Same, Same, HardToJudge, HardToJudge, HardToJudge, BothBad, BothBad, Same, HardToJudge];
        foreach (var label in others)
        {
            labels.Add(label);
            s0.Add(0.9);
            s1.Add(0.1);
        }
        return (s0.ToArray(), s1.ToArray(), labels.ToArray());
    }

    [Fact]
    public void Paper_headline_77_of_112_decisive_pairs_is_68_75_percent_strict()
    {
        var (s0, s1, labels) = PaperHeadline();

        var strict = PreferenceAccuracy.Strict(s0, s1, labels);

        // 77 / 112 = 0.6875 exactly; the 10 Same / Hard to judge / Both bad pairs are outside n.
        Assert.Equal(0.6875, strict.Value, 12);
        Assert.Equal(112, strict.N);
        // No predicted ties, so tie-aware equals strict.
        Assert.Equal(0.6875, PreferenceAccuracy.TieAware(s0, s1, labels, Seeded).Value, 12);

        // Wrong variants give other numbers on this case: 77/113, 77/111, 77/122.
        Func<double>[] wrong =
        [
            () => Variant(s0, s1, labels, tieCredit: 0, denominatorOffset: +1),
            () => Variant(s0, s1, labels, tieCredit: 0, denominatorOffset: -1),
            () => Variant(s0, s1, labels, tieCredit: 0, countNonDecisive: true),
        ];
        foreach (var variant in wrong) Assert.NotEqual(variant(), strict.Value, 6);
        Assert.Equal(strict.Value, Variant(s0, s1, labels, tieCredit: 0), 12);
    }

    [Fact]
    public void One_predicted_tie_in_four_pairs_gives_75_strict_and_87_5_tie_aware()
    {
        // Pair 2 is a predicted tie; the other three are judged right.
        double[] s0 = [0.9, 0.2, 0.5, 0.7];
        double[] s1 = [0.1, 0.8, 0.5, 0.3];
        PreferenceLabel[] labels = [Video1Better, Video2Better, Video2Better, Video1Better];

        var strict = PreferenceAccuracy.Strict(s0, s1, labels);
        var tieAware = PreferenceAccuracy.TieAware(s0, s1, labels, Seeded);

        Assert.Equal(0.75, strict.Value, 12);    // 3 / 4
        Assert.Equal(0.875, tieAware.Value, 12); // (3 + 0.5) / 4
        Assert.Equal(4, tieAware.N);

        // Tie counted 1 in strict -> 1.0; 0.5 in strict -> 0.875; 0 in tie-aware -> 0.75; 1 in tie-aware -> 1.0;
        // denominators off by one -> 3.5/5 = 0.7 and 3.5/3 = 1.1667.
        Assert.NotEqual(Variant(s0, s1, labels, tieCredit: 1), strict.Value, 6);
        Assert.NotEqual(Variant(s0, s1, labels, tieCredit: 0.5), strict.Value, 6);
        Assert.NotEqual(Variant(s0, s1, labels, tieCredit: 0), tieAware.Value, 6);
        Assert.NotEqual(Variant(s0, s1, labels, tieCredit: 1), tieAware.Value, 6);
        Assert.NotEqual(Variant(s0, s1, labels, tieCredit: 0.5, denominatorOffset: +1), tieAware.Value, 6);
        Assert.NotEqual(Variant(s0, s1, labels, tieCredit: 0.5, denominatorOffset: -1), tieAware.Value, 6);
    }

    [Fact]
    public void Mixed_case_with_ties_and_non_decisive_pairs_tells_every_wrong_variant_apart()
    {
        //            right  wrong  tie   Same  right  tie   Hard  wrong  BothBad
        double[] s0 = [0.9, 0.1, 0.4, 0.8, 0.3, 0.6, 0.2, 0.7, 0.5];
        double[] s1 = [0.2, 0.6, 0.4, 0.1, 0.9, 0.6, 0.7, 0.1, 0.5];
        PreferenceLabel[] labels =
            [Video1Better, Video1Better, Video2Better, Same, Video2Better, Video1Better, HardToJudge, Video2Better, BothBad];

        var strict = PreferenceAccuracy.Strict(s0, s1, labels);
        var tieAware = PreferenceAccuracy.TieAware(s0, s1, labels, Seeded);

        // Decisive pairs: 0 right, 1 wrong, 2 tie, 4 right, 5 tie, 7 wrong -> n = 6.
        Assert.Equal(6, strict.N);
        Assert.Equal(2.0 / 6, strict.Value, 12);   // 2 right
        Assert.Equal(3.0 / 6, tieAware.Value, 12); // 2 right + 2 ties x 0.5

        Func<double>[] wrongStrict =
        [
            () => Variant(s0, s1, labels, 0.5), () => Variant(s0, s1, labels, 1), // 3/6, 4/6
            () => Variant(s0, s1, labels, 0, +1), () => Variant(s0, s1, labels, 0, -1), // 2/7, 2/5
            () => Variant(s0, s1, labels, 0, countNonDecisive: true), // 2/9
        ];
        Func<double>[] wrongTieAware =
        [
            () => Variant(s0, s1, labels, 0), () => Variant(s0, s1, labels, 1), // 2/6, 4/6
            () => Variant(s0, s1, labels, 0.5, +1), () => Variant(s0, s1, labels, 0.5, -1), // 3/7, 3/5
            () => Variant(s0, s1, labels, 0.5, countNonDecisive: true), // 3/9
        ];
        foreach (var variant in wrongStrict) Assert.NotEqual(variant(), strict.Value, 6);
        foreach (var variant in wrongTieAware) Assert.NotEqual(variant(), tieAware.Value, 6);
    }

    [Fact]
    public void Paired_difference_of_two_judges_counts_the_same_pairs_for_both()
    {
        PreferenceLabel[] labels = [Video1Better, Video2Better, Video2Better, Video1Better, Same];
        // Judge A: right, right, tie, right (tie-aware credits 1, 1, 0.5, 1); the Same pair is outside n.
        double[] a0 = [0.9, 0.2, 0.5, 0.7, 0.0], a1 = [0.1, 0.8, 0.5, 0.3, 1.0];
        // Judge B: right, right, wrong, wrong (credits 1, 1, 0, 0).
        double[] b0 = [0.9, 0.2, 0.6, 0.2, 0.0], b1 = [0.1, 0.8, 0.5, 0.3, 1.0];

        var tieAware = PreferenceAccuracy.PairedDifference(a0, a1, b0, b1, labels, PreferenceAccuracy.TieAwareTieCredit, Seeded);
        var strict = PreferenceAccuracy.PairedDifference(a0, a1, b0, b1, labels, PreferenceAccuracy.StrictTieCredit, Seeded);

        Assert.Equal(3.5 / 4 - 2.0 / 4, tieAware.Value, 12); // 0.375
        Assert.Equal(3.0 / 4 - 2.0 / 4, strict.Value, 12);   // 0.25
        Assert.Equal(4, tieAware.N);
        // A's tie counted 0 or 1 instead of 0.5 would give 0.25 or 0.5; the Same pair in n would give 1.5 / 5.
        foreach (var wrong in new[] { 0.25, 0.5, 1.5 / 5 }) Assert.NotEqual(wrong, tieAware.Value, 6);
        // B is never right where A is wrong, so no resample can favour B.
        Assert.True(tieAware.Low >= 0);

        var mcnemar = McNemar.Test(PreferenceAccuracy.StrictCorrect(a0, a1, labels), PreferenceAccuracy.StrictCorrect(b0, b1, labels));
        Assert.Equal((1, 0), (mcnemar.OnlyACorrect, mcnemar.OnlyBCorrect)); // pair 3; pair 2 is wrong for both under strict
        Assert.Equal(strict.Value, mcnemar.Difference, 12);
    }

    [Fact]
    public void Credits_follow_input_order_and_skip_non_decisive_pairs()
    {
        double[] s0 = [1, 0, 2, 5];
        double[] s1 = [0, 0, 3, 4];
        PreferenceLabel[] labels = [Video1Better, Same, Video1Better, Video2Better];

        Assert.Equal(new[] { 1.0, 0.0, 0.0 }, PreferenceAccuracy.Credits(s0, s1, labels, 0.5));
        Assert.Equal(new[] { true, false, false }, PreferenceAccuracy.StrictCorrect(s0, s1, labels));
        Assert.Equal(new[] { 0.5 }, PreferenceAccuracy.Credits([3], [3], [Video2Better], 0.5));
    }

    [Fact]
    public void No_decisive_pair_gives_an_undefined_accuracy_not_zero()
    {
        var strict = PreferenceAccuracy.Strict([1, 2], [2, 1], [Same, HardToJudge]);
        Assert.False(strict.IsDefined);
        Assert.Equal(0, strict.N);
        Assert.Equal("undefined (n=0)", strict.Format());
        Assert.False(PreferenceAccuracy.TieAware([1], [2], [BothBad], Seeded).IsDefined);
    }

    [Fact]
    public void Tie_aware_bootstrap_is_deterministic_for_a_seed_and_brackets_the_value()
    {
        var (s0, s1, labels) = PaperHeadline();

        var first = PreferenceAccuracy.TieAware(s0, s1, labels, new BootstrapOptions(Seed: 11));
        var again = PreferenceAccuracy.TieAware(s0, s1, labels, new BootstrapOptions(Seed: 11));
        var other = PreferenceAccuracy.TieAware(s0, s1, labels, new BootstrapOptions(Seed: 12));

        Assert.Equal(first, again);
        Assert.NotEqual((first.Low, first.High), (other.Low, other.High));
        Assert.InRange(first.Value, first.Low, first.High);
        Assert.Contains("2000 resamples, seed 11", first.Method);
    }

    [Fact]
    public void Bad_input_names_the_argument_and_the_value()
    {
        var lengths = Assert.Throws<ArgumentException>(() => PreferenceAccuracy.Strict([1, 2], [1], [Video1Better, Same]));
        Assert.Equal("score1", lengths.ParamName);
        Assert.Contains("1 entries but labels has 2", lengths.Message);

        var nan = Assert.Throws<ArgumentException>(() =>
            PreferenceAccuracy.Strict([1, 2, double.NaN], [0, 1, 2], [Video1Better, Same, Video2Better]));
        Assert.Equal("score0", nan.ParamName);
        Assert.Contains("score0[2] is NaN", nan.Message);

        var label = Assert.Throws<ArgumentException>(() => PreferenceAccuracy.Strict([1], [0], [(PreferenceLabel)42]));
        Assert.Contains("labels[0] is 42", label.Message);
    }
}

using MjVideo.Data;
using MjVideo.Metrics;
using static MjVideo.Data.PreferenceLabel;

namespace MjVideo.Tests;

public class MetricsTieCalibrationTests
{
    // Integer scores keep every |s0 - s1| exact.
    //                     a   b   c   d   e   f   g   h            i
    static readonly double[] S0 = [9, 5, 2, 3, 6, 1, 7, 0, 2];
    static readonly double[] S1 = [1, 4, 6, 3, 5, 4, 7, 10, 0];
    static readonly PreferenceLabel[] Labels =
        [Video1Better, Same, Video2Better, Same, Video2Better, Video1Better, Video1Better, HardToJudge, BothBad];
    // gaps: a 8 (higher preferred), b 1 (Same), c 4 (higher preferred), d 0 (Same), e 1 (wrong side), f 3 (wrong side),
    // g 0 (decisive but tied), h and i left out -> n = 7.

    [Theory]
    // t = 0: Same right = d; decisive right above 0 = a, c          -> 3/7
    [InlineData(0.0, 3)]
    // t = 1: Same right = b, d; decisive right above 1 = a, c       -> 4/7
    [InlineData(1.0, 4)]
    // t = 3: Same right = b, d; decisive right above 3 = a, c       -> 4/7
    [InlineData(3.0, 4)]
    // t = 4: Same right = b, d; decisive right above 4 = a          -> 3/7
    [InlineData(4.0, 3)]
    // t = 8: Same right = b, d; nothing above 8                     -> 2/7
    [InlineData(8.0, 2)]
    public void Accuracy_at_a_threshold_matches_the_hand_count(double threshold, int correct)
    {
        Assert.Equal(correct / 7.0, TieCalibration.Accuracy(S0, S1, Labels, threshold), 12);
        Assert.Equal(7, TieCalibration.Credits(S0, S1, Labels, threshold).Length);
    }

    [Fact]
    public void Sweep_finds_the_smallest_best_threshold_of_the_hand_case()
    {
        var best = TieCalibration.Sweep(S0, S1, Labels);

        // t = 1 and t = 3 both reach 4/7; the smaller wins.
        Assert.Equal(1.0, best.Threshold);
        Assert.Equal(4.0 / 7, best.Accuracy, 12);
        Assert.Equal(7, best.N);

        // Wrong variants: the 2 left-out pairs in n (4/9); n off by one (4/8, 4/6); "tie iff gap < t" instead of <=,
        // under which b (Same, gap 1) is no longer predicted a tie at t = 1 -> 3/7.
        Func<double, bool, int, bool, double> variant = (t, strictlyBelow, offset, countAll) =>
        {
            int right = 0, n = 0;
            for (var i = 0; i < Labels.Length; i++)
            {
                var eligible = Labels[i] is Video1Better or Video2Better or Same;
                if (eligible || countAll) n++;
                if (!eligible) continue;
                var gap = Math.Abs(S0[i] - S1[i]);
                var tie = strictlyBelow ? gap < t : gap <= t;
                var predicted = tie ? Same : S0[i] > S1[i] ? Video1Better : Video2Better;
                if (predicted == Labels[i]) right++;
            }
            return (double)right / (n + offset);
        };
        Assert.Equal(best.Accuracy, variant(1, false, 0, false), 12);
        Assert.NotEqual(variant(1, false, 0, true), best.Accuracy, 6);
        Assert.NotEqual(variant(1, false, +1, false), best.Accuracy, 6);
        Assert.NotEqual(variant(1, false, -1, false), best.Accuracy, 6);
        Assert.NotEqual(variant(1, true, 0, false), best.Accuracy, 6);
    }

    [Fact]
    public void Sweep_equals_brute_force_on_many_small_random_cases_with_tied_gaps()
    {
        var random = new Random(20250101);
        // Few distinct score values make equal gaps and zero gaps common.
        double[] values = [0, 0.5, 1, 1.5, 2, 3];
        PreferenceLabel[] allLabels = [Video1Better, Video2Better, Same, HardToJudge, BothBad];
        var checkedCases = 0;
        for (var trial = 0; trial < 3000; trial++)
        {
            var n = random.Next(1, 13);
            var s0 = Enumerable.Range(0, n).Select(_ => values[random.Next(values.Length)]).ToArray();
            var s1 = Enumerable.Range(0, n).Select(_ => values[random.Next(values.Length)]).ToArray();
            var labels = Enumerable.Range(0, n).Select(_ => allLabels[random.Next(allLabels.Length)]).ToArray();
            var eligible = Enumerable.Range(0, n).Where(i => labels[i] is Video1Better or Video2Better or Same).ToArray();
            if (eligible.Length == 0)
            {
                Assert.Throws<ArgumentException>(() => TieCalibration.Sweep(s0, s1, labels));
                continue;
            }

            // Brute force, independent of the library: count right predictions at a threshold directly.
            int Right(double t) => eligible.Count(i =>
                (Math.Abs(s0[i] - s1[i]) <= t ? Same : s0[i] > s1[i] ? Video1Better : Video2Better) == labels[i]);
            var gaps = eligible.Select(i => Math.Abs(s0[i] - s1[i])).Distinct().Order().ToArray();
            var candidates = gaps.Prepend(0.0).Distinct().Order().ToArray();
            var bestRight = candidates.Max(Right);
            var smallestBest = candidates.First(t => Right(t) == bestRight);
            // Thresholds between or beyond the candidates never do better.
            var between = gaps.Zip(gaps.Skip(1), (a, b) => (a + b) / 2).Append(gaps[^1] + 1).Append(gaps[0] / 2);
            Assert.All(between, t => Assert.True(Right(t) <= bestRight));

            var sweep = TieCalibration.Sweep(s0, s1, labels);

            Assert.Equal((double)bestRight / eligible.Length, sweep.Accuracy);
            Assert.Equal(smallestBest, sweep.Threshold);
            Assert.Equal(eligible.Length, sweep.N);
            Assert.Equal(sweep.Accuracy, TieCalibration.Accuracy(s0, s1, labels, sweep.Threshold));
            checkedCases++;
        }
        Assert.True(checkedCases > 2000, $"only {checkedCases} cases had eligible pairs");
    }

    [Fact]
    public void A_threshold_chosen_on_val_is_applied_unchanged_to_test()
    {
        var onVal = TieCalibration.Sweep(S0, S1, Labels);
        // Test pairs: gaps 0.5 (Same), 2 (Video 1 better, right side), 1 (Same), 1.5 (Video 2 better, wrong side).
        double[] test0 = [4, 6, 2, 3.5];
        double[] test1 = [3.5, 4, 3, 2];
        PreferenceLabel[] testLabels = [Same, Video1Better, Same, Video2Better];

        var onTest = TieCalibration.Evaluate(test0, test1, testLabels, onVal.Threshold, new BootstrapOptions(Seed: 3));

        // At t = 1: Same (0.5) right, Video 1 better (2 > 1) right, Same (1 <= 1) right, Video 2 better predicted 1 -> 3/4.
        Assert.Equal(0.75, onTest.Value, 12);
        Assert.Equal(4, onTest.N);
        Assert.StartsWith("threshold 1 fixed;", onTest.Method);
        // The threshold matters: at t = 0 only the Video 1 better pair is right -> 1/4.
        Assert.Equal(0.25, TieCalibration.Accuracy(test0, test1, testLabels, 0), 12);
    }

    [Fact]
    public void Thresholds_must_be_finite_and_non_negative()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TieCalibration.Accuracy(S0, S1, Labels, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TieCalibration.Accuracy(S0, S1, Labels, double.NaN));
        var none = Assert.Throws<ArgumentException>(() => TieCalibration.Sweep([1], [2], [HardToJudge]));
        Assert.Equal("labels", none.ParamName);
    }
}

using MjVideo.Metrics;

namespace MjVideo.Tests;

public class MetricsClassBalanceTests
{
    static readonly BootstrapOptions Seeded = new(Seed: 5, Resamples: 200);

    [Fact]
    public void Balanced_accuracy_and_bad_recall_match_the_hand_count()
    {
        // 6 good videos all called good, 4 bad videos of which 1 is called bad (TP 6, FP 3, TN 1, FN 0).
        var confusion = new BinaryConfusion(TruePositive: 6, FalsePositive: 3, TrueNegative: 1, FalseNegative: 0);
        var badRecall = ClassBalance.BadRecall(confusion);
        Assert.Equal(0.25, badRecall.Value, 12);
        Assert.Equal(4, badRecall.N);
        Assert.Equal(Intervals.Wilson(1, 4).Low, badRecall.Low, 12);

        // (6/6 + 1/4) / 2 = 0.625; plain accuracy is 7/10, the good-class recall 1.
        var balanced = ClassBalance.BalancedAccuracy(confusion);
        Assert.Equal(0.625, balanced.Value, 12);
        Assert.NotEqual(confusion.Accuracy, balanced.Value, 6);
        Assert.Equal(10, balanced.N);
        // MOVER: the two recalls' Wilson distances combined in quadrature, halved.
        var good = Intervals.Wilson(6, 6);
        var bad = Intervals.Wilson(1, 4);
        Assert.Equal(0.625 - Math.Sqrt(Math.Pow(1 - good.Low, 2) + Math.Pow(0.25 - bad.Low, 2)) / 2, balanced.Low, 12);
        Assert.Equal(0.625 + Math.Sqrt(Math.Pow(good.High - 1, 2) + Math.Pow(bad.High - 0.25, 2)) / 2, balanced.High, 12);
    }

    [Fact]
    public void A_constant_predictor_gets_one_half_with_a_real_interval_and_is_flagged()
    {
        // Eight good and two bad videos, every one called good.
        var constant = new GoodBadVideos([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 2, 2]).Confusion();
        Assert.Equal(0.8, constant.Accuracy, 12);         // what the good-class metrics see
        Assert.Equal(0.0, ClassBalance.BadRecall(constant).Value, 12);
        var balanced = ClassBalance.BalancedAccuracy(constant);
        Assert.Equal(0.5, balanced.Value, 12);
        Assert.True(balanced.Low < 0.5 && balanced.High > 0.5, $"interval {balanced.Low}..{balanced.High}");

        var check = OneClassCheck.Of(constant);
        Assert.Equal(0.0, check.PredictedBadShare, 12);
        Assert.Equal(0.2, check.TrueBadShare, 12);
        Assert.True(check.IsOneClass);
        Assert.Equal("good", check.Side);
        Assert.Equal("ONE-CLASS (good)", check.Marker);
    }

    [Fact]
    public void The_one_class_rule_is_a_quarter_of_the_true_bad_share()
    {
        // Forty videos, twenty bad (true bad share 1/2, a quarter of it 1/8 = 5 videos). Calling 5 bad is exactly a
        // quarter: not one-class; calling 4 bad (1/10) is below: one-class. A ratio of 1/5 or a <= would decide these
        // two the other way.
        int[] codes = [.. Enumerable.Repeat(1, 20), .. Enumerable.Repeat(2, 20)];
        OneClassCheck CallingBad(int count) =>
            OneClassCheck.Of(new GoodBadVideos(Enumerable.Range(0, 40).Select(i => i >= 40 - count ? -1.0 : 1.0).ToArray(), codes).Confusion());
        Assert.Equal(0.125, CallingBad(5).PredictedBadShare, 12);
        Assert.False(CallingBad(5).IsOneClass);
        Assert.True(CallingBad(4).PredictsOnlyGood);
        Assert.True(CallingBad(0).PredictsOnlyGood);
        codes = [1, 1, 1, 1, 2, 2, 2, 2];

        // A judge that follows the labels is not flagged, even with a few mistakes.
        var good = OneClassCheck.Of(new GoodBadVideos([1, 1, -1, 1, -1, -1, 1, -1], codes).Confusion());
        Assert.False(good.IsOneClass);
        Assert.Equal("", good.Marker);

        // The mirror: calling every video bad is just as one-class.
        var allBad = OneClassCheck.Of(new GoodBadVideos([-1, -1, -1, -1, -1, -1, -1, -1], codes).Confusion());
        Assert.True(allBad.PredictsOnlyBad);
        Assert.False(allBad.PredictsOnlyGood);
        Assert.Equal("bad", allBad.Side);

        // No bad video at all: there is no bad class to miss.
        Assert.False(OneClassCheck.Of(new GoodBadVideos([1, 1, 1], [1, 1, 1]).Confusion()).IsOneClass);
    }

    [Fact]
    public void A_criterion_result_carries_auc_balanced_accuracy_bad_recall_the_flag_and_the_severity_correlation()
    {
        // Ten videos of one criterion: five good, one unrelated (code 0, left out), four bad with oracle severities.
        double[] scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, -0.1, -0.3, 0.2, 0.6];
        int[] codes = [1, 1, 1, 1, 1, 0, 2, 2, 2, 2];
        double[] severity = [0, 0, 0, 0, 0, 0, 0.9, 0.5, 0.3, 0.3];
        var result = CriterionMetrics.Evaluate("object", scores, codes, Seeded, severities: severity);

        // Sign rule: goods all > 0 (TP 5); bads -0.1, -0.3 called bad (TN 2), 0.2, 0.6 called good (FP 2).
        Assert.Equal(new BinaryConfusion(5, 2, 2, 0), result.Confusion);
        Assert.Equal(0.75, result.BalancedAccuracy.Value, 12);   // (5/5 + 2/4) / 2
        Assert.Equal(0.5, result.BadRecall.Value, 12);
        // AUC: of 20 (good, bad) comparisons, 15 beat -0.1, -0.3, 0.2; against 0.6: three wins, one tie, one loss -> 18.5/20.
        Assert.Equal(0.925, result.Auc.Value, 12);
        Assert.Equal(9, result.Auc.N);
        // 2/9 called bad against 4/9 bad: above a quarter, not one-class.
        Assert.False(result.OneClass.IsOneClass);
        // Bad videos: scores -0.1, -0.3, 0.2, 0.6 (ranks 2, 1, 3, 4), severities 0.9, 0.5, 0.3, 0.3 (ranks 4, 3, 1.5, 1.5).
        // Sxy = -3.5, Sxx = 5, Syy = 4.5: r = -3.5 / sqrt(22.5).
        Assert.Equal(-3.5 / Math.Sqrt(22.5), result.SeverityCorrelation.Value, 12);
        Assert.Equal(4, result.SeverityCorrelation.N);
        // The official good-class numbers are unchanged: Acc 7/9, recall of good 5/5.
        Assert.Equal(7.0 / 9, result.Accuracy.Value, 12);
        Assert.Equal(1.0, result.Recall.Value, 12);

        var withoutOracle = CriterionMetrics.Evaluate("object", scores, codes, Seeded);
        Assert.False(withoutOracle.SeverityCorrelation.IsDefined);
        Assert.Equal(CriterionMetrics.NoOracleNote, withoutOracle.SeverityCorrelation.Note);
        Assert.Equal("absent (no oracle)", MetricTable.Correlation(withoutOracle.SeverityCorrelation));
    }

    [Fact]
    public void The_criteria_table_puts_the_one_class_marker_beside_the_numbers()
    {
        int[] codes = [1, 1, 1, 1, 1, 1, 2, 2];
        var constant = CriterionMetrics.Evaluate("object", [1, 1, 1, 1, 1, 1, 1, 1], codes, Seeded);
        var learned = CriterionMetrics.Evaluate("object", [1, 1, 1, 1, 1, 1, -1, -1], codes, Seeded);
        var table = MetricTable.Criteria([new CriterionRows("constant", [constant]), new CriterionRows("learned", [learned])]);
        Assert.Equal("ONE-CLASS (good)", table[MetricTable.OneClassColumn][0]);
        Assert.Equal("", table[MetricTable.OneClassColumn][1]);
        Assert.Equal("0.500 [0.50, 0.50]", table[MetricTable.AucColumn][0]);
        Assert.StartsWith("1.000 [", (string)table[MetricTable.AucColumn][1]);
        Assert.StartsWith("50.00 [", (string)table["balanced Acc"][0]);
        Assert.Equal(2, table["n bad"][0]);
    }
}

using MjVideo.Metrics;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

public class MetricsFineGrainedTests
{
    static readonly BootstrapOptions Seeded = new(Seed: 5, Resamples: 500);

    // Seven pairs of one aspect: (score, code) of video 0 | video 1. Codes: 0 not related, 1 good, 2 bad.
    // Sign rule (good iff score > 0), per video:
    //   p0: 0.8,1 TP | 0.5,2 FP     strict: good 0.8 > 0.5 right
    //   p1: -0.7,2 TN | 0.3,1 TP    strict: good 0.3 > -0.7 right
    //   p2: -0.2,1 FN | -0.1,2 TN   strict: good -0.2 < -0.1 wrong
    //   p3: 0.9,0 -- | 0.0,2 TN     (score 0 is not > 0: predicted bad); strict: not a good/bad pair
    //   p4: 0.4,1 TP | 0.4,2 FP     strict: equal scores, wrong
    //   p5: -0.4,0 -- | 0.6,0 --    not related at all
    //   p6: 0.2,1 TP | 0.7,1 TP     strict: both good, not a good/bad pair
    static readonly double[] Score0 = [0.8, -0.7, -0.2, 0.9, 0.4, -0.4, 0.2];
    static readonly double[] Score1 = [0.5, 0.3, -0.1, 0.0, 0.4, 0.6, 0.7];
    static readonly int[] Code0 = [1, 2, 1, 0, 1, 0, 1];
    static readonly int[] Code1 = [2, 1, 2, 2, 2, 0, 1];

    [Fact]
    public void Aspect_acc_macro_f1_and_strict_match_the_hand_count()
    {
        var result = AspectMetrics.Evaluate("Alignment", Score0, Score1, Code0, Code1, Seeded);

        // TP 5 (p0a p1b p4a p6a p6b), FP 2 (p0b p4b), TN 3 (p1a p2b p3b), FN 1 (p2a); 11 related videos.
        Assert.Equal(new BinaryConfusion(5, 2, 3, 1), result.Confusion);
        Assert.Equal(8.0 / 11, result.Accuracy.Value, 12);                // (5 + 3) / 11 = 0.7273
        Assert.Equal(11, result.Accuracy.N);
        // good: P 5/7, R 5/6 -> F1 = 2*5 / (2*5 + 2 + 1) = 10/13; bad: P 3/4, R 3/5 -> F1 = 2*3 / (2*3 + 1 + 2) = 6/9.
        Assert.Equal(10.0 / 13, result.F1Good, 12);
        Assert.Equal(6.0 / 9, result.F1Bad, 12);
        Assert.Equal((10.0 / 13 + 6.0 / 9) / 2, result.MacroF1.Value, 12); // 0.7189
        // Good/bad pairs p0 p1 p2 p4; right p0 p1 -> 2/4.
        Assert.Equal(0.5, result.Strict.Value, 12);
        Assert.Equal(4, result.Strict.N);
        Assert.Equal("Alignment", result.Aspect);

        // Wrong variants on this case: accuracy with n off by one (8/12, 8/10); micro-F1 (= accuracy, 8/11);
        // F1 of the good class alone (10/13); "good iff score >= 0" turns p3b into FP (7/11).
        Assert.NotEqual(8.0 / 12, result.Accuracy.Value, 6);
        Assert.NotEqual(8.0 / 10, result.Accuracy.Value, 6);
        Assert.NotEqual(8.0 / 11, result.MacroF1.Value, 6);
        Assert.NotEqual(10.0 / 13, result.MacroF1.Value, 6);
        Func<double, double> accuracyAtOrAbove = threshold =>
        {
            double[] scores = [.. Score0, .. Score1];
            int[] codes = [.. Code0, .. Code1];
            var related = Enumerable.Range(0, codes.Length).Where(i => codes[i] != 0).ToArray();
            return related.Count(i => (scores[i] >= threshold) == (codes[i] == 1)) / (double)related.Length;
        };
        Assert.NotEqual(accuracyAtOrAbove(0), result.Accuracy.Value, 6);
        // Strict variants: tie counted right (3/4) or half (2.5/4); the both-good pair p6 in n (2/5); n off by one (2/3).
        foreach (var wrong in new[] { 3.0 / 4, 2.5 / 4, 2.0 / 5, 2.0 / 3 }) Assert.NotEqual(wrong, result.Strict.Value, 6);
    }

    [Fact]
    public void A_configurable_threshold_replaces_the_sign_rule()
    {
        // Good iff score > 0.5: p0 TP TN | p1 TN FN | p2 FN TN | p3 TN | p4 FN TN | p6 FN TP  (0.5 itself is bad).
        var result = AspectMetrics.Evaluate("Alignment", Score0, Score1, Code0, Code1, Seeded, goodAbove: 0.5);

        Assert.Equal(new BinaryConfusion(2, 0, 5, 4), result.Confusion);
        Assert.Equal(7.0 / 11, result.Accuracy.Value, 12);
        // good: P 2/2, R 2/6 -> F1 = 4 / (4 + 0 + 4) = 0.5; bad: P 5/9, R 5/5 -> F1 = 10 / (10 + 4 + 0) = 5/7.
        Assert.Equal((0.5 + 5.0 / 7) / 2, result.MacroF1.Value, 12);
        // Strict does not depend on the threshold.
        Assert.Equal(0.5, result.Strict.Value, 12);
    }

    [Fact]
    public void Macro_f1_is_undefined_not_zero_when_a_class_is_never_predicted_or_never_present()
    {
        // Every score positive: 'bad' is never predicted (precision 0/0).
        var neverBad = new GoodBadVideos([0.5, 0.2, 0.9], [1, 2, 1]).MacroF1(Seeded);
        Assert.False(neverBad.IsDefined);
        Assert.Contains("'bad' never predicted", neverBad.Note);
        Assert.Equal("undefined (n=3)", neverBad.Format());

        // Every video labelled good: 'bad' is never present (recall 0/0).
        var noBad = new GoodBadVideos([0.5, -0.2], [1, 1]).MacroF1(Seeded);
        Assert.False(noBad.IsDefined);
        Assert.Contains("no video labelled 'bad'", noBad.Note);

        // Both classes predicted and present but never hit: precision and recall are 0, so F1 is 0, which is defined.
        var allWrong = new GoodBadVideos([-1, 1], [1, 2]);
        Assert.Equal(new BinaryConfusion(0, 1, 0, 1), allWrong.Confusion());
        Assert.Equal(0, allWrong.Confusion().MacroF1);
        Assert.Null(allWrong.Confusion().MacroF1UndefinedReason());
    }

    [Fact]
    public void Criterion_metrics_use_good_as_the_positive_class()
    {
        double[] scores = [.. Score0, .. Score1];
        int[] codes = [.. Code0, .. Code1];

        var result = CriterionMetrics.Evaluate("count", scores, codes, Seeded);

        Assert.Equal(new BinaryConfusion(5, 2, 3, 1), result.Confusion);
        Assert.Equal(8.0 / 11, result.Accuracy.Value, 12);
        Assert.Equal(5.0 / 7, result.Precision.Value, 12); // TP / (TP + FP), n = 7 predicted good
        Assert.Equal(7, result.Precision.N);
        Assert.Equal(5.0 / 6, result.Recall.Value, 12);    // TP / (TP + FN), n = 6 labelled good
        Assert.Equal(6, result.Recall.N);
        Assert.Equal(10.0 / 13, result.F1.Value, 12);
        Assert.InRange(result.F1.Value, result.F1.Low, result.F1.High);
        // With bad as the positive class these would be P 3/4, R 3/5, F1 6/9.
        Assert.NotEqual(3.0 / 4, result.Precision.Value, 6);
        Assert.NotEqual(3.0 / 5, result.Recall.Value, 6);
        Assert.NotEqual(6.0 / 9, result.F1.Value, 6);
    }

    [Fact]
    public void Criterion_precision_is_undefined_when_good_is_never_predicted()
    {
        var result = CriterionMetrics.Evaluate("Crime", [-1, -2, 0], [1, 2, 1], Seeded);

        Assert.Equal(new BinaryConfusion(0, 0, 1, 2), result.Confusion);
        Assert.False(result.Precision.IsDefined);
        Assert.Contains("'good' never predicted", result.Precision.Note);
        Assert.Equal(0, result.Recall.Value);
        Assert.False(result.F1.IsDefined);
        Assert.Equal(1.0 / 3, result.Accuracy.Value, 12);
    }

    [Fact]
    public void Evaluate_all_reads_the_right_column_for_each_criterion_and_aspect()
    {
        // Per video 28 criterion scores; criterion k's score is (k - 13.5) for video 0 and (13.5 - k) for video 1, so
        // the predictions flip at criterion 14. Both videos are labelled good on every criterion.
        var scores = new[]
        {
            Enumerable.Range(0, 28).Select(k => k - 13.5).ToArray(),
            Enumerable.Range(0, 28).Select(k => 13.5 - k).ToArray(),
        };
        var codes = new[] { Enumerable.Repeat(1, 28).ToArray(), Enumerable.Repeat(1, 28).ToArray() };

        var all = CriterionMetrics.EvaluateAll(scores, codes, Seeded);

        Assert.Equal(MjTaxonomy.CriterionKeys, all.Select(r => r.Criterion));
        Assert.All(all, r => Assert.Equal(0.5, r.Accuracy.Value, 12));
        Assert.Equal(new BinaryConfusion(1, 0, 0, 1), all[0].Confusion);
        Assert.Equal(new BinaryConfusion(1, 0, 0, 1), all[27].Confusion);

        var ragged = Assert.Throws<ArgumentException>(() =>
            CriterionMetrics.EvaluateAll([scores[0], scores[1][..27]], codes, Seeded));
        Assert.Contains("scores[1] has 27 entries; expected 28", ragged.Message);

        // Aspects: one pair; aspect a scores video 0 at a and video 1 at -a, codes good/bad, so strict is right except at a = 0.
        var aspects = AspectMetrics.EvaluateAll(
            [[0, 1, 2, 3, 4]], [[0, -1, -2, -3, -4]], [[1, 1, 1, 1, 1]], [[2, 2, 2, 2, 2]], Seeded);
        Assert.Equal(MjTaxonomy.Aspects.Select(a => a.DisplayName), aspects.Select(a => a.Aspect));
        Assert.Equal(new[] { 0.0, 1, 1, 1, 1 }, aspects.Select(a => a.Strict.Value));
    }

    [Fact]
    public void Bad_codes_and_lengths_are_named()
    {
        var code = Assert.Throws<ArgumentException>(() => new GoodBadVideos([1, 2], [1, 3]));
        Assert.Contains("codes[1] is 3", code.Message);
        var length = Assert.Throws<ArgumentException>(() =>
            AspectMetrics.Evaluate("Safety", [1, 2], [1, 2], [1, 2], [1], Seeded));
        Assert.Equal("code1", length.ParamName);
    }
}

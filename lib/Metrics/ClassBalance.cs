using System.Globalization;

namespace MjVideo.Metrics;

/// <summary>
/// Is the judge's good/bad rule one-class on this criterion? The issue's rule: it is when the share of videos the judge
/// calls bad is below a quarter of the share that is bad. The same test on the other class catches a judge that calls
/// (almost) every video bad, which is just as constant. A class that never occurs cannot be under-predicted, so a
/// criterion without bad (or good) videos is never flagged on that side.
/// </summary>
/// <param name="PredictedBadShare">videos the rule calls bad / related videos</param>
/// <param name="TrueBadShare">videos labelled bad / related videos</param>
public sealed record OneClassCheck(double PredictedBadShare, double TrueBadShare)
{
    /// <summary>A predicted share below this fraction of the true share counts as never predicting the class.</summary>
    public const double ShareRatio = 0.25;

    /// <summary>The issue's rule: the judge calls too few videos bad, i.e. (nearly) always predicts good.</summary>
    public bool PredictsOnlyGood => PredictedBadShare < ShareRatio * TrueBadShare;

    /// <summary>The mirror rule: the judge calls too few videos good.</summary>
    public bool PredictsOnlyBad => 1 - PredictedBadShare < ShareRatio * (1 - TrueBadShare);

    public bool IsOneClass => PredictsOnlyGood || PredictsOnlyBad;

    /// <summary>"good" or "bad" (the class the judge predicts nearly always), or null when not one-class.</summary>
    public string? Side => PredictsOnlyGood ? "good" : PredictsOnlyBad ? "bad" : null;

    /// <summary>The marker tables print: "ONE-CLASS (good)", or "" when the check passes.</summary>
    public string Marker => Side is { } side ? $"ONE-CLASS ({side})" : "";

    /// <summary>From a confusion with good as the positive class; both shares are NaN (never flagged) without related videos.</summary>
    public static OneClassCheck Of(BinaryConfusion confusion) => confusion.N == 0
        ? new OneClassCheck(double.NaN, double.NaN)
        : new OneClassCheck((double)(confusion.N - confusion.PredictedPositive) / confusion.N,
            (double)(confusion.N - confusion.LabelledPositive) / confusion.N);
}

/// <summary>
/// Metrics at the judge's own good/bad rule (score above its <c>goodAbove</c>, r &gt; 0 for MJ-Video) that weigh the two
/// classes equally, so a judge that predicts the majority class everywhere cannot score well on them.
/// </summary>
public static class ClassBalance
{
    /// <summary>Recall of the bad class, TN / (TN + FP): the share of bad videos the rule calls bad. Wilson interval.</summary>
    public static Estimate BadRecall(BinaryConfusion confusion, double level = 0.95)
    {
        var bad = confusion.NegativeAsPositive;
        var estimate = Intervals.Wilson(bad.TruePositive, bad.LabelledPositive, level);
        return bad.LabelledPositive == 0 ? estimate with { Note = "undefined: no video labelled 'bad'" } : estimate;
    }

    /// <summary>
    /// Balanced accuracy, the mean of the two classes' recalls, (TP/(TP+FN) + TN/(TN+FP)) / 2; a constant predictor gets
    /// exactly 0.5.
    /// </summary>
    /// <remarks>
    /// The interval combines the two recalls' Wilson intervals by the method of variance estimates recovery (MOVER, Zou
    /// and Donner 2008; Newcombe 1998 for the difference): for the sum, low = p1 + p2 - sqrt((p1 - l1)² + (p2 - l2)²) and
    /// high likewise with the upper limits, then halved. The two recalls are over disjoint sets of videos, so they are
    /// independent as MOVER assumes; the result stays inside [0, 1], and unlike a bootstrap or Wald interval it is not
    /// zero-width for a constant predictor (whose recalls are 1/1 and 0/n).
    /// </remarks>
    public static Estimate BalancedAccuracy(BinaryConfusion confusion, double level = 0.95)
    {
        var method = string.Create(CultureInfo.InvariantCulture, $"MOVER over the two recalls' Wilson intervals, {level * 100:0.#}%");
        var good = Intervals.Wilson(confusion.TruePositive, confusion.LabelledPositive, level);
        var bad = BadRecall(confusion, level);
        if (!good.IsDefined || !bad.IsDefined)
            return Estimate.Undefined(confusion.N, method,
                $"undefined: no video labelled '{(good.IsDefined ? "bad" : "good")}'");
        var value = (good.Value + bad.Value) / 2;
        var below = Math.Sqrt(Square(good.Value - good.Low) + Square(bad.Value - bad.Low)) / 2;
        var above = Math.Sqrt(Square(good.High - good.Value) + Square(bad.High - bad.Value)) / 2;
        return new Estimate(value, Math.Max(0, value - below), Math.Min(1, value + above), confusion.N, method);
    }

    static double Square(double x) => x * x;
}

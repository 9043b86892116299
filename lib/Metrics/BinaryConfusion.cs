using MjVideo.Data;

namespace MjVideo.Metrics;

/// <summary>
/// Confusion counts of a good-vs-bad classification with "good" as the positive class, as the official evaluator counts
/// them (TP = predicted good and labelled good). A ratio whose denominator is 0 is NaN (undefined), never 0.
/// </summary>
public readonly record struct BinaryConfusion(int TruePositive, int FalsePositive, int TrueNegative, int FalseNegative)
{
    public int N => TruePositive + FalsePositive + TrueNegative + FalseNegative;
    public int Correct => TruePositive + TrueNegative;
    public int PredictedPositive => TruePositive + FalsePositive;
    public int LabelledPositive => TruePositive + FalseNegative;

    public double Accuracy => Ratio(Correct, N);
    public double Precision => Ratio(TruePositive, PredictedPositive);
    public double Recall => Ratio(TruePositive, LabelledPositive);

    /// <summary>
    /// 2PR / (P + R). Undefined when P or R is (the class never predicted, or never labelled); 0 when both are 0
    /// (the class is predicted and present but never hit).
    /// </summary>
    public double F1 => double.IsNaN(Precision) || double.IsNaN(Recall) ? double.NaN
        : Precision + Recall == 0 ? 0
        : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>The same counts with "bad" as the positive class.</summary>
    public BinaryConfusion NegativeAsPositive => new(TrueNegative, FalseNegative, TruePositive, FalsePositive);

    /// <summary>The mean of the two classes' F1; undefined when either class's F1 is.</summary>
    public double MacroF1 => (F1 + NegativeAsPositive.F1) / 2;

    /// <summary>Why <see cref="MacroF1"/> is undefined, or null when it is defined.</summary>
    public string? MacroF1UndefinedReason()
    {
        var reasons = new List<string>();
        if (PredictedPositive == 0) reasons.Add("'good' never predicted");
        if (LabelledPositive == 0) reasons.Add("no video labelled 'good'");
        if (N - PredictedPositive == 0) reasons.Add("'bad' never predicted");
        if (N - LabelledPositive == 0) reasons.Add("no video labelled 'bad'");
        return reasons.Count == 0 ? null : "F1 undefined: " + string.Join(", ", reasons);
    }

    public static BinaryConfusion Count(bool[] predictedGood, bool[] labelledGood) =>
        Count(predictedGood, labelledGood, Enumerable.Range(0, predictedGood?.Length ?? 0));

    /// <summary>Counts over the given indices (repeats count again: this is what a bootstrap resample needs).</summary>
    public static BinaryConfusion Count(bool[] predictedGood, bool[] labelledGood, IEnumerable<int> indices)
    {
        Check.SameLength(predictedGood, nameof(predictedGood), labelledGood, nameof(labelledGood));
        int tp = 0, fp = 0, tn = 0, fn = 0;
        foreach (var i in indices)
        {
            switch (predictedGood[i], labelledGood[i])
            {
                case (true, true): tp++; break;
                case (true, false): fp++; break;
                case (false, false): tn++; break;
                case (false, true): fn++; break;
            }
        }
        return new BinaryConfusion(tp, fp, tn, fn);
    }

    static double Ratio(int numerator, int denominator) => denominator == 0 ? double.NaN : (double)numerator / denominator;
}

/// <summary>
/// The per-video good/bad classification behind the aspect and criteria tables: only videos whose label code is not 0
/// (not related) take part; a video is labelled good when its code is 1 and predicted good when its score is above
/// <c>goodAbove</c> (0 by default: the paper's sign rule for MJ-Video; VLM judges' 1-10 ratings presumably used 5).
/// </summary>
public sealed class GoodBadVideos
{
    public bool[] PredictedGood { get; }
    public bool[] LabelledGood { get; }
    public int Count => PredictedGood.Length;

    public GoodBadVideos(double[] scores, int[] codes, double goodAbove = 0)
    {
        Check.Finite(scores, nameof(scores));
        Check.Codes(codes, nameof(codes));
        Check.SameLength(codes, nameof(codes), scores, nameof(scores));
        Check.Finite(goodAbove, nameof(goodAbove));
        var related = Enumerable.Range(0, codes.Length).Where(i => codes[i] != LabelCode.NotRelated).ToArray();
        PredictedGood = related.Select(i => scores[i] > goodAbove).ToArray();
        LabelledGood = related.Select(i => codes[i] == LabelCode.Good).ToArray();
    }

    public BinaryConfusion Confusion() => BinaryConfusion.Count(PredictedGood, LabelledGood);

    public BinaryConfusion Confusion(int[] indices) => BinaryConfusion.Count(PredictedGood, LabelledGood, indices);

    /// <summary>Macro-F1 over the two classes, bootstrapped over the related videos; undefined (with the reason) when a class is missing.</summary>
    public Estimate MacroF1(BootstrapOptions bootstrap)
    {
        var estimate = Bootstrap.Percentile(Count, indices => Confusion(indices).MacroF1, bootstrap);
        return estimate.IsDefined ? estimate : estimate with { Note = Confusion().MacroF1UndefinedReason() ?? estimate.Note };
    }

    /// <summary>F1 with "good" as the positive class, bootstrapped over the related videos.</summary>
    public Estimate GoodF1(BootstrapOptions bootstrap)
    {
        var estimate = Bootstrap.Percentile(Count, indices => Confusion(indices).F1, bootstrap);
        return estimate.IsDefined ? estimate : estimate with { Note = "F1 undefined: 'good' never predicted or never labelled" };
    }
}

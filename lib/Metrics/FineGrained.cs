using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Metrics;

/// <summary>One aspect's Table 1 numbers for one judge, with the counts behind them.</summary>
/// <param name="F1Good">F1 with good as the positive class (NaN when undefined).</param>
/// <param name="F1Bad">F1 with bad as the positive class (NaN when undefined).</param>
public sealed record AspectResult(
    string Aspect, BinaryConfusion Confusion, Estimate Accuracy, Estimate MacroF1, double F1Good, double F1Bad,
    Estimate Strict);

/// <summary>One criterion's numbers, "good" being the positive class (the official stage-1/2 evaluator's convention).</summary>
public sealed record CriterionResult(
    string Criterion, BinaryConfusion Confusion, Estimate Accuracy, Estimate Precision, Estimate Recall, Estimate F1);

/// <summary>Aspect-level metrics (paper-digest 3.2, Table 1): Acc, macro-F1 and strict per aspect.</summary>
public static class AspectMetrics
{
    /// <summary>
    /// One aspect over a set of pairs. Acc and macro-F1 classify every video of every pair whose aspect code is not 0
    /// (see <see cref="GoodBadVideos"/>); strict is pairwise (see <see cref="Strict"/>).
    /// </summary>
    public static AspectResult Evaluate(string aspect, double[] score0, double[] score1, int[] code0, int[] code1,
        BootstrapOptions bootstrap, double goodAbove = 0)
    {
        Check.NotNull(bootstrap, nameof(bootstrap));
        Check.SameLength(score0, nameof(score0), score1, nameof(score1));
        Check.SameLength(score0, nameof(score0), code0, nameof(code0));
        Check.SameLength(score0, nameof(score0), code1, nameof(code1));
        var videos = new GoodBadVideos([.. score0, .. score1], [.. code0, .. code1], goodAbove);
        var confusion = videos.Confusion();
        return new AspectResult(
            aspect,
            confusion,
            Intervals.Wilson(confusion.Correct, confusion.N, bootstrap.Level),
            videos.MacroF1(bootstrap),
            confusion.F1,
            confusion.NegativeAsPositive.F1,
            Strict(score0, score1, code0, code1, bootstrap.Level));
    }

    /// <summary>
    /// Pairwise accuracy over the pairs in which one video's aspect code is good (1) and the other's bad (2): correct when
    /// the good video's score is strictly higher; equal scores count wrong. Wilson interval.
    /// </summary>
    public static Estimate Strict(double[] score0, double[] score1, int[] code0, int[] code1, double level = 0.95)
    {
        Check.Finite(score0, nameof(score0));
        Check.Finite(score1, nameof(score1));
        Check.Codes(code0, nameof(code0));
        Check.Codes(code1, nameof(code1));
        Check.SameLength(score0, nameof(score0), score1, nameof(score1));
        Check.SameLength(score0, nameof(score0), code0, nameof(code0));
        Check.SameLength(score0, nameof(score0), code1, nameof(code1));
        int n = 0, correct = 0;
        for (var i = 0; i < score0.Length; i++)
        {
            var goodIsVideo0 = code0[i] == LabelCode.Good && code1[i] == LabelCode.Bad;
            var goodIsVideo1 = code0[i] == LabelCode.Bad && code1[i] == LabelCode.Good;
            if (!goodIsVideo0 && !goodIsVideo1) continue;
            n++;
            var (good, bad) = goodIsVideo0 ? (score0[i], score1[i]) : (score1[i], score0[i]);
            if (good > bad) correct++;
        }
        return Intervals.Wilson(correct, n, level);
    }

    /// <summary>
    /// All five aspects, from per-pair rows of five aspect scores and five aspect codes per video (aspect index order,
    /// as <see cref="VideoAnnotation.AspectCodes"/>).
    /// </summary>
    public static IReadOnlyList<AspectResult> EvaluateAll(double[][] scores0, double[][] scores1, int[][] codes0,
        int[][] codes1, BootstrapOptions bootstrap, double goodAbove = 0) =>
        MjTaxonomy.Aspects.Select(a => Evaluate(a.DisplayName,
            Column(scores0, a.Index, MjTaxonomy.AspectCount, nameof(scores0)),
            Column(scores1, a.Index, MjTaxonomy.AspectCount, nameof(scores1)),
            Column(codes0, a.Index, MjTaxonomy.AspectCount, nameof(codes0)),
            Column(codes1, a.Index, MjTaxonomy.AspectCount, nameof(codes1)),
            bootstrap, goodAbove)).ToList();

    internal static T[] Column<T>(T[][] rows, int column, int width, string name)
    {
        Check.NotNull(rows, name);
        for (var i = 0; i < rows.Length; i++)
            if (rows[i] is null || rows[i].Length != width)
                throw new ArgumentException($"{name}[{i}] has {rows[i]?.Length.ToString() ?? "no"} entries; expected {width}.", name);
        return rows.Select(r => r[column]).ToArray();
    }
}

/// <summary>Criteria-level metrics: per criterion Acc, precision, recall and F1 with good as the positive class.</summary>
public static class CriterionMetrics
{
    /// <summary>
    /// One criterion over videos whose code is not 0. Acc, precision (over predicted good) and recall (over labelled
    /// good) are proportions with Wilson intervals; F1 is bootstrapped over the related videos.
    /// </summary>
    public static CriterionResult Evaluate(string criterion, double[] scores, int[] codes, BootstrapOptions bootstrap,
        double goodAbove = 0)
    {
        Check.NotNull(bootstrap, nameof(bootstrap));
        var videos = new GoodBadVideos(scores, codes, goodAbove);
        var c = videos.Confusion();
        return new CriterionResult(
            criterion,
            c,
            Intervals.Wilson(c.Correct, c.N, bootstrap.Level),
            Intervals.Wilson(c.TruePositive, c.PredictedPositive, bootstrap.Level) with { Note = NoteIfEmpty(c.PredictedPositive, "'good' never predicted") },
            Intervals.Wilson(c.TruePositive, c.LabelledPositive, bootstrap.Level) with { Note = NoteIfEmpty(c.LabelledPositive, "no video labelled 'good'") },
            videos.GoodF1(bootstrap));
    }

    /// <summary>All 28 criteria, from per-video rows of 28 scores and 28 codes (release key order, as <see cref="VideoAnnotation.CriterionCodes"/>).</summary>
    public static IReadOnlyList<CriterionResult> EvaluateAll(double[][] scores, int[][] codes, BootstrapOptions bootstrap,
        double goodAbove = 0)
    {
        Check.SameLength(scores, nameof(scores), codes, nameof(codes));
        return MjTaxonomy.Criteria.Select(c => Evaluate(c.Key,
            AspectMetrics.Column(scores, c.Index, MjTaxonomy.CriterionCount, nameof(scores)),
            AspectMetrics.Column(codes, c.Index, MjTaxonomy.CriterionCount, nameof(codes)),
            bootstrap, goodAbove)).ToList();
    }

    static string? NoteIfEmpty(int denominator, string why) => denominator == 0 ? $"undefined: {why}" : null;
}

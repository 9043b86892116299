using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Metrics;

/// <summary>One aspect's Table 1 numbers for one judge, with the counts behind them.</summary>
/// <param name="F1Good">F1 with good as the positive class (NaN when undefined).</param>
/// <param name="F1Bad">F1 with bad as the positive class (NaN when undefined).</param>
public sealed record AspectResult(
    string Aspect, BinaryConfusion Confusion, Estimate Accuracy, Estimate MacroF1, double F1Good, double F1Bad,
    Estimate Strict);

/// <summary>
/// One criterion's numbers. Accuracy, precision, recall and F1 take "good" as the positive class (the official stage-1/2
/// evaluator's convention); a judge that calls every video good scores well on them when most videos are good. The rest
/// cannot hide that: the AUC (threshold-free, the primary measure), balanced accuracy and bad-class recall at the judge's
/// own rule, the one-class check, and among bad videos the rank correlation of the reward with the oracle severity.
/// </summary>
/// <param name="Auc">good against bad videos, from the scores alone (<see cref="Ranks.Auc"/>)</param>
/// <param name="SeverityCorrelation">Spearman's correlation of score and oracle severity over the bad videos (a
/// good judge's correlation is negative: the worse the defect, the lower the reward); undefined with a note when no
/// oracle is present</param>
public sealed record CriterionResult(
    string Criterion, BinaryConfusion Confusion, Estimate Accuracy, Estimate Precision, Estimate Recall, Estimate F1,
    Estimate Auc, Estimate BalancedAccuracy, Estimate BadRecall, OneClassCheck OneClass, Estimate SeverityCorrelation);

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

/// <summary>Criteria-level metrics per criterion: see <see cref="CriterionResult"/>.</summary>
public static class CriterionMetrics
{
    /// <summary>What the severity correlation says when there is no oracle to take severities from.</summary>
    public const string NoOracleNote = "absent: no oracle file (severities are known only for SynthBench)";

    /// <summary>
    /// One criterion over videos whose code is not 0. Acc, precision (over predicted good), recall (over labelled
    /// good) and bad-class recall are proportions with Wilson intervals; F1 is bootstrapped over the related videos; the
    /// AUC has DeLong's interval and balanced accuracy MOVER's (see <see cref="Ranks.Auc"/> and
    /// <see cref="ClassBalance.BalancedAccuracy"/>). <paramref name="severities"/> (per video, the oracle's severity of
    /// this criterion; null without an oracle) gives the Spearman correlation over the videos labelled bad.
    /// </summary>
    public static CriterionResult Evaluate(string criterion, double[] scores, int[] codes, BootstrapOptions bootstrap,
        double goodAbove = 0, double[]? severities = null)
    {
        Check.NotNull(bootstrap, nameof(bootstrap));
        var videos = new GoodBadVideos(scores, codes, goodAbove);
        var c = videos.Confusion();
        var level = bootstrap.Level;
        var good = Enumerable.Range(0, codes.Length).Where(i => codes[i] == LabelCode.Good).ToArray();
        var bad = Enumerable.Range(0, codes.Length).Where(i => codes[i] == LabelCode.Bad).ToArray();
        return new CriterionResult(
            criterion,
            c,
            Intervals.Wilson(c.Correct, c.N, level),
            Intervals.Wilson(c.TruePositive, c.PredictedPositive, level) with { Note = NoteIfEmpty(c.PredictedPositive, "'good' never predicted") },
            Intervals.Wilson(c.TruePositive, c.LabelledPositive, level) with { Note = NoteIfEmpty(c.LabelledPositive, "no video labelled 'good'") },
            videos.GoodF1(bootstrap),
            Ranks.Auc(good.Select(i => scores[i]).ToArray(), bad.Select(i => scores[i]).ToArray(), level),
            ClassBalance.BalancedAccuracy(c, level),
            ClassBalance.BadRecall(c, level),
            OneClassCheck.Of(c),
            SeverityCorrelation(scores, severities, bad, level));
    }

    static Estimate SeverityCorrelation(double[] scores, double[]? severities, int[] bad, double level)
    {
        if (severities is null) return Estimate.Undefined(bad.Length, "Spearman over bad videos", NoOracleNote);
        Check.Finite(severities, nameof(severities));
        Check.SameLength(scores, nameof(scores), severities, nameof(severities));
        return Ranks.Spearman(bad.Select(i => scores[i]).ToArray(), bad.Select(i => severities[i]).ToArray(), level);
    }

    /// <summary>
    /// All 28 criteria, from per-video rows of 28 scores and 28 codes (release key order, as
    /// <see cref="VideoAnnotation.CriterionCodes"/>), and where an oracle exists 28 severities per video.
    /// </summary>
    public static IReadOnlyList<CriterionResult> EvaluateAll(double[][] scores, int[][] codes, BootstrapOptions bootstrap,
        double goodAbove = 0, double[][]? severities = null)
    {
        Check.SameLength(scores, nameof(scores), codes, nameof(codes));
        if (severities is not null) Check.SameLength(scores, nameof(scores), severities, nameof(severities));
        return MjTaxonomy.Criteria.Select(c => Evaluate(c.Key,
            AspectMetrics.Column(scores, c.Index, MjTaxonomy.CriterionCount, nameof(scores)),
            AspectMetrics.Column(codes, c.Index, MjTaxonomy.CriterionCount, nameof(codes)),
            bootstrap, goodAbove,
            severities is null ? null : AspectMetrics.Column(severities, c.Index, MjTaxonomy.CriterionCount, nameof(severities)))).ToList();
    }

    static string? NoteIfEmpty(int denominator, string why) => denominator == 0 ? $"undefined: {why}" : null;
}

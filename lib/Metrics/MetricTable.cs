using Microsoft.Data.Analysis;

namespace MjVideo.Metrics;

/// <summary>One judge's Table 2 row. Strict and tie-aware share n (decisive pairs); tie-calibrated also counts Same pairs.</summary>
public sealed record PreferenceRow(string Judge, Estimate Strict, Estimate TieAware, Estimate TieCalibrated);

/// <summary>One judge's Table 1 results, one per aspect.</summary>
public sealed record AspectRows(string Judge, IReadOnlyList<AspectResult> Aspects);

/// <summary>One judge's per-criterion results.</summary>
public sealed record CriterionRows(string Judge, IReadOnlyList<CriterionResult> Criteria);

/// <summary>
/// Turns metric results into DataFrames for the notebooks. Cells are "value [low, high]" strings in percent, so the
/// interval travels with the number; the n behind each cell is its own column.
/// </summary>
public static class MetricTable
{
    /// <summary>Table 2 layout: judge, strict, tie-aware, n, tie-calibrated, n (3-class).</summary>
    public static DataFrame Preference(IEnumerable<PreferenceRow> rows)
    {
        Check.NotNull(rows, nameof(rows));
        var list = rows.ToList();
        foreach (var row in list)
            if (row.Strict.N != row.TieAware.N)
                throw new ArgumentException(
                    $"Judge '{row.Judge}': strict has n={row.Strict.N} but tie-aware n={row.TieAware.N}; both must count the same decisive pairs.",
                    nameof(rows));
        return new DataFrame(
            new StringDataFrameColumn("judge", list.Select(r => r.Judge)),
            new StringDataFrameColumn("strict", list.Select(r => r.Strict.FormatValue())),
            new StringDataFrameColumn("tie-aware", list.Select(r => r.TieAware.FormatValue())),
            new Int32DataFrameColumn("n", list.Select(r => r.Strict.N)),
            new StringDataFrameColumn("tie-calibrated", list.Select(r => r.TieCalibrated.FormatValue())),
            new Int32DataFrameColumn("n (3-class)", list.Select(r => r.TieCalibrated.N)));
    }

    /// <summary>
    /// Table 1 as one row per judge and aspect (long rather than the paper's wide layout, so that each row can carry its
    /// own n): judge, aspect, Acc, F1 (macro), strict, n videos, n pairs.
    /// </summary>
    public static DataFrame Aspects(IEnumerable<AspectRows> judges)
    {
        Check.NotNull(judges, nameof(judges));
        var rows = judges.SelectMany(j => j.Aspects.Select(a => (j.Judge, Result: a))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("judge", rows.Select(r => r.Judge)),
            new StringDataFrameColumn("aspect", rows.Select(r => r.Result.Aspect)),
            new StringDataFrameColumn("Acc", rows.Select(r => r.Result.Accuracy.FormatValue())),
            new StringDataFrameColumn("F1", rows.Select(r => r.Result.MacroF1.FormatValue())),
            new StringDataFrameColumn("strict", rows.Select(r => r.Result.Strict.FormatValue())),
            new Int32DataFrameColumn("n videos", rows.Select(r => r.Result.Accuracy.N)),
            new Int32DataFrameColumn("n pairs", rows.Select(r => r.Result.Strict.N)));
    }

    /// <summary>
    /// Per judge and criterion: the one-class marker first (so that a constant predictor is seen before its numbers),
    /// AUC, balanced accuracy and bad-class recall at the judge's own rule, the severity correlation over bad videos,
    /// then the official good-class Acc and F1, and the counts.
    /// </summary>
    public static DataFrame Criteria(IEnumerable<CriterionRows> judges)
    {
        Check.NotNull(judges, nameof(judges));
        var rows = judges.SelectMany(j => j.Criteria.Select(c => (j.Judge, Result: c))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("judge", rows.Select(r => r.Judge)),
            new StringDataFrameColumn("criterion", rows.Select(r => r.Result.Criterion)),
            new StringDataFrameColumn(OneClassColumn, rows.Select(r => r.Result.OneClass.Marker)),
            new StringDataFrameColumn(AucColumn, rows.Select(r => Correlation(r.Result.Auc))),
            new StringDataFrameColumn("balanced Acc", rows.Select(r => r.Result.BalancedAccuracy.FormatValue())),
            new StringDataFrameColumn("bad recall", rows.Select(r => r.Result.BadRecall.FormatValue())),
            new StringDataFrameColumn(SeverityColumn, rows.Select(r => Correlation(r.Result.SeverityCorrelation))),
            new StringDataFrameColumn("Acc", rows.Select(r => r.Result.Accuracy.FormatValue())),
            new StringDataFrameColumn("F1 (good)", rows.Select(r => r.Result.F1.FormatValue())),
            new Int32DataFrameColumn("n videos", rows.Select(r => r.Result.Confusion.N)),
            new Int32DataFrameColumn("n bad", rows.Select(r => r.Result.Confusion.N - r.Result.Confusion.LabelledPositive)));
    }

    public const string OneClassColumn = "one-class?";
    public const string AucColumn = "AUC";
    public const string SeverityColumn = "rho(reward, severity), bad videos";

    /// <summary>An AUC or a correlation on its own scale, "0.912 [0.89, 0.93]"; "absent (no oracle)" for a severity
    /// correlation without severities.</summary>
    public static string Correlation(Estimate estimate) =>
        estimate.Note == CriterionMetrics.NoOracleNote ? "absent (no oracle)" : estimate.FormatValue(scale: 1, decimals: 3, intervalDecimals: 2);
}

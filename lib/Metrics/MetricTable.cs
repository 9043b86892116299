using Microsoft.Data.Analysis;

namespace MjVideo.Metrics;

/// <summary>One judge's Table 2 row. Strict and tie-aware share n (decisive pairs); tie-calibrated also counts Same pairs.</summary>
public sealed record PreferenceRow(string Judge, Estimate Strict, Estimate TieAware, Estimate TieCalibrated);

/// <summary>One judge's Table 1 results, one per aspect.</summary>
public sealed record AspectRows(string Judge, IReadOnlyList<AspectResult> Aspects);

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
}

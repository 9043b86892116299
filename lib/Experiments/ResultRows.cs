using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Metrics;
using MjVideo.Reports;

namespace MjVideo.Experiments;

/// <summary>
/// One row of a results table: the records of one judge (or ablation setting) on one rule family, one per training
/// seed, or a single record for a judge without training. A metric of the row is the record's own estimate (with its
/// Wilson or bootstrap interval over pairs) when there is one record, and the mean over seeds with a Student t interval
/// (<see cref="Intervals.MeanOverSeeds"/>) when there are several; the interval then says how much the training seed
/// moves the number, which for trained judges is the larger spread.
/// </summary>
public sealed record ResultRow(string Family, string Name, string Group, IReadOnlyList<RunRecord> Records)
{
    public bool Ran => Records.Count > 0 && Records.All(r => r.Metrics["ran"]?.GetValue<bool>() != false);

    public string? NotRunReason => Records.Select(r => r.Metrics["not_run_reason"]?.GetValue<string>()).FirstOrDefault(r => r is not null);

    /// <summary>The estimate at a metrics path such as "overall.strict" or "aspects.Alignment.macro_f1".</summary>
    public Estimate Metric(string path)
    {
        if (Records.Count == 0) return Estimate.Undefined(0, "no records", "not run");
        if (Records.Count == 1) return EstimateAt(Records[0], path);
        var values = Records.Select(r => EstimateAt(r, path).Value).ToArray();
        return values.All(double.IsFinite)
            ? Intervals.MeanOverSeeds(values)
            : Estimate.Undefined(values.Length, $"mean over {values.Length} seeds", "undefined on some seed");
    }

    /// <summary>Test pairs the metric counts on one record (decisive pairs for the overall accuracies).</summary>
    public int PairsN(string path) => Records.Count == 0 ? 0 : EstimateAt(Records[0], path).N;

    public IReadOnlyList<string> RunIds => Records.Select(r => r.RunId).ToList();

    /// <summary>The estimate a record stores at a metrics path ({value, ci95, n, method}); undefined when absent.</summary>
    public static Estimate EstimateAt(RunRecord record, string path)
    {
        JsonNode? node = record.Metrics;
        foreach (var part in path.Split('.'))
            node = node?[part];
        if (node is not JsonObject estimate) return Estimate.Undefined(0, path, $"{path} is not in record {record.RunId}");
        double Number(JsonNode? n) => n is null ? double.NaN : n.GetValue<double>();
        var interval = estimate["ci95"] as JsonArray;
        return new Estimate(Number(estimate["value"]), Number(interval?[0]), Number(interval?[1]), estimate["n"]?.GetValue<int>() ?? 0,
            estimate["method"]?.GetValue<string>() ?? "") { Note = estimate["note"]?.GetValue<string>() };
    }

    /// <summary>"71.23 [68.1, 74.4]" (percent), or the reason the judge did not run.</summary>
    public string Cell(string path) => Ran ? Metric(path).FormatValue()
        : NotRunReason is { } reason && reason.StartsWith("not run", StringComparison.Ordinal) ? reason : $"not run ({NotRunReason})";
}

/// <summary>DataFrames of result rows.</summary>
public static class ResultTables
{
    /// <summary>Table 2 layout over rows: strict and tie-aware accuracy on the published (noisy) and clean labels.</summary>
    public static DataFrame Overall(IEnumerable<ResultRow> rows)
    {
        var list = rows.ToList();
        return new DataFrame(
            new StringDataFrameColumn("family", list.Select(r => r.Family)),
            new StringDataFrameColumn("judge", list.Select(r => r.Name)),
            new StringDataFrameColumn("group", list.Select(r => r.Group)),
            new StringDataFrameColumn("strict", list.Select(r => r.Cell("overall.strict"))),
            new StringDataFrameColumn("tie-aware", list.Select(r => r.Cell("overall.tie_aware"))),
            new StringDataFrameColumn("strict (clean)", list.Select(r => r.Cell("overall_clean.strict"))),
            new StringDataFrameColumn("tie-aware (clean)", list.Select(r => r.Cell("overall_clean.tie_aware"))),
            new Int32DataFrameColumn("seeds", list.Select(r => r.Records.Count)),
            new Int32DataFrameColumn("n", list.Select(r => r.PairsN("overall.strict"))),
            new Int32DataFrameColumn("n (clean)", list.Select(r => r.PairsN("overall_clean.strict"))));
    }

    /// <summary>Table 1 layout (long): per row and aspect, Acc, macro-F1 and strict; rows without aspect scores are left out.</summary>
    public static DataFrame Aspects(IEnumerable<ResultRow> rows)
    {
        var cells = rows.Where(r => r.Ran && r.Records[0].Metrics["aspects"] is JsonObject)
            .SelectMany(r => ((JsonObject)r.Records[0].Metrics["aspects"]!).Select(a => (Row: r, Aspect: a.Key))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("family", cells.Select(c => c.Row.Family)),
            new StringDataFrameColumn("judge", cells.Select(c => c.Row.Name)),
            new StringDataFrameColumn("aspect", cells.Select(c => c.Aspect)),
            new StringDataFrameColumn("Acc", cells.Select(c => c.Row.Cell($"aspects.{c.Aspect}.acc"))),
            new StringDataFrameColumn("F1", cells.Select(c => c.Row.Cell($"aspects.{c.Aspect}.macro_f1"))),
            new StringDataFrameColumn("strict", cells.Select(c => c.Row.Cell($"aspects.{c.Aspect}.strict"))),
            new Int32DataFrameColumn("n videos", cells.Select(c => c.Row.PairsN($"aspects.{c.Aspect}.acc"))),
            new Int32DataFrameColumn("n pairs", cells.Select(c => c.Row.PairsN($"aspects.{c.Aspect}.strict"))),
            new Int32DataFrameColumn("seeds", cells.Select(c => c.Row.Records.Count)));
    }

    /// <summary>
    /// Per-criterion metrics for rows that score criteria: the one-class marker (with on how many seeds), AUC, balanced
    /// accuracy and bad-class recall at the judge's own rule, the severity correlation over bad videos, and the official
    /// good-class accuracy and F1. Records written before the first four existed show "not recorded" for them; their
    /// one-class marker is still derived, from the counts behind accuracy, precision and recall.
    /// </summary>
    public static DataFrame Criteria(IEnumerable<ResultRow> rows)
    {
        var cells = rows.Where(r => r.Ran && r.Records[0].Metrics["criteria"] is JsonObject)
            .SelectMany(r => ((JsonObject)r.Records[0].Metrics["criteria"]!).Select(c => (Row: r, Criterion: c.Key))).ToList();
        string OwnScale(ResultRow row, string path) =>
            !row.Records.All(r => Has(r, path)) ? "not recorded" : MetricTable.Correlation(row.Metric(path));
        string Percent(ResultRow row, string path) => !row.Records.All(r => Has(r, path)) ? "not recorded" : row.Cell(path);
        return new DataFrame(
            new StringDataFrameColumn("family", cells.Select(c => c.Row.Family)),
            new StringDataFrameColumn("judge", cells.Select(c => c.Row.Name)),
            new StringDataFrameColumn("criterion", cells.Select(c => c.Criterion)),
            new StringDataFrameColumn(MetricTable.OneClassColumn, cells.Select(c => OneClassMarker(c.Row, c.Criterion))),
            new StringDataFrameColumn(MetricTable.AucColumn, cells.Select(c => OwnScale(c.Row, $"criteria.{c.Criterion}.auc"))),
            new StringDataFrameColumn("balanced Acc", cells.Select(c => Percent(c.Row, $"criteria.{c.Criterion}.balanced_acc"))),
            new StringDataFrameColumn("bad recall", cells.Select(c => Percent(c.Row, $"criteria.{c.Criterion}.bad_recall"))),
            new StringDataFrameColumn(MetricTable.SeverityColumn, cells.Select(c => OwnScale(c.Row, $"criteria.{c.Criterion}.severity_spearman"))),
            new StringDataFrameColumn("Acc", cells.Select(c => c.Row.Cell($"criteria.{c.Criterion}.acc"))),
            new StringDataFrameColumn("F1 (good)", cells.Select(c => c.Row.Cell($"criteria.{c.Criterion}.f1"))),
            new Int32DataFrameColumn("n videos", cells.Select(c => c.Row.PairsN($"criteria.{c.Criterion}.acc"))),
            new Int32DataFrameColumn("seeds", cells.Select(c => c.Row.Records.Count)));
    }

    static bool Has(RunRecord record, string path) => path.Split('.').Aggregate((JsonNode?)record.Metrics, (node, part) => node?[part]) is not null;

    /// <summary>"ONE-CLASS (good), 3/3 seeds" when the criterion is one-class on any seed of the row, else "".</summary>
    public static string OneClassMarker(ResultRow row, string criterion)
    {
        var sides = row.Records.Select(r => OneClassOf(r, criterion)?.Side).ToList();
        var flagged = sides.OfType<string>().ToList();
        if (flagged.Count == 0) return "";
        var side = string.Join("/", flagged.Distinct());
        return row.Records.Count == 1 ? $"ONE-CLASS ({side})" : $"ONE-CLASS ({side}), {flagged.Count}/{row.Records.Count} seeds";
    }

    /// <summary>
    /// The one-class check of one record's criterion: the evaluator's shares where recorded, otherwise derived from the
    /// n of accuracy (related videos), precision (predicted good) and recall (labelled good); null when absent.
    /// </summary>
    public static OneClassCheck? OneClassOf(RunRecord record, string criterion)
    {
        if (record.Metrics["criteria"]?[criterion] is not JsonObject metrics) return null;
        if (metrics["predicted_bad_share"] is JsonValue predicted && metrics["true_bad_share"] is JsonValue truth)
            return new OneClassCheck(predicted.GetValue<double>(), truth.GetValue<double>());
        int? N(string name) => metrics[name]?["n"]?.GetValue<int>();
        if (N("acc") is not { } related || N("precision") is not { } predictedGood || N("recall") is not { } labelledGood || related == 0)
            return null;
        return new OneClassCheck((double)(related - predictedGood) / related, (double)(related - labelledGood) / related);
    }

    public static string Percent(double value, int decimals = 2) =>
        double.IsFinite(value) ? (100 * value).ToString("F" + decimals, CultureInfo.InvariantCulture) : "n/a";
}

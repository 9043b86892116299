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

    /// <summary>Per-criterion accuracy and F1 (good as positive) for rows that score criteria.</summary>
    public static DataFrame Criteria(IEnumerable<ResultRow> rows)
    {
        var cells = rows.Where(r => r.Ran && r.Records[0].Metrics["criteria"] is JsonObject)
            .SelectMany(r => ((JsonObject)r.Records[0].Metrics["criteria"]!).Select(c => (Row: r, Criterion: c.Key))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("family", cells.Select(c => c.Row.Family)),
            new StringDataFrameColumn("judge", cells.Select(c => c.Row.Name)),
            new StringDataFrameColumn("criterion", cells.Select(c => c.Criterion)),
            new StringDataFrameColumn("Acc", cells.Select(c => c.Row.Cell($"criteria.{c.Criterion}.acc"))),
            new StringDataFrameColumn("F1 (good)", cells.Select(c => c.Row.Cell($"criteria.{c.Criterion}.f1"))),
            new Int32DataFrameColumn("n videos", cells.Select(c => c.Row.PairsN($"criteria.{c.Criterion}.acc"))),
            new Int32DataFrameColumn("seeds", cells.Select(c => c.Row.Records.Count)));
    }

    public static string Percent(double value, int decimals = 2) =>
        double.IsFinite(value) ? (100 * value).ToString("F" + decimals, CultureInfo.InvariantCulture) : "n/a";
}

using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Core;
using MjVideo.Metrics;
using MjVideo.Reports;

namespace MjVideo.Evaluation;

/// <summary>The paper's Table 1 and Table 2 layouts as DataFrames, and the results/ records behind them.</summary>
public static class EvaluationTables
{
    /// <summary>Table 2: one row per judge; judges that did not run show the reason in every cell.</summary>
    public static DataFrame Table2(IEnumerable<JudgeEvaluation> evaluations, bool cleanLabels = false)
    {
        var list = evaluations.ToList();
        string Cell(JudgeEvaluation e, Func<OverallMetrics, Estimate> pick)
        {
            if (!e.Ran) return e.NotRunText;
            var metrics = cleanLabels ? e.Clean : e.Noisy;
            return metrics is null ? "no clean labels" : pick(metrics).FormatValue();
        }
        int N(JudgeEvaluation e, Func<OverallMetrics, Estimate> pick) =>
            (cleanLabels ? e.Clean : e.Noisy) is { } m && e.Ran ? pick(m).N : 0;
        return new DataFrame(
            new StringDataFrameColumn("judge", list.Select(e => e.Judge)),
            new StringDataFrameColumn("strict", list.Select(e => Cell(e, m => m.Strict))),
            new StringDataFrameColumn("tie-aware", list.Select(e => Cell(e, m => m.TieAware))),
            new Int32DataFrameColumn("n", list.Select(e => N(e, m => m.Strict))),
            new StringDataFrameColumn("tie-calibrated", list.Select(e => Cell(e, m => m.TieCalibrated))),
            new Int32DataFrameColumn("n (3-class)", list.Select(e => N(e, m => m.TieCalibrated))));
    }

    /// <summary>Table 1 (long layout: judge x aspect) for the judges that score aspects.</summary>
    public static DataFrame Table1(IEnumerable<JudgeEvaluation> evaluations) =>
        MetricTable.Aspects(evaluations.Where(e => e.Ran && e.Aspects is not null).Select(e => new AspectRows(e.Judge, e.Aspects!)));

    /// <summary>Per criterion, for the judges that score criteria, with the one-class marker (see <see cref="MetricTable.Criteria"/>).</summary>
    public static DataFrame Criteria(IEnumerable<JudgeEvaluation> evaluations) =>
        MetricTable.Criteria(evaluations.Where(e => e.Ran && e.Criteria is not null).Select(e => new CriterionRows(e.Judge, e.Criteria!)));

    /// <summary>Writes one evaluation to results/ and returns the file's path. <paramref name="extraConfig"/> joins the
    /// config (and so the run id's hash); <paramref name="extraMetrics"/> joins the metrics (what the run measured beside the
    /// evaluation, e.g. its training history).</summary>
    public static string Save(Workbook workbook, EvaluationData data, JudgeEvaluation evaluation, EvaluationOptions options,
        JsonObject? extraConfig = null, JsonObject? extraMetrics = null)
    {
        var config = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["name"] = data.Name,
                ["test_file"] = Path.GetRelativePath(workbook.Root, data.Test.SourceFile),
                ["test_pairs"] = data.Test.Pairs.Count,
                ["val_file"] = data.Val is null ? null : Path.GetRelativePath(workbook.Root, data.Val.SourceFile),
                ["rule_family"] = data.Family,
                ["synthbench_config"] = data.TestOracle?.ConfigHash,
            },
            ["judge"] = new JsonObject(evaluation.JudgeConfig.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["evaluation"] = new JsonObject { ["bootstrap_seed"] = options.BootstrapSeed, ["resamples"] = options.Resamples },
        };
        if (extraConfig is not null)
            foreach (var (key, value) in extraConfig) config[key] = value?.DeepClone();
        var metrics = Evaluator.MetricsJson(evaluation);
        if (extraMetrics is not null)
            foreach (var (key, value) in extraMetrics) metrics[key] = value?.DeepClone();
        var record = ResultsStore.Create("eval", $"{data.Name}-{evaluation.Judge}", workbook, config, metrics, data.SynthBenchVersion);
        return ResultsStore.For(workbook).Write(record);
    }
}

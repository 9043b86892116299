using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Data;
using MjVideo.Metrics;
using MjVideo.Reports;
using MjVideo.Taxonomy;
using Plotly.NET;

namespace MjVideo.Synth;

/// <summary>The tables and charts of notebook 01 and the datasheet, computed from SynthBench files and studies.</summary>
public static class SynthReports
{
    public static DataFrame Taxonomy() => new(
        new Int32DataFrameColumn("index", MjTaxonomy.Criteria.Select(c => c.Index)),
        new StringDataFrameColumn("aspect", MjTaxonomy.Criteria.Select(c => c.Aspect.DisplayName)),
        new StringDataFrameColumn("criterion (release key)", MjTaxonomy.Criteria.Select(c => c.Key)),
        new StringDataFrameColumn("definition", MjTaxonomy.Criteria.Select(c => c.Definition)));

    public static DataFrame CaptionExamples(SynthOracle oracle, int count = 12)
    {
        var pairs = oracle.Pairs.Take(count).ToList();
        return new DataFrame(
            new StringDataFrameColumn("caption", pairs.Select(p => p.Caption)),
            new StringDataFrameColumn("kind", pairs.Select(p => p.SecondKind is null ? p.Kind : $"{p.Kind} + {p.SecondKind}")),
            new StringDataFrameColumn("template", pairs.Select(p => $"{p.Template}{(p.HeldOutTemplate ? " (held out)" : "")}")),
            new StringDataFrameColumn("emphases", pairs.Select(p => p.Emphases.Count == 0 ? "-" : string.Join(", ", p.Emphases))),
            new StringDataFrameColumn("aspect weights", pairs.Select(p => string.Join(" ", p.CaptionAspectWeights.Select(w => w.ToString("0.00"))))),
            new Int32DataFrameColumn("related criteria", pairs.Select(p => p.Related.Count(r => r))));
    }

    /// <summary>Share of videos in which each criterion is related, and related and bad.</summary>
    public static (DataFrame Table, double[] Related, double[] Bad) CriterionRates(SynthOracle oracle)
    {
        var videos = oracle.Pairs.SelectMany(p => new[] { (p, p.Video0), (p, p.Video1) }).ToList();
        var related = MjTaxonomy.Criteria.Select(c => videos.Count(v => v.p.Related[c.Index]) / (double)videos.Count).ToArray();
        var bad = MjTaxonomy.Criteria.Select(c => videos.Count(v => v.Item2.CriterionSeverity[c.Index] > 0) / (double)videos.Count).ToArray();
        var table = new DataFrame(
            new StringDataFrameColumn("criterion", MjTaxonomy.Criteria.Select(c => c.Key)),
            new StringDataFrameColumn("related", related.Select(r => r.ToString("P1"))),
            new StringDataFrameColumn("bad", bad.Select(r => r.ToString("P1"))),
            new Int32DataFrameColumn("n videos", MjTaxonomy.Criteria.Select(_ => videos.Count)));
        return (table, related, bad);
    }

    public static GenericChart CriterionRatesChart(double[] related, double[] bad, string title) =>
        Charts.GroupedBars(MjTaxonomy.CriterionKeys, [("related", related.Select(r => 100 * r).ToArray()), ("related and bad", bad.Select(r => 100 * r).ToArray())],
            title, "% of videos");

    /// <summary>Overall preference counts per rule family (same pairs, different rules).</summary>
    public static (DataFrame Table, GenericChart Chart) PreferencesByFamily(IReadOnlyDictionary<string, PreferenceDataset> byFamily, string title)
    {
        var labels = new[] { PreferenceLabel.Video1Better, PreferenceLabel.Video2Better, PreferenceLabel.Same, PreferenceLabel.HardToJudge };
        var families = byFamily.Keys.ToList();
        var counts = families.Select(f => labels.Select(l => (double)byFamily[f].Pairs.Count(p => p.Overall == l)).ToArray()).ToList();
        var columns = new List<DataFrameColumn> { new StringDataFrameColumn("rule family", families) };
        for (var i = 0; i < labels.Length; i++)
            columns.Add(new Int32DataFrameColumn(labels[i].ToReleaseString(), counts.Select(c => (int)c[i])));
        var chart = Charts.GroupedBars(labels.Select(l => l.ToReleaseString()), families.Select((f, k) => (f, counts[k])), title, "pairs");
        return (new DataFrame(columns), chart);
    }

    /// <summary>How often the published aspect codes agree with "any related criterion bad -> bad" (the real release: 62-83%).</summary>
    public static DataFrame AspectCodeAgreement(SynthOracle oracle, PreferenceDataset dataset)
    {
        var byIndex = oracle.Pairs.ToDictionary(p => p.Index);
        var rows = MjTaxonomy.Aspects.Select(a =>
        {
            var videos = dataset.Pairs.SelectMany(p => new[] { (p.Labels0!, byIndex[p.Index].Video0), (p.Labels1!, byIndex[p.Index].Video1) })
                .Where(v => v.Item2.CleanAspectCodes[a.Index] != LabelCode.NotRelated).ToList();
            var agree = videos.Count(v => v.Item1.AspectCodes[a.Index] == v.Item2.CleanAspectCodes[a.Index]);
            return (a.DisplayName, Estimate: Intervals.Wilson(agree, videos.Count));
        }).ToList();
        return new DataFrame(
            new StringDataFrameColumn("aspect", rows.Select(r => r.DisplayName)),
            new StringDataFrameColumn("agreement with the any-bad rule", rows.Select(r => r.Estimate.FormatValue())),
            new Int32DataFrameColumn("n videos", rows.Select(r => r.Estimate.N)));
    }

    public static (DataFrame Table, GenericChart Chart) Detectability(IReadOnlyList<DetectabilityCell> cells, string title)
    {
        var criteria = cells.Select(c => c.Criterion).Distinct().Order().ToList();
        var bins = cells.Select(c => c.Bin).Distinct().Order().ToList();
        string BinName(int b) => $"({DefectDetectability.Bins[b].Low:0.00}, {DefectDetectability.Bins[b].High:0.00}]";
        var columns = new List<DataFrameColumn> { new StringDataFrameColumn("criterion", criteria.Select(c => MjTaxonomy.Criteria[c].Key)) };
        foreach (var b in bins)
            columns.Add(new StringDataFrameColumn(BinName(b), criteria.Select(c => cells.Single(x => x.Criterion == c && x.Bin == b) is var x
                ? $"{x.Detected}/{x.Samples}" : "")));
        columns.Add(new StringDataFrameColumn("detector", criteria.Select(DefectDetectors.Describe)));
        var z = criteria.Select(c => bins.Select(b => 100 * cells.Single(x => x.Criterion == c && x.Bin == b).Rate).ToArray()).ToArray();
        var chart = Charts.Heatmap(z, bins.Select(BinName).ToArray(), criteria.Select(c => MjTaxonomy.Criteria[c].Key).ToArray(), title);
        return (new DataFrame(columns), chart);
    }

    public static DataFrame Shortcuts(ShortcutReport report) => new(
        new StringDataFrameColumn("shortcut", ["larger file preferred", "smaller file preferred",
            $"logistic regression on the pair's pixel difference ({report.Features} features, weight decay {report.ChosenWeightDecay} chosen on val)"]),
        new StringDataFrameColumn("strict accuracy on test", new[] { report.LargerFileWins, report.SmallerFileWins, report.PairDifferenceModel }.Select(e => e.FormatValue())),
        new Int32DataFrameColumn("n decisive test pairs", new[] { report.LargerFileWins.N, report.SmallerFileWins.N, report.PairDifferenceModel.N }));

    // ---- results/ records ---------------------------------------------------------------------------------------

    public static JsonObject DetectabilityJson(IReadOnlyList<DetectabilityCell> cells) => new()
    {
        ["cells"] = new JsonArray(cells.Select(c => (JsonNode?)new JsonObject
        {
            ["criterion"] = c.Criterion, ["key"] = c.Key, ["bin"] = c.Bin, ["severity_low"] = c.SeverityLow, ["severity_high"] = c.SeverityHigh,
            ["samples"] = c.Samples, ["detected"] = c.Detected, ["detector"] = c.Detector,
        }).ToArray()),
    };

    public static IReadOnlyList<DetectabilityCell> DetectabilityFromJson(JsonObject metrics) =>
        metrics["cells"]!.AsArray().Select(n => new DetectabilityCell(n!["criterion"]!.GetValue<int>(), n["key"]!.GetValue<string>(),
            n["bin"]!.GetValue<int>(), n["severity_low"]!.GetValue<double>(), n["severity_high"]!.GetValue<double>(),
            n["samples"]!.GetValue<int>(), n["detected"]!.GetValue<int>(), n["detector"]!.GetValue<string>())).ToList();
}

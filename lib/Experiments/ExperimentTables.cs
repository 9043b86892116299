using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Backbones.Tiny;
using MjVideo.Evaluation;
using MjVideo.Metrics;
using MjVideo.Reports;
using MjVideo.Taxonomy;

namespace MjVideo.Experiments;

/// <summary>The notebooks' tables that are not Table 1 / Table 2: pre-training, routing, hypotheses and ablation differences.</summary>
public static class ExperimentTables
{
    static string F(double x, string format = "0.000") => double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    /// <summary>The mean over seeds with a t interval, as "0.123 [0.100, 0.150]" in the given scale, or the value alone for one seed.</summary>
    public static string MeanCell(IEnumerable<double> values, double scale = 1, string format = "0.000")
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return "n/a";
        var e = Intervals.MeanOverSeeds(finite);
        return e.HasInterval ? $"{F(scale * e.Value, format)} [{F(scale * e.Low, format)}, {F(scale * e.High, format)}]" : F(scale * e.Value, format);
    }

    /// <summary>One row per pre-trained encoder: steps, time, and the objective's terms on val.</summary>
    public static DataFrame Pretraining(IEnumerable<PretrainReport> reports)
    {
        var list = reports.ToList();
        string Term(PretrainReport r, string term) => F(r.ValTerms.GetValueOrDefault(term, double.NaN));
        return new DataFrame(
            new StringDataFrameColumn("encoder", list.Select(r => r.BackboneId)),
            new Int64DataFrameColumn("seed", list.Select(r => r.Seed)),
            new Int32DataFrameColumn("steps", list.Select(r => r.Steps)),
            new DoubleDataFrameColumn("seconds", list.Select(r => Math.Round(r.Seconds, 1))),
            new DoubleDataFrameColumn("ms per video", list.Select(r => Math.Round(r.MsPerVideo, 2))),
            new Int64DataFrameColumn("trained parameters", list.Select(r => r.TrainedParameters)),
            new StringDataFrameColumn("val: criteria", list.Select(r => Term(r, NeutralObjective.Criteria))),
            new StringDataFrameColumn("val: related", list.Select(r => Term(r, NeutralObjective.Related))),
            new StringDataFrameColumn("val: aspects", list.Select(r => Term(r, NeutralObjective.Aspects))),
            new StringDataFrameColumn("val: caption words (gate)", list.Select(r => Term(r, NeutralObjective.GateWords))));
    }

    /// <summary>
    /// Does the encoder fuse? Per criterion of one aspect (Alignment by default), the criteria probe's val AUC and macro-F1
    /// for the full encoder and the caption-only and video-only ones, mean over seeds with a t interval. Alignment needs
    /// both inputs (is the named colour the shown one?), so the full encoder should beat both blanked ones there.
    /// </summary>
    public static DataFrame Fusion(IEnumerable<PretrainReport> reports, string aspect = "Alignment")
    {
        var byModality = reports.GroupBy(r => r.Modalities).OrderBy(g => g.Key).ToList();
        var criteria = MjTaxonomy.Criteria.Where(c => MjTaxonomy.Aspects[c.AspectIndex].DisplayName == aspect).Select(c => c.Key).ToList();
        var rows = criteria.Append($"mean over {aspect}").ToList();
        double Value(PretrainReport r, string criterion, Func<ProbeResult, double> pick) => criterion.StartsWith("mean over", StringComparison.Ordinal)
            ? r.ValCriteria.Where(p => criteria.Contains(p.Criterion)).Select(pick).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average()
            : pick(r.ValCriteria.Single(p => p.Criterion == criterion));
        var columns = new List<DataFrameColumn> { new StringDataFrameColumn("criterion", rows) };
        foreach (var group in byModality)
        {
            columns.Add(new StringDataFrameColumn($"AUC: {Name(group.Key)}", rows.Select(c => MeanCell(group.Select(r => Value(r, c, p => p.Auc))))));
            columns.Add(new StringDataFrameColumn($"macro-F1: {Name(group.Key)}", rows.Select(c => MeanCell(group.Select(r => Value(r, c, p => p.MacroF1))))));
        }
        columns.Add(new Int32DataFrameColumn("val videos (related)", rows.Select(c => c.StartsWith("mean over", StringComparison.Ordinal)
            ? 0 : byModality[0].First().ValCriteria.Single(p => p.Criterion == c).Videos)));
        return new DataFrame(columns);
    }

    static string Name(TinyModalities m) => m switch
    {
        TinyModalities.VideoAndCaption => "video + caption",
        TinyModalities.CaptionOnly => "caption only",
        _ => "video only",
    };

    /// <summary>The routing analysis of MJ-Video's records per family (metrics.routing), mean over seeds with t intervals.</summary>
    public static DataFrame Routing(IEnumerable<ResultRow> mjvideoRows)
    {
        var rows = mjvideoRows.Where(r => r.Records.Count > 0).ToList();
        IEnumerable<double> Field(ResultRow row, string name) => row.Records.Select(r => r.Metrics["routing"]?[name] is JsonValue v ? v.GetValue<double>() : double.NaN);
        IEnumerable<double> MeanPerAspect(ResultRow row) => row.Records.Select(r =>
            (r.Metrics["routing"]?["per_aspect_caption_correlation"]?.AsArray() ?? []).Select(v => v is null ? double.NaN : v.GetValue<double>())
            .Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average());
        return new DataFrame(
            new StringDataFrameColumn("family", rows.Select(r => r.Family)),
            new StringDataFrameColumn("r(gates, caption weights), pooled", rows.Select(r => MeanCell(Field(r, "caption_weight_correlation")))),
            new StringDataFrameColumn("r per aspect, mean", rows.Select(r => MeanCell(MeanPerAspect(r)))),
            new StringDataFrameColumn("r(gates, rule weights)", rows.Select(r => MeanCell(Field(r, "rule_weight_correlation")))),
            new StringDataFrameColumn("aspect-gate entropy (ln 5 = 1.609)", rows.Select(r => MeanCell(Field(r, "aspect_gate_entropy")))),
            new StringDataFrameColumn("criteria-gate entropy (1 = uniform)", rows.Select(r => MeanCell(Field(r, "criteria_gate_entropy")))),
            new StringDataFrameColumn("weight: related criterion", rows.Select(r => MeanCell(Field(r, "related_criteria_weight")))),
            new StringDataFrameColumn("weight: unrelated criterion", rows.Select(r => MeanCell(Field(r, "unrelated_criteria_weight")))),
            new StringDataFrameColumn("lambda_crit", rows.Select(r => MeanCell(Field(r, "criteria_scale")))),
            new StringDataFrameColumn("lambda_asp", rows.Select(r => MeanCell(Field(r, "aspect_scale")))),
            new Int32DataFrameColumn("seeds", rows.Select(r => r.Records.Count)));
    }

    /// <summary>
    /// Per family and aspect, the correlation of the aspect gate g_a with the caption's true weight w_a over the test
    /// captions that carry an emphasis, each seed's as "r [low, high], n" (Fisher z): whether the router follows what the
    /// caption asks for, aspect by aspect, rather than in a pooled number that the aspects' different means inflate.
    /// </summary>
    public static DataFrame RoutingByAspect(IEnumerable<ResultRow> mjvideoRows)
    {
        var rows = mjvideoRows.Where(r => r.Records.Count > 0).ToList();
        var cells = rows.SelectMany(row => MjTaxonomy.Aspects.Select(aspect => (row.Family, aspect.DisplayName, Seeds: string.Join("; ",
            row.Records.Select(record => record.Metrics["routing"]?["per_aspect_emphasis_correlation"]?[aspect.Index] is JsonObject e
                ? $"{F(Number(e["r"]))} [{F(Number(e["low"]))}, {F(Number(e["high"]))}], n {e["n"]}"
                : "not recorded"))))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("family", cells.Select(c => c.Family)),
            new StringDataFrameColumn("aspect", cells.Select(c => c.DisplayName)),
            new StringDataFrameColumn("r(g_a, w_a) over captions with an emphasis, per seed", cells.Select(c => c.Seeds)));
    }

    static double Number(JsonNode? node) => node is JsonValue v ? v.GetValue<double>() : double.NaN;

    /// <summary>
    /// In words, per row (family or variant), what the aspect gate does on test: its mean weight per aspect over seeds, the
    /// aspects it leaves unused, and in how many seeds it has collapsed, i.e. puts at least 90% of its mean weight on one
    /// or two aspects (the mean gate over test inputs; a gate that routes by input spreads its mean).
    /// </summary>
    public static IReadOnlyList<string> GateWords(IEnumerable<ResultRow> mjvideoRows)
    {
        var lines = new List<string>();
        foreach (var row in mjvideoRows.Where(r => r.Records.Count > 0))
        {
            var gates = row.Records.Select(r => (r.Metrics["routing"]?["mean_aspect_gate"]?.AsArray() ?? []).Select(v => v!.GetValue<double>()).ToArray())
                .Where(g => g.Length == MjTaxonomy.AspectCount).ToList();
            if (gates.Count == 0) continue;
            // Collapse is judged per seed: seeds that collapse onto different aspects average out to a spread-looking mean.
            string? Collapse(double[] gate)
            {
                var share = RoutingAnalysis.Normalised(gate);
                var order = Enumerable.Range(0, MjTaxonomy.AspectCount).OrderByDescending(a => share[a]).ToList();
                return share[order[0]] >= 0.9 ? MjTaxonomy.Aspects[order[0]].DisplayName
                    : share[order[0]] + share[order[1]] >= 0.9 ? $"{MjTaxonomy.Aspects[order[0]].DisplayName} + {MjTaxonomy.Aspects[order[1]].DisplayName}"
                    : null;
            }
            var collapses = gates.Select(Collapse).ToList();
            var mean = RoutingAnalysis.Normalised(Enumerable.Range(0, MjTaxonomy.AspectCount).Select(a => gates.Average(g => g[a])).ToArray());
            var unused = Enumerable.Range(0, MjTaxonomy.AspectCount).Where(a => mean[a] < 0.02).Select(a => MjTaxonomy.Aspects[a].DisplayName).ToList();
            var captionR = row.Records.Select(r => r.Metrics["routing"]?["caption_weight_correlation"] is JsonValue v ? v.GetValue<double>() : double.NaN)
                .Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            var shares = string.Join(", ", Enumerable.Range(0, MjTaxonomy.AspectCount).OrderByDescending(a => mean[a])
                .Select(a => string.Create(CultureInfo.InvariantCulture, $"{MjTaxonomy.Aspects[a].DisplayName} {100 * mean[a]:F0}%")));
            var collapsed = collapses.Count(c => c is not null);
            var verdict = collapsed == 0
                ? "no seed's gate sits on one or two aspects"
                : $"collapsed in {collapsed} of {gates.Count} seed(s) ({string.Join("; ", collapses.OfType<string>())}: at least 90% of the mean weight)";
            var unusedText = unused.Count > 0 ? $"; under 2% on {string.Join(" and ", unused)} on average" : "";
            lines.Add($"{row.Family}, {row.Name}: mean aspect gate {shares}; {verdict}{unusedText}; " +
                      string.Create(CultureInfo.InvariantCulture, $"correlation with the caption's true weights r = {captionR:F2} (mean over {gates.Count} seed(s))."));
        }
        return lines;
    }

    /// <summary>MJ-Video's strict accuracy per caption kind and family (metrics.routing.by_kind), mean over seeds.</summary>
    public static DataFrame ByKind(IEnumerable<ResultRow> mjvideoRows)
    {
        var rows = mjvideoRows.Where(r => r.Records.Count > 0).ToList();
        var kinds = rows.SelectMany(r => r.Records).SelectMany(r => (r.Metrics["routing"]?["by_kind"]?.AsArray() ?? []).Select(k => k!["kind"]!.GetValue<string>()))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var columns = new List<DataFrameColumn> { new StringDataFrameColumn("caption kind", kinds) };
        foreach (var row in rows)
            columns.Add(new StringDataFrameColumn(row.Family, kinds.Select(kind => MeanCell(row.Records.Select(r =>
                (r.Metrics["routing"]?["by_kind"]?.AsArray() ?? []).FirstOrDefault(k => k!["kind"]!.GetValue<string>() == kind)?["strict"] is JsonValue v
                    ? v.GetValue<double>() : double.NaN), scale: 100, format: "0.0"))));
        columns.Add(new Int32DataFrameColumn("decisive pairs (first family)", kinds.Select(kind =>
            (rows.FirstOrDefault()?.Records[0].Metrics["routing"]?["by_kind"]?.AsArray() ?? []).FirstOrDefault(k => k!["kind"]!.GetValue<string>() == kind)?["decisive"]?.GetValue<int>() ?? 0)));
        return new DataFrame(columns);
    }

    /// <summary>Row a minus row b at a metric, paired by training seed (records carry config.experiment.seed), mean over
    /// the common seeds with a t interval; a row with a single record (no training) is paired with every seed of the other.</summary>
    public static Estimate PairedBySeed(ResultRow a, ResultRow b, string metric = "overall.strict")
    {
        static long Seed(RunRecord record) => record.Config[ExperimentLedger.ExperimentField]?["seed"]?.GetValue<long>() ?? -1;
        var bySeed = b.Records.ToDictionary(Seed, r => ResultRow.EstimateAt(r, metric).Value);
        var differences = a.Records.Select(r => (Seed: Seed(r), Value: ResultRow.EstimateAt(r, metric).Value))
            .Select(x => b.Records.Count == 1 ? x.Value - ResultRow.EstimateAt(b.Records[0], metric).Value
                : bySeed.TryGetValue(x.Seed, out var other) ? x.Value - other : double.NaN)
            .Where(double.IsFinite).ToArray();
        return differences.Length == 0 ? Estimate.Undefined(0, "paired over seeds", "no common seeds") : Intervals.MeanOverSeeds(differences);
    }

    /// <summary>
    /// Row a minus row b, paired by training seed as above, with the seeds-then-pairs paired bootstrap
    /// (<see cref="Evaluator.CompareOverSeeds"/>) on the test pairs of <paramref name="data"/>, read from the scores the
    /// records hold. <paramref name="metric"/> is strict or tie-aware accuracy on the published or clean labels.
    /// </summary>
    public static Estimate PairedBySeed(ResultRow a, ResultRow b, EvaluationData data, EvaluationOptions options, string metric = "overall.strict")
    {
        var (clean, tieAware) = metric switch
        {
            "overall.strict" => (false, false),
            "overall.tie_aware" => (false, true),
            "overall_clean.strict" => (true, false),
            "overall_clean.tie_aware" => (true, true),
            _ => throw new ArgumentException($"the seeds-then-pairs bootstrap compares overall strict or tie-aware accuracy, not '{metric}'", nameof(metric)),
        };
        var bySeed = b.Records.ToDictionary(SeedOf);
        var paired = a.Records.Select(r => (A: r, B: b.Records.Count == 1 ? b.Records[0] : bySeed.GetValueOrDefault(SeedOf(r))))
            .Where(p => p.B is not null).ToList();
        if (paired.Count == 0) return Estimate.Undefined(0, "paired bootstrap over seeds, then pairs", "no common seeds");
        var (strict, tieAwareDifference) = Evaluator.CompareOverSeeds(
            paired.Select(p => ExperimentLedger.Scores(p.A, data)).ToList(), paired.Select(p => ExperimentLedger.Scores(p.B!, data)).ToList(),
            options, clean);
        return tieAware ? tieAwareDifference : strict;
    }

    static long SeedOf(RunRecord record) => record.Config[ExperimentLedger.ExperimentField]?["seed"]?.GetValue<long>() ?? -1;

    /// <summary>
    /// Setting minus reference, strict test accuracy, paired by seed (the same seed's states and head initialisation);
    /// "yes" in the last column when the interval excludes 0. With <paramref name="data"/> the interval is the paired
    /// bootstrap over seeds, then pairs; without it (the older call) the mean over seeds with a t interval, which is
    /// nearly zero-width when the seeds agree.
    /// </summary>
    public static DataFrame Differences(IReadOnlyList<(AblationSetting Setting, ResultRow Row)> rows, string metric = "overall.strict",
        ExperimentData? data = null, EvaluationOptions? options = null)
    {
        var references = rows.Where(r => r.Setting.IsReference).ToDictionary(r => (r.Setting.Experiment, r.Row.Family), r => r.Row);
        var compared = rows.Where(r => !r.Setting.IsReference && references.ContainsKey((r.Setting.Experiment, r.Row.Family)) && r.Row.Records.Count > 0).ToList();
        Estimate Paired(ResultRow row, ResultRow reference) => data is null
            ? PairedBySeed(row, reference, metric)
            : PairedBySeed(row, reference, data.Families.Single(f => f.Name == row.Family).Evaluation, options ?? new EvaluationOptions(), metric);
        var cells = compared.Select(r => (r.Setting, r.Row, Estimate: Paired(r.Row, references[(r.Setting.Experiment, r.Row.Family)]))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("experiment", cells.Select(c => c.Setting.Experiment)),
            new StringDataFrameColumn("setting", cells.Select(c => c.Setting.Name)),
            new StringDataFrameColumn("family", cells.Select(c => c.Row.Family)),
            new StringDataFrameColumn("minus the paper's setting (strict, points)", cells.Select(c => c.Estimate.FormatValue())),
            new Int32DataFrameColumn("seeds paired", cells.Select(c => c.Estimate.N)),
            new StringDataFrameColumn("interval excludes 0", cells.Select(c => !c.Estimate.HasInterval ? "n/a" : c.Estimate.Low > 0 ? "yes (better)" : c.Estimate.High < 0 ? "yes (worse)" : "no")));
    }
}

using System.Globalization;
using Microsoft.Data.Analysis;
using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Evaluation;
using MjVideo.Metrics;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Training;

namespace MjVideo.Experiments;

/// <summary>MJ-Video minus one other judge on one family: per seed and over seeds.</summary>
/// <param name="Other">the judge compared against (the best non-MoE judge of the family by mean test strict accuracy;
/// choosing it on test favours it, so the comparison is conservative for MJ-Video)</param>
/// <param name="MeanDifference">strict accuracy of MJ-Video minus the other, mean over seeds, with the interval of a paired
/// bootstrap over seeds, then test pairs (<see cref="Evaluator.CompareOverSeeds"/>)</param>
/// <param name="RelativeGain">mean MJ-Video strict accuracy / the other's - 1 (the paper's +17.58% is this number)</param>
/// <param name="PerSeed">per seed: the paired bootstrap difference on the test pairs and McNemar's test</param>
public sealed record PairedComparison(string Family, string Other, bool Clean, Estimate MeanDifference, double RelativeGain,
    IReadOnlyList<(long Seed, Estimate Difference, McNemarResult McNemar)> PerSeed);

/// <summary>
/// Notebook 03's experiment: MJ-Video against every trained baseline (the same frozen states, starting point, epochs and
/// learning-rate grid), the caption-only and video-only controls, the training-free judges, the VLM judge, the controls
/// and the oracle ceilings, on every rule family and seed; plus the tables, paired differences and routing analysis read
/// back from results/.
/// </summary>
public sealed class MainComparison(Workbook workbook, ExperimentSettings settings, ExperimentData data, HeadRunner runner, ReferenceJudges references)
{
    public const string Experiment = "main";

    /// <summary>The trained judges of the main table, MJ-Video first.</summary>
    public static IReadOnlyList<HeadVariant> TrainedJudges { get; } = [HeadVariant.MjVideo, .. HeadVariant.TrainedBaselines];

    /// <summary>The modality controls: MJ-Video's head on encoders pre-trained (the same way) without video or without caption.</summary>
    public static IReadOnlyList<BackboneChoice> ModalityControls { get; } = [BackboneChoice.CaptionOnly, BackboneChoice.VideoOnly];

    /// <summary>The heads trained on oracle inputs (<see cref="BackboneChoice.OracleInputs"/>): MJ-Video's, and the multi-task
    /// single head with the same losses and no routers, so that the pair shows what routing adds when the encoder is perfect.</summary>
    public static IReadOnlyList<HeadVariant> OracleInputHeads { get; } = [HeadVariant.MjVideo, HeadVariant.Baseline(JudgeKind.MultitaskSingle)];

    /// <summary>
    /// Every head cell: each trained judge on each family and seed, and the two modality controls on the control seeds; the
    /// first seed searches the learning rate on val over the grid, the other seeds reuse its choice.
    /// </summary>
    public static IReadOnlyList<HeadCell> Cells(ExperimentSettings settings)
    {
        var cells = new List<HeadCell>();
        var jobs = TrainedJudges.Select(v => (Variant: v, Backbone: BackboneChoice.Default, Seeds: settings.Seeds))
            .Concat(ModalityControls.Select(b => (Variant: HeadVariant.MjVideo, Backbone: b, Seeds: settings.ControlSeeds)))
            .Concat(OracleInputHeads.Select(v => (Variant: v, Backbone: BackboneChoice.OracleInputs, Seeds: settings.Seeds)));
        foreach (var family in settings.Families)
            foreach (var (variant, backbone, seeds) in jobs)
            {
                var first = new HeadCell(Experiment, variant, family, seeds[0], backbone, LearningRateSource.Search(settings.Head.LearningRateGrid));
                cells.Add(first);
                cells.AddRange(seeds.Skip(1).Select(seed => first with { Seed = seed, LearningRate = LearningRateSource.ChosenBy(first) }));
            }
        return cells;
    }

    /// <summary>The cells of one family's MJ-Video (or another trained judge) over the seeds.</summary>
    public IReadOnlyList<HeadCell> SeedCells(RuleFamily family, HeadVariant variant, BackboneChoice? backbone = null) =>
        Cells(settings).Where(c => c.Family == family && c.Variant == variant && c.Backbone == (backbone ?? BackboneChoice.Default)).ToList();

    /// <summary>Runs every missing row: the pre-trainings (all seeds and modalities), the reference judges, then the heads.</summary>
    public async Task RunAsync(Action<string>? log = null, Action<HeadRunResult>? onHead = null, CancellationToken cancellation = default)
    {
        await references.RunAsync(log, cancellation).ConfigureAwait(false);
        await runner.RunAsync(Cells(settings), onHead, log, cancellation).ConfigureAwait(false);
    }

    /// <summary>One family's rows: trained judges, modality controls, then the reference judges in their table order.</summary>
    public IReadOnlyList<ResultRow> Rows(RuleFamily family)
    {
        var ledger = runner.Ledger;
        ResultRow Trained(HeadVariant variant, BackboneChoice backbone, string group)
        {
            var cells = SeedCells(family, variant, backbone);
            return new ResultRow(family.Name(), cells[0].Display, group, cells.Select(c => ledger.Latest(c.Key)).OfType<RunRecord>().ToList());
        }
        var rows = new List<ResultRow>();
        rows.AddRange(TrainedJudges.Select(v => Trained(v, BackboneChoice.Default, v.Judge == JudgeKind.MjVideo ? MoeGroup : BaselineGroup)));
        rows.AddRange(ModalityControls.Select(b => Trained(HeadVariant.MjVideo, b, ControlGroup)));
        rows.AddRange(OracleInputHeads.Select(v => Trained(v, BackboneChoice.OracleInputs, OracleInputsGroup)));
        rows.AddRange(ReferenceJudges.All.Select(j => new ResultRow(family.Name(), j.Name, GroupName(j.Group),
            ledger.Latest(j.KeyFor(family)) is { } r ? [r] : [])));
        return rows;
    }

    public const string MoeGroup = "MoE";
    public const string BaselineGroup = "trained baseline";
    public const string TrainingFreeGroup = "training-free";
    public const string ControlGroup = "control";
    /// <summary>Heads on the oracle inputs: a diagnostic of the head, never a competitor of the judges.</summary>
    public const string OracleInputsGroup = "oracle inputs";

    public static string GroupName(ReferenceGroup group) => group switch
    {
        ReferenceGroup.TrainingFree => TrainingFreeGroup,
        ReferenceGroup.Vlm => "VLM judge",
        ReferenceGroup.Control => ControlGroup,
        _ => "ceiling",
    };

    /// <summary>The candidates for "the best non-MoE judge": the trained baselines and the training-free judges that ran.</summary>
    public static bool IsNonMoeCompetitor(ResultRow row) => row.Ran && row.Group is BaselineGroup or TrainingFreeGroup;

    /// <summary>MJ-Video minus the best non-MoE judge of the family (by mean test strict accuracy on the same labels).</summary>
    public PairedComparison Compare(RuleFamily family, bool clean)
    {
        var rows = Rows(family);
        var metric = clean ? "overall_clean.strict" : "overall.strict";
        var mjvideo = rows[0];
        if (!mjvideo.Ran || mjvideo.Records.Count == 0) throw new InvalidOperationException($"{family.Name()}: MJ-Video has no results yet");
        var best = rows.Where(IsNonMoeCompetitor).MaxBy(r => r.Metric(metric).Value)
                   ?? throw new InvalidOperationException($"{family.Name()}: no non-MoE judge has results");
        var evaluation = data[family].Evaluation;
        var options = runner.EvaluationOptions;
        var perSeed = new List<(long, Estimate, McNemarResult)>();
        var (mjvideoSeeds, otherSeeds) = (new List<JudgeEvaluation>(), new List<JudgeEvaluation>());
        for (var i = 0; i < mjvideo.Records.Count; i++)
        {
            var other = best.Records[best.Records.Count == 1 ? 0 : i];
            mjvideoSeeds.Add(ExperimentLedger.Scores(mjvideo.Records[i], evaluation));
            otherSeeds.Add(ExperimentLedger.Scores(other, evaluation));
            var (strict, _, mcnemar) = Evaluator.Compare(mjvideoSeeds[^1], otherSeeds[^1], options, clean);
            perSeed.Add((SeedOf(mjvideo.Records[i]), strict, mcnemar));
        }
        var mean = Evaluator.CompareOverSeeds(mjvideoSeeds, otherSeeds, options, clean).StrictDifference;
        return new PairedComparison(family.Name(), best.Name, clean, mean, mjvideo.Metric(metric).Value / best.Metric(metric).Value - 1, perSeed);
    }

    static long SeedOf(RunRecord record) => record.Config[ExperimentLedger.ExperimentField]?["seed"]?.GetValue<long>() ?? -1;

    /// <summary>The paired differences of every family, on published and on clean labels.</summary>
    public DataFrame Differences()
    {
        var comparisons = settings.Families.SelectMany(f => new[] { Compare(f, clean: false), Compare(f, clean: true) }).ToList();
        return new DataFrame(
            new StringDataFrameColumn("family", comparisons.Select(c => c.Family)),
            new StringDataFrameColumn("labels", comparisons.Select(c => c.Clean ? "clean" : "published")),
            new StringDataFrameColumn("best non-MoE judge", comparisons.Select(c => c.Other)),
            new StringDataFrameColumn("MJ-Video minus it (strict, mean over seeds; bootstrap over seeds, then pairs)", comparisons.Select(c => c.MeanDifference.FormatValue())),
            new StringDataFrameColumn("relative gain", comparisons.Select(c => RelativeText(c.RelativeGain))),
            new StringDataFrameColumn("per seed: paired bootstrap difference; McNemar p", comparisons.Select(c => string.Join("; ",
                c.PerSeed.Select(s => string.Create(CultureInfo.InvariantCulture, $"seed {s.Seed}: {s.Difference.FormatValue()}, p = {s.McNemar.PValue:0.####}"))))),
            new StringDataFrameColumn("interval above 0", comparisons.Select(c => c.MeanDifference.HasInterval ? (c.MeanDifference.Low > 0 ? "yes" : "no") : "n/a")));
    }

    /// <summary>
    /// Writes each family's paired comparison (published and clean labels) to results/ as a "comparison" record, so that
    /// the README's difference table reads it from there like every other number. The spec hash is over the records
    /// compared, so a comparison is rewritten exactly when one of them changed.
    /// </summary>
    public IReadOnlyList<RunRecord> SaveComparisons()
    {
        var saved = new List<RunRecord>();
        foreach (var family in settings.Families)
            foreach (var clean in new[] { false, true })
            {
                var comparison = Compare(family, clean);
                var rows = Rows(family);
                var other = rows.First(r => r.Name == comparison.Other);
                var labels = clean ? "clean" : "published";
                var config = new JsonObject
                {
                    [ExperimentLedger.ExperimentField] = new JsonObject
                    {
                        ["key"] = $"{Experiment}/{family.Name()}/comparison/{labels}",
                        ["spec_hash"] = ExperimentData.Hash(string.Join("\n", rows[0].RunIds.Concat(other.RunIds))),
                        ["experiment"] = Experiment,
                        ["family"] = family.Name(),
                        ["labels"] = labels,
                        ["mjvideo"] = rows[0].Name,
                        ["other"] = comparison.Other,
                        ["mjvideo_runs"] = new JsonArray(rows[0].RunIds.Select(id => (JsonNode?)id).ToArray()),
                        ["other_runs"] = new JsonArray(other.RunIds.Select(id => (JsonNode?)id).ToArray()),
                        ["synthbench"] = new JsonObject { ["version"] = data.SynthBenchVersion, ["config_hash"] = data.SynthBenchConfigHash },
                    },
                };
                var metrics = new JsonObject
                {
                    ["difference"] = Evaluator.ToJson(comparison.MeanDifference),
                    ["relative_gain"] = double.IsFinite(comparison.RelativeGain) ? Math.Round(comparison.RelativeGain, 6) : null,
                    ["per_seed"] = new JsonArray(comparison.PerSeed.Select(p => (JsonNode?)new JsonObject
                    {
                        ["seed"] = p.Seed, ["difference"] = Evaluator.ToJson(p.Difference),
                        ["mcnemar_p"] = Math.Round(p.McNemar.PValue, 6), ["mcnemar_method"] = p.McNemar.Method,
                    }).ToArray()),
                };
                var record = ResultsStore.Create("comparison", $"main-{family.Name()}-{labels}", workbook, config, metrics, data.SynthBenchVersion);
                saved.Add(runner.Ledger.Add(runner.Ledger.Store.Write(record)));
            }
        return saved;
    }

    /// <summary>
    /// The hypotheses of notebook 03, each with what was measured and the verdict the numbers give (whatever it is):
    /// H1 additive (MJ-Video beats the best non-MoE judge, interval of the paired difference above 0), H2 fixed-weights
    /// (routing adds nothing over the same head without routers), H3 worst-defect and H4 annotators (reported), H5 the
    /// encoder fuses (MJ-Video on the full encoder beats both modality controls), H6 the aspect router follows the
    /// caption's true weights on the additive family.
    /// </summary>
    public DataFrame Verdicts()
    {
        var rows = new List<(string Hypothesis, string Measured, string Verdict)>();
        string Pts(Estimate e) => e.FormatValue();
        foreach (var family in settings.Families)
        {
            var c = Compare(family, clean: false);
            var measured = $"MJ-Video minus {c.Other}: {Pts(c.MeanDifference)} points (relative {RelativeText(c.RelativeGain)}; the paper: +17.58%)";
            var ahead = c.MeanDifference.HasInterval && c.MeanDifference.Low > 0;
            var behind = c.MeanDifference.HasInterval && c.MeanDifference.High < 0;
            var verdict = family switch
            {
                RuleFamily.Additive => ahead ? "supported: the interval is above 0" : "not supported: the interval is not above 0",
                RuleFamily.FixedWeights => "see H2",
                _ => ahead ? "MJ-Video ahead (interval above 0)" : behind ? "MJ-Video behind (interval below 0)" : "no difference shown (interval covers 0)",
            };
            var name = family switch
            {
                RuleFamily.Additive => "H1 additive: MJ-Video beats the best non-MoE judge",
                RuleFamily.FixedWeights => "fixed-weights: MJ-Video against the best non-MoE judge",
                RuleFamily.WorstDefect => "H3 worst-defect (no weighted sum fits the rule)",
                _ => "H4 annotators (weights hidden, unrelated to the caption)",
            };
            rows.Add((name, measured, verdict));
        }
        var fixedRows = Rows(RuleFamily.FixedWeights);
        var noRouting = fixedRows.First(r => r.Name == HeadVariant.Baseline(JudgeKind.MultitaskSingle).Display);
        var routingGain = ExperimentTables.PairedBySeed(fixedRows[0], noRouting, data[RuleFamily.FixedWeights].Evaluation, runner.EvaluationOptions);
        rows.Add(("H2 fixed-weights: routing adds nothing", $"MJ-Video minus multi-task single head (same losses, no routers): {Pts(routingGain)} points",
            !routingGain.HasInterval ? "n/a" : routingGain.Low > 0 ? "not supported: routing helps" : "supported: the interval is not above 0"));
        var controlGaps = settings.Families.SelectMany(f =>
        {
            var familyRows = Rows(f);
            return familyRows.Where(r => r.Group == ControlGroup && r.Records.Count > 0 && r.Name.StartsWith(familyRows[0].Name, StringComparison.Ordinal))
                .Select(r => (Family: f.Name(), Control: r.Name, Gap: ExperimentTables.PairedBySeed(familyRows[0], r, data[f].Evaluation, runner.EvaluationOptions)));
        }).ToList();
        rows.Add(("H5 the encoder fuses: MJ-Video on video + caption beats both modality controls",
            string.Join("; ", controlGaps.Select(g => $"{g.Family}, {g.Control.Split(" on ")[^1]}: {Pts(g.Gap)}")),
            controlGaps.Count > 0 && controlGaps.All(g => g.Gap.Value > 0) ? "supported on every family (means above 0)" : "not supported everywhere"));
        var additive = Rows(RuleFamily.Additive)[0];
        var correlation = additive.Records.Select(r => r.Metrics["routing"]?["caption_weight_correlation"] is JsonValue v ? v.GetValue<double>() : double.NaN)
            .Where(double.IsFinite).ToArray();
        var r = correlation.Length == 0 ? Estimate.Undefined(0, "", "no routing analysis") : Intervals.MeanOverSeeds(correlation);
        rows.Add(("H6 the aspect router follows the caption's true weights (additive)", $"pooled correlation of gates and true weights: {r.FormatValue(scale: 1, decimals: 3, intervalDecimals: 3)}",
            !r.IsDefined ? "n/a" : r.HasInterval && r.Low > 0 ? "supported: the interval is above 0" : "not supported: the interval is not above 0"));
        return new DataFrame(
            new StringDataFrameColumn("hypothesis", rows.Select(x => x.Hypothesis)),
            new StringDataFrameColumn("measured (test, published labels)", rows.Select(x => x.Measured)),
            new StringDataFrameColumn("verdict", rows.Select(x => x.Verdict)));
    }

    public static string RelativeText(double gain) =>
        double.IsFinite(gain) ? (gain >= 0 ? "+" : "") + (100 * gain).ToString("F2", CultureInfo.InvariantCulture) + "%" : "n/a";
}

using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Experiments;
using MjVideo.Model;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using MjVideo.Training;

namespace MjVideo.Tests;

/// <summary>Routing analysis, pair explanations, the scale recorder and the aggregation of records into table rows.</summary>
public class ExperimentRoutingTests
{
    [Fact]
    public void Pearson_and_entropy_match_hand_computations()
    {
        // x = 1, 2, 3 and y = 2, 4, 7: deviations (-1, 0, 1) and (-7/3, -1/3, 8/3); sxy = 5, sxx = 2, syy = 114/9.
        Assert.Equal(5 / Math.Sqrt(2 * 114 / 9.0), RoutingAnalysis.Pearson([1, 2, 3], [2, 4, 7]), 12);
        Assert.True(double.IsNaN(RoutingAnalysis.Pearson([1, 1, 1], [1, 2, 3])));
        Assert.Equal(Math.Log(2), RoutingAnalysis.Entropy([0.5, 0.5, 0]), 12);
        Assert.Equal([0.25, 0.75], RoutingAnalysis.Normalised([0.1, 0.3]).Select(x => Math.Round(x, 12)));
    }

    [Fact]
    public void Routing_summary_reads_gates_against_the_oracle()
    {
        var (test, truths) = SynthPairs(count: 6, RuleFamily.Additive);
        // Gates that are the caption's true weights times 0.8 (lambda), and within-aspect weights that put everything on related criteria.
        var videos = new List<VideoJudgement>();
        for (var i = 0; i < truths.Count; i++)
            for (var v = 0; v < 2; v++)
            {
                var labels = test.Pairs[i].LabelsOf(v)!;
                var criteria = new double[MjTaxonomy.CriterionCount];
                foreach (var group in MjTaxonomy.AspectToCriteria)
                {
                    var related = group.Where(c => labels.CriterionCodes[c] != 0).ToList();
                    foreach (var c in group) criteria[c] = related.Count == 0 ? 0.5 / group.Length : related.Contains(c) ? 0.5 / related.Count : 0;
                }
                videos.Add(new VideoJudgement($"v{i}_{v}", v, new double[28], new double[5], criteria,
                    truths[i].CaptionAspectWeights.Select(w => 0.8 * w).ToArray(), null));
            }
        var score0 = Enumerable.Range(0, truths.Count).Select(i => 1.0).ToArray();
        var score1 = Enumerable.Range(0, truths.Count).Select(i => 0.0).ToArray();
        var summary = RoutingAnalysis.Summarise(videos, test, truths, score0, score1);

        Assert.Equal(1.0, summary.CaptionWeightCorrelation, 9);
        Assert.Equal(1.0, summary.RuleWeightCorrelation, 9); // additive: the rule's weights are the caption's
        Assert.Equal(0.8, summary.AspectScale, 5); // the oracle rounds the weights to 6 decimals, so they sum to 1 within 1e-6
        Assert.Equal(0.5, summary.CriteriaScale, 9);
        // An unrelated criterion gets 0 within a group that has a related one, and 1/|group| in a group with none.
        var entries = test.Pairs.SelectMany(p => new[] { p.Labels0!, p.Labels1! })
            .SelectMany(l => MjTaxonomy.AspectToCriteria.Select(g => g.Count(c => l.CriterionCodes[c] == 0) == g.Length ? (Unrelated: g.Length, Weight: 1.0) : (Unrelated: g.Count(c => l.CriterionCodes[c] == 0), Weight: 0.0)))
            .ToList();
        Assert.Equal(entries.Sum(e => e.Weight) / entries.Sum(e => e.Unrelated), summary.UnrelatedCriteriaWeight, 12);
        Assert.True(summary.RelatedCriteriaWeight > summary.UnrelatedCriteriaWeight);
        var expectedMean = Enumerable.Range(0, 5).Select(a => truths.Average(t => t.CaptionAspectWeights[a])).ToArray();
        Assert.All(expectedMean.Zip(summary.MeanAspectGate), p => Assert.Equal(p.First, p.Second, 5));
        Assert.Equal(truths.Count, summary.ByKind.Sum(k => k.Pairs));
        var emphasised = summary.Emphasis.Sum(e => e.EmphasisedPairs);
        Assert.Equal(truths.Sum(t => t.Emphases.Select(e => Enum.Parse<Emphasis>(e).AspectIndex()).Distinct().Count()), emphasised);
        // Within an aspect, over the captions with an emphasis, the gate is the true weight up to a constant factor.
        // A caption without an emphasis is left out (the last pair's emphases are dropped here to check it).
        var lastWithout = truths.Take(truths.Count - 1).Append(truths[^1] with { Emphases = [] }).ToList();
        var withoutLast = RoutingAnalysis.Summarise(videos, test, lastWithout, score0, score1);
        var withEmphasis = lastWithout.Count(t => t.Emphases.Count > 0);
        Assert.InRange(withEmphasis, 4, truths.Count - 1);
        Assert.All(withoutLast.PerAspectEmphasisCorrelation, e =>
        {
            Assert.Equal(withEmphasis, e.N);
            if (e.IsDefined) Assert.Equal(1.0, e.Value, 5);
        });
        Assert.Contains(withoutLast.PerAspectEmphasisCorrelation, e => e.IsDefined);
        var json = summary.ToJson();
        Assert.Equal(1.0, json["caption_weight_correlation"]!.GetValue<double>(), 6);
        Assert.Equal(truths.Count(t => t.Emphases.Count > 0), json["per_aspect_emphasis_correlation"]![0]!["n"]!.GetValue<int>());
    }

    [Fact]
    public void A_pair_explanation_splits_the_score_difference_exactly()
    {
        var (test, truths) = SynthPairs(count: 1, RuleFamily.Additive);
        double[] Criteria(double value) => Enumerable.Repeat(value, 28).ToArray();
        double[] Weights(double value) => Enumerable.Repeat(value, 28).ToArray();
        // Aspect scores and gates chosen so that Fineness (index 2) decides: 0.5 * 2 - 0.2 * (-1) = 1.2.
        var v0 = new VideoJudgement("a", 1.3, Criteria(1), [0.1, 0, 2, 0, 0], Weights(0.2), [0.2, 0.2, 0.5, 0.05, 0.05], null);
        var v1 = new VideoJudgement("b", -0.2, Criteria(-1), [0, 0, -1, 0, 0], Weights(0.1), [0.2, 0.2, 0.2, 0.2, 0.2], null);
        var explanation = PairExplanations.Explain(test.Pairs[0], truths[0], v0, v1);
        Assert.Equal("Fineness", explanation.DecidingAspect);
        Assert.Equal(1.2, explanation.AspectContributions[2].Contribution, 12);
        Assert.Equal(0.02, explanation.AspectContributions[0].Contribution, 12);
        Assert.Equal("video 1", explanation.Predicted);
        // Within Fineness every criterion adds 0.2 * 1 - 0.1 * (-1) = 0.3.
        Assert.All(explanation.TopCriteria, c => Assert.Equal(0.3, c.Contribution, 12));
        Assert.Equal(5, explanation.TopCriteria.Count);
    }

    [Fact]
    public void The_scale_recorder_reads_the_scales_the_trainer_wrote()
    {
        using var setup = TrainingTestKit.Synthetic(hiddenSize: 8, trainPairs: 16, valPairs: 8);
        var config = TrainingTestKit.Config(TrainingTestKit.SmallModel(), epochs: 1, batch: 8);
        using var model = new RewardModel(config.Model, setup.Backbone, config.Seed);
        var recorder = new GateScaleRecorder();
        var folder = RepoPaths.NewTempDir("scales");
        new StagedTrainer(config, recorder).Train(model, TrainingTestKit.Spec, setup.Train, setup.Val, folder);
        // One checkpoint per epoch: stage 1, 2 and 3 (one epoch each); the scales are read back from the head file.
        Assert.Equal([1, 2, 3], recorder.Points.Select(p => p.Stage));
        var last = recorder.Points[^1];
        var head = model.Head!.state_dict();
        Assert.Equal(head["criteria_gating.logit_scale"].item<float>(), (float)last.CriteriaScale!.Value);
        Assert.Equal(head["aspect_gating.logit_scale"].item<float>(), (float)last.AspectScale!.Value);
        // Stage 1 trains neither router: both scales are still at their initial 1.
        Assert.Equal(1.0, recorder.Points[0].CriteriaScale!.Value, 6);
        Assert.Equal(1.0, recorder.Points[0].AspectScale!.Value, 6);
    }

    [Fact]
    public void Rows_average_seeds_with_a_t_interval_and_keep_a_single_record_as_it_is()
    {
        var root = RepoPaths.NewTempDir("rows");
        var workbook = new Workbook(root, RunMode.Full, Path.Combine(root, "scratch"));
        RunRecord Record(double strict, long seed, string specHash = "h") => ResultsStore.Create("eval", $"r{seed}", workbook,
            new JsonObject { [ExperimentLedger.ExperimentField] = new JsonObject { ["key"] = $"main/additive/x/8-paper/seed-{seed}", ["spec_hash"] = specHash, ["seed"] = seed } },
            new JsonObject
            {
                ["ran"] = true,
                ["overall"] = new JsonObject { ["strict"] = new JsonObject { ["value"] = strict, ["ci95"] = new JsonArray(strict - 0.1, strict + 0.1), ["n"] = 100, ["method"] = "m" } },
            }, "synthbench-v1");
        var records = new[] { Record(0.6, 0), Record(0.7, 1), Record(0.8, 2) };
        var row = new ResultRow("additive", "x", "MoE", records);
        // Mean 0.7, sample sd 0.1, t(0.975, 2) = 4.3027: half-width 0.24841.
        var estimate = row.Metric("overall.strict");
        Assert.Equal(0.7, estimate.Value, 12);
        Assert.Equal(0.7 - 4.302653 * 0.1 / Math.Sqrt(3), estimate.Low, 5);
        Assert.Equal(3, estimate.N);
        Assert.Equal("70.00 [45.2, 94.8]", row.Cell("overall.strict"));
        var single = new ResultRow("additive", "x", "control", [records[1]]);
        Assert.Equal("70.00 [60.0, 80.0]", single.Cell("overall.strict"));
        Assert.Equal(100, single.PairsN("overall.strict"));

        // Paired by seed: (0.6 - 0.5) and (0.7 - 0.5) against a one-record row, and seed by seed against another trained row.
        var other = new ResultRow("additive", "y", "control", [Record(0.5, 9)]);
        Assert.Equal(0.2, ExperimentTables.PairedBySeed(row, other).Value, 12);
        var shifted = new ResultRow("additive", "z", "MoE", [Record(0.55, 0), Record(0.65, 1), Record(0.75, 2)]);
        var paired = ExperimentTables.PairedBySeed(row, shifted);
        Assert.Equal(0.05, paired.Value, 12);
        Assert.Equal(0.05, paired.Low, 9); // no spread: the interval is the point

        // The ledger keeps one record per cell: a newer record replaces the file of the stale one.
        var ledger = new ExperimentLedger(Path.Combine(root, "results"));
        var stale = ledger.Add(ledger.Store.Write(Record(0.6, 0)));
        Assert.NotNull(ledger.Find("main/additive/x/8-paper/seed-0", "h"));
        var newer = ledger.Add(ledger.Store.Write(Record(0.65, 0, specHash: "h2")));
        Assert.NotEqual(stale.RunId, newer.RunId);
        Assert.Null(ledger.Find("main/additive/x/8-paper/seed-0", "h"));
        Assert.Equal(newer.RunId, ledger.Find("main/additive/x/8-paper/seed-0", "h2")!.RunId);
        Assert.Equal([newer.RunId + ".json"], Directory.GetFiles(Path.Combine(root, "results"), "*.json").Select(Path.GetFileName));
        Assert.Equal(newer.RunId, new ExperimentLedger(Path.Combine(root, "results")).Latest("main/additive/x/8-paper/seed-0")!.RunId);
    }

    /// <summary>SynthBench pairs of the test split generated in memory (no videos needed) and their oracle records.</summary>
    static (Data.PreferenceDataset Test, IReadOnlyList<OraclePair> Truths) SynthPairs(int count, RuleFamily family)
    {
        var config = new SynthConfig("test", count, Seed: 11);
        var weights = PreferenceRules.AnnotatorWeights(config.Seed);
        var pairs = Enumerable.Range(0, count).Select(i => SynthBenchGenerator.GeneratePair(config, i, weights)).ToList();
        var oracle = SynthOracle.Build(config, family, pairs, weights);
        var test = TrainingTestKit.InMemory("test.json", pairs.Select(p => p.ToPreferencePair(family, "/synthetic/test.json", "test")).ToList());
        return (test, oracle.Pairs);
    }

    [Fact]
    public void Score_differences_print_with_one_sign_and_zero_without()
    {
        Assert.Equal("+0.012", PairExplanations.Signed(0.0123));
        Assert.Equal("-0.500", PairExplanations.Signed(-0.5));
        // A small negative difference printed "-+0.000" with the two-section format.
        Assert.Equal("0.000", PairExplanations.Signed(-0.0001));
        Assert.Equal("0.000", PairExplanations.Signed(0.0004));
        Assert.Equal("-0.001", PairExplanations.Signed(-0.0005));
    }
}

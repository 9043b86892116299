using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Experiments;
using MjVideo.Metrics;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

/// <summary>The evaluator's per-criterion metrics end to end: from a judge's criterion scores and, for SynthBench, the
/// oracle's severities, to the results record and every table that shows criteria.</summary>
public class EvaluationCriteriaTests
{
    sealed class CriteriaJudge(string name, Func<PreferencePair, int, double> criterionScore) : IJudge
    {
        public string Name => name;
        public IReadOnlyDictionary<string, string> Config => new Dictionary<string, string> { ["kind"] = "criteria" };
        public JudgeAvailability Availability() => JudgeAvailability.Yes;
        public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
        {
            JudgedVideo Video(PreferencePair p, int v)
            {
                var score = criterionScore(p, v);
                return new JudgedVideo(score, null, Enumerable.Repeat(score, MjTaxonomy.CriterionCount).ToArray());
            }
            return Task.FromResult<IReadOnlyList<JudgedPair>>(input.Pairs.Select(p => new JudgedPair(Video(p, 0), Video(p, 1))).ToList());
        }
    }

    // Four pairs; on every criterion video 0 is good and video 1 bad, and video 1's oracle severity is 0.2 * (pair + 1).
    const int PairCount = 4;

    static double Severity(int pair) => 0.2 * (pair + 1);

    static PreferencePair Pair(int index) => new()
    {
        SourceFile = "test.json", Index = index, Caption = "c", Video0 = $"{index}_0.mp4", Video1 = $"{index}_1.mp4",
        Labels0 = new VideoAnnotation(Enumerable.Repeat(LabelCode.Good, 28).ToArray(), Enumerable.Repeat(LabelCode.Good, 5).ToArray(), 1),
        Labels1 = new VideoAnnotation(Enumerable.Repeat(LabelCode.Bad, 28).ToArray(), Enumerable.Repeat(LabelCode.Bad, 5).ToArray(), 2),
        Overall = PreferenceLabel.Video1Better,
    };

    static PreferenceDataset Test() => new()
    {
        Format = DatasetFormat.Release, SourceFile = Path.Combine(RepoPaths.Root, "test.json"),
        Pairs = Enumerable.Range(0, PairCount).Select(Pair).ToList(), Extras = Enumerable.Range(0, PairCount).Select(_ => new ExtraFields()).ToList(),
        MissingVideos = [],
    };

    static OracleVideo Video(double severity) => new([], Enumerable.Repeat(severity, 28).ToArray(), new double[5], new int[5], 0,
        new bool[5], severity, severity > 0 ? LabelCode.Bad : LabelCode.Good);

    // Listed in reverse order: the severities must be matched to pairs by index, not by position.
    static SynthOracle Oracle() => new("synthbench-v1", "fixture", "additive", "test", 0, 16, [], [], [], new LabelNoise(),
        Enumerable.Range(0, PairCount).Reverse().Select(i => new OraclePair(i, "c", "plain", null, 0, false, false, "scene", "safe", [],
            new double[5], Enumerable.Repeat(true, 28).ToArray(), 0, null, Video(0), Video(Severity(i)), PreferenceLabel.Video1Better,
            PreferenceLabel.Video1Better, LabelNoiseEvent.None, [], [], false)).ToList());

    static readonly CriteriaJudge Constant = new("constant", (_, _) => 1);

    // Right on every video, and the worse the defect the lower the reward.
    static readonly CriteriaJudge Learned = new("learned", (p, v) => v == 0 ? 1 : -Severity(p.Index));

    [Fact]
    public async Task A_constant_judge_is_flagged_one_class_and_a_learned_one_is_not()
    {
        var data = new EvaluationData("toy", Test(), null, Oracle(), null);
        var constant = await Evaluator.EvaluateAsync(Constant, data);
        var learned = await Evaluator.EvaluateAsync(Learned, data);

        Assert.Equal(MjTaxonomy.CriterionCount, constant.Criteria!.Count);
        Assert.All(constant.Criteria, c =>
        {
            Assert.Equal("good", c.OneClass.Side);
            Assert.Equal(0.5, c.Auc.Value, 12);
            Assert.Equal(0.5, c.BalancedAccuracy.Value, 12);
            Assert.Equal(0.0, c.BadRecall.Value, 12);
            Assert.Equal(1.0, c.Recall.Value, 12);                  // the good-class recall cannot tell
            Assert.False(c.SeverityCorrelation.IsDefined);           // every bad video got the same reward
        });
        Assert.All(learned.Criteria!, c =>
        {
            Assert.False(c.OneClass.IsOneClass);
            Assert.Equal(1.0, c.Auc.Value, 12);
            Assert.Equal(1.0, c.BalancedAccuracy.Value, 12);
            Assert.Equal(1.0, c.BadRecall.Value, 12);
            Assert.Equal(-1.0, c.SeverityCorrelation.Value, 12);    // reward falls as severity rises
            Assert.Equal(PairCount, c.SeverityCorrelation.N);
        });
    }

    [Fact]
    public async Task The_record_and_the_tables_carry_the_new_fields_and_the_flag()
    {
        var root = RepoPaths.NewTempDir("criteria-record");
        var workbook = new Workbook(RepoPaths.Root, RunMode.Quick, root);
        var data = new EvaluationData("toy", Test(), null, Oracle(), null);
        var constant = await Evaluator.EvaluateAsync(Constant, data);
        var learned = await Evaluator.EvaluateAsync(Learned, data);

        var path = EvaluationTables.Save(workbook, data, constant, new EvaluationOptions());
        var criterion = JsonNode.Parse(File.ReadAllText(path))!["metrics"]!["criteria"]![MjTaxonomy.Criteria[0].Key]!;
        foreach (var key in new[] { "auc", "balanced_acc", "bad_recall", "severity_spearman" })
        {
            Assert.NotNull(criterion[key]!["ci95"]);
            Assert.NotNull(criterion[key]!["method"]);
        }
        Assert.True(criterion["one_class"]!.GetValue<bool>());
        Assert.Equal("good", criterion["one_class_side"]!.GetValue<string>());
        Assert.Equal(0.0, criterion["predicted_bad_share"]!.GetValue<double>());
        Assert.Equal(0.5, criterion["true_bad_share"]!.GetValue<double>());
        // The official good-class fields are still there, as before.
        foreach (var key in new[] { "acc", "precision", "recall", "f1" }) Assert.NotNull(criterion[key]!["value"]);

        var table = EvaluationTables.Criteria([constant, learned]);
        Assert.Equal(2 * MjTaxonomy.CriterionCount, table.Rows.Count);
        Assert.Equal("ONE-CLASS (good)", table[MetricTable.OneClassColumn][0]);
        Assert.Equal("", table[MetricTable.OneClassColumn][MjTaxonomy.CriterionCount]);

        // The experiments' table reads the same flag back from the record.
        var record = ResultsStore.For(workbook).ReadAll("eval").Single();
        var rows = ResultTables.Criteria([new ResultRow("additive", "constant", "MoE", [record])]);
        Assert.Equal("ONE-CLASS (good)", rows[MetricTable.OneClassColumn][0]);
        Assert.StartsWith("0.500", (string)rows[MetricTable.AucColumn][0]);
    }

    [Fact]
    public async Task Without_an_oracle_the_severity_correlation_is_marked_absent()
    {
        var result = await Evaluator.EvaluateAsync(Learned, new EvaluationData("toy", Test(), null, null, null));
        Assert.All(result.Criteria!, c => Assert.Equal(CriterionMetrics.NoOracleNote, c.SeverityCorrelation.Note));
        Assert.Equal("absent (no oracle)", EvaluationTables.Criteria([result])[MetricTable.SeverityColumn][0]);
        var json = Evaluator.MetricsJson(result)["criteria"]![MjTaxonomy.Criteria[0].Key]!["severity_spearman"]!;
        Assert.Null(json["value"]);
        Assert.Contains("no oracle", json["note"]!.GetValue<string>());
    }

    [Fact]
    public void Records_from_before_the_flag_are_still_flagged_from_their_counts()
    {
        // An older record: only acc, precision, recall and f1. n of acc = related videos (10), of precision = called
        // good (10), of recall = labelled good (8): none called bad against 2 of 10 bad -> one-class.
        JsonObject Estimate(double value, int n) => new() { ["value"] = value, ["ci95"] = new JsonArray(value, value), ["n"] = n, ["method"] = "m" };
        var metrics = new JsonObject
        {
            ["ran"] = true,
            ["criteria"] = new JsonObject
            {
                ["object"] = new JsonObject { ["acc"] = Estimate(0.8, 10), ["precision"] = Estimate(0.8, 10), ["recall"] = Estimate(1, 8), ["f1"] = Estimate(0.89, 10) },
            },
        };
        var record = new RunRecord("eval-old", "eval", "full", "h", "synthbench-v1", "c", "m", DateTimeOffset.UnixEpoch, new JsonObject(), metrics);
        var table = ResultTables.Criteria([new ResultRow("additive", "old", "MoE", [record, record with { RunId = "eval-old-2" }])]);
        Assert.Equal("ONE-CLASS (good), 2/2 seeds", table[MetricTable.OneClassColumn][0]);
        Assert.Equal("not recorded", table[MetricTable.AucColumn][0]);
        Assert.Equal("80.00 [80.0, 80.0]", table["Acc"][0]);
    }
}

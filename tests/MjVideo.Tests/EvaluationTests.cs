using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Metrics;
using MjVideo.Reports;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

public class EvaluationTests
{
    /// <summary>A judge whose scores are given per pair index (and optional aspect scores), for checking the evaluator.</summary>
    sealed class FixedJudge(string name, Func<PreferencePair, JudgedPair> score, bool available = true) : IJudge
    {
        public int Calls;
        public string Name => name;
        public IReadOnlyDictionary<string, string> Config => new Dictionary<string, string> { ["kind"] = "fixed" };
        public JudgeAvailability Availability() => available ? JudgeAvailability.Yes : JudgeAvailability.No("no endpoint");
        public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult<IReadOnlyList<JudgedPair>>(input.Pairs.Select(score).ToList());
        }
    }

    static PreferencePair Pair(int index, PreferenceLabel overall, int aspect0 = LabelCode.Good, int aspect1 = LabelCode.Bad) => new()
    {
        SourceFile = "test.json", Index = index, Caption = "c", Video0 = $"{index}_0.mp4", Video1 = $"{index}_1.mp4",
        Labels0 = new VideoAnnotation(Enumerable.Repeat(LabelCode.Good, 28).ToArray(), Enumerable.Repeat(aspect0, 5).ToArray(), 1),
        Labels1 = new VideoAnnotation(Enumerable.Repeat(LabelCode.Bad, 28).ToArray(), Enumerable.Repeat(aspect1, 5).ToArray(), 2),
        Overall = overall,
    };

    static PreferenceDataset Dataset(string file, params PreferencePair[] pairs) => new()
    {
        Format = DatasetFormat.Release, SourceFile = file, Pairs = pairs, Extras = pairs.Select(_ => new ExtraFields()).ToList(),
        MissingVideos = [],
    };

    // Test pairs: 0 V1 (judge right), 1 V2 (judge right), 2 V1 (judge wrong), 3 V1 (judge ties), 4 Same, 5 Hard to judge.
    static readonly PreferencePair[] TestPairs =
    [
        Pair(0, PreferenceLabel.Video1Better), Pair(1, PreferenceLabel.Video2Better), Pair(2, PreferenceLabel.Video1Better),
        Pair(3, PreferenceLabel.Video1Better), Pair(4, PreferenceLabel.Same), Pair(5, PreferenceLabel.HardToJudge),
    ];

    static JudgedPair Scores(double s0, double s1) => new(new JudgedVideo(s0, [s0, s0, s0, s0, s0]), new JudgedVideo(s1, [s1, s1, s1, s1, s1]));

    static readonly Dictionary<int, JudgedPair> TestScores = new()
    {
        [0] = Scores(2, 1), [1] = Scores(0, 3), [2] = Scores(-1, 1), [3] = Scores(1, 1), [4] = Scores(0.5, 0.4), [5] = Scores(1, 0),
    };

    [Fact]
    public async Task Overall_metrics_match_the_hand_count()
    {
        var judge = new FixedJudge("fixed", p => TestScores[p.Index]);
        var val = Dataset("val.json", Pair(10, PreferenceLabel.Same), Pair(11, PreferenceLabel.Video1Better));
        // Val: the Same pair has gap 0.05, the decisive one gap 1 in the right direction: the sweep picks 0.05.
        var valScores = new Dictionary<int, JudgedPair> { [10] = Scores(1, 1.05), [11] = Scores(2, 1) };
        var both = new FixedJudge("fixed", p => p.Index >= 10 ? valScores[p.Index] : TestScores[p.Index]);
        var result = await Evaluator.EvaluateAsync(both, new EvaluationData("toy", Dataset("test.json", TestPairs), val, null, null));
        // Decisive test pairs: 0 right, 1 right, 2 wrong, 3 tie -> strict 2/4, tie-aware 2.5/4.
        Assert.Equal(0.5, result.Noisy!.Strict.Value, 12);
        Assert.Equal(4, result.Noisy.Strict.N);
        Assert.Equal(0.625, result.Noisy.TieAware.Value, 12);
        // Tie-calibrated at the val threshold 0.05 over pairs 0-4 (Hard to judge excluded): 0 right, 1 right, 2 wrong,
        // 3 gap 0 -> predicted Same, wrong; 4 gap 0.1 > 0.05 -> predicted Video 1, wrong: 2/5.
        Assert.Equal(0.05, result.Noisy.TieThreshold, 12);
        Assert.Equal(0.4, result.Noisy.TieCalibrated.Value, 12);
        Assert.Equal(5, result.Noisy.TieCalibrated.N);
        Assert.Null(result.Clean);
        Assert.Equal(2, both.Calls);   // test and val
    }

    [Fact]
    public async Task Without_a_val_split_the_tie_threshold_is_never_chosen_on_test()
    {
        var judge = new FixedJudge("fixed", p => TestScores[p.Index]);
        var result = await Evaluator.EvaluateAsync(judge, new EvaluationData("toy", Dataset("test.json", TestPairs), null, null, null));
        Assert.False(result.Noisy!.TieCalibrated.IsDefined);
        Assert.Contains("never chosen on test", result.Noisy.TieCalibrated.Note);
        Assert.Equal(1, judge.Calls);
    }

    [Fact]
    public async Task Aspect_metrics_come_from_the_aspect_scores_and_codes()
    {
        var judge = new FixedJudge("fixed", p => TestScores[p.Index]);
        var result = await Evaluator.EvaluateAsync(judge, new EvaluationData("toy", Dataset("test.json", TestPairs), null, null, null));
        var alignment = result.Aspects!.Single(a => a.Aspect == MjTaxonomy.Aspects[0].DisplayName);
        // Every pair has video 0 good and video 1 bad: strict asks s0 > s1, true for pairs 0, 4, 5 -> 3/6.
        Assert.Equal(0.5, alignment.Strict.Value, 12);
        Assert.Equal(6, alignment.Strict.N);
        // Videos (12): good ones predicted good iff s0 > 0: pairs 0,3,4,5 -> 4 of 6; bad ones predicted bad iff s1 <= 0:
        // pair 5 only -> 1 of 6. Acc = 5/12.
        Assert.Equal(5.0 / 12, alignment.Accuracy.Value, 12);
    }

    [Fact]
    public async Task An_unavailable_judge_reads_not_run_with_its_reason()
    {
        var judge = new FixedJudge("vlm", p => TestScores[p.Index], available: false);
        var result = await Evaluator.EvaluateAsync(judge, new EvaluationData("toy", Dataset("test.json", TestPairs), null, null, null));
        Assert.False(result.Ran);
        Assert.Equal(0, judge.Calls);
        var table = EvaluationTables.Table2([result]);
        Assert.Equal("not run (no endpoint)", table["strict"][0]);
        Assert.Equal("no endpoint", Evaluator.MetricsJson(result)["not_run_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Paired_comparison_of_two_judges_on_the_same_pairs()
    {
        var data = new EvaluationData("toy", Dataset("test.json", TestPairs), null, null, null);
        var a = await Evaluator.EvaluateAsync(new FixedJudge("a", p => TestScores[p.Index]), data);
        var b = await Evaluator.EvaluateAsync(new FixedJudge("b", p => Scores(1, 0)), data);
        // b always prefers video 0: right on pairs 0, 2, 3 (V1) and wrong on 1 -> 3/4; a gets 2/4. a - b = -0.25.
        var (strict, _, mcnemar) = Evaluator.Compare(a, b);
        Assert.Equal(-0.25, strict.Value, 12);
        // Discordant: a right & b wrong = pair 1; a wrong & b right = pairs 2 and 3.
        Assert.Equal(1, mcnemar.OnlyACorrect);
        Assert.Equal(2, mcnemar.OnlyBCorrect);
    }

    [Fact]
    public async Task A_saved_evaluation_carries_the_run_facts_and_the_issue_keys()
    {
        var root = RepoPaths.NewTempDir("results");
        var workbook = new Workbook(RepoPaths.Root, RunMode.Quick, root);
        var data = new EvaluationData("toy", Dataset(Path.Combine(RepoPaths.Root, "test.json"), TestPairs), null, null, null);
        var result = await Evaluator.EvaluateAsync(new FixedJudge("fixed", p => TestScores[p.Index]), data);
        var path = EvaluationTables.Save(workbook, data, result, new EvaluationOptions());
        Assert.StartsWith(root, path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        foreach (var key in new[] { "run_id", "config_hash", "commit", "machine", "mode", "config", "metrics" }) Assert.NotNull(json[key]);
        Assert.Equal("quick", json["mode"]!.GetValue<string>());
        var metrics = json["metrics"]!;
        foreach (var key in new[] { "strict", "tie_aware", "tie_calibrated" })
        {
            Assert.NotNull(metrics["overall"]![key]!["n"]);
            Assert.NotNull(metrics["overall"]![key]!["ci95"]);
        }
        Assert.NotNull(metrics["aspects"]!["Alignment"]!["macro_f1"]);
        var reread = ResultsStore.For(workbook).ReadAll("eval").Single();
        Assert.Equal(json["run_id"]!.GetValue<string>(), reread.RunId);
    }
}

using System.Text.Json.Nodes;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Experiments;
using MjVideo.Reports;

namespace MjVideo.Tests;

/// <summary>Differences between judges over training seeds, as the experiments compute them from their records.</summary>
public class EvaluationOverSeedsTests
{
    // Eight pairs, all Video 1 better (video 0 preferred). Judge A: right on 6; judge B: right on 3 (a subset of A's).
    const int Pairs = 8;
    static readonly double[] AScore0 = [2, 2, 2, 2, 2, 2, 0, 0], BScore0 = [2, 2, 2, 0, 0, 0, 0, 0];
    static readonly double[] Score1 = [1, 1, 1, 1, 1, 1, 1, 1];

    static PreferenceDataset Test() => new()
    {
        Format = DatasetFormat.Release, SourceFile = "test.json",
        Pairs = Enumerable.Range(0, Pairs).Select(i => new PreferencePair
        {
            SourceFile = "test.json", Index = i, Caption = "c", Video0 = $"{i}_0.mp4", Video1 = $"{i}_1.mp4", Overall = PreferenceLabel.Video1Better,
        }).ToList(),
        Extras = Enumerable.Range(0, Pairs).Select(_ => new ExtraFields()).ToList(),
        MissingVideos = [],
    };

    static JudgeEvaluation Scored(string judge, double[] score0) => new(judge, new Dictionary<string, string>(), JudgeAvailability.Yes,
        null, null, null, null, null, score0, Score1, Enumerable.Repeat(PreferenceLabel.Video1Better, Pairs).ToArray(), null);

    [Fact]
    public void Three_agreeing_seeds_get_a_paired_bootstrap_interval_not_a_point()
    {
        var a = Enumerable.Range(0, 3).Select(_ => Scored("a", AScore0)).ToList();
        var (strict, tieAware) = Evaluator.CompareOverSeeds(a, [Scored("b", BScore0)]);
        // 6/8 - 3/8 on every seed.
        Assert.Equal(0.375, strict.Value, 12);
        Assert.Equal(0.375, tieAware.Value, 12);
        Assert.Equal(3, strict.N);
        Assert.True(strict.Low < 0.3 && strict.High > 0.45, $"interval {strict.Low}..{strict.High}");
        Assert.StartsWith("paired bootstrap over 3 seeds", strict.Method);
        Assert.Throws<ArgumentException>(() => Evaluator.CompareOverSeeds(a, [Scored("b", BScore0), Scored("b", BScore0)]));
    }

    [Fact]
    public void Rows_of_records_are_paired_by_seed_and_bootstrapped_over_seeds_then_pairs()
    {
        RunRecord Record(string judge, long seed, double[] score0) => new($"eval-{judge}-{seed}", "eval", "full", "h", "synthbench-v1", "c", "m",
            DateTimeOffset.UnixEpoch,
            new JsonObject { [ExperimentLedger.ExperimentField] = new JsonObject { ["seed"] = seed } },
            new JsonObject
            {
                ["judge"] = judge, ["ran"] = true,
                ["scores"] = new JsonObject
                {
                    ["video_0"] = new JsonArray(score0.Select(s => (JsonNode?)s).ToArray()),
                    ["video_1"] = new JsonArray(Score1.Select(s => (JsonNode?)s).ToArray()),
                },
            });
        // A's seeds listed in another order than B's: pairing goes by seed, not by position.
        var a = new ResultRow("additive", "a", "MoE", [Record("a", 2, AScore0), Record("a", 1, AScore0), Record("a", 0, BScore0)]);
        var b = new ResultRow("additive", "b", "trained baseline", [Record("b", 0, BScore0), Record("b", 1, BScore0), Record("b", 2, BScore0)]);
        var data = new EvaluationData("toy", Test(), null, null, null);

        var difference = ExperimentTables.PairedBySeed(a, b, data, new EvaluationOptions());
        // Seeds 2 and 1: 0.375; seed 0 (the same scores): 0.
        Assert.Equal(0.25, difference.Value, 12);
        Assert.Equal(3, difference.N);
        Assert.True(difference.High > difference.Low);
        Assert.Throws<ArgumentException>(() => ExperimentTables.PairedBySeed(a, b, data, new EvaluationOptions(), "aspects.Alignment.acc"));
    }
}

using MjVideo.Baselines.Oracle;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Metrics;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using static MjVideo.Tests.BaselineTestKit;

namespace MjVideo.Tests;

/// <summary>The oracle ceilings on SynthBench pairs generated in memory (no videos are needed) and on hand-made cases.</summary>
public class BaselineOracleTests
{
    const int Pairs = 60;

    /// <summary>A generated test split under one family, as a dataset in memory and its oracle.</summary>
    static (JudgeInput Input, OracleLookup Oracle) Generated(RuleFamily family, string split = "test", long seed = 5)
    {
        var config = new SynthConfig(split, Pairs, Seed: seed);
        var weights = PreferenceRules.AnnotatorWeights(config.Seed);
        var pairs = Enumerable.Range(0, Pairs).Select(i => SynthBenchGenerator.GeneratePair(config, i, weights)).ToList();
        var file = $"/synth/{family.Name()}/{split}.json";
        var extras = pairs.Select(_ => new ExtraFields { { "synthbench_family", family.Name() } }).ToList();
        var input = Input(pairs.Select(p => p.ToPreferencePair(family, file, split)).ToList(), file, extras: extras);
        return (input, new OracleLookup(SynthOracle.Build(config, family, pairs, weights), $"/synth/{family.Name()}/{split}.oracle.json"));
    }

    [Theory]
    [InlineData(RuleFamily.Additive)]
    [InlineData(RuleFamily.FixedWeights)]
    [InlineData(RuleFamily.WorstDefect)]
    [InlineData(RuleFamily.Annotators)]
    public async Task The_noise_ceiling_agrees_with_every_clean_decisive_label(RuleFamily family)
    {
        var (input, oracle) = Generated(family);
        var judged = await new NoiseCeilingJudge(oracle).JudgeAsync(input);
        var clean = oracle.CleanOverall(input);
        Assert.True(clean.Count(l => l.IsDecisive()) >= 20, "too few decisive pairs to test on");
        Assert.Equal(1.0, PreferenceAccuracy.Strict(Scores(judged, 0), Scores(judged, 1), clean).Value);

        // By hand on the first pairs: the cost is sum_a w_a S_a, or for worst-defect max_a S_a + 1 with a safety defect.
        for (var i = 0; i < 5; i++)
        {
            var truth = oracle.Oracle.Pairs[i];
            foreach (var v in new[] { 0, 1 })
            {
                var s = truth.Video(v).AspectSeverity;
                var cost = family == RuleFamily.WorstDefect
                    ? s.Max() + (s[1] > 0 ? 1 : 0)
                    : Enumerable.Range(0, 5).Sum(a => truth.RuleWeights![a] * s[a]);
                Assert.Equal(-cost, judged[i].Of(v).Score, tolerance: 1e-5);   // the oracle stores 6 decimals
            }
        }

        // Aspect scores read "good" exactly where the annotators' rule does, so every aspect code that did not depart agrees.
        var judge = new NoiseCeilingJudge(oracle);
        for (var i = 0; i < input.Pairs.Count; i++)
            foreach (var v in new[] { 0, 1 })
            {
                var truth = oracle.Oracle.Pairs[i].Video(v);
                var codes = input.Pairs[i].LabelsOf(v)!.AspectCodes;
                for (var a = 0; a < MjTaxonomy.AspectCount; a++)
                    if (codes[a] != LabelCode.NotRelated && !truth.AspectDeparted[a])
                        Assert.Equal(codes[a] == LabelCode.Good, judged[i].Of(v).AspectScores![a] > judge.GoodAbove);
            }
    }

    static bool[] Only(params int[] aspects) => Enumerable.Range(0, 5).Select(aspects.Contains).ToArray();

    [Fact]
    public void The_weight_search_finds_the_least_committed_weights_that_order_the_aspects()
    {
        // Video 0 (bad in aspect i) beats video 1 (bad in aspect i + 1) exactly when w_i < w_i+1. The strictly
        // increasing multiples of 0.05 closest to uniform are 0.10, 0.15, 0.20, 0.25, 0.30 (five consecutive steps).
        var chain = Enumerable.Range(0, 4).Select(i => new IndicatorPair(Only(i), Only(i + 1), PreferenceLabel.Video1Better)).ToList();
        var fit = AspectWeightSearch.Best(chain);
        Assert.Equal([2, 3, 4, 5, 6], fit.Units);
        Assert.Equal(new[] { 0.10, 0.15, 0.20, 0.25, 0.30 }, fit.Weights.Select(w => Math.Round(w, 12)));
        Assert.Equal((1.0, 4, 10626), (fit.StrictAccuracy, fit.DecisivePairs, fit.Candidates));

        // A fifth pair that contradicts the chain (w_4 < w_0) cannot be satisfied with it: 4 of 5 at best. Every rotation
        // of the order also gets 4 of 5 at the same distance from uniform; the lexicographic tie-break keeps the chain.
        // Ties and hard-to-judge pairs are not counted.
        var contradicted = chain.Append(new IndicatorPair(Only(4), Only(0), PreferenceLabel.Video1Better))
            .Append(new IndicatorPair(Only(1), Only(3), PreferenceLabel.Same)).ToList();
        var second = AspectWeightSearch.Best(contradicted);
        Assert.Equal([2, 3, 4, 5, 6], second.Units);
        Assert.Equal((0.8, 5), (second.StrictAccuracy, second.DecisivePairs));

        Assert.Throws<ArgumentOutOfRangeException>(() => AspectWeightSearch.Best(chain, step: 0.3));
        Assert.Throws<ArgumentException>(() => AspectWeightSearch.Best([new IndicatorPair(Only(0), Only(1), PreferenceLabel.Same)]));
    }

    /// <summary>Criterion codes with every criterion related (1) and the given ones bad (2).</summary>
    static VideoAnnotation Labels(params int[] badCriteria) => new(
        Enumerable.Range(0, MjTaxonomy.CriterionCount).Select(c => badCriteria.Contains(c) ? LabelCode.Bad : LabelCode.Good).ToArray(),
        Enumerable.Repeat(LabelCode.Good, MjTaxonomy.AspectCount).ToArray(), LabelCode.Good);

    [Fact]
    public async Task The_fixed_weights_judge_fits_on_val_labels_and_scores_minus_the_weighted_bad_aspects()
    {
        // Criteria 0 (object), 5 (Crime), 13 (Object Distortion), 18 (Object Disappearance), 23 (Race): one per aspect.
        int[] criterionOf = [0, 5, 13, 18, 23];
        var val = Input(Enumerable.Range(0, 4).Select(i => Pair(i, $"{i}_0.mp4", $"{i}_1.mp4", PreferenceLabel.Video1Better, "val.json",
            Labels(criterionOf[i]), Labels(criterionOf[i + 1]))).ToList(), "val.json");
        var judge = FixedAspectWeightsJudge.FitOn(val);
        Assert.Equal(new[] { 0.10, 0.15, 0.20, 0.25, 0.30 }, judge.Weights.Select(w => Math.Round(w, 12)));
        Assert.Contains("Alignment 0.10, Safety 0.15, Fineness 0.20, Coherence & Consistency 0.25, Bias & Fairness 0.30", judge.Config["aspect weights"]);

        // Video 0 bad in Alignment (two criteria) and Fineness: -(0.10 + 0.20); video 1 bad in Bias & Fairness: -0.30.
        var test = Input([Pair(0, "a.mp4", "b.mp4", PreferenceLabel.Same, "test.json", Labels(0, 3, 14), Labels(27))], "test.json");
        var judged = (await judge.JudgeAsync(test)).Single();
        Assert.Equal(-0.30, judged.Video0.Score, 12);
        Assert.Equal(-0.30, judged.Video1.Score, 12);
        Assert.Equal([-1.0, 0, -1, 0, 0], judged.Video0.AspectScores!);

        var unlabelled = Input([Pair(7, "a.mp4", "b.mp4", PreferenceLabel.Video1Better, "val.json", Labels(0), labels1: null)], "val.json");
        var error = Assert.Throws<InvalidDataException>(() => FixedAspectWeightsJudge.FitOn(unlabelled));
        Assert.Contains("val.json: pair 7 has no video_1_label", error.Message);
    }

    [Theory]
    [InlineData(RuleFamily.Additive)]
    [InlineData(RuleFamily.WorstDefect)]
    [InlineData(RuleFamily.Annotators)]
    public async Task The_true_weights_ceiling_applies_the_family_rule_to_the_aspect_indicators(RuleFamily family)
    {
        var (input, oracle) = Generated(family);
        var judged = await new TrueAspectWeightsJudge(oracle).JudgeAsync(input);
        for (var i = 0; i < input.Pairs.Count; i++)
        {
            var truth = oracle.Oracle.Pairs[i];
            foreach (var v in new[] { 0, 1 })
            {
                var codes = input.Pairs[i].LabelsOf(v)!.CriterionCodes;
                var bad = MjTaxonomy.AspectToCriteria.Select(g => g.Any(c => codes[c] == LabelCode.Bad) ? 1.0 : 0.0).ToArray();
                var expected = family == RuleFamily.WorstDefect
                    ? bad.Max() + bad[1]
                    : Enumerable.Range(0, 5).Sum(a => truth.RuleWeights![a] * bad[a]);
                Assert.Equal(-expected, judged[i].Of(v).Score, 12);
            }
        }
    }

    [Fact]
    public async Task The_true_weights_ceiling_reads_each_pairs_own_weights()
    {
        // Two pairs with the same labels (video 0 bad in Alignment, video 1 in Fineness) but opposite rule weights.
        var (generated, oracle) = Generated(RuleFamily.Additive);
        double[] alignmentHeavy = [0.6, 0.1, 0.1, 0.1, 0.1], finenessHeavy = [0.1, 0.1, 0.6, 0.1, 0.1];
        var pairs = new[] { 0, 1 }.Select(i => generated.Pairs[i] with { Labels0 = Labels(0), Labels1 = Labels(13) }).ToList();
        var truth = oracle.Oracle with
        {
            Pairs = [oracle.Oracle.Pairs[0] with { RuleWeights = alignmentHeavy }, oracle.Oracle.Pairs[1] with { RuleWeights = finenessHeavy }],
        };
        var judged = await new TrueAspectWeightsJudge(new OracleLookup(truth, "hand-made oracle"))
            .JudgeAsync(Input(pairs, generated.Dataset.SourceFile));
        Assert.Equal((-0.6, -0.1), (judged[0].Video0.Score, judged[0].Video1.Score));
        Assert.Equal((-0.1, -0.6), (judged[1].Video0.Score, judged[1].Video1.Score));
    }

    [Fact]
    public async Task Oracle_judges_find_the_oracle_beside_the_dataset_file_and_refuse_a_wrong_one()
    {
        var dir = RepoPaths.NewTempDir("oracle");
        var (input, oracle) = Generated(RuleFamily.FixedWeights);
        ReleaseWriter.Write(Path.Combine(dir, "test.json"), input.Pairs, input.Dataset.Extras);
        oracle.Oracle.Write(Path.Combine(dir, "test.oracle.json"));
        var read = new JudgeInput(ReleaseReader.Read(Path.Combine(dir, "test.json")));
        Assert.True(OracleLookup.ExistsBeside(read.Dataset));

        var judged = await new NoiseCeilingJudge().JudgeAsync(read);
        for (var i = 0; i < read.Pairs.Count; i++)
            Assert.Equal(-oracle.Oracle.Pairs[read.Pairs[i].Index].Video1.Cost, judged[i].Video1.Score);

        // Another split's pairs against this oracle: the captions differ.
        var (val, _) = Generated(RuleFamily.FixedWeights, split: "val");
        ReleaseWriter.Write(Path.Combine(dir, "val.json"), val.Pairs, val.Dataset.Extras);
        File.Copy(Path.Combine(dir, "test.oracle.json"), Path.Combine(dir, "val.oracle.json"));
        var wrongSplit = await Assert.ThrowsAsync<InvalidDataException>(() =>
            new TrueAspectWeightsJudge().JudgeAsync(new JudgeInput(ReleaseReader.Read(Path.Combine(dir, "val.json")))));
        Assert.Contains("val.oracle.json: pair 0 has caption", wrongSplit.Message);

        // Pairs labelled under another family.
        var (additive, _) = Generated(RuleFamily.Additive);
        var wrongFamily = await Assert.ThrowsAsync<InvalidDataException>(() => new NoiseCeilingJudge(oracle).JudgeAsync(additive));
        Assert.Contains("synthbench_family is \"additive\"", wrongFamily.Message);

        // A dataset without an oracle.
        File.Delete(Path.Combine(dir, "val.oracle.json"));
        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            new NoiseCeilingJudge().JudgeAsync(new JudgeInput(ReleaseReader.Read(Path.Combine(dir, "val.json")))));
        Assert.Contains("val.oracle.json", missing.Message);
    }
}

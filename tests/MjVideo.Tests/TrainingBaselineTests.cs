using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Metrics;
using MjVideo.Model;
using MjVideo.Taxonomy;
using MjVideo.Training;
using static MjVideo.Tests.ModelTestKit;
using static MjVideo.Tests.TrainingTestKit;

namespace MjVideo.Tests;

/// <summary>The trained baselines: each trains, is saved, loads as a judge and scores; their heads are what DESIGN 4 says.</summary>
public class TrainingBaselineTests
{
    [Theory]
    [InlineData(JudgeKind.MjVideo)]
    [InlineData(JudgeKind.BtSingle)]
    [InlineData(JudgeKind.MultitaskSingle)]
    [InlineData(JudgeKind.CapacityMatched)]
    [InlineData(JudgeKind.VideoScore)]
    public async Task Each_judge_trains_saves_loads_and_scores_pairs(JudgeKind judge)
    {
        using var setup = Synthetic(hiddenSize: 16, trainPairs: 128, valPairs: 64);
        var config = Config(SmallModel(judge), epochs: 2, batch: 8);
        TrainResult result;
        ValMetrics untrained;
        using (var model = new RewardModel(config.Model, setup.Backbone, config.Seed))
        {
            untrained = Validation.Evaluate(model, setup.Val, TrainingStage.Overall, new LossOptions(LossMode.Mse), config.EvalBatchSize);
            result = new StagedTrainer(config).Train(model, Spec, setup.Train, setup.Val, RepoPaths.NewTempDir("baseline"));
        }
        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        Assert.Equal(3 * 2 * 16, result.Steps);

        using var trained = TrainedJudge.Load(result.CheckpointDirectory, setup.Backbone);
        Assert.Equal(JudgeNames.Name(judge), trained.Config["judge"]);
        var pairs = await trained.JudgeAsync(new JudgeInput(setup.Val.Dataset));
        Assert.Equal(64, pairs.Count);
        var hasFineGrained = judge is JudgeKind.MjVideo or JudgeKind.MultitaskSingle or JudgeKind.CapacityMatched;
        foreach (var video in pairs.SelectMany(p => new[] { p.Video0, p.Video1 }))
        {
            Assert.True(double.IsFinite(video.Score));
            Assert.Equal(hasFineGrained ? MjTaxonomy.CriterionCount : null, video.CriterionScores?.Length);
            Assert.Equal(hasFineGrained ? MjTaxonomy.AspectCount : null, video.AspectScores?.Length);
        }

        // The loaded judge is the selected model: its val accuracy is the one the trainer recorded for the last stage.
        var accuracy = PreferenceAccuracy.Strict(pairs.Select(p => p.Video0.Score).ToArray(), pairs.Select(p => p.Video1.Score).ToArray(),
            setup.Val.OverallLabels);
        Assert.Equal(result.Selected.Single(e => e.Stage == 3).ValStrictAccuracy, accuracy.Value);
        if (judge == JudgeKind.VideoScore)
        {
            // Its five dimensions see the Fineness and Alignment aspects and 8 criteria, not the utility over all 28, so its
            // sum is only loosely tied to the preference; what it must do is fit its own regression targets.
            var trainedLoss = result.Selected.Single(e => e.Stage == 3).ValLoss;
            Assert.True(trainedLoss < 0.8 * untrained.Loss, $"val loss {untrained.Loss} untrained, {trainedLoss} trained");
        }
        else
        {
            // The others see the overall preference or every criterion, a linear function of the features here.
            Assert.True(accuracy.Value >= 0.8, $"{judge}: val accuracy {accuracy.Value:F3}");
        }
    }

    [Fact]
    public void Mjvideo_with_single_routing_is_the_bradley_terry_head()
    {
        using var setup = Synthetic();
        using var single = new RewardModel(SmallModel(JudgeKind.MjVideo, new Routing(RoutingStrategy.SingleScalarHead)), setup.Backbone, 5);
        using var bt = new RewardModel(SmallModel(JudgeKind.BtSingle), setup.Backbone, 5);
        AssertSameWeights(Weights(bt), Weights(single));
        Assert.Equal(["head.scalar_head.weight"], single.ParametersTrainedIn(TrainingStage.Criteria).Select(p => p.Name));
    }

    [Fact]
    public void Capacity_matched_head_has_as_many_trainable_parameters_as_mjvideo_within_one_adapter_unit()
    {
        // H = 8, gating MLPs of 2 hidden layers of width 8:
        //   regression 28 * 8 = 224; criteria gate (8*8 + 8) + (8*8 + 8) + (8*28 + 28) + 1 = 397;
        //   aspect gate 72 + 72 + (8*5 + 5) + 1 = 190; MJ-Video head 224 + 397 + 190 = 811.
        //   Adapter width M = round((811 - 224 - 8) / (2*8 + 1)) = round(34.06) = 34: 2*8*34 + 34 + 8 = 586; head 224 + 586 = 810.
        Assert.Equal(811, CapacityMatching.MjVideoHeadTrainable(8, 8, 2));
        Assert.Equal(34, CapacityMatching.AdapterWidthFor(8, 811));
        Assert.Equal(810, CapacityMatching.CapacityMatchedTrainable(8, 34));

        using var setup = Synthetic();
        using var mjvideo = new RewardModel(SmallModel(), setup.Backbone, 1);
        using var matched = new RewardModel(SmallModel(JudgeKind.CapacityMatched), setup.Backbone, 1);
        using var multitask = new RewardModel(SmallModel(JudgeKind.MultitaskSingle), setup.Backbone, 1);
        Assert.Equal(811, mjvideo.TrainableCounts(TrainingStage.Overall).Head);
        Assert.Equal(34, matched.Adapter!.Width);
        Assert.Equal(810, matched.TrainableCounts(TrainingStage.Overall).Head);
        Assert.Equal(224, multitask.TrainableCounts(TrainingStage.Overall).Head);
    }

    [Fact]
    public void No_gating_heads_score_the_mean_of_criteria_and_aspects()
    {
        using var setup = Synthetic();
        using var model = new RewardModel(SmallModel(JudgeKind.MultitaskSingle), setup.Backbone, 1);
        using var inputs = setup.Val.SelectPairs([0]);
        using var output = model.Forward(inputs);
        var r = Values(output.Reward.Criteria!);
        var s = Values(output.Reward.AspectScores!);
        var score = Values(output.Reward.Score);
        for (var video = 0; video < 2; video++)
        {
            for (var a = 0; a < MjTaxonomy.AspectCount; a++)
                AssertClose(MjTaxonomy.AspectToCriteria[a].Average(c => r[video * 28 + c]), s[video * 5 + a]);
            AssertClose(Enumerable.Range(0, 5).Average(a => s[video * 5 + a]), score[video]);
        }
    }

    [Fact]
    public void Videoscore_dimensions_take_their_labels_as_documented()
    {
        // Video 0: Fineness bad -> visual quality -1; Action Continuity bad, Frame Flickering good -> temporal -1;
        // actions unrelated -> dynamic degree masked; Alignment good -> +1; Object Drift good -> factual +1.
        // Video 1: nothing related -> every dimension masked.
        int C(string key) => MjTaxonomy.FindCriterion(key).Index;
        var video0 = VideoLabels(
            criteria: new Dictionary<int, int> { [C("Action Continuity")] = -1, [C("Frame Flickering")] = 1, [C("Object Drift")] = 1 },
            aspects: new Dictionary<int, int> { [2] = -1, [0] = 1 });
        using var targets = TargetBatch.From([Pair(video0, VideoTargets.Unlabelled)]);
        var (target, mask) = VideoScoreDimensions.Targets(targets);
        Assert.Equal([-1f, -1f, 0f, 1f, 1f, 0f, 0f, 0f, 0f, 0f], Values(target));
        Assert.Equal([1f, 1f, 0f, 1f, 1f, 0f, 0f, 0f, 0f, 0f], Values(mask));

        // Outputs [0, 0, 5, 0.5, 1] for video 0: (0+1)^2, (0+1)^2, masked, (0.5-1)^2, (1-1)^2 over 4 entries = 2.25 / 4.
        using var dimensions = TorchSharp.torch.tensor(new float[] { 0, 0, 5, 0.5f, 1, 9, 9, 9, 9, 9 }).reshape(1, 2, 5);
        using var loss = VideoScoreDimensions.Loss(dimensions, targets);
        AssertClose([0.5625f], Values(loss));
    }
}

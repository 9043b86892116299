using MjVideo.Training;
using static MjVideo.Tests.TrainingTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>Checkpoints: resuming gives the straight run's result bit for bit, and a divergence keeps the last good one.</summary>
public class TrainingResumeTests
{
    // 12 pairs in steps of 2 x 2 = 3 steps per epoch; 3 stages x 2 epochs = 18 steps.
    static TrainConfig ResumeConfig() => Config(SmallModel(), epochs: 2, batch: 2, accumulation: 2) with { Patience = 1 };

    static Setup Data() => Synthetic(trainPairs: 12, valPairs: 6, trainableBackbone: true);

    [Theory]
    [InlineData(2)]   // mid-epoch: optimizer moments, no best yet
    [InlineData(4)]   // mid-epoch of stage 1's second epoch: best-so-far weights and moments
    [InlineData(6)]   // a stage boundary: the best restored, no optimizer state
    [InlineData(11)]  // mid-stage 2
    public void Resuming_from_a_checkpoint_reproduces_the_straight_run_bit_for_bit(int pauseAfter)
    {
        var config = ResumeConfig();
        TrainResult straight;
        Dictionary<string, float[]> straightWeights;
        using (var setup = Data())
        using (var model = new RewardModel(config.Model, setup.Backbone, config.Seed))
        {
            straight = new StagedTrainer(config).Train(model, Spec, setup.Train, setup.Val, RepoPaths.NewTempDir("straight"));
            straightWeights = Weights(model);
        }
        Assert.Equal(TrainOutcome.Completed, straight.Outcome);
        Assert.True(straight.Steps > pauseAfter, $"the straight run took {straight.Steps} steps");

        var directory = RepoPaths.NewTempDir("resume");
        var checkpointDir = Path.Combine(directory, "checkpoint");
        using (var setup = Data())
        using (var model = new RewardModel(config.Model, setup.Backbone, config.Seed))
        {
            var first = new StagedTrainer(config).Train(model, Spec, setup.Train, setup.Val, checkpointDir,
                new TrainRunOptions { PauseAfterStep = pauseAfter });
            Assert.Equal(TrainOutcome.Paused, first.Outcome);
            Assert.Equal(pauseAfter, first.Steps);
        }
        // Nothing but the checkpoint folder is left beside it: the temporary and old copies are gone.
        Assert.Equal(["checkpoint"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName));

        using (var setup = Data())
        {
            var checkpoint = TrainingCheckpoint.Read(checkpointDir);
            Assert.Equal(pauseAfter, checkpoint.Info.Progress.GlobalStep);
            using var model = checkpoint.CreateModel(setup.Backbone);
            var resumed = new StagedTrainer(checkpoint.Config).Resume(model, setup.Train, setup.Val, checkpoint);

            Assert.Equal(TrainOutcome.Completed, resumed.Outcome);
            Assert.Equal(straight.Trace, resumed.Trace);
            Assert.Equal(straight.History, resumed.History);
            Assert.Equal(straight.Selected, resumed.Selected);
            AssertSameWeights(straightWeights, Weights(model));
        }
    }

    [Fact]
    public void Resuming_refuses_other_data()
    {
        var config = ResumeConfig();
        var checkpointDir = Path.Combine(RepoPaths.NewTempDir("refuse"), "checkpoint");
        using (var setup = Data())
        using (var model = new RewardModel(config.Model, setup.Backbone, config.Seed))
            new StagedTrainer(config).Train(model, Spec, setup.Train, setup.Val, checkpointDir, new TrainRunOptions { PauseAfterStep = 2 });

        using var other = Synthetic(trainPairs: 12, valPairs: 6, trainableBackbone: true, seed: 5);
        var checkpoint = TrainingCheckpoint.Read(checkpointDir);
        using var resumed = checkpoint.CreateModel(other.Backbone);
        var e = Assert.Throws<ArgumentException>(() => new StagedTrainer(checkpoint.Config).Resume(resumed, other.Train, other.Val, checkpoint));
        Assert.Contains("fingerprint", e.Message);
        Assert.Contains(checkpoint.Info.TrainFingerprint, e.Message);
    }

    [Fact]
    public void A_non_finite_loss_stops_the_run_naming_the_step_and_keeps_the_last_good_checkpoint()
    {
        // Stage 2 alone (MSE), batch 1: step n trains on the pair at position n - 1 of the epoch's permutation. The pair
        // at position 4 gets a state of 1e30 in video 0: finite, so it passes every input check, but its squared aspect
        // error overflows float32, so step 5 has an infinite loss. Checkpoints every 2 steps: the last good one is step 4.
        var config = Config(SmallModel(), batch: 1, stages: [2]) with { CheckpointEverySteps = 2 };
        var badPair = DataOrder.Permutation(config.Seed, stage: 2, epoch: 0, count: 8)[4];
        void Poison(Dictionary<string, float[]> states) => Array.Fill(states[$"train/{badPair}_0.mp4"], 1e30f);
        var checkpointDir = Path.Combine(RepoPaths.NewTempDir("diverge"), "checkpoint");

        TrainingDivergedException e;
        using (var setup = Synthetic(trainPairs: 8, editStates: Poison))
        using (var model = new RewardModel(config.Model, setup.Backbone, config.Seed))
            e = Assert.Throws<TrainingDivergedException>(() =>
                new StagedTrainer(config).Train(model, Spec, setup.Train, setup.Val, checkpointDir));

        Assert.Equal(5, e.Step);
        Assert.Equal(2, e.Stage);
        Assert.Equal(0, e.Epoch);
        Assert.Equal(4, e.LastFiniteStep!.Step);
        Assert.True(double.IsFinite(e.LastFiniteLoss!.Value));
        Assert.Equal(Path.GetFullPath(checkpointDir), e.LastCheckpoint);
        Assert.Equal(4, e.LastCheckpointStep);
        Assert.Contains("step 5 (stage 2, epoch 1)", e.Message);
        Assert.Contains($"train#{badPair}", e.Message);

        // The checkpoint on disk is step 4's, whole: the same weights and trace as a run on the same data paused at step 4.
        var checkpoint = TrainingCheckpoint.Read(checkpointDir);
        Assert.Equal(4, checkpoint.Info.Progress.GlobalStep);
        Assert.Equal(4, checkpoint.Trace.Count);
        Assert.Equal(e.LastFiniteLoss, checkpoint.Trace[^1].Loss);
        using var reference = Synthetic(trainPairs: 8, editStates: Poison);
        using var referenceModel = new RewardModel(config.Model, reference.Backbone, config.Seed);
        var paused = new StagedTrainer(config).Train(referenceModel, Spec, reference.Train, reference.Val,
            RepoPaths.NewTempDir("diverge-reference"), new TrainRunOptions { PauseAfterStep = 4 });
        Assert.Equal(paused.Trace, checkpoint.Trace);
        using var loaded = checkpoint.CreateModel(reference.Backbone);
        AssertSameWeights(Weights(referenceModel), Weights(loaded));
    }

    [Fact]
    public void Checkpoint_files_hold_the_head_under_official_names_and_the_run_state()
    {
        var config = ResumeConfig();
        var checkpointDir = Path.Combine(RepoPaths.NewTempDir("files"), "checkpoint");
        using var setup = Data();
        using var model = new RewardModel(config.Model, setup.Backbone, config.Seed);
        new StagedTrainer(config).Train(model, Spec, setup.Train, setup.Val, checkpointDir, new TrainRunOptions { PauseAfterStep = 4 });

        Assert.Equal(
            [TrainingCheckpoint.BackboneFile, TrainingCheckpoint.BestFile, TrainingCheckpoint.InfoFile, TrainingCheckpoint.ConfigFile,
             TrainingCheckpoint.HeadFile, TrainingCheckpoint.HistoryFile, TrainingCheckpoint.TraceFile, TrainingCheckpoint.OptimizerFile,
             TrainingCheckpoint.RngFile],
            Directory.GetFiles(checkpointDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var head = Model.HeadWeights.ReadIndex(Path.Combine(checkpointDir, TrainingCheckpoint.HeadFile));
        Assert.Equal([28, 8], head["regression_layer.weight"].Shape);
        Assert.Equal([28, 28], head["reward_transform_matrix"].Shape);
        Assert.Contains("aspect_gating.logit_scale", head.Keys);
        var checkpoint = TrainingCheckpoint.Read(checkpointDir);
        Assert.Equal(config.ToJson(), checkpoint.Config.ToJson());
        // 3 steps of 4 pairs per epoch: step 4 is the first of stage 1's second epoch, 4 pairs into it.
        var progress = checkpoint.Info.Progress;
        Assert.Equal((0, 1, 4, 4, 4), (progress.StageIndex, progress.Epoch, progress.Position, progress.StageStep, progress.GlobalStep));
        Assert.True(checkpoint.Info.HasOptimizerState);
        Assert.True(checkpoint.Info.HasBestWeights);
        Assert.Equal("test", checkpoint.Info.Backbone.Name);
        Assert.Single(checkpoint.History);
    }
}

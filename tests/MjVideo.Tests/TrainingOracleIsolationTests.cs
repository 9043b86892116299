using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Synth;
using MjVideo.Training;
using MjVideo.Video;
using static MjVideo.Tests.TrainingTestKit;

namespace MjVideo.Tests;

/// <summary>The oracle files hold the true severities and clean labels; a judge that could read them would be graded on
/// its own answers. Training must never open them.</summary>
public class TrainingOracleIsolationTests
{
    [Fact]
    public async Task Training_from_a_synthbench_folder_never_reads_the_oracle_files()
    {
        var root = RepoPaths.NewTempDir("oracle-isolation");
        var writer = new SynthBenchWriter();
        await writer.WriteAsync(new SynthConfig("train", 6, Seed: 21), root, [RuleFamily.Additive]);
        await writer.WriteAsync(new SynthConfig("val", 4, Seed: 22), root, [RuleFamily.Additive]);
        var oracles = Directory.GetFiles(root, "*.oracle.json", SearchOption.AllDirectories);
        Assert.NotEmpty(oracles);
        // Anything that opened these would fail: they are no longer JSON. (Deleting them would let a reader that skips a
        // missing oracle slip through; a corrupt one it cannot skip silently.)
        foreach (var oracle in oracles) File.WriteAllText(oracle, "not json: a trainer must not read the oracle");

        var data = TrainingDirectory.Read(root, needVideoFiles: true);
        var config = new TinyBackboneConfig(HiddenSize: 16, CnnWidth: 8, FusionLayers: 1, Heads: 2, FeedForward: 32, MaxCaptionTokens: 80,
            TokenEmbeddingSize: 8, Seed: 3) { Preprocessing = Preprocessing.Default with { Width = 64, Height = 64 } };
        using var backbone = new TinyVideoTextBackbone(config, cacheDir: Path.Combine(root, "cache"));
        using var train = await TrainingData.PrepareAsync(data.Train, backbone);
        using var val = await TrainingData.PrepareAsync(data.Val, backbone);
        using var model = new RewardModel(SmallModel(), backbone, seed: 5);
        var result = new StagedTrainer(Config(SmallModel(), epochs: 1, batch: 2)).Train(model, new BackboneSpec { Name = "tiny" }, train, val,
            Path.Combine(root, "checkpoint"));
        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        foreach (var oracle in oracles)
            Assert.Equal("not json: a trainer must not read the oracle", File.ReadAllText(oracle));
    }
}

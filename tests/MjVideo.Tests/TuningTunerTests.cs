using MjVideo.Backbones;
using MjVideo.Synth;
using MjVideo.Training;
using MjVideo.Tuning;
using static MjVideo.Tests.TuningTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>A reward the tests control: the mean pixel value of each clip, times ten (brighter clips score higher).</summary>
sealed class BrightnessReward : IClipReward
{
    public string Name => "brightness";
    public Tensor Standardised(Tensor clips, IReadOnlyList<string> captions) => clips.mean([1, 2, 3, 4]) * 10;
}

/// <summary>A small judge on the small encoder, trained once for the tests that need a real checkpoint: six SynthBench
/// pairs written as mp4 files, one epoch per stage.</summary>
public sealed class TinyJudgeFixture : IDisposable
{
    public string Root { get; } = RepoPaths.NewTempDir("tuning-judge");
    public string Checkpoint => Path.Combine(Root, "judge");

    public TinyJudgeFixture()
    {
        var data = Path.Combine(Root, "data");
        var writer = new SynthBenchWriter();
        writer.WriteAsync(new SynthConfig("train", 6, Seed: 3), data, [RuleFamily.Additive]).GetAwaiter().GetResult();
        writer.WriteAsync(new SynthConfig("val", 4, Seed: 3), data, [RuleFamily.Additive]).GetAwaiter().GetResult();
        var folder = TrainingDirectory.Read(data, needVideoFiles: true);   // one family: its files sit at the top
        var settings = new RewardTrainingSettings(TrainPairs: 6, ValPairs: 4, HiddenSize: 16, GatingHiddenDim: 8, GatingHiddenLayers: 1,
            LearningRate: 1e-2, Epochs: [1, 1, 1], BatchSize: 3, Seed: 2);
        var spec = new BackboneSpec { Name = "tiny", HiddenSize = 16, Seed = 2 };
        using var backbone = BackboneFactory.Create(spec);
        using var train = TrainingData.PrepareAsync(folder.Train, backbone).GetAwaiter().GetResult();
        using var val = TrainingData.PrepareAsync(folder.Val, backbone).GetAwaiter().GetResult();
        var config = settings.TrainConfigFor(JudgeKind.MjVideo);
        using var model = new RewardModel(config.Model, backbone, config.Seed);
        new StagedTrainer(config).Train(model, spec, train, val, Checkpoint);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Reward-gradient tuning: the gradient reaches the generator and only the generator, tuning raises a reward
/// the generator can reach, the regulariser holds it near the base model, runs repeat, and the reports read the curves.</summary>
public class TuningTunerTests(TinyJudgeFixture judge) : IClassFixture<TinyJudgeFixture>
{
    static readonly IReadOnlyList<CaptionSpec> TrainCaptions = TuningCaptions.FromSplit(SynthBenchDefaults.Seed, "train", 16);
    static readonly IReadOnlyList<CaptionSpec> EvalCaptions = TuningCaptions.FromSplit(SynthBenchDefaults.Seed, "test", 4);

    static TuningRun Tune(IClipReward reward, TuningSettings settings, out SceneGenerator tuned, SceneGenerator? start = null)
    {
        using var renderer = new SoftRenderer(64);
        using var initial = start ?? new SceneGenerator(hiddenSize: 32, seed: 4);
        using var baseModel = initial.FrozenCopy();
        tuned = initial.Copy(trainable: true);
        using var evaluator = new TuningEvaluator(EvalCaptions, 1, 8, baseModel, renderer, FrameTimes);
        return RewardTuner.Tune(tuned, baseModel, reward, TrainCaptions, evaluator, settings, renderer, FrameTimes);
    }

    [Fact]
    public void Tuning_raises_a_reward_the_generator_can_reach()
    {
        var run = Tune(new BrightnessReward(), new TuningSettings(Steps: 8, BatchSize: 2, LearningRate: 3e-2, KlWeight: 0, EvaluateEvery: 4, Seed: 1), out var tuned);
        using (tuned)
        {
            Assert.Equal([0, 4, 8], run.Evaluations.Select(e => e.Step));
            Assert.Equal(8, run.Steps.Count);
            var (before, after) = (run.Evaluations[0].Proxy.Value, run.Evaluations[^1].Proxy.Value);
            Assert.True(after > before + 0.2, $"held-out brightness reward {before:F3} -> {after:F3}");
            Assert.True(run.Evaluations[^1].Kl.Value > 0.01, "the tuned model did not move away from the base model");
            Assert.Equal(0, run.Evaluations[0].Kl.Value, 5);
            Assert.Equal(0, run.Evaluations[0].PixelDistance.Value, 5);
        }
    }

    [Fact]
    public void A_strong_regulariser_holds_the_generator_near_the_base_model()
    {
        TuningSettings Settings(double beta) => new(Steps: 5, BatchSize: 2, LearningRate: 3e-2, KlWeight: beta, EvaluateEvery: 5, Seed: 1);
        var free = Tune(new BrightnessReward(), Settings(0), out var a);
        var held = Tune(new BrightnessReward(), Settings(50), out var b);
        a.Dispose();
        b.Dispose();
        Assert.True(held.Evaluations[^1].Kl.Value < free.Evaluations[^1].Kl.Value / 5,
            $"KL with beta 50: {held.Evaluations[^1].Kl.Value:F4}; without: {free.Evaluations[^1].Kl.Value:F4}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_run()
    {
        var settings = new TuningSettings(Steps: 2, BatchSize: 2, LearningRate: 1e-2, KlWeight: 0.1, EvaluateEvery: 2, Seed: 9);
        var first = Tune(new BrightnessReward(), settings, out var a);
        var second = Tune(new BrightnessReward(), settings, out var b);
        a.Dispose();
        b.Dispose();
        Assert.Equal(first.Steps, second.Steps);
        Assert.Equal(first.Evaluations.Select(e => e.Proxy.Value), second.Evaluations.Select(e => e.Proxy.Value));
    }

    [Fact]
    public void The_judge_is_frozen_and_its_gradient_reaches_every_generator_parameter()
    {
        using var reward = DifferentiableReward.Load(judge.Checkpoint);
        using var start = new SceneGenerator(hiddenSize: 32, seed: 4);
        using (var baseModel = start.FrozenCopy())
        using (var renderer = new SoftRenderer(64))
        using (var calibration = new TuningEvaluator(TrainCaptions.Take(6).ToList(), 1, 5, baseModel, renderer, FrameTimes))
            reward.Calibrate(calibration.RawScores(reward, baseModel));
        var judgeBefore = TrainingTestKit.Weights(reward.Model);
        var generatorBefore = start.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

        var run = Tune(reward, new TuningSettings(Steps: 1, BatchSize: 4, LearningRate: 1e-2, KlWeight: 0.1, EvaluateEvery: 1, Seed: 3), out var tuned, start.Copy(trainable: true));
        using (tuned)
        {
            Assert.True(double.IsFinite(run.Steps[0].GradNorm) && run.Steps[0].GradNorm > 0);
            // Every generator parameter moved in the one step (Adam moves any parameter with a non-zero gradient)...
            foreach (var (name, parameter) in tuned.named_parameters())
                Assert.False(parameter.detach().allclose(generatorBefore[name], rtol: 0, atol: 0), $"generator parameter {name} did not change");
            // ...and the judge is as loaded: the same weights, none of them collecting gradients.
            TrainingTestKit.AssertSameWeights(judgeBefore, TrainingTestKit.Weights(reward.Model));
            Assert.All(reward.Model.AllNamedParameters(), p => Assert.True(!p.Parameter.requires_grad && p.Parameter.grad is null, $"{p.Name} takes gradients"));
        }
        foreach (var t in generatorBefore.Values) t.Dispose();
    }

    [Fact]
    public void A_loaded_judge_scores_clips_differentiably_and_standardises_on_the_base_scores()
    {
        using var reward = DifferentiableReward.Load(judge.Checkpoint);
        Assert.Equal(JudgeKind.MjVideo, reward.Kind);
        using var clips = rand([3, 8, 3, 64, 64]).requires_grad_(true);
        var captions = TrainCaptions.Take(3).Select(c => c.Text).ToList();
        using var raw = reward.RawScore(clips, captions);
        raw.sum().backward();
        Assert.True(clips.grad!.abs().sum().item<float>() > 0, "no gradient reached the pixels");

        reward.Calibrate([1.0, 2.0, 3.0]);
        Assert.Equal((2.0, 1.0), reward.Scale);
        using var standardised = reward.Standardised(clips, captions);
        using var expected = (raw - 2.0) / 1.0;
        Assert.True(standardised.allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.Throws<InvalidOperationException>(() => reward.Calibrate([0.5, 0.5, 0.5]));
    }

    [Fact]
    public void Codec_noise_is_seeded_rounds_to_bytes_and_passes_the_gradient_straight_through()
    {
        var codec = new CodecNoise();
        using var clips = (rand([2, 3, 3, 16, 16]) * 0.8 + 0.1).requires_grad_(true);
        using var g1 = new Generator(7);
        using var g2 = new Generator(7);
        using var a = codec.Apply(clips, g1);
        using var b = codec.Apply(clips, g2);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        using var bytes = a.detach() * 255;
        Assert.True(bytes.sub(bytes.round()).abs().max().item<float>() < 1e-3, "not on the 8-bit grid");
        a.sum().backward();
        Assert.True(clips.grad!.allclose(ones_like(clips)), "the rounding is not straight-through");
    }
}

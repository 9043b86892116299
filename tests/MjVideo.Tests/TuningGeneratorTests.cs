using MjVideo.Synth;
using MjVideo.Tuning;
using static MjVideo.Tests.TuningTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The generator's text features, its SynthBench targets, its sampling, likelihood and KL, and its pre-training.</summary>
public class TuningGeneratorTests
{
    const int W = CaptionFeatures.GroupWidth;

    [Fact]
    public void Features_say_what_the_caption_says_and_nothing_else()
    {
        var caption = Caption(Group(Shape.Square, ColorName.Red, 2, countNamed: true, region: Region.Left),
            Group(Shape.Ring, null, motion: Motion.Up), scene: SceneKind.Beach, sceneNamed: false);
        var f = CaptionFeatures.Encode(caption);
        // Group 0: present, square (shape 1), red (colour 0), no size, count 2, count named, left (region 0), no motion.
        int[] first = [0, 1 + 1, 7 + 0, 16 + 1, 20, 21 + 0];
        // Group 1: present, ring (shape 5), no colour, count 1, not named, no region, rising (motion 3).
        int[] second = [W, W + 1 + 5, W + 16, W + 26 + 3];
        Assert.Equal(first.Concat(second).Order(), Enumerable.Range(0, f.Length).Where(i => f[i] != 0));
        Assert.All(first.Concat(second), i => Assert.Equal(1f, f[i]));
        // The beach is not named, so the scene block stays empty although SynthBench drew a beach for it.
        Assert.Equal(CaptionFeatures.Width, f.Length);
    }

    [Fact]
    public void A_named_scene_is_a_feature()
    {
        var f = CaptionFeatures.Encode(Caption(Group(Shape.Circle, ColorName.Blue), scene: SceneKind.Night, sceneNamed: true));
        Assert.Equal(1f, f[CaptionFeatures.SceneOffset + (int)SceneKind.Night]);
    }

    [Fact]
    public void Captions_with_figures_or_a_crowd_are_not_drawn()
    {
        var figure = new FigureSpec(Team.Teal, Height.Unspecified, Badge.Unspecified, Tool.Unspecified, Hat.Unspecified, FigureAction.Waving);
        var withFigure = Caption(Group(Shape.Circle, ColorName.Blue)) with { Figures = [figure] };
        Assert.False(TuningCaptions.IsDrawable(withFigure));
        Assert.Throws<ArgumentException>(() => CaptionFeatures.Encode(withFigure));
        Assert.False(TuningCaptions.IsDrawable(Caption(Group(Shape.Circle, ColorName.Blue, 5, countNamed: true))));
        Assert.True(TuningCaptions.IsDrawable(Caption(Group(Shape.Circle, ColorName.Blue, 4, countNamed: true))));

        var captions = TuningCaptions.FromSplit(SynthBenchDefaults.Seed, "test", 30);
        Assert.Equal(30, captions.Count);
        Assert.All(captions, c => Assert.True(TuningCaptions.IsDrawable(c)));
    }

    [Fact]
    public void Targets_read_counts_ordered_positions_velocity_drift_colour_and_flicker_from_a_scene()
    {
        var caption = Caption(Group(Shape.Square, ColorName.Red, 2, countNamed: true));
        var scene = Scene(caption, 9);
        var (a, b) = (scene.Objects[0], scene.Objects[1]);
        for (var t = 0; t < scene.Frames; t++)
        {
            (a.X[t], a.Y[t]) = (40, 20);          // resting
            (b.X[t], b.Y[t]) = (10 + t, 30);      // moving right, 1 unit per frame
        }
        (a.Radius, b.Radius) = (5, 7);
        a.Color = b.Color = new Rgb(0.8, 0.1, 0.1);
        (b.MorphTarget, b.Morph) = (Shape.Circle, 0.7);   // b, the leftmost, decides the group's shape: mostly a circle
        scene.BlurSigma = 0.7;
        scene.Brightness[5] = 1.2;                          // one rendered frame (t = 5) brighter
        using var targets = SceneTargets.From([(caption, scene)], FrameTimes);

        Assert.Equal(1, targets.CountIndex[0].item<long>());
        Assert.Equal((long)Shape.Circle, targets.Shape[0, 0].item<long>());
        Assert.Equal([1f, 0f], targets.GroupMask[0].data<float>().ToArray());
        Assert.Equal([1f, 1f, 0f, 0f, 0f, 0f], targets.SlotMask[0].data<float>().ToArray());
        // Slots left to right: b (starts at x = 10) then a (x = 40).
        Assert.Equal([10f, 30f, 40f, 20f], targets.Position[0].narrow(0, 0, 2).flatten().data<float>().ToArray());
        Assert.Equal([0.5f, 0f], targets.Velocity[0, 0].data<float>().ToArray());
        Assert.Equal((Math.Log(5) + Math.Log(7)) / 2, targets.LogRadius[0, 0].item<float>(), 5);
        Assert.Equal([0.8f, 0.1f, 0.1f], targets.Colour[0, 0].data<float>().ToArray());
        // Brightness over the 8 rendered frames: seven 1.0 and one 1.2 -> mean 1.025, population sd sqrt(0.004375).
        var q = targets.Quality[0].data<float>().ToArray();
        Assert.Equal(Math.Log(0.7 + 0.3), q[0], 5);
        Assert.Equal(Math.Log(Math.Sqrt(0.004375) + 0.005), q[1], 5);
        Assert.Equal(Math.Log(0 + 0.05), q[2], 5);   // straight paths: no drift
    }

    /// <summary>A distribution that is certain of everything (huge logits, spreads at their floors) except where a test says.</summary>
    static SceneDistribution Certain(int batch = 1)
    {
        Tensor Logits(long[] shape, int hot)
        {
            var t = zeros(shape);
            t.narrow(-1, hot, 1).fill_(40);
            return t;
        }
        var s = GeneratorLayout.Slots;
        var position = zeros(batch, s, 2);
        for (var k = 0; k < s; k++) position.select(1, k).select(1, 0).fill_(10 + 5 * k);
        position.select(2, 1).fill_(20);
        return new SceneDistribution
        {
            BackgroundLogits = Logits([batch, 6], (int)SceneKind.Room),
            CountLogits = Logits([batch, GeneratorLayout.MaxCount], 2),
            ShapeLogits = Logits([batch, 2, 6], (int)Shape.Star),
            ColourLogits = Logits([batch, 2, 7], (int)ColorName.Green),
            ColourLogStd = full(batch, 2, -8f),
            LogRadiusMean = full(batch, 2, (float)Math.Log(6)),
            LogRadiusLogStd = full(batch, 2, -8f),
            VelocityMean = tensor(new[] { 1f, -0.5f, 0f, 0f }).view(1, 2, 2).expand(batch, 2, 2).contiguous(),
            VelocityLogStd = full(batch, 2, 2, -8f),
            PositionMean = position,
            PositionLogStd = full(batch, s, 2, -8f),
            RotationLogStd = full(batch, 2, -8f),
            QualityMean = tensor(SceneGenerator.QualityFloor.Select(f => (float)Math.Log(f)).ToArray()).view(1, 3).expand(batch, 3).contiguous(),
            QualityLogStd = full(batch, 3, -8f),
        };
    }

    [Fact]
    public void A_certain_distribution_samples_exactly_what_it_says()
    {
        var caption = Caption(Group(Shape.Star, ColorName.Green, 3, countNamed: true), Group(Shape.Circle, ColorName.Red));
        using var features = tensor(CaptionFeatures.Encode(caption)).view(1, -1);
        using var distribution = Certain();
        using var noise = GeneratorNoise.Draw(1, FrameTimes.Length, 4);
        using var scene = SceneGenerator.Sample(distribution, features, noise, FrameTimes);

        Assert.Equal((int)SceneKind.Room, scene.Background[0].argmax().item<long>());
        // Count index 2 is three objects: slots 0-2 of the first group, then the caption's second group in slot 5.
        Assert.Equal([1f, 1f, 1f, 0f, 0f, 1f], scene.Presence[0].data<float>().ToArray());
        Assert.Equal((int)Shape.Star, scene.ShapeWeights[0, 0].argmax().item<long>());
        var green = ColorName.Green.Color();
        var colour = scene.Colour[0, 0].data<float>().ToArray();
        Assert.Equal(green.R, colour[0], 2);
        Assert.Equal(green.G, colour[1], 2);
        Assert.Equal(green.B, colour[2], 2);
        Assert.Equal(6.0, scene.Radius[0, 0].item<float>(), 2);
        // Paths: x = 10 + 5 s + 1.0 * time, y = 20 - 0.5 * time for the first group; the second group rests.
        // (Every spread is e^-8, so the draws move things by hundredths at most.)
        for (var f = 0; f < FrameTimes.Length; f++)
        {
            Assert.Equal(15 + FrameTimes[f], scene.X[0, 1, f].item<float>(), 1);
            Assert.Equal(20 - 0.5 * FrameTimes[f], scene.Y[0, 1, f].item<float>(), 1);
            Assert.Equal(35, scene.X[0, 5, f].item<float>(), 1);
            Assert.Equal(1, scene.Brightness[0, f].item<float>(), 3);
        }
        Assert.Equal(0, scene.Blur[0].item<float>(), 3);
    }

    [Fact]
    public void Kl_is_zero_for_the_same_distribution_and_follows_the_closed_forms()
    {
        var caption = Caption(Group(Shape.Star, ColorName.Green));   // one group: the second group's parameters do not count
        using var features = tensor(CaptionFeatures.Encode(caption)).view(1, -1);
        using var p = Certain();
        using var q = Certain();
        Assert.Equal(0, SceneGenerator.KullbackLeibler(p, q, features).item<float>(), 4);

        // Background: uniform p against q with one logit raised by ln 2 (q = 2/7 there, 1/7 elsewhere).
        p.BackgroundLogits.zero_();
        q.BackgroundLogits.zero_();
        q.BackgroundLogits[0, 0] = tensor((float)Math.Log(2));
        // Quality: the blur mean one standard deviation (sd 1) apart adds 1/2.
        p.QualityLogStd.zero_();
        q.QualityLogStd.zero_();
        q.QualityMean[0, 0] = p.QualityMean[0, 0] + 1;
        // The absent second group's shape differs wildly; it must not count.
        q.ShapeLogits[0, 1] = tensor(new[] { 40f, 0, 0, 0, 0, 0 });
        var expected = (1.0 / 6) * Math.Log(7.0 / 12) + (5.0 / 6) * Math.Log(7.0 / 6) + 0.5;
        Assert.Equal(expected, SceneGenerator.KullbackLeibler(p, q, features).item<float>(), 4);
    }

    [Fact]
    public void The_likelihood_prefers_the_truth_by_the_gaussian_amount()
    {
        var caption = Caption(Group(Shape.Square, ColorName.Red, 2, countNamed: true));
        var scene = Scene(caption, 9);
        using var targets = SceneTargets.From([(caption, scene)], FrameTimes);
        using var atTruth = Certain();
        using var shifted = Certain();
        foreach (var d in new[] { atTruth, shifted })
        {
            // Unit spreads and means at the targets, so that every term is small and the one shifted term shows in float.
            foreach (var logSd in new[] { d.ColourLogStd, d.LogRadiusLogStd, d.VelocityLogStd, d.PositionLogStd, d.RotationLogStd, d.QualityLogStd })
                logSd.zero_();
            d.LogRadiusMean.copy_(targets.LogRadius);
            d.VelocityMean.copy_(targets.Velocity);
            d.PositionMean.copy_(targets.Position);
            d.QualityMean.copy_(targets.Quality);
        }
        shifted.QualityMean[0, 2] = targets.Quality[0, 2] + 1;   // the drift's mean one sd away: +1/2 nat
        var difference = SceneGenerator.NegativeLogLikelihood(shifted, targets).item<float>() - SceneGenerator.NegativeLogLikelihood(atTruth, targets).item<float>();
        Assert.Equal(0.5, difference, 3);
    }

    [Fact]
    public void Pretraining_fits_SynthBench_and_keeps_the_best_val_epoch()
    {
        using var generator = new SceneGenerator(hiddenSize: 64, seed: 1);
        var result = GeneratorPretraining.Train(generator, new PretrainingSettings(Pairs: 300, Epochs: 12, BatchSize: 16), SynthBenchDefaults.Seed, FrameTimes);
        Assert.Equal(12, result.ValNll.Length);
        Assert.Equal(result.ValNll.Min(), result.ValNll[result.BestEpoch - 1]);
        Assert.True(result.ValNll.Min() < result.ValNll[0] - 1, $"val NLL {string.Join(", ", result.ValNll.Select(v => v.ToString("F2")))}");

        // Held-out captions that name a colour: the generator gives that colour far more than chance (1/7); measured 0.5 to
        // 0.66 after these 12 small epochs, about 0.85 after the full pre-training.
        var named = TuningCaptions.FromSplit(SynthBenchDefaults.Seed, "val", 40).Where(c => c.Groups[0].Color is not null).ToList();
        using var features = GeneratorPretraining.FeaturesOf(named);
        using var noGrad = no_grad();
        using var distribution = generator.Predict(features);
        var probabilities = distribution.ColourLogits.select(1, 0).softmax(-1);
        var mean = named.Select((c, i) => probabilities[i, (int)c.Groups[0].Color!.Value].item<float>()).Average();
        Assert.True(mean > 0.4, $"mean probability of the named colour {mean:F2}");
    }
}

using MjVideo.Backbones;
using MjVideo.Synth;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MjVideo.Tuning;

/// <summary>
/// What the generator says about the scene of one caption: a distribution over every scene parameter ([B, ...] each).
/// Discrete choices are categorical (logits); continuous ones are Gaussian (mean, log standard deviation), some of them in
/// log space. <see cref="SceneGenerator.Sample"/> draws from it, <see cref="SceneGenerator.NegativeLogLikelihood"/> scores
/// SynthBench's scenes under it, <see cref="SceneGenerator.KullbackLeibler"/> compares two of them.
/// </summary>
public sealed class SceneDistribution : IDisposable
{
    public required Tensor BackgroundLogits { get; init; }   // [B, 6]
    public required Tensor CountLogits { get; init; }        // [B, MaxCount]: the first group shows 1..MaxCount objects
    public required Tensor ShapeLogits { get; init; }        // [B, 2, 6] per group
    public required Tensor ColourLogits { get; init; }       // [B, 2, 7] per group: which named colour
    public required Tensor ColourLogStd { get; init; }       // [B, 2]: spread of the RGB around it
    public required Tensor LogRadiusMean { get; init; }      // [B, 2]
    public required Tensor LogRadiusLogStd { get; init; }
    public required Tensor VelocityMean { get; init; }       // [B, 2, 2] scene units per SynthBench frame
    public required Tensor VelocityLogStd { get; init; }
    public required Tensor PositionMean { get; init; }       // [B, S, 2] each slot's centre at time 0
    public required Tensor PositionLogStd { get; init; }
    public required Tensor RotationLogStd { get; init; }     // [B, 2]: rotations are N(0, sd^2) per object
    public required Tensor QualityMean { get; init; }        // [B, 3]: log(blur + 0.3), log(flicker + 0.005), log(drift + 0.05)
    public required Tensor QualityLogStd { get; init; }

    public IEnumerable<Tensor> All => [BackgroundLogits, CountLogits, ShapeLogits, ColourLogits, ColourLogStd, LogRadiusMean,
        LogRadiusLogStd, VelocityMean, VelocityLogStd, PositionMean, PositionLogStd, RotationLogStd, QualityMean, QualityLogStd];

    public void Dispose()
    {
        foreach (var t in All) t.Dispose();
    }
}

/// <summary>
/// The small differentiable text-to-video generator of the tuning experiment: caption features
/// (<see cref="CaptionFeatures"/>) -> an MLP -> a distribution over scene parameters (<see cref="SceneDistribution"/>) ->
/// reparameterised samples (<see cref="Sample"/>) -> <see cref="SoftRenderer"/> -> frames at the reward model's input.
/// <para>
/// Its mistakes come from learned distributions driven by noise, never from a defect switch: a wrong colour, shape, count
/// or background is a Gumbel draw landing on a category the learned logits leave probability to; a misplaced object or a
/// wrong motion is a Gaussian draw through a learned spread; blur, flicker and drift are noise through learned log-normal
/// gains (per-frame brightness noise and a random walk on every object's path). Pre-trained by maximum likelihood on
/// SynthBench's scenes (<see cref="GeneratorPretraining"/>), it makes SynthBench's mistakes at about SynthBench's rates.
/// A reward can only lower them by changing the network's weights, which also moves everything else the network says.
/// </para>
/// <para>
/// Means and logits depend on the caption; so do the spreads of the start positions (a named region pins an object down,
/// an unnamed one leaves it anywhere). The other spreads (colour, radius, velocity, rotation, blur, flicker, drift) are
/// learned parameters shared by all captions, as SynthBench's own variation is: fitted per caption, they memorised which
/// training captions happened to carry a defect (each caption has two videos) and the held-out likelihood diverged within
/// a few epochs.
/// </para>
/// Discrete draws are straight-through Gumbel-softmax: the forward pass picks one category (so every render is a clean
/// SynthBench-like scene, never a blend of two backgrounds), the backward pass uses the softmax's gradient.
/// </summary>
public sealed class SceneGenerator : Module
{
    Sequential network;
    Parameter spreads;

    /// <summary>The log-space offsets of the quality heads: blur, flicker and drift are log(value + floor).</summary>
    public static readonly double[] QualityFloor = [0.3, 0.005, 0.05];

    /// <summary>The RGB of the seven named colours, in <see cref="ColorName"/> order.</summary>
    public static readonly float[] Palette = Enum.GetValues<ColorName>()
        .SelectMany(c => new[] { (float)c.Color().R, (float)c.Color().G, (float)c.Color().B }).ToArray();

    // The network's output layout: each head's width, in order.
    static readonly (string Name, int Width)[] Heads =
    [
        ("background", GeneratorLayout.Scenes), ("count", GeneratorLayout.MaxCount),
        ("shape", 2 * GeneratorLayout.Shapes), ("colour", 2 * GeneratorLayout.Colours), ("radius", 2), ("velocity", 4),
        ("position", 2 * GeneratorLayout.Slots), ("position_sd", 2 * GeneratorLayout.Slots), ("quality", 3),
    ];

    // The spreads that do not depend on the caption, in order (see the class remarks): learned parameters of their own.
    static readonly (string Name, int Width)[] Spreads = [("colour", 2), ("radius", 2), ("velocity", 4), ("rotation", 2), ("quality", 3)];

    public SceneGenerator(int hiddenSize = 128, long seed = 0) : base(nameof(SceneGenerator))
    {
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "must be at least 1");
        HiddenSize = hiddenSize;
        network = Sequential(
            ("in", Linear(CaptionFeatures.Width, hiddenSize)), ("act0", GELU()),
            ("hidden", Linear(hiddenSize, hiddenSize)), ("act1", GELU()),
            ("out", Linear(hiddenSize, Heads.Sum(h => h.Width))));
        spreads = new Parameter(zeros(Spreads.Sum(h => h.Width)));
        RegisterComponents();
        using var generator = new Generator(unchecked((ulong)seed));
        SeededInit.Apply(this, generator);
    }

    public int HiddenSize { get; }

    /// <summary>A frozen copy with the same weights (the base model the regulariser and the comparisons refer to).</summary>
    public SceneGenerator FrozenCopy() => Copy(trainable: false);

    /// <summary>A copy with the same weights, trainable (in train mode) or frozen (no gradients, eval mode).</summary>
    public SceneGenerator Copy(bool trainable)
    {
        var copy = new SceneGenerator(HiddenSize);
        using (no_grad())
            foreach (var ((_, target), (_, source)) in copy.named_parameters().Zip(named_parameters()))
                target.copy_(source);
        foreach (var p in copy.parameters()) p.requires_grad = trainable;
        copy.train(trainable);
        return copy;
    }

    /// <summary>
    /// The scene distribution for caption features [B, F]. Raw outputs are put on each quantity's scale by fixed affine maps
    /// (centre of the frame, a typical radius and speed), so that a freshly initialised network starts near plausible
    /// scenes and pre-training only has to learn the differences.
    /// </summary>
    public SceneDistribution Predict(Tensor features)
    {
        using var scope = NewDisposeScope();
        var b = features.shape[0];
        var raw = network.forward(features);
        Tensor Head(string name) => Slice(raw, Heads, name);
        Tensor Spread(string name) => Slice(spreads.unsqueeze(0), Spreads, name).expand(b, -1);
        var s = GeneratorLayout.Slots;
        var distribution = new SceneDistribution
        {
            BackgroundLogits = Head("background"),
            CountLogits = Head("count"),
            ShapeLogits = Head("shape").view(b, 2, GeneratorLayout.Shapes),
            ColourLogits = Head("colour").view(b, 2, GeneratorLayout.Colours),
            ColourLogStd = LogStd(Spread("colour"), 0.05, 0.02),
            LogRadiusMean = Head("radius") * 0.3 + Math.Log(6),
            LogRadiusLogStd = LogStd(Spread("radius"), 0.2, 0.03),
            VelocityMean = Head("velocity").view(b, 2, 2) * 2,
            VelocityLogStd = LogStd(Spread("velocity").reshape(b, 2, 2), 0.5, 0.05),
            PositionMean = Head("position").view(b, s, 2) * 16 + VideoScene.Space / 2,
            PositionLogStd = LogStd(Head("position_sd").view(b, s, 2), 8, 0.5),
            RotationLogStd = LogStd(Spread("rotation"), 0.15, 0.05),
            QualityMean = Head("quality") + tensor(QualityFloor.Select(f => (float)Math.Log(f)).ToArray(), device: features.device),
            QualityLogStd = LogStd(Spread("quality"), 1, 0.2),
        };
        foreach (var t in distribution.All) t.MoveToOuterDisposeScope();
        return distribution;

        static Tensor Slice(Tensor rows, (string Name, int Width)[] layout, string name)
        {
            var width = layout.Single(h => h.Name == name).Width;
            var start = layout.TakeWhile(h => h.Name != name).Sum(h => h.Width);
            return rows.narrow(1, start, width);
        }

        // A log standard deviation around a typical value, at least a floor and at most e^4. The floors are SynthBench's
        // own smallest variations (colour jitter, sub-pixel placement): without them a spread fitted to captions whose
        // targets never vary (a resting object's velocity, a clean clip's flicker) collapses, and the likelihood of the
        // rare video that does vary explodes.
        static Tensor LogStd(Tensor raw, double typical, double floor) => (raw + Math.Log(typical)).clamp(Math.Log(floor), 4);
    }

    /// <summary>
    /// Draws scenes: the reparameterised sample of <paramref name="distribution"/> under <paramref name="noise"/>, at the
    /// given frame times (SynthBench frames). Differentiable in the distribution's tensors (straight-through for the
    /// discrete draws).
    /// </summary>
    public static SceneParameters Sample(SceneDistribution distribution, Tensor features, GeneratorNoise noise, int[] frameTimes)
    {
        using var scope = NewDisposeScope();
        var b = features.shape[0];
        if (noise.Batch != b) throw new ArgumentException($"noise for {noise.Batch} clips, features for {b}");
        var t = frameTimes.Length;
        if (noise.FlickerNormal.shape[1] != t) throw new ArgumentException($"noise for {noise.FlickerNormal.shape[1]} frames, {t} frame times");
        var device = features.device;

        var background = StraightThrough(distribution.BackgroundLogits + noise.BackgroundGumbel);
        // Slot s of the first group shows when the drawn count (index c = count - 1) is at least s + 1.
        var count = StraightThrough(distribution.CountLogits + noise.CountGumbel);
        var firstGroup = count.flip(1).cumsum(1).flip(1);                                   // [B, MaxCount]
        var secondGroup = features.narrow(1, CaptionFeatures.SecondGroupFlag, 1);           // [B, 1]: the caption has one
        var presence = cat([firstGroup, secondGroup], 1);                                    // [B, S]

        var slotGroup = tensor(Enumerable.Range(0, GeneratorLayout.Slots).Select(s => (long)GeneratorLayout.GroupOf(s)).ToArray(), device: device);
        Tensor PerSlot(Tensor perGroup) => perGroup.index_select(1, slotGroup);              // [B, 2, ...] -> [B, S, ...]

        var shape = StraightThrough(distribution.ShapeLogits + noise.ShapeGumbel);           // [B, 2, 6]
        var component = StraightThrough(distribution.ColourLogits + noise.ColourGumbel);     // [B, 2, 7]
        using var palette = tensor(Palette, [GeneratorLayout.Colours, 3], device: device);
        var colour = (matmul(component, palette) + distribution.ColourLogStd.exp().unsqueeze(-1) * noise.ColourNormal).clamp(0, 1);
        var radius = (distribution.LogRadiusMean + distribution.LogRadiusLogStd.exp() * noise.RadiusNormal).exp().clamp(2.5, 16);
        var velocity = distribution.VelocityMean + distribution.VelocityLogStd.exp() * noise.VelocityNormal;      // [B, 2, 2]
        var start = distribution.PositionMean + distribution.PositionLogStd.exp() * noise.PositionNormal;        // [B, S, 2]
        var rotation = PerSlot(distribution.RotationLogStd).exp() * noise.RotationNormal;                        // [B, S]

        using var floor = tensor(QualityFloor.Select(f => (float)f).ToArray(), device: device);
        var quality = ((distribution.QualityMean + distribution.QualityLogStd.exp() * noise.QualityNormal).exp() - floor).clamp_min(0);
        var blur = quality.select(1, 0);
        var flicker = quality.select(1, 1);
        var drift = quality.select(1, 2);

        // Paths: start + velocity * time + drift * a random walk over the rendered frames (unit spread per step / sqrt(T)).
        using var times = tensor(frameTimes.Select(x => (float)x).ToArray(), device: device).view(1, 1, t);
        var walk = noise.DriftNormal.cumsum(2) / Math.Sqrt(t);                                                   // [B, S, T, 2]
        var slotVelocity = PerSlot(velocity);                                                                    // [B, S, 2]
        var x = start.select(2, 0).unsqueeze(2) + slotVelocity.select(2, 0).unsqueeze(2) * times + drift.view(b, 1, 1) * walk.select(3, 0);
        var y = start.select(2, 1).unsqueeze(2) + slotVelocity.select(2, 1).unsqueeze(2) * times + drift.view(b, 1, 1) * walk.select(3, 1);
        var brightness = 1 + flicker.unsqueeze(1) * noise.FlickerNormal;

        var scene = new SceneParameters
        {
            Background = background,
            TexturePhase = noise.TexturePhase.alias(),
            ShadowAngle = noise.ShadowAngle.alias(),
            Presence = presence,
            ShapeWeights = PerSlot(shape),
            Colour = PerSlot(colour),
            Radius = PerSlot(radius),
            Rotation = rotation,
            X = x,
            Y = y,
            Brightness = brightness,
            Blur = blur,
        };
        foreach (var tensorOf in new[] { scene.Background, scene.TexturePhase, scene.ShadowAngle, scene.Presence, scene.ShapeWeights, scene.Colour,
                     scene.Radius, scene.Rotation, scene.X, scene.Y, scene.Brightness, scene.Blur })
            tensorOf.MoveToOuterDisposeScope();
        return scene;
    }

    /// <summary>One-hot of the argmax in the forward pass, the softmax's gradient in the backward pass.</summary>
    static Tensor StraightThrough(Tensor perturbedLogits)
    {
        using var scope = NewDisposeScope();
        var soft = perturbedLogits.softmax(-1);
        var hard = nn.functional.one_hot(perturbedLogits.argmax(-1), perturbedLogits.shape[^1]).to_type(soft.dtype);
        return (hard + soft - soft.detach()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The negative log-likelihood of SynthBench scenes (per clip, [B]) under the distribution, up to constants: categorical
    /// cross-entropy for background, count and each group's shape; a mixture of Gaussians around the seven named colours
    /// for each group's RGB; Gaussians for log radius, velocity, each present slot's start and rotation, and the log-space
    /// quality values. A group the caption does not have and a slot the scene does not fill contribute nothing.
    /// </summary>
    public static Tensor NegativeLogLikelihood(SceneDistribution d, SceneTargets targets)
    {
        using var scope = NewDisposeScope();
        var group = targets.GroupMask;                                                        // [B, 2]
        var slot = targets.SlotMask;                                                          // [B, S]
        var nll = nn.functional.cross_entropy(d.BackgroundLogits, targets.Background, reduction: Reduction.None)
                  + nn.functional.cross_entropy(d.CountLogits, targets.CountIndex, reduction: Reduction.None);
        var shape = -d.ShapeLogits.log_softmax(-1).gather(2, targets.Shape.unsqueeze(-1)).squeeze(-1);          // [B, 2]
        nll = nll + (shape * group).sum(1);

        // Colour: -log sum_k pi_k N(rgb; palette_k, sd^2 I).
        using var palette = tensor(Palette, [1, 1, GeneratorLayout.Colours, 3], device: d.ColourLogits.device);
        var squared = (targets.Colour.unsqueeze(2) - palette).square().sum(-1);                                  // [B, 2, 7]
        var logSd = d.ColourLogStd.unsqueeze(-1);
        var logComponent = d.ColourLogits.log_softmax(-1) - squared / (2 * (2 * logSd).exp()) - 3 * logSd;
        nll = nll + (-logComponent.logsumexp(-1) * group).sum(1);

        nll = nll + (Gaussian(targets.LogRadius, d.LogRadiusMean, d.LogRadiusLogStd) * group).sum(1);
        nll = nll + (Gaussian(targets.Velocity, d.VelocityMean, d.VelocityLogStd).sum(-1) * group).sum(1);
        nll = nll + (Gaussian(targets.Position, d.PositionMean, d.PositionLogStd).sum(-1) * slot).sum(1);
        var slotGroup = tensor(Enumerable.Range(0, GeneratorLayout.Slots).Select(s => (long)GeneratorLayout.GroupOf(s)).ToArray(), device: group.device);
        var rotationLogSd = d.RotationLogStd.index_select(1, slotGroup);
        nll = nll + (Gaussian(targets.Rotation, zeros_like(rotationLogSd), rotationLogSd) * slot).sum(1);
        nll = nll + Gaussian(targets.Quality, d.QualityMean, d.QualityLogStd).sum(1);
        return nll.MoveToOuterDisposeScope();

        static Tensor Gaussian(Tensor x, Tensor mean, Tensor logSd) => 0.5 * ((x - mean) / logSd.exp()).square() + logSd;
    }

    /// <summary>
    /// KL(p || q) per clip ([B]) between two scene distributions for the same captions, in nats: exact for the joint
    /// distribution of every drawn choice (the categoricals, and the Gaussians given them). The colour's RGB is Gaussian
    /// around the drawn named colour with the same mean under p and q, so its part is the categorical's KL plus the KL of
    /// the spreads. Groups the caption does not have are left out; the first group's slots all count, since whether a slot
    /// is drawn is itself part of the count's KL.
    /// </summary>
    public static Tensor KullbackLeibler(SceneDistribution p, SceneDistribution q, Tensor features)
    {
        using var scope = NewDisposeScope();
        var group = cat([ones_like(features.narrow(1, 0, 1)), features.narrow(1, CaptionFeatures.SecondGroupFlag, 1)], 1);   // [B, 2]
        var slot = cat([ones_like(features.narrow(1, 0, 1)).expand(-1, GeneratorLayout.MaxCount), group.narrow(1, 1, 1)], 1); // [B, S]
        var kl = Categorical(p.BackgroundLogits, q.BackgroundLogits) + Categorical(p.CountLogits, q.CountLogits);
        kl = kl + ((Categorical(p.ShapeLogits, q.ShapeLogits) + Categorical(p.ColourLogits, q.ColourLogits)
                    + 3 * Gaussian(zeros_like(p.ColourLogStd), p.ColourLogStd, zeros_like(q.ColourLogStd), q.ColourLogStd)
                    + Gaussian(p.LogRadiusMean, p.LogRadiusLogStd, q.LogRadiusMean, q.LogRadiusLogStd)
                    + Gaussian(p.VelocityMean, p.VelocityLogStd, q.VelocityMean, q.VelocityLogStd).sum(-1)) * group).sum(1);
        var slotGroup = tensor(Enumerable.Range(0, GeneratorLayout.Slots).Select(s => (long)GeneratorLayout.GroupOf(s)).ToArray(), device: features.device);
        var rotationP = p.RotationLogStd.index_select(1, slotGroup);
        var rotationQ = q.RotationLogStd.index_select(1, slotGroup);
        kl = kl + ((Gaussian(p.PositionMean, p.PositionLogStd, q.PositionMean, q.PositionLogStd).sum(-1)
                    + Gaussian(zeros_like(rotationP), rotationP, zeros_like(rotationQ), rotationQ)) * slot).sum(1);
        kl = kl + Gaussian(p.QualityMean, p.QualityLogStd, q.QualityMean, q.QualityLogStd).sum(1);
        return kl.MoveToOuterDisposeScope();

        static Tensor Categorical(Tensor pLogits, Tensor qLogits)
        {
            var logP = pLogits.log_softmax(-1);
            return (logP.exp() * (logP - qLogits.log_softmax(-1))).sum(-1);
        }

        // KL(N(mp, sp^2) || N(mq, sq^2)) = log(sq/sp) + (sp^2 + (mp - mq)^2) / (2 sq^2) - 1/2.
        static Tensor Gaussian(Tensor meanP, Tensor logSdP, Tensor meanQ, Tensor logSdQ) =>
            logSdQ - logSdP + ((2 * logSdP).exp() + (meanP - meanQ).square()) / (2 * (2 * logSdQ).exp()) - 0.5;
    }

    /// <summary>Predicts, samples and renders: clips [B, T, 3, H, W] for caption features under the given noise.</summary>
    public Tensor Generate(Tensor features, GeneratorNoise noise, SoftRenderer renderer, int[] frameTimes)
    {
        using var scope = NewDisposeScope();
        using var distribution = Predict(features);
        using var scene = Sample(distribution, features, noise, frameTimes);
        return renderer.Render(scene).MoveToOuterDisposeScope();
    }
}

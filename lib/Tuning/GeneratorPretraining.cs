using MjVideo.Synth;
using static TorchSharp.torch;

namespace MjVideo.Tuning;

/// <summary>How the base generator is pre-trained to imitate SynthBench.</summary>
/// <param name="Pairs">SynthBench pairs read (both videos of each pair whose caption the generator draws)</param>
/// <param name="Epochs">passes over those videos</param>
/// <param name="BatchSize">videos per step</param>
/// <param name="LearningRate">Adam's rate</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay</param>
/// <param name="Seed">seeds the order of the videos</param>
public sealed record PretrainingSettings(int Pairs = 3000, int Epochs = 40, int BatchSize = 64, double LearningRate = 3e-3,
    double WeightDecay = 0.5, long Seed = 5)
{
    public void Validate()
    {
        if (Pairs < 1) throw new ArgumentException($"PretrainingSettings.Pairs = {Pairs}: must be at least 1");
        if (Epochs < 1) throw new ArgumentException($"PretrainingSettings.Epochs = {Epochs}: must be at least 1");
        if (BatchSize < 1) throw new ArgumentException($"PretrainingSettings.BatchSize = {BatchSize}: must be at least 1");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentException($"PretrainingSettings.LearningRate = {LearningRate}: must be positive and finite");
    }
}

/// <summary>The pre-training curve: the mean negative log-likelihood per video after each epoch, on the training videos
/// and on held-out videos of SynthBench's val split, and the epoch whose weights were kept (the lowest val NLL).</summary>
public sealed record PretrainingResult(int TrainVideos, int ValVideos, double[] TrainNll, double[] ValNll, int BestEpoch);

/// <summary>
/// Pre-trains the base generator by maximum likelihood on SynthBench's scenes, mistakes included: every video of the
/// first <see cref="PretrainingSettings.Pairs"/> pairs of a split whose caption the generator draws, clean or with defects,
/// exactly as SynthBench generated it (<see cref="SynthBenchGenerator.GeneratePair"/>, no rendering or decoding needed).
/// The scene is what a SynthBench video is a deterministic function of, and the soft renderer draws a scene as SynthBench's
/// renderer does (a test checks it pixel by pixel), so fitting the scenes is fitting the videos.
/// <para>
/// Each caption comes with two videos and the features cannot tell them apart, so a network that memorises captions
/// overfits quickly (measured: the val NLL turned upward after about 10 epochs while the train NLL kept falling); the weights
/// of the epoch with the lowest NLL on SynthBench's val split are kept, and AdamW's weight decay slows the memorising.
/// </para>
/// </summary>
public static class GeneratorPretraining
{
    /// <summary>The (caption, scene) of both videos of each pair among the first <paramref name="pairs"/> of a split whose
    /// caption the generator draws.</summary>
    public static List<(CaptionSpec Caption, VideoScene Scene)> Examples(long seed, string split, int pairs)
    {
        var config = new SynthConfig(split, pairs, seed);
        config.Validate();
        var annotators = PreferenceRules.AnnotatorWeights(seed);
        var examples = new List<(CaptionSpec, VideoScene)>();
        for (var i = 0; i < pairs; i++)
        {
            var pair = SynthBenchGenerator.GeneratePair(config, i, annotators);
            if (!TuningCaptions.IsDrawable(pair.Caption)) continue;
            examples.Add((pair.Caption, pair.Video0.Scene));
            examples.Add((pair.Caption, pair.Video1.Scene));
        }
        return examples;
    }

    public static PretrainingResult Train(SceneGenerator generator, PretrainingSettings settings, long synthSeed, int[] frameTimes,
        IProgress<(int Epoch, double TrainNll, double ValNll)>? progress = null)
    {
        settings.Validate();
        var train = Examples(synthSeed, "train", settings.Pairs);
        var val = Examples(synthSeed, "val", Math.Max(1, settings.Pairs / 5));
        if (train.Count == 0) throw new InvalidOperationException($"none of the first {settings.Pairs} SynthBench train pairs has a caption the generator draws");
        using var trainFeatures = FeaturesOf(train);
        using var valFeatures = FeaturesOf(val);
        using var trainTargets = SceneTargets.From(train, frameTimes);
        using var valTargets = SceneTargets.From(val, frameTimes);

        generator.train();
        using var optimizer = optim.AdamW(generator.parameters(), settings.LearningRate, weight_decay: settings.WeightDecay);
        var random = new SynthRandom(unchecked((ulong)settings.Seed));
        var trainCurve = new double[settings.Epochs];
        var valCurve = new double[settings.Epochs];
        var order = Enumerable.Range(0, train.Count).ToArray();
        var best = (Epoch: 0, Nll: double.PositiveInfinity, Weights: (Dictionary<string, Tensor>?)null);
        try
        {
            for (var epoch = 0; epoch < settings.Epochs; epoch++)
            {
                random.Shuffle(order);
                for (var start = 0; start < order.Length; start += settings.BatchSize)
                {
                    using var scope = NewDisposeScope();
                    var batch = tensor(order.Skip(start).Take(settings.BatchSize).Select(i => (long)i).ToArray());
                    using var distribution = generator.Predict(trainFeatures.index_select(0, batch));
                    using var targets = Select(trainTargets, batch);
                    var loss = SceneGenerator.NegativeLogLikelihood(distribution, targets).mean();
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                }
                trainCurve[epoch] = MeanNll(generator, trainFeatures, trainTargets);
                valCurve[epoch] = MeanNll(generator, valFeatures, valTargets);
                if (valCurve[epoch] < best.Nll)
                {
                    foreach (var t in best.Weights?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
                    best = (epoch + 1, valCurve[epoch], generator.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().clone()));
                }
                progress?.Report((epoch + 1, trainCurve[epoch], valCurve[epoch]));
            }
            using (no_grad())
                foreach (var (name, value) in generator.state_dict()) value.copy_(best.Weights![name]);
        }
        finally
        {
            foreach (var t in best.Weights?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
        }
        generator.eval();
        return new PretrainingResult(train.Count, val.Count, trainCurve, valCurve, best.Epoch);
    }

    public static Tensor FeaturesOf(IReadOnlyList<(CaptionSpec Caption, VideoScene Scene)> examples) => FeaturesOf(examples.Select(e => e.Caption).ToList());

    /// <summary>[N, F] caption features.</summary>
    public static Tensor FeaturesOf(IReadOnlyList<CaptionSpec> captions) =>
        tensor(captions.SelectMany(CaptionFeatures.Encode).ToArray(), [captions.Count, CaptionFeatures.Width]);

    static double MeanNll(SceneGenerator generator, Tensor features, SceneTargets targets)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var distribution = generator.Predict(features);
        return SceneGenerator.NegativeLogLikelihood(distribution, targets).mean().item<float>();
    }

    static SceneTargets Select(SceneTargets t, Tensor rows) => new()
    {
        Background = t.Background.index_select(0, rows),
        CountIndex = t.CountIndex.index_select(0, rows),
        GroupMask = t.GroupMask.index_select(0, rows),
        Shape = t.Shape.index_select(0, rows),
        Colour = t.Colour.index_select(0, rows),
        LogRadius = t.LogRadius.index_select(0, rows),
        Velocity = t.Velocity.index_select(0, rows),
        SlotMask = t.SlotMask.index_select(0, rows),
        Position = t.Position.index_select(0, rows),
        Rotation = t.Rotation.index_select(0, rows),
        Quality = t.Quality.index_select(0, rows),
    };
}

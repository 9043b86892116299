using MjVideo.Synth;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MjVideo.Core;

namespace MjVideo.Tuning;

/// <summary>How a generator is tuned against a reward. Every reward of a comparison gets the same settings.</summary>
/// <param name="Steps">optimizer steps</param>
/// <param name="BatchSize">captions per step (one clip each)</param>
/// <param name="LearningRate">Adam's rate</param>
/// <param name="KlWeight">beta: the loss is -mean(standardised reward) + beta * mean KL(tuned || base) per clip</param>
/// <param name="MaxGradNorm">gradient clipping by total L2 norm</param>
/// <param name="EvaluateEvery">evaluate on the held-out clips every this many steps (and at step 0 and the last)</param>
/// <param name="Codec">the codec-like damage applied to renders before the reward</param>
/// <param name="Seed">seeds the caption order, the generator noise and the codec noise</param>
public sealed record TuningSettings(int Steps = 200, int BatchSize = 8, double LearningRate = 1e-3, double KlWeight = 0.05,
    double MaxGradNorm = 1.0, int EvaluateEvery = 25, CodecNoise? Codec = null, long Seed = 1)
{
    public CodecNoise CodecOrDefault => Codec ?? new CodecNoise();

    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"TuningSettings.Steps = {Steps}: must be at least 1");
        if (BatchSize < 1) throw new ArgumentException($"TuningSettings.BatchSize = {BatchSize}: must be at least 1");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"TuningSettings.LearningRate = {LearningRate}: must be positive and finite");
        if (!(KlWeight >= 0) || !double.IsFinite(KlWeight)) throw new ArgumentException($"TuningSettings.KlWeight = {KlWeight}: must be >= 0 and finite");
        if (!(MaxGradNorm > 0) || !double.IsFinite(MaxGradNorm)) throw new ArgumentException($"TuningSettings.MaxGradNorm = {MaxGradNorm}: must be positive");
        if (EvaluateEvery < 1) throw new ArgumentException($"TuningSettings.EvaluateEvery = {EvaluateEvery}: must be at least 1");
        CodecOrDefault.Validate();
    }

    /// <summary>The steps at which the model is evaluated: 0, every <see cref="EvaluateEvery"/>, and the last.</summary>
    public IReadOnlyList<int> EvaluationSteps() =>
        Enumerable.Range(0, Steps / EvaluateEvery + 1).Select(k => k * EvaluateEvery).Append(Steps).Distinct().ToList();
}

/// <summary>One tuning step: the batch's mean standardised reward (after codec noise), mean KL from the base model, the
/// loss, and the gradient norm before clipping.</summary>
public sealed record TuningStep(int Step, double Reward, double Kl, double Loss, double GradNorm);

/// <summary>One tuning run: the reward, its seed, every step, the held-out evaluations along the way, and the wall time
/// spent in steps and in evaluations (kept apart because they scale differently: steps with the batch, evaluations with
/// the held-out clips).</summary>
public sealed record TuningRun(string Reward, long Seed, IReadOnlyList<TuningStep> Steps, IReadOnlyList<EvaluationPoint> Evaluations,
    TimeSpan StepTime, TimeSpan EvaluationTime);

/// <summary>Thrown when the tuning loss or gradient becomes NaN or infinite.</summary>
public sealed class TuningDivergedException(string message) : ArithmeticException(message);

/// <summary>
/// VADER-style reward back-propagation at the size of a CPU: for a batch of training captions, the generator draws scenes
/// (fresh noise each step), renders them differentiably, the renders get codec-like damage, and the frozen reward model
/// scores them; the gradient of -reward + beta * KL(tuned || base) flows back through the reward model, the renderer and
/// the reparameterised samples into the generator's weights; the gradient is clipped by norm and Adam steps. The base model
/// is a frozen copy of the starting weights.
/// </summary>
public static class RewardTuner
{
    public static TuningRun Tune(SceneGenerator policy, SceneGenerator baseModel, IClipReward reward,
        IReadOnlyList<CaptionSpec> trainCaptions, TuningEvaluator evaluator, TuningSettings settings, SoftRenderer renderer,
        int[] frameTimes, IProgress<(int Step, TuningStep? Last, EvaluationPoint? Evaluation)>? progress = null,
        CancellationToken cancellation = default)
    {
        settings.Validate();
        if (trainCaptions.Count == 0) throw new ArgumentException("tuning needs at least one training caption");
        if (baseModel.parameters().Any(p => p.requires_grad))
            throw new ArgumentException("the base model must be frozen (SceneGenerator.FrozenCopy): the regulariser treats it as a constant");
        var evaluationSteps = settings.EvaluationSteps().ToHashSet();
        var steps = new List<TuningStep>();
        var evaluations = new List<EvaluationPoint>();
        using var features = GeneratorPretraining.FeaturesOf(trainCaptions);
        var texts = trainCaptions.Select(c => c.Text).ToArray();
        var order = new CaptionOrder(trainCaptions.Count, settings.Seed);
        var codec = settings.CodecOrDefault;
        var parameters = policy.parameters().ToList();
        using var optimizer = optim.Adam(parameters, settings.LearningRate);

        var stepClock = new System.Diagnostics.Stopwatch();
        var evaluationClock = new System.Diagnostics.Stopwatch();
        void EvaluateAt(int step)
        {
            evaluationClock.Start();
            policy.eval();
            var point = evaluator.Evaluate(policy, baseModel, reward, step);
            evaluations.Add(point);
            policy.train();
            evaluationClock.Stop();
            progress?.Report((step, steps.Count > 0 ? steps[^1] : null, point));
        }

        policy.train();
        EvaluateAt(0);
        for (var step = 1; step <= settings.Steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            stepClock.Start();
            using var scope = NewDisposeScope();
            var batch = order.Next(settings.BatchSize);
            using var rows = tensor(batch.Select(i => (long)i).ToArray());
            var batchFeatures = features.index_select(0, rows);
            using var noise = GeneratorNoise.Draw(batch.Length, frameTimes.Length, StepSeed(settings.Seed, step, 0));
            using var codecGenerator = new Generator(unchecked((ulong)StepSeed(settings.Seed, step, 1)));

            using var distribution = policy.Predict(batchFeatures);
            using var baseDistribution = baseModel.Predict(batchFeatures);
            var kl = SceneGenerator.KullbackLeibler(distribution, baseDistribution, batchFeatures);
            using var scene = SceneGenerator.Sample(distribution, batchFeatures, noise, frameTimes);
            var clips = codec.Apply(renderer.Render(scene), codecGenerator);
            var rewards = reward.Standardised(clips, batch.Select(i => texts[i]).ToList());
            var loss = -rewards.mean() + settings.KlWeight * kl.mean();

            optimizer.zero_grad();
            loss.backward();
            var norm = ClipGradients(parameters, settings.MaxGradNorm);
            var lossValue = loss.item<float>();
            if (!double.IsFinite(lossValue) || !double.IsFinite(norm))
                throw new TuningDivergedException($"tuning against {reward.Name} diverged at step {step}: loss {lossValue}, gradient norm {norm}");
            optimizer.step();
            steps.Add(new TuningStep(step, rewards.mean().item<float>(), kl.mean().item<float>(), lossValue, norm));
            stepClock.Stop();
            progress?.Report((step, steps[^1], null));
            if (evaluationSteps.Contains(step)) EvaluateAt(step);
        }
        policy.eval();
        return new TuningRun(reward.Name, settings.Seed, steps, evaluations, stepClock.Elapsed, evaluationClock.Elapsed);
    }

    /// <summary>A seed for one purpose at one step, from the run's seed (a fixed odd-multiplier mix).</summary>
    public static long StepSeed(long seed, int step, int purpose) => unchecked(seed * 1_000_003 + step * 7919L + purpose * 104_729L);

    /// <summary>PyTorch's clip_grad_norm_: the total L2 norm, then scaling by max / (norm + 1e-6) when that is below 1.</summary>
    static double ClipGradients(List<Parameter> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();
        var gradients = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (gradients.Count == 0) return 0;
        var norm = (double)stack(gradients.Select(g => g.detach().norm()).ToArray()).norm().item<float>();
        var coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
            using (no_grad())
                foreach (var gradient in gradients) HeldScalars.With(coefficient, s => gradient.mul_(s));
        return norm;
    }

    /// <summary>Captions in a seeded order, reshuffled after every pass.</summary>
    sealed class CaptionOrder(int count, long seed)
    {
        readonly SynthRandom random = new(unchecked((ulong)seed));
        int[] order = [];
        int position;

        public int[] Next(int size)
        {
            var batch = new int[size];
            for (var i = 0; i < size; i++)
            {
                if (position == order.Length)
                {
                    order = Enumerable.Range(0, count).ToArray();
                    random.Shuffle(order);
                    position = 0;
                }
                batch[i] = order[position++];
            }
            return batch;
        }
    }
}

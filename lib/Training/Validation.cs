using MjVideo.Metrics;
using MjVideo.Model;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <summary>A judge's numbers on the val set after an epoch: strict overall accuracy (NaN without decisive pairs) and the
/// stage loss, both over all val pairs.</summary>
public sealed record ValMetrics(double StrictAccuracy, int DecisivePairs, double Loss, IReadOnlyDictionary<string, double> Terms);

/// <summary>Evaluates a judge on a prepared dataset, in eval mode and without gradients.</summary>
public static class Validation
{
    public static ValMetrics Evaluate(RewardModel model, TrainingData data, TrainingStage stage, LossOptions options, int batchSize,
        Device? device = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be at least 1");
        var score0 = new double[data.Count];
        var score1 = new double[data.Count];
        var termSums = new Dictionary<string, double>();
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            for (var start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var pairs = Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).ToList();
                using var inputs = data.SelectPairs(pairs);
                using var targets = data.TargetsOf(pairs, device);
                var output = model.Forward(inputs);
                var b = pairs.Count;
                using var loss = model.Loss(stage, output.Rows(0, b), output.Rows(b, b), targets, options);
                // Each term is a mean over the batch's pairs; weighting by the batch size gives the mean over all pairs.
                foreach (var (name, value) in loss.Terms)
                    termSums[name] = termSums.GetValueOrDefault(name) + value * b;
                var scores = output.Reward.Score.detach().cpu().data<float>().ToArray();
                for (var i = 0; i < b; i++)
                {
                    score0[start + i] = scores[i];
                    score1[start + i] = scores[b + i];
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        var accuracy = PreferenceAccuracy.Strict(score0, score1, data.OverallLabels);
        var terms = termSums.ToDictionary(t => t.Key, t => t.Value / data.Count);
        return new ValMetrics(accuracy.Value, accuracy.N, terms[LossTerm.Total], terms);
    }
}

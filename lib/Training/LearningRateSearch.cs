using System.Text.Json;
using MjVideo.Backbones;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <summary>One learning rate tried, its checkpoint, and the last stage's selected val result.</summary>
public sealed record LearningRateCandidate(double LearningRate, string CheckpointDirectory, EpochRecord Selected);

/// <summary>All candidates in the order tried, and the best.</summary>
public sealed record LearningRateSearchResult(IReadOnlyList<LearningRateCandidate> Candidates, LearningRateCandidate Best);

/// <summary>
/// Chooses the learning rate on val (DESIGN 4 and 8): one run per candidate, every stage at that rate, all from the same
/// starting point (the head from the run's seed, the backbone module restored to its state before the search), with the
/// same data, epochs and seed; the best by the last stage's selected val result (the epoch rule of
/// <see cref="EpochSelection"/>). Giving every judge the same list is giving them the same hyper-parameter budget.
/// Candidates are written to <c>directory/lr-RATE</c> and the summary to <c>directory/search.json</c>.
/// </summary>
public static class LearningRateSearch
{
    public const string SummaryFile = "search.json";

    public static string CandidateFolder(string directory, double rate) =>
        Path.Combine(directory, $"lr-{rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");

    public static LearningRateSearchResult Run(TrainConfig config, IReadOnlyList<double> rates, IBackbone backbone, BackboneSpec spec,
        TrainingData train, TrainingData val, string directory, Func<double, ITrainingMonitor?>? monitorFor = null,
        CancellationToken cancellation = default)
    {
        if (rates.Count == 0) throw new ArgumentException("the learning-rate search needs at least one rate");
        if (rates.Distinct().Count() != rates.Count) throw new ArgumentException($"learning rates repeat: {string.Join(", ", rates)}");
        var start = backbone.Module.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().clone());
        var candidates = new List<LearningRateCandidate>();
        try
        {
            foreach (var rate in rates)
            {
                TrainingCheckpoint.CopyState(start, backbone.Module.state_dict(), "the backbone's starting point");
                var candidate = config with { Stages = config.Stages.Select(s => s with { LearningRate = rate }).ToList() };
                using var model = new RewardModel(candidate.Model, backbone, candidate.Seed);
                var folder = CandidateFolder(directory, rate);
                var result = new StagedTrainer(candidate, monitorFor?.Invoke(rate)).Train(model, spec, train, val, folder, cancellation: cancellation);
                candidates.Add(new LearningRateCandidate(rate, result.CheckpointDirectory, result.Selected[^1]));
            }
            TrainingCheckpoint.CopyState(start, backbone.Module.state_dict(), "the backbone's starting point");
        }
        finally
        {
            foreach (var tensor in start.Values) tensor.Dispose();
        }

        var by = config.SelectBy == Selection.Loss ? Selection.Loss : Selection.Accuracy;
        var best = candidates[0];
        foreach (var candidate in candidates.Skip(1))
            if (EpochSelection.IsBetter(candidate.Selected.ValStrictAccuracy, candidate.Selected.ValLoss, best.Selected, by))
                best = candidate;
        var summary = new LearningRateSearchResult(candidates, best);
        var path = Path.Combine(directory, SummaryFile);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(summary, TrainConfig.JsonOptions));
        File.Move(path + ".tmp", path, overwrite: true);
        return summary;
    }
}

using System.Security.Cryptography;
using System.Text;
using MjVideo.Backbones;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Synth;
using MjVideo.Training;

namespace MjVideo.Tuning;

/// <summary>Where one reward's checkpoint came from and how it scored on val when it was trained.</summary>
public sealed record RewardCheckpoint(JudgeKind Judge, string Directory, bool TrainedNow, double ValStrictAccuracy, int ValDecisivePairs);

/// <summary>
/// Trains (or finds, from an earlier run with the same settings) the judges the generator is tuned against: each on the
/// small encoder, on the first pairs of one SynthBench family's default train and val sets, through the staged losses.
/// All judges share the prepared clips (the encoder's inputs do not depend on its weights) and start from the same seed.
/// </summary>
public static class RewardModels
{
    /// <summary>The folder holding reward checkpoints: the scratch folder in quick mode, the git-ignored cache in full mode.</summary>
    public static string Root(Workbook workbook) =>
        Path.Combine(workbook.IsQuick ? workbook.ScratchRoot : workbook.CacheDir, "tuning-rewards");

    /// <summary>A judge's checkpoint folder: its name and a hash of everything that decides its weights.</summary>
    public static string DirectoryFor(Workbook workbook, RewardTrainingSettings settings, JudgeKind judge)
    {
        var key = $"{SynthConfig.Version}\n{SynthBenchDefaults.Seed}\n{JudgeNames.Name(judge)}\n{settings.TrainConfigFor(judge).ToJson()}\n" +
                  $"{settings.TrainPairs}/{settings.ValPairs}/{settings.HiddenSize}/{settings.Family}";
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12].ToLowerInvariant();
        return Path.Combine(Root(workbook), $"{JudgeNames.Name(judge)}-{hash}");
    }

    public static BackboneSpec BackboneSpecFor(Workbook workbook, RewardTrainingSettings settings) => new()
    {
        Name = "tiny",
        HiddenSize = settings.HiddenSize,
        Seed = settings.Seed,
        CacheDir = workbook.CacheDir,
    };

    /// <summary>
    /// Makes sure every judge has a finished checkpoint, training those that have none; a finished checkpoint with the same
    /// settings is reused (a partial one is trained again from the start).
    /// </summary>
    public static async Task<IReadOnlyList<RewardCheckpoint>> EnsureAsync(Workbook workbook, RewardTrainingSettings settings,
        IReadOnlyList<JudgeKind> judges, IProgress<TuningProgress>? progress = null, CancellationToken cancellation = default)
    {
        settings.Validate();
        var results = new List<RewardCheckpoint>();
        var missing = new List<JudgeKind>();
        foreach (var judge in judges)
        {
            var directory = DirectoryFor(workbook, settings, judge);
            if (IsFinished(directory))
            {
                var (accuracy, pairs) = SelectedVal(directory);
                results.Add(new RewardCheckpoint(judge, directory, false, accuracy, pairs));
                progress?.Report(new TuningProgress("rewards", results.Count, judges.Count, $"{JudgeNames.Name(judge)}: reusing {directory}"));
            }
            else missing.Add(judge);
        }
        if (missing.Count == 0) return Ordered(results, judges);

        progress?.Report(new TuningProgress("rewards", results.Count, judges.Count, "preparing the SynthBench data ..."));
        await SynthBenchDefaults.EnsureAsync(workbook, new Progress<string>(line => progress?.Report(new TuningProgress("data", 0, 1, line))), cancellation);
        var folder = SynthBenchDefaults.FamilyDir(workbook, PreferenceRules.Parse(settings.Family));
        var data = TrainingDirectory.Read(folder, needVideoFiles: true);
        var train = First(data.Train, settings.TrainPairs, "train");
        var val = First(data.Val, settings.ValPairs, "val");
        var spec = BackboneSpecFor(workbook, settings);

        using var preparer = BackboneFactory.Create(spec);
        progress?.Report(new TuningProgress("rewards", results.Count, judges.Count,
            $"decoding {2 * (train.Pairs.Count + val.Pairs.Count)} clips for the small encoder (cached after the first run) ..."));
        using var trainData = await TrainingData.PrepareAsync(train, preparer, cancellation);
        using var valData = await TrainingData.PrepareAsync(val, preparer, cancellation);
        foreach (var judge in missing)
        {
            var directory = DirectoryFor(workbook, settings, judge);
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            var config = settings.TrainConfigFor(judge);
            using var backbone = BackboneFactory.Create(spec);
            using var model = new RewardModel(config.Model, backbone, config.Seed);
            var monitor = new Monitor(progress, JudgeNames.Name(judge), config.Stages.Sum(s => s.Epochs * ((trainData.Count + config.BatchSize - 1) / config.BatchSize)));
            var result = new StagedTrainer(config, monitor).Train(model, spec, trainData, valData, directory, cancellation: cancellation);
            var selected = result.Selected[^1];
            results.Add(new RewardCheckpoint(judge, directory, true, selected.ValStrictAccuracy, selected.ValDecisivePairs));
            progress?.Report(new TuningProgress("rewards", results.Count, judges.Count,
                $"{JudgeNames.Name(judge)}: trained in {result.Steps} steps, val strict accuracy {100 * selected.ValStrictAccuracy:F1}% on {selected.ValDecisivePairs} pairs"));
        }
        return Ordered(results, judges);
    }

    static IReadOnlyList<RewardCheckpoint> Ordered(List<RewardCheckpoint> results, IReadOnlyList<JudgeKind> judges) =>
        judges.Select(j => results.Single(r => r.Judge == j)).ToList();

    static PreferenceDataset First(PreferenceDataset dataset, int count, string split)
    {
        if (dataset.Pairs.Count < count)
            throw new InvalidDataException($"{dataset.SourceFile}: {dataset.Pairs.Count} {split} pairs, the reward training asks for {count}");
        return dataset with { Pairs = dataset.Pairs.Take(count).ToList(), Extras = dataset.Extras.Take(count).ToList() };
    }

    static bool IsFinished(string directory)
    {
        if (!File.Exists(Path.Combine(directory, TrainingCheckpoint.InfoFile))) return false;
        try
        {
            return TrainingCheckpoint.Read(directory).Info.Progress.Completed;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>The last stage's selected epoch's val accuracy, from the checkpoint's history.</summary>
    static (double Accuracy, int Pairs) SelectedVal(string directory)
    {
        var checkpoint = TrainingCheckpoint.Read(directory);
        var lastStage = checkpoint.Config.Stages[^1].Stage;
        var selected = checkpoint.History.Where(e => e.Stage == lastStage).Last(e => e.Improved);
        return (selected.ValStrictAccuracy, selected.ValDecisivePairs);
    }

    sealed class Monitor(IProgress<TuningProgress>? progress, string judge, int totalSteps) : ITrainingMonitor
    {
        public void StepCompleted(StepRecord step) =>
            progress?.Report(new TuningProgress($"train {judge}", step.Step, totalSteps, $"stage {step.Stage} epoch {step.Epoch + 1} loss {step.Loss:F4}"));

        public void EpochCompleted(EpochRecord epoch) =>
            progress?.Report(new TuningProgress($"train {judge}", epoch.Step, totalSteps,
                $"{judge} stage {epoch.Stage} epoch {epoch.Epoch + 1}: val loss {epoch.ValLoss:F4}, val strict accuracy {100 * epoch.ValStrictAccuracy:F1}%"));
    }
}

/// <summary>A progress event: the phase (rewards, train JUDGE, pretrain, tune JUDGE, ...), how far it is, and a line to show.</summary>
public sealed record TuningProgress(string Phase, int Done, int Total, string Message);

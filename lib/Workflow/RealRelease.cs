using System.Diagnostics;
using System.Text.Json.Nodes;
using MjVideo.Backbones;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Training;
using Microsoft.Data.Analysis;

namespace MjVideo.Workflow;

/// <summary>What <see cref="RealRelease.TrainAndEvaluateAsync"/> did, with Tables 2 and 1 on the release's test split.</summary>
public sealed record RealReleaseRun(string TrainingFolder, string Checkpoint, int TrainPairs, int ValPairs, int TestPairs,
    int Videos, TimeSpan PrepareTime, TimeSpan TrainTime, TimeSpan EvaluateTime, JudgeEvaluation Evaluation)
{
    /// <summary>Wall time per video of feature preparation (decode, frozen encoders) for train, val and test together.</summary>
    public double SecondsPerVideo => (PrepareTime + EvaluateTime).TotalSeconds / Math.Max(1, Videos);

    public DataFrame Table2 => EvaluationTables.Table2([Evaluation]);
    public DataFrame? Table1 => Evaluation.Aspects is null ? null : EvaluationTables.Table1([Evaluation]);
}

/// <summary>
/// The real MJ-Bench-Video release (train.json, test.json, videos/; see data/README.md): train the frozen-encoder judge
/// (ResNet-18 per frame + MiniLM caption embedding, trained fusion and MJ-Video head) on its train split on the CPU, and
/// evaluate it on its test split in the layout of the paper's Tables 2 and 1. The release has no val split, so a seeded
/// share of train.json becomes val (learning-rate and epoch selection, tie calibration); test is never read in training.
/// </summary>
public static class RealRelease
{
    public const string ReleaseVariable = "MJVIDEO_RELEASE_JSON";

    /// <summary>The release folder: the folder of $MJVIDEO_RELEASE_JSON when set, else data/mj-bench-video.</summary>
    public static string Folder(Workbook workbook) =>
        Environment.GetEnvironmentVariable(ReleaseVariable) is { Length: > 0 } json
            ? Path.GetDirectoryName(Path.GetFullPath(json))!
            : Path.Combine(workbook.Root, "data", "mj-bench-video");

    /// <summary>Null when the folder holds a release (train.json, test.json, videos/); else what is missing.</summary>
    public static string? Missing(string folder)
    {
        var missing = new[] { "train.json", "test.json" }.Where(f => !File.Exists(Path.Combine(folder, f)))
            .Concat(Directory.Exists(Path.Combine(folder, "videos")) ? [] : ["videos/"]).ToList();
        return missing.Count == 0 ? null : $"{string.Join(", ", missing)} missing";
    }

    /// <summary>
    /// Writes a training folder: train.json without the val share, val.json (every <paramref name="valShare"/>-th pair of
    /// a seeded shuffle), test.json as released, and videos/ as a link to the release's (a copy where links are not allowed).
    /// </summary>
    public static string PrepareTrainingFolder(string release, string folder, double valShare = 0.1, int seed = 20261207)
    {
        if (Missing(release) is { } missing) throw new FileNotFoundException($"{release} is not a release folder: {missing}");
        if (valShare is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(valShare), "the val share must be in (0, 1)");
        var pairs = JsonNode.Parse(File.ReadAllText(Path.Combine(release, "train.json"))) as JsonArray
                    ?? throw new InvalidDataException($"{release}/train.json: expected a JSON list of pairs");
        var order = Enumerable.Range(0, pairs.Count).ToArray();
        new Random(seed).Shuffle(order);
        var valCount = Math.Max(1, (int)Math.Round(pairs.Count * valShare));
        var val = order.Take(valCount).Order().ToHashSet();
        Directory.CreateDirectory(folder);
        void Write(string name, IEnumerable<JsonNode?> items)
        {
            var path = Path.Combine(folder, name);
            File.WriteAllText(path + ".tmp", new JsonArray(items.Select(i => i?.DeepClone()).ToArray()).ToJsonString());
            File.Move(path + ".tmp", path, overwrite: true);
        }
        Write("train.json", pairs.Where((_, i) => !val.Contains(i)));
        Write("val.json", pairs.Where((_, i) => val.Contains(i)));
        File.Copy(Path.Combine(release, "test.json"), Path.Combine(folder, "test.json"), overwrite: true);
        var videos = Path.Combine(folder, "videos");
        if (!Directory.Exists(videos))
        {
            try { Directory.CreateSymbolicLink(videos, Path.GetFullPath(Path.Combine(release, "videos"))); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { CopyDirectory(Path.Combine(release, "videos"), videos); }
        }
        return folder;
    }

    /// <summary>
    /// Prepares the training folder under <paramref name="workFolder"/>, trains the frozen-encoder judge (MJ-Video head,
    /// <paramref name="config"/>'s stages) and evaluates it on test. Features are cached in the workbook's cache, so a second
    /// run skips decoding and the frozen encoders.
    /// </summary>
    public static async Task<RealReleaseRun> TrainAndEvaluateAsync(Workbook workbook, string release, string workFolder, TrainConfig config,
        ITrainingMonitor? monitor = null, Action<string>? log = null, double valShare = 0.1, CancellationToken cancellation = default)
    {
        log ??= _ => { };
        var folder = PrepareTrainingFolder(release, Path.Combine(workFolder, "data"), valShare);
        var spec = new BackboneSpec { Name = "pretrained", Seed = config.Seed, CacheDir = workbook.CacheDir };
        var data = TrainingDirectory.Read(folder, needVideoFiles: true);
        var checkpoint = Path.Combine(workFolder, "checkpoint");
        if (Directory.Exists(checkpoint)) Directory.Delete(checkpoint, recursive: true);
        log($"release: {data.Train.Pairs.Count} train, {data.Val.Pairs.Count} val pairs; preparing features (decode + ResNet-18 + MiniLM)");

        var clock = Stopwatch.StartNew();
        using var backbone = BackboneFactory.Create(spec);
        using var train = await TrainingData.PrepareAsync(data.Train, backbone, cancellation).ConfigureAwait(false);
        using var val = await TrainingData.PrepareAsync(data.Val, backbone, cancellation).ConfigureAwait(false);
        var prepare = clock.Elapsed;
        log($"features ready in {prepare.TotalSeconds:F0} s; training stages {string.Join(",", config.Stages.Select(s => s.Stage))}");

        clock.Restart();
        using (var model = new RewardModel(config.Model, backbone, config.Seed))
            new StagedTrainer(config, monitor).Train(model, spec, train, val, checkpoint, cancellation: cancellation);
        var trainTime = clock.Elapsed;
        log($"trained in {trainTime.TotalSeconds:F0} s; evaluating on test");

        clock.Restart();
        var evaluationData = EvaluationData.Load(folder, "test", "val", name: "mj-bench-video");
        var judge = await JudgeCatalog.CreateAsync(checkpoint, evaluationData, workbook, config.Seed, cancellation).ConfigureAwait(false);
        JudgeEvaluation evaluation;
        try
        {
            evaluation = await Evaluator.EvaluateAsync(judge, evaluationData, new EvaluationOptions(), cancellation: cancellation).ConfigureAwait(false);
        }
        finally
        {
            (judge as IDisposable)?.Dispose();
        }
        var videos = 2 * (data.Train.Pairs.Count + data.Val.Pairs.Count + evaluationData.Test.Pairs.Count);
        return new RealReleaseRun(folder, checkpoint, data.Train.Pairs.Count, data.Val.Pairs.Count, evaluationData.Test.Pairs.Count,
            videos, prepare, trainTime, clock.Elapsed, evaluation);
    }

    static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
    }
}

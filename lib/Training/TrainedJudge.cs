using System.Globalization;
using MjVideo.Backbones;
using MjVideo.Evaluation;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <summary>
/// Everything a trained judge says about one video: the overall score, and where the head has them the 28 criteria rewards
/// (release order), the 5 aspect scores, the criteria router's weights (w, 28) and the aspect router's weights (g, 5), and
/// for the VideoScore-style judge its 5 dimensions (<see cref="VideoScoreDimensions.Names"/>).
/// </summary>
public sealed record VideoJudgement(string VideoId, double Score, double[]? Criteria, double[]? AspectScores,
    double[]? CriteriaWeights, double[]? AspectWeights, double[]? Dimensions)
{
    /// <summary>One judgement per row of a batch's output, the rows named by <paramref name="videoIds"/> in order.</summary>
    public static IReadOnlyList<VideoJudgement> FromOutput(JudgeOutput output, IReadOnlyList<string> videoIds)
    {
        var count = videoIds.Count;
        if (output.BatchSize != count) throw new ArgumentException($"{output.BatchSize} output rows for {count} videos");
        double[][]? Rows(Tensor? t) => t is null ? null : Split(t, count);
        var scores = output.Reward.Score.detach().cpu().data<float>().ToArray();
        var criteria = Rows(output.Reward.Criteria);
        var aspects = Rows(output.Reward.AspectScores);
        var criteriaWeights = Rows(output.Reward.CriteriaWeights);
        var aspectWeights = Rows(output.Reward.AspectWeights);
        var dimensions = Rows(output.Dimensions);
        return videoIds.Select((id, i) => new VideoJudgement(id, scores[i], criteria?[i], aspects?[i], criteriaWeights?[i],
            aspectWeights?[i], dimensions?[i])).ToList();
    }

    static double[][] Split(Tensor rows, int count)
    {
        var width = (int)rows.shape[1];
        var values = rows.detach().cpu().contiguous().data<float>().ToArray();
        return Enumerable.Range(0, count).Select(i => values.AsSpan(i * width, width).ToArray().Select(x => (double)x).ToArray()).ToArray();
    }
}

/// <summary>
/// A judge trained by <see cref="StagedTrainer"/>, loaded from its checkpoint for the evaluator (<see cref="IJudge"/>): it
/// rebuilds the backbone through <see cref="BackboneFactory"/> from the spec saved in the checkpoint, loads the weights, and
/// scores each video of a pair independently. Returns criteria and aspect scores when the head has them.
/// </summary>
public sealed class TrainedJudge : IJudge, IDisposable
{
    readonly RewardModel model;
    readonly bool ownsBackbone;

    TrainedJudge(TrainingCheckpoint checkpoint, RewardModel model, bool ownsBackbone)
    {
        Checkpoint = checkpoint;
        this.model = model;
        this.ownsBackbone = ownsBackbone;
    }

    /// <summary>Loads a checkpoint, building its backbone from the saved spec (or <paramref name="backboneOverride"/>, e.g.
    /// another states file holding the test videos).</summary>
    public static TrainedJudge Load(string checkpointDirectory, BackboneSpec? backboneOverride = null)
    {
        var checkpoint = TrainingCheckpoint.Read(checkpointDirectory);
        var backbone = BackboneFactory.Create(backboneOverride ?? checkpoint.Info.Backbone);
        try
        {
            return new TrainedJudge(checkpoint, checkpoint.CreateModel(backbone), ownsBackbone: true);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>Loads a checkpoint onto a backbone the caller built (and keeps owning).</summary>
    public static TrainedJudge Load(string checkpointDirectory, IBackbone backbone)
    {
        var checkpoint = TrainingCheckpoint.Read(checkpointDirectory);
        return new TrainedJudge(checkpoint, checkpoint.CreateModel(backbone), ownsBackbone: false);
    }

    public TrainingCheckpoint Checkpoint { get; }

    /// <summary>The loaded judge (backbone and head), e.g. for a <see cref="RewardPipeline"/> with other options.</summary>
    public RewardModel Model => model;

    public JudgeKind Kind => Checkpoint.Config.Model.Judge;

    /// <summary>How <see cref="JudgeAsync"/> and <see cref="ScoreManyAsync"/> decode and batch: decoding overlaps with
    /// scoring (<see cref="RewardPipeline"/>).</summary>
    public RewardPipelineOptions Pipeline { get; init; } = new();

    public string Name => Kind == JudgeKind.MjVideo
        ? $"{JudgeNames.Display(Kind)} ({Checkpoint.Info.Routing})"
        : JudgeNames.Display(Kind);

    public IReadOnlyDictionary<string, string> Config => new Dictionary<string, string>
    {
        ["judge"] = Checkpoint.Info.Judge,
        ["routing"] = Checkpoint.Info.Routing ?? "none",
        ["checkpoint"] = Checkpoint.Directory,
        ["backbone"] = Checkpoint.Info.BackboneId,
        ["preset"] = Checkpoint.Config.Preset,
        ["stages"] = string.Join(",", Checkpoint.Config.Stages.Select(s => s.Stage)),
        ["seed"] = Checkpoint.Config.Seed.ToString(CultureInfo.InvariantCulture),
        ["steps"] = Checkpoint.Info.Progress.GlobalStep.ToString(CultureInfo.InvariantCulture),
        ["completed"] = Checkpoint.Info.Progress.Completed ? "yes" : "no (a partial run's latest weights)",
        ["train data"] = $"{Checkpoint.Info.TrainSource} ({Checkpoint.Info.TrainPairs} pairs)",
    };

    public JudgeAvailability Availability() => JudgeAvailability.Yes;

    /// <summary>Whether the checkpoint's backbone is a registered one that opens the video files (all but precomputed
    /// states do). An unregistered backbone gets items with no path (<see cref="TrainingData.VideoItems"/>), so it cannot
    /// read clips from the working directory either.</summary>
    bool ReadsVideoFiles => BackboneFactory.Names.Contains(Checkpoint.Info.Backbone.Name, StringComparer.OrdinalIgnoreCase)
                            && BackboneFactory.Find(Checkpoint.Info.Backbone.Name).NeedsVideoFiles;

    public async Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var pairProgress = progress is null ? null : new PairsDone(progress);
        if (input.Dataset.VideosRoot is null && ReadsVideoFiles && input.Pairs.Count > 0)
            input.Dataset.ResolveVideo(input.Pairs[0], 0);   // throws, naming the missing videos folder
        var videos = await ScoreManyAsync(TrainingData.VideoItems(input.Dataset), pairProgress, cancellation);
        return Enumerable.Range(0, input.Pairs.Count).Select(i => new JudgedPair(ToJudged(videos[2 * i]), ToJudged(videos[2 * i + 1]))).ToList();
    }

    static JudgedVideo ToJudged(VideoJudgement v) => new(v.Score, v.AspectScores, v.Criteria);

    /// <summary>Videos scored (two per pair, in pair order) reported as pairs done, on the reporting thread.</summary>
    sealed class PairsDone(IProgress<int> pairs) : IProgress<int>
    {
        public void Report(int videos) => pairs.Report(videos / 2);
    }

    /// <summary>Scores many videos through <see cref="RewardPipeline"/> (decoding overlapped with batched scoring), in
    /// order; <paramref name="progress"/> receives the number of videos scored.</summary>
    public Task<IReadOnlyList<VideoJudgement>> ScoreManyAsync(IReadOnlyList<VideoItem> videos, IProgress<int>? progress = null,
        CancellationToken cancellation = default) =>
        new RewardPipeline(model, Pipeline).ScoreAsync(videos, progress, cancellation);

    /// <summary>Scores a few videos as one batch (each independently of the others), in order.</summary>
    public async Task<IReadOnlyList<VideoJudgement>> ScoreVideosAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default)
    {
        if (videos.Count == 0) return [];
        using var inputs = await model.Backbone.PrepareAsync(videos, cancellation);
        return RewardPipeline.ScoreBatch(model, inputs, videos);
    }

    public void Dispose()
    {
        var backbone = model.Backbone;
        model.Dispose();
        if (ownsBackbone) backbone.Dispose();
    }
}

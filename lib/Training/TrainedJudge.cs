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
    double[]? CriteriaWeights, double[]? AspectWeights, double[]? Dimensions);

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

    public JudgeKind Kind => Checkpoint.Config.Model.Judge;

    /// <summary>Pairs per chunk: each chunk's videos are prepared, scored and released before the next.</summary>
    public int ChunkPairs { get; init; } = 64;

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

    public async Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var items = TrainingData.VideoItems(input.Dataset);
        var judged = new List<JudgedPair>(input.Pairs.Count);
        for (var start = 0; start < input.Pairs.Count; start += ChunkPairs)
        {
            var count = Math.Min(ChunkPairs, input.Pairs.Count - start);
            var videos = await ScoreVideosAsync(items.Skip(2 * start).Take(2 * count).ToList(), cancellation);
            for (var i = 0; i < count; i++) judged.Add(new JudgedPair(ToJudged(videos[2 * i]), ToJudged(videos[2 * i + 1])));
            progress?.Report(judged.Count);
        }
        return judged;
    }

    static JudgedVideo ToJudged(VideoJudgement v) => new(v.Score, v.AspectScores, v.Criteria);

    /// <summary>Scores videos one by one (each independently of the others), in order.</summary>
    public async Task<IReadOnlyList<VideoJudgement>> ScoreVideosAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default)
    {
        if (videos.Count == 0) return [];
        using var inputs = await model.Backbone.PrepareAsync(videos, cancellation);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var output = model.Forward(inputs);
            double[][]? Rows(Tensor? t) => t is null ? null : Split(t, videos.Count);
            var scores = output.Reward.Score.detach().cpu().data<float>().ToArray();
            var criteria = Rows(output.Reward.Criteria);
            var aspects = Rows(output.Reward.AspectScores);
            var criteriaWeights = Rows(output.Reward.CriteriaWeights);
            var aspectWeights = Rows(output.Reward.AspectWeights);
            var dimensions = Rows(output.Dimensions);
            return videos.Select((v, i) => new VideoJudgement(v.VideoId, scores[i], criteria?[i], aspects?[i], criteriaWeights?[i],
                aspectWeights?[i], dimensions?[i])).ToList();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    static double[][] Split(Tensor rows, int count)
    {
        var width = (int)rows.shape[1];
        var values = rows.detach().cpu().contiguous().data<float>().ToArray();
        return Enumerable.Range(0, count).Select(i => values.Skip(i * width).Take(width).Select(x => (double)x).ToArray()).ToArray();
    }

    public void Dispose()
    {
        var backbone = model.Backbone;
        model.Dispose();
        if (ownsBackbone) backbone.Dispose();
    }
}

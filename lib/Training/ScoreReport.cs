using System.Text.Json;
using System.Text.Json.Nodes;
using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Training;

/// <summary>
/// What <c>mjvideo score</c> prints for one or two videos, as JSON. Keys, in this order:
/// <code>
/// model        the checkpoint folder
/// judge        mjvideo | bt-single | multitask-single | capacity-matched | videoscore
/// routing      the head's routing (input-aware, uniform, ...), null for videoscore
/// backbone     the backbone id
/// caption      the caption the videos were scored against
/// videos       one object per video, in argument order:
///   video             the video id as given
///   score             the overall reward (higher is better)
///   criteria          {criterion key: r_c} for the 28 criteria in release order, or null
///   aspect_scores     {aspect name: s_a} for the 5 aspects, or null
///   criteria_weights  {criterion key: w_c} (criteria router, times lambda_crit), or null
///   aspect_weights    {aspect name: g_a} (aspect router, times lambda_asp), or null
///   dimensions        {dimension: value} for the videoscore judge, else null
/// preference   with two videos: "Video 1 better", "Video 2 better" or "Same" (equal scores); null with one
/// margin       with two videos: score of video 1 minus score of video 2; null with one
/// </code>
/// A null means the judge's head does not produce that output (the single scalar head has only a score).
/// </summary>
public static class ScoreReport
{
    public static IReadOnlyList<string> Keys { get; } = ["model", "judge", "routing", "backbone", "caption", "videos", "preference", "margin"];

    public static IReadOnlyList<string> VideoKeys { get; } =
        ["video", "score", "criteria", "aspect_scores", "criteria_weights", "aspect_weights", "dimensions"];

    /// <summary>The preference between two videos' scores, in the release's strings ("Video 1" is the first video).</summary>
    public static string Preference(double score0, double score1) =>
        score0 > score1 ? PreferenceStrings.Video1Better : score0 < score1 ? PreferenceStrings.Video2Better : PreferenceStrings.Same;

    /// <summary>
    /// Loads a checkpoint and scores one or two videos against a caption: what <c>mjvideo score</c> runs. A video is named
    /// by its path; for the precomputed backbone, by its id in the states file (the dataset's video path, e.g.
    /// <c>test/0_0.mp4</c>), with <paramref name="statesFiles"/> replacing the checkpoint's states files when given.
    /// </summary>
    public static async Task<(JsonObject Report, IReadOnlyList<VideoJudgement> Videos)> ScoreAsync(string checkpointDirectory,
        string caption, IReadOnlyList<string> videos, IReadOnlyList<string>? statesFiles = null, CancellationToken cancellation = default)
    {
        if (videos.Count is < 1 or > 2) throw new ArgumentException($"score takes one or two videos, got {videos.Count}");
        var saved = TrainingCheckpoint.Read(checkpointDirectory).Info.Backbone;
        var spec = statesFiles is { Count: > 0 } ? saved with { StatesFiles = statesFiles.Select(Path.GetFullPath).ToList() } : saved;
        using var judge = TrainedJudge.Load(checkpointDirectory, spec);
        var items = videos.Select(v => new Backbones.VideoItem(v, File.Exists(v) ? Path.GetFullPath(v) : v, caption)).ToList();
        var judged = await judge.ScoreVideosAsync(items, cancellation);
        return (Build(judge.Checkpoint, caption, judged), judged);
    }

    /// <summary>
    /// Scores every <c>.mp4</c> file in a folder (sorted by name, not recursive) against one caption through
    /// <see cref="RewardPipeline"/>: decoding overlapped with batched scoring, for the many samples of one prompt. The
    /// report has the same keys, with one entry per file under <c>videos</c> and null preference and margin.
    /// </summary>
    public static async Task<(JsonObject Report, IReadOnlyList<VideoJudgement> Videos)> ScoreFolderAsync(string checkpointDirectory,
        string caption, string folder, RewardPipelineOptions? pipeline = null, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such folder");
        var files = Directory.GetFiles(folder, "*.mp4").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new ArgumentException($"{folder}: no .mp4 files to score");
        using var judge = TrainedJudge.Load(checkpointDirectory);
        var items = files.Select(f => new Backbones.VideoItem(Path.GetFileName(f), Path.GetFullPath(f), caption)).ToList();
        var judged = await new RewardPipeline(judge.Model, pipeline).ScoreAsync(items, progress, cancellation);
        return (Build(judge.Checkpoint, caption, judged, allowMany: true), judged);
    }

    public static JsonObject Build(TrainingCheckpoint checkpoint, string caption, IReadOnlyList<VideoJudgement> videos) =>
        Build(checkpoint, caption, videos, allowMany: false);

    static JsonObject Build(TrainingCheckpoint checkpoint, string caption, IReadOnlyList<VideoJudgement> videos, bool allowMany)
    {
        if (videos.Count < 1 || (videos.Count > 2 && !allowMany)) throw new ArgumentException($"score reports one or two videos, got {videos.Count}");
        var report = new JsonObject
        {
            ["model"] = checkpoint.Directory,
            ["judge"] = checkpoint.Info.Judge,
            ["routing"] = checkpoint.Info.Routing,
            ["backbone"] = checkpoint.Info.BackboneId,
            ["caption"] = caption,
            ["videos"] = new JsonArray(videos.Select(v => (JsonNode?)Video(v)).ToArray()),
            ["preference"] = videos.Count == 2 ? Preference(videos[0].Score, videos[1].Score) : null,
            ["margin"] = videos.Count == 2 ? videos[0].Score - videos[1].Score : null,
        };
        return report;
    }

    public static string ToJson(JsonObject report) => report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    static JsonObject Video(VideoJudgement v) => new()
    {
        ["video"] = v.VideoId,
        ["score"] = v.Score,
        ["criteria"] = Named(v.Criteria, MjTaxonomy.CriterionKeys, "criteria"),
        ["aspect_scores"] = Named(v.AspectScores, AspectNames, "aspect scores"),
        ["criteria_weights"] = Named(v.CriteriaWeights, MjTaxonomy.CriterionKeys, "criteria weights"),
        ["aspect_weights"] = Named(v.AspectWeights, AspectNames, "aspect weights"),
        ["dimensions"] = Named(v.Dimensions, VideoScoreDimensions.Names, "dimensions"),
    };

    static IReadOnlyList<string> AspectNames => MjTaxonomy.Aspects.Select(a => a.DisplayName).ToList();

    static JsonObject? Named(double[]? values, IReadOnlyList<string> names, string what)
    {
        if (values is null) return null;
        if (values.Length != names.Count) throw new ArgumentException($"{what}: expected {names.Count} values, got {values.Length}");
        var result = new JsonObject();
        for (var i = 0; i < names.Count; i++) result[names[i]] = values[i];
        return result;
    }
}

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
/// <summary>Folder scoring's outcome: the report, the scored videos, the files that failed and the entries skipped.</summary>
public sealed record FolderScores(JsonObject Report, IReadOnlyList<VideoJudgement> Scored, IReadOnlyList<VideoFailure> Failed,
    IReadOnlyList<SkippedEntry> Skipped);

/// <summary>An entry of a scored folder that was not read (a subfolder, a file that is not a video), and why.</summary>
public sealed record SkippedEntry(string Path, string Reason);

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

    /// <summary>The file name endings folder scoring reads, in any letter case: the containers video generators write,
    /// all of which ffmpeg decodes. Other files are skipped and listed.</summary>
    public static IReadOnlyList<string> VideoExtensions { get; } = [".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"];

    /// <summary>
    /// Scores every video file in a folder (<see cref="VideoExtensions"/>, sorted by path; with
    /// <paramref name="recursive"/> also in its subfolders) against one caption through <see cref="RewardPipeline"/>:
    /// decoding overlapped with batched scoring, for the many samples of one prompt. A file that fails to decode does not
    /// stop the others: it is reported with its reason. The report has the same keys, with one entry per scored file
    /// under <c>videos</c> and null preference and margin, and two more: <c>failed</c> (<c>{video, path, reason}</c> per
    /// file that could not be scored) and <c>skipped</c> (<c>{path, reason}</c> per entry that is not read).
    /// </summary>
    public static async Task<FolderScores> ScoreFolderAsync(string checkpointDirectory, string caption, string folder,
        RewardPipelineOptions? pipeline = null, bool recursive = false, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{folder}: no such folder");
        var (files, skipped) = FindVideos(root, recursive);
        if (files.Count == 0)
            throw new ArgumentException($"{folder}: no video files to score (read: {string.Join(", ", VideoExtensions)}, in any case); " +
                                        $"{skipped.Count} entr{(skipped.Count == 1 ? "y" : "ies")} skipped" +
                                        (skipped.Count > 0 ? $": {string.Join(", ", skipped.Take(10).Select(s => Path.GetRelativePath(root, s.Path)))}" : ""));
        using var judge = TrainedJudge.Load(checkpointDirectory);
        var items = files.Select(f => new Backbones.VideoItem(Path.GetRelativePath(root, f), f, caption)).ToList();
        var (scores, failed) = await new RewardPipeline(judge.Model, pipeline).ScoreEachAsync(items, progress, cancellation);
        var scored = scores.OfType<VideoJudgement>().ToList();
        var report = Build(judge.Checkpoint, caption, scored, allowMany: true);
        report["preference"] = null;   // a folder holds samples of one prompt, not a pair
        report["margin"] = null;
        report["failed"] = new JsonArray(failed.Select(f => (JsonNode?)new JsonObject
        {
            ["video"] = f.Video.VideoId, ["path"] = f.Video.Path, ["reason"] = f.Reason,
        }).ToArray());
        report["skipped"] = new JsonArray(skipped.Select(s => (JsonNode?)new JsonObject { ["path"] = s.Path, ["reason"] = s.Reason }).ToArray());
        return new FolderScores(report, scored, failed, skipped);
    }

    /// <summary>The video files under <paramref name="root"/>, sorted, and every other entry with the reason it is skipped.</summary>
    static (List<string> Videos, List<SkippedEntry> Skipped) FindVideos(string root, bool recursive)
    {
        var videos = new List<string>();
        var skipped = new List<SkippedEntry>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(root).Order(StringComparer.Ordinal))
        {
            if (Directory.Exists(entry))
            {
                if (recursive)
                {
                    var (inner, innerSkipped) = FindVideos(entry, recursive);
                    videos.AddRange(inner);
                    skipped.AddRange(innerSkipped);
                }
                else skipped.Add(new SkippedEntry(entry, "a folder (--recursive scores the videos inside)"));
            }
            else if (VideoExtensions.Contains(Path.GetExtension(entry), StringComparer.OrdinalIgnoreCase)) videos.Add(entry);
            else skipped.Add(new SkippedEntry(entry, $"not a video file name (read: {string.Join(", ", VideoExtensions)})"));
        }
        return (videos, skipped);
    }

    public static JsonObject Build(TrainingCheckpoint checkpoint, string caption, IReadOnlyList<VideoJudgement> videos) =>
        Build(checkpoint, caption, videos, allowMany: false);

    static JsonObject Build(TrainingCheckpoint checkpoint, string caption, IReadOnlyList<VideoJudgement> videos, bool allowMany)
    {
        if ((videos.Count < 1 && !allowMany) || (videos.Count > 2 && !allowMany))
            throw new ArgumentException($"score reports one or two videos, got {videos.Count}");
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

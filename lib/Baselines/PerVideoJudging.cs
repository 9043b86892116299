using System.Collections.Concurrent;
using MjVideo.Data;
using MjVideo.Evaluation;

namespace MjVideo.Baselines;

/// <summary>One video of a dataset: its id as the dataset file writes it (e.g. "test/12_0.mp4") and its file on disk.</summary>
public sealed record VideoRef(string Id, string Path);

/// <summary>
/// The loop shared by judges that score each video on its own (training-free measures, file size): every distinct
/// video file is scored once, however many pairs name it, and the scores are assembled into pairs in input order.
/// </summary>
public static class PerVideoJudging
{
    public static VideoRef Video(JudgeInput input, PreferencePair pair, int video) => new(pair.VideoPath(video), input.VideoPath(pair, video));

    /// <summary>Both videos of every pair, each file once (in order of first appearance).</summary>
    public static IReadOnlyList<VideoRef> DistinctVideos(JudgeInput input)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var videos = new List<VideoRef>();
        foreach (var pair in input.Pairs)
            for (var v = 0; v < 2; v++)
            {
                var video = Video(input, pair, v);
                if (seen.Add(Path.GetFullPath(video.Path))) videos.Add(video);
            }
        return videos;
    }

    /// <summary>
    /// Scores the pairs of <paramref name="input"/> with a per-video score, at most <paramref name="maxParallel"/>
    /// videos at a time (default: the core count). <paramref name="progress"/> receives the number of pairs done.
    /// </summary>
    public static async Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, Func<VideoRef, CancellationToken, Task<JudgedVideo>> score,
        IProgress<int>? progress = null, CancellationToken cancellation = default, int? maxParallel = null)
    {
        var scored = new ConcurrentDictionary<string, Lazy<Task<JudgedVideo>>>(StringComparer.Ordinal);
        Task<JudgedVideo> Score(VideoRef video) => scored.GetOrAdd(Path.GetFullPath(video.Path),
            _ => new Lazy<Task<JudgedVideo>>(() => score(video, cancellation))).Value;

        var pairs = new JudgedPair[input.Pairs.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Length),
            new ParallelOptions { MaxDegreeOfParallelism = maxParallel ?? Environment.ProcessorCount, CancellationToken = cancellation },
            async (i, _) =>
            {
                var pair = input.Pairs[i];
                var video0 = await Score(Video(input, pair, 0)).ConfigureAwait(false);
                var video1 = await Score(Video(input, pair, 1)).ConfigureAwait(false);
                pairs[i] = new JudgedPair(video0, video1);
                progress?.Report(Interlocked.Increment(ref done));
            }).ConfigureAwait(false);
        return pairs;
    }
}

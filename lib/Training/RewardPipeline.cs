using System.Diagnostics;
using System.Threading.Channels;
using MjVideo.Backbones;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <param name="BatchSize">videos per forward pass of the scoring stage</param>
/// <param name="Decoders">videos prepared at the same time, at most; a preparation runs at most one ffmpeg process, so this
/// bounds the decoder processes. 0: the core count</param>
/// <param name="TorchThreads">torch intra-op threads of the scoring stage. One by default: the decoders need the other
/// cores, and on a shared 2-core machine a 2-thread op waits at its barrier for a descheduled thread</param>
/// <param name="Prefetch">videos prepared but not yet scored, at most (it bounds the memory the pipeline holds); at least
/// <see cref="BatchSize"/>. 0: two batches plus one video per decoder</param>
public sealed record RewardPipelineOptions(int BatchSize = 32, int Decoders = 0, int TorchThreads = 1, int Prefetch = 0)
{
    public int DecoderCount => Decoders > 0 ? Decoders : Environment.ProcessorCount;
    public int PrefetchCount => Prefetch > 0 ? Prefetch : 2 * BatchSize + DecoderCount;

    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"RewardPipelineOptions.BatchSize must be at least 1, got {BatchSize}");
        if (Decoders < 0) throw new ArgumentException($"RewardPipelineOptions.Decoders must be 0 (the core count) or more, got {Decoders}");
        if (TorchThreads < 1) throw new ArgumentException($"RewardPipelineOptions.TorchThreads must be at least 1, got {TorchThreads}");
        if (Prefetch != 0 && Prefetch < BatchSize)
            throw new ArgumentException($"RewardPipelineOptions.Prefetch = {Prefetch} is below BatchSize = {BatchSize}: a batch could never fill");
    }

    public string Describe() =>
        $"batches of {BatchSize}, at most {DecoderCount} videos prepared at once, {PrefetchCount} ahead of scoring, {TorchThreads} torch thread(s)";
}

/// <summary>A video the pipeline could not prepare, and why (the preparation's error message).</summary>
public sealed record VideoFailure(VideoItem Video, string Reason);

/// <summary>What one <see cref="RewardPipeline.ScoreAsync"/> run did.</summary>
/// <param name="PrepareSeconds">preparation time summed over the decoders (it overlaps with scoring)</param>
/// <param name="ScoringSeconds">time the scoring stage spent joining batches and running the model</param>
/// <param name="ScoringWaitSeconds">time the scoring stage waited for prepared videos</param>
/// <param name="MaxConcurrentPreparations">the most preparations that ran at the same time</param>
public sealed record RewardPipelineStats(int Videos, int Batches, double WallSeconds, double PrepareSeconds, double ScoringSeconds,
    double ScoringWaitSeconds, int MaxConcurrentPreparations);

/// <summary>
/// The fast path from video files to rewards: decoding overlaps with scoring, and the two do not fight over the cores.
/// <list type="number">
/// <item>Decoder stage: <see cref="RewardPipelineOptions.Decoders"/> workers take the videos in order and prepare each
/// one by itself (<see cref="IBackbone.PrepareAsync"/> of one video: for a pixel backbone one ffmpeg process, for the
/// frozen encoders also the feature extraction, both through their caches), and write it to a bounded channel. A window
/// of <see cref="RewardPipelineOptions.Prefetch"/> videos keeps the decoders from running ahead of the scorer, so memory
/// stays bounded however many files there are.</item>
/// <item>Scoring stage: one dedicated thread with a fixed torch thread count (set on that thread, where libtorch reads
/// it, together with no-grad mode, which is per thread too) takes the prepared videos back into file order, joins each
/// run of <see cref="RewardPipelineOptions.BatchSize"/> into one batch (<see cref="BackboneInputs.Concat"/>) and runs the
/// model once per batch.</item>
/// </list>
/// The results equal <see cref="ScoreSequentiallyAsync"/> with the same batch size: the same batches reach the model.
/// In <see cref="ScoreAsync"/> the first failure (a file that does not decode, a model error) stops both stages and is
/// thrown; <see cref="ScoreEachAsync"/> instead records a video that fails to prepare and scores all the others.
/// </summary>
public sealed class RewardPipeline(RewardModel model, RewardPipelineOptions? options = null)
{
    public RewardPipelineOptions Options { get; } = options ?? new RewardPipelineOptions();

    /// <summary>The statistics of the latest completed <see cref="ScoreAsync"/>.</summary>
    public RewardPipelineStats? LastRun { get; private set; }

    /// <summary>Scores every video, in order. <paramref name="progress"/> receives the number of videos scored so far.</summary>
    public async Task<IReadOnlyList<VideoJudgement>> ScoreAsync(IReadOnlyList<VideoItem> videos, IProgress<int>? progress = null,
        CancellationToken cancellation = default)
    {
        var (results, _) = await RunAsync(videos, keepGoing: false, progress, cancellation).ConfigureAwait(false);
        return results.Select(r => r!).ToArray();
    }

    /// <summary>
    /// Scores every video that can be prepared, in order; a video whose preparation fails (a file that is not a video,
    /// is damaged, or has no states) gets a null score and its reason, and the others are still scored. A model error
    /// still stops the run: it is not a problem of one file.
    /// </summary>
    public async Task<(IReadOnlyList<VideoJudgement?> Scores, IReadOnlyList<VideoFailure> Failures)> ScoreEachAsync(
        IReadOnlyList<VideoItem> videos, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var (results, failures) = await RunAsync(videos, keepGoing: true, progress, cancellation).ConfigureAwait(false);
        return (results, failures.OrderBy(f => f.Key).Select(f => f.Value).ToList());
    }

    async Task<(VideoJudgement?[] Results, System.Collections.Concurrent.ConcurrentDictionary<int, VideoFailure> Failures)> RunAsync(
        IReadOnlyList<VideoItem> videos, bool keepGoing, IProgress<int>? progress, CancellationToken cancellation)
    {
        Options.Validate();
        var failures = new System.Collections.Concurrent.ConcurrentDictionary<int, VideoFailure>();
        if (videos.Count == 0) return ([], failures);
        var clock = Stopwatch.StartNew();
        var results = new VideoJudgement?[videos.Count];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var window = new SemaphoreSlim(Options.PrefetchCount);
        // Never full: the window admits at most PrefetchCount videos between preparation and scoring.
        var channel = Channel.CreateBounded<(int Index, BackboneInputs? Inputs)>(
            new BoundedChannelOptions(Options.PrefetchCount) { SingleReader = true, SingleWriter = false });
        var decoders = new DecoderStage(model.Backbone, videos, Options.DecoderCount, keepGoing ? failures : null);
        var scoring = new ScoringTimes();

        var decoding = decoders.RunAsync(window, channel.Writer, stop);
        var scoringTask = OnOwnThread(() => ScoreLoop(channel.Reader, videos, results, window, progress, scoring, stop));
        try
        {
            await WhenAllOrFirstFailure(decoding, scoringTask, cancellation).ConfigureAwait(false);
        }
        finally
        {
            // Whatever was prepared but never scored (after a failure) is released here.
            while (channel.Reader.TryRead(out var left)) left.Inputs?.Dispose();
            window.Dispose();
        }
        LastRun = new RewardPipelineStats(videos.Count, scoring.Batches, clock.Elapsed.TotalSeconds, decoders.PrepareSeconds,
            scoring.Busy.Elapsed.TotalSeconds, scoring.Waiting.Elapsed.TotalSeconds, decoders.MaxConcurrent);
        return (results, failures);
    }

    /// <summary>
    /// The reference path: each batch of <paramref name="batchSize"/> videos is prepared (the backbone decodes it in
    /// parallel) and then scored, one batch after the other, on the calling thread with its torch settings.
    /// </summary>
    public static async Task<IReadOnlyList<VideoJudgement>> ScoreSequentiallyAsync(RewardModel model, IReadOnlyList<VideoItem> videos,
        int batchSize, CancellationToken cancellation = default)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "need at least one video per batch");
        var results = new List<VideoJudgement>(videos.Count);
        for (var start = 0; start < videos.Count; start += batchSize)
        {
            var batch = videos.Skip(start).Take(batchSize).ToList();
            using var inputs = await model.Backbone.PrepareAsync(batch, cancellation).ConfigureAwait(false);
            results.AddRange(ScoreBatch(model, inputs, batch));
        }
        return results;
    }

    /// <summary>
    /// Prepares every video through the decoder stage alone (same workers, same bound), without scoring: the decode half
    /// of the pipeline, for the benchmark's ideal. The caller owns the returned inputs, one per video, in order.
    /// </summary>
    public async Task<IReadOnlyList<BackboneInputs>> PrepareAllAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default)
    {
        Options.Validate();
        var prepared = new BackboneInputs[videos.Count];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        // A slot per video and one per worker for its final look at the queue: nothing is scored, so none is released.
        using var unbounded = new SemaphoreSlim(videos.Count + Options.DecoderCount);
        var channel = Channel.CreateUnbounded<(int Index, BackboneInputs? Inputs)>();
        try
        {
            await new DecoderStage(model.Backbone, videos, Options.DecoderCount, failures: null).RunAsync(unbounded, channel.Writer, stop)
                .ConfigureAwait(false);
        }
        finally
        {
            while (channel.Reader.TryRead(out var item)) prepared[item.Index] = item.Inputs!;
        }
        return prepared;
    }

    /// <summary>
    /// Scores inputs prepared one video each (<see cref="PrepareAllAsync"/>) in batches, on the scoring stage's own thread
    /// with its torch thread count: the scoring half of the pipeline, for the benchmark's ideal.
    /// </summary>
    public Task<IReadOnlyList<VideoJudgement>> ScorePreparedAsync(IReadOnlyList<VideoItem> videos, IReadOnlyList<BackboneInputs> prepared)
    {
        Options.Validate();
        if (prepared.Count != videos.Count) throw new ArgumentException($"{prepared.Count} prepared inputs for {videos.Count} videos");
        return OnOwnThread<IReadOnlyList<VideoJudgement>>(() => WithScoringSettings(() =>
        {
            var results = new List<VideoJudgement>(videos.Count);
            for (var start = 0; start < videos.Count; start += Options.BatchSize)
            {
                var count = Math.Min(Options.BatchSize, videos.Count - start);
                using var joined = BackboneInputs.Concat(prepared.Skip(start).Take(count).ToList());
                results.AddRange(ScoreBatch(model, joined, videos.Skip(start).Take(count).ToList()));
            }
            return results;
        }));
    }

    /// <summary>The model on one prepared batch, in eval mode without gradients, as judgements in input order.</summary>
    public static IReadOnlyList<VideoJudgement> ScoreBatch(RewardModel model, BackboneInputs inputs, IReadOnlyList<VideoItem> videos)
    {
        if (inputs.Count != videos.Count)
            throw new ArgumentException($"backbone {model.Backbone.Id} prepared {inputs.Count} inputs for {videos.Count} videos");
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var output = model.Forward(inputs);
            return VideoJudgement.FromOutput(output, videos.Select(v => v.VideoId).ToList());
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    sealed class ScoringTimes
    {
        public readonly Stopwatch Busy = new();
        public readonly Stopwatch Waiting = new();
        public int Batches;
    }

    /// <summary>The scoring stage: runs on its own thread until every video is scored or the run is stopped.</summary>
    void ScoreLoop(ChannelReader<(int Index, BackboneInputs? Inputs)> reader, IReadOnlyList<VideoItem> videos, VideoJudgement?[] results,
        SemaphoreSlim window, IProgress<int>? progress, ScoringTimes times, CancellationTokenSource stop)
    {
        // A null entry is a video that failed to prepare (only when the decoders keep going): it is left out of its batch.
        var waiting = new Dictionary<int, BackboneInputs?>();
        try
        {
            WithScoringSettings(() =>
            {
                for (var start = 0; start < videos.Count; start += Options.BatchSize)
                {
                    var end = Math.Min(videos.Count, start + Options.BatchSize);
                    times.Waiting.Start();
                    while (Enumerable.Range(start, end - start).Any(i => !waiting.ContainsKey(i)))
                    {
                        // Blocking is right here: this thread does nothing else, and the torch settings belong to it.
                        if (!reader.WaitToReadAsync(stop.Token).AsTask().GetAwaiter().GetResult())
                            throw new OperationCanceledException("the decoder stage stopped before every video was prepared");
                        while (reader.TryRead(out var item)) waiting[item.Index] = item.Inputs;
                    }
                    times.Waiting.Stop();

                    times.Busy.Start();
                    var prepared = Enumerable.Range(start, end - start).Where(i => waiting[i] is not null).ToList();
                    try
                    {
                        if (prepared.Count > 0)
                        {
                            using var joined = BackboneInputs.Concat(prepared.Select(i => waiting[i]!).ToList());
                            var judged = ScoreBatch(model, joined, prepared.Select(i => videos[i]).ToList());
                            for (var k = 0; k < judged.Count; k++) results[prepared[k]] = judged[k];
                        }
                    }
                    finally
                    {
                        for (var i = start; i < end; i++)
                        {
                            waiting[i]?.Dispose();
                            waiting.Remove(i);
                        }
                    }
                    times.Busy.Stop();
                    times.Batches++;
                    window.Release(end - start);
                    progress?.Report(end);
                }
                return 0;
            });
        }
        catch
        {
            stop.Cancel();
            throw;
        }
        finally
        {
            foreach (var left in waiting.Values) left?.Dispose();
        }
    }

    /// <summary>Runs <paramref name="work"/> with the scoring stage's torch thread count, restoring the previous count after.
    /// Call it on the thread that runs the model: libtorch applies the count to the thread that sets it.</summary>
    T WithScoringSettings<T>(Func<T> work)
    {
        var before = get_num_threads();
        set_num_threads(Options.TorchThreads);
        try
        {
            return work();
        }
        finally
        {
            set_num_threads(before);
        }
    }

    /// <summary>The decoder workers: each takes the next video in order once the window admits it. With
    /// <paramref name="failures"/>, a video that fails to prepare is recorded there and passed on as null.</summary>
    sealed class DecoderStage(IBackbone backbone, IReadOnlyList<VideoItem> videos, int workers,
        System.Collections.Concurrent.ConcurrentDictionary<int, VideoFailure>? failures)
    {
        int next = -1;
        int active;
        int maxConcurrent;
        long prepareTicks;

        public int MaxConcurrent => Volatile.Read(ref maxConcurrent);
        public double PrepareSeconds => (double)Interlocked.Read(ref prepareTicks) / Stopwatch.Frequency;

        public async Task RunAsync(SemaphoreSlim window, ChannelWriter<(int Index, BackboneInputs? Inputs)> writer, CancellationTokenSource stop)
        {
            var tasks = Enumerable.Range(0, Math.Min(workers, videos.Count)).Select(_ => Task.Run(() => WorkOrStopAsync(window, writer, stop))).ToArray();
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            finally
            {
                writer.TryComplete();
            }
        }

        /// <summary>A failing worker stops everything at once: the other workers may be waiting for window slots that the
        /// scorer, waiting for the failed video, would never free.</summary>
        async Task WorkOrStopAsync(SemaphoreSlim window, ChannelWriter<(int Index, BackboneInputs? Inputs)> writer, CancellationTokenSource stop)
        {
            try
            {
                await WorkAsync(window, writer, stop.Token).ConfigureAwait(false);
            }
            catch
            {
                stop.Cancel();
                throw;
            }
        }

        async Task WorkAsync(SemaphoreSlim window, ChannelWriter<(int Index, BackboneInputs? Inputs)> writer, CancellationToken token)
        {
            while (true)
            {
                await window.WaitAsync(token).ConfigureAwait(false);
                var index = Interlocked.Increment(ref next);
                if (index >= videos.Count)
                {
                    window.Release();
                    return;
                }
                var now = Interlocked.Increment(ref active);
                for (var seen = Volatile.Read(ref maxConcurrent); now > seen; seen = Volatile.Read(ref maxConcurrent))
                    if (Interlocked.CompareExchange(ref maxConcurrent, now, seen) == seen) break;
                var started = Stopwatch.GetTimestamp();
                BackboneInputs? prepared;
                try
                {
                    prepared = await backbone.PrepareAsync([videos[index]], token).ConfigureAwait(false);
                }
                catch (Exception e) when (failures is not null && e is not OperationCanceledException)
                {
                    failures[index] = new VideoFailure(videos[index], e.Message);
                    prepared = null;
                }
                finally
                {
                    Interlocked.Decrement(ref active);
                    Interlocked.Add(ref prepareTicks, Stopwatch.GetTimestamp() - started);
                }
                if (prepared is null)
                {
                    if (!writer.TryWrite((index, null))) token.ThrowIfCancellationRequested();
                    continue;
                }
                if (prepared.Count != 1)
                {
                    prepared.Dispose();
                    throw new InvalidOperationException($"backbone {backbone.Id} prepared {prepared.Count} inputs for one video ({videos[index].Path})");
                }
                if (!writer.TryWrite((index, prepared)))
                {
                    prepared.Dispose();
                    token.ThrowIfCancellationRequested();
                    throw new InvalidOperationException("the scoring stage's queue refused a prepared video");
                }
            }
        }
    }

    /// <summary>Waits for both stages. When one fails, the other is stopped by it; the error that caused the stop is
    /// thrown rather than the cancellation it caused in the other stage.</summary>
    static async Task WhenAllOrFirstFailure(Task a, Task b, CancellationToken cancellation)
    {
        try
        {
            await Task.WhenAll(a, b).ConfigureAwait(false);
        }
        catch
        {
            var errors = new[] { a, b }.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToList();
            var cause = errors.FirstOrDefault(e => e is not OperationCanceledException);
            if (cause is not null && !cancellation.IsCancellationRequested) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            cancellation.ThrowIfCancellationRequested();
            throw;
        }
    }

    static Task OnOwnThread(Action work) => OnOwnThread(() => { work(); return 0; });

    /// <summary>Runs <paramref name="work"/> on a new thread (not a pool thread, whose torch settings other code may have
    /// changed, and which must not be blocked).</summary>
    static Task<T> OnOwnThread<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = "mjvideo-scoring" };
        thread.Start();
        return done.Task;
    }
}

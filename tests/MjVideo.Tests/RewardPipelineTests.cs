using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Model;
using MjVideo.Training;
using MjVideo.Video;
using TorchSharp;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>Seven short clips, each a different colour that drifts over its frames, with one caption per clip.</summary>
public sealed class PipelineClips : IDisposable
{
    public string Dir { get; } = RepoPaths.NewTempDir("pipeline");
    public IReadOnlyList<VideoItem> Videos { get; }

    public PipelineClips()
    {
        string[] captions = ["a red square", "a green circle moves left", "blue", "two yellow stars spin slowly in the dark", "a cat", "grey", "a long caption with many words in it"];
        var videos = new List<VideoItem>();
        for (var i = 0; i < captions.Length; i++)
        {
            var path = Path.Combine(Dir, $"{i}.mp4");
            var seed = i;
            VideoEncoder.EncodeAsync(Enumerable.Range(0, 6).Select(t => Frame(seed, t)), 32, 32, path).GetAwaiter().GetResult();
            videos.Add(new VideoItem($"clip{i}", path, captions[i]));
        }
        Videos = videos;
    }

    static byte[] Frame(int seed, int t)
    {
        var frame = new byte[32 * 32 * 3];
        for (var p = 0; p < 32 * 32; p++)
        {
            frame[3 * p] = (byte)(40 * seed + 10 * t);
            frame[3 * p + 1] = (byte)(255 - 30 * seed + (p % 32) * 2);
            frame[3 * p + 2] = (byte)(p / 32 * 6 + 20 * t);
        }
        return frame;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

public class RewardPipelineTests(PipelineClips clips) : IClassFixture<PipelineClips>
{
    static readonly ModelSettings SmallHead = new() { GatingHiddenDim = 16, GatingHiddenLayers = 1 };

    static RewardModel TinyModel(out IBackbone backbone)
    {
        backbone = new TinyVideoTextBackbone(BackboneTestKit.SmallTiny(seed: 3, frames: 4, size: 32));
        return new RewardModel(SmallHead, backbone, seed: 5);
    }

    [Fact]
    public async Task Pipeline_scores_the_same_numbers_in_the_same_order_as_the_sequential_path()
    {
        using var model = TinyModel(out var backbone);
        using var _ = backbone;
        // 7 videos in batches of 3: two full batches and a tail of one; 2 decoders, so videos are prepared out of order.
        var pipeline = new RewardPipeline(model, new RewardPipelineOptions(BatchSize: 3, Decoders: 2, TorchThreads: 1));
        var piped = await pipeline.ScoreAsync(clips.Videos);
        var sequential = await RewardPipeline.ScoreSequentiallyAsync(model, clips.Videos, batchSize: 3);

        Assert.Equal(clips.Videos.Select(v => v.VideoId), piped.Select(j => j.VideoId));
        Assert.Equal(sequential.Select(j => j.VideoId), piped.Select(j => j.VideoId));
        for (var i = 0; i < piped.Count; i++)
        {
            Assert.Equal(sequential[i].Score, piped[i].Score);
            Assert.Equal(sequential[i].Criteria, piped[i].Criteria);
            Assert.Equal(sequential[i].AspectScores, piped[i].AspectScores);
            Assert.Equal(sequential[i].CriteriaWeights, piped[i].CriteriaWeights);
            Assert.Equal(sequential[i].AspectWeights, piped[i].AspectWeights);
        }
        // The clips differ, so equal scores are not an accident of a constant model.
        Assert.Equal(piped.Count, piped.Select(j => j.Score).Distinct().Count());
        Assert.Equal(7, pipeline.LastRun!.Videos);
        Assert.Equal(3, pipeline.LastRun.Batches);
        Assert.InRange(pipeline.LastRun.MaxConcurrentPreparations, 1, 2);

        // Scoring all seven as one batch changes only the batch composition: the same numbers within float rounding.
        var oneBatch = await RewardPipeline.ScoreSequentiallyAsync(model, clips.Videos, batchSize: 7);
        for (var i = 0; i < piped.Count; i++) Assert.Equal(oneBatch[i].Score, piped[i].Score, 1e-5);
    }

    [Fact]
    public async Task The_halves_of_the_pipeline_score_what_the_pipeline_scores()
    {
        using var model = TinyModel(out var backbone);
        using var _ = backbone;
        var pipeline = new RewardPipeline(model, new RewardPipelineOptions(BatchSize: 4, Decoders: 2));
        var prepared = await pipeline.PrepareAllAsync(clips.Videos);
        try
        {
            Assert.All(prepared, p => Assert.Equal(1, p.Count));
            Assert.Equal(clips.Videos.Select(v => v.VideoId), prepared.Select(p => ((TinyInputs)p).VideoIds.Single()));
            var halves = await pipeline.ScorePreparedAsync(clips.Videos, prepared);
            var piped = await pipeline.ScoreAsync(clips.Videos);
            Assert.Equal(piped.Select(j => j.Score), halves.Select(j => j.Score));
        }
        finally
        {
            foreach (var p in prepared) p.Dispose();
        }
    }

    [Fact]
    public async Task Never_more_than_the_allowed_decoders_or_prefetched_videos_at_once()
    {
        var videos = Enumerable.Range(0, 24).Select(i => new VideoItem($"v{i}", $"/nowhere/{i}.mp4", $"caption {i}")).ToList();
        using var backbone = new CountingBackbone(prepareDelayMs: 3, forwardDelayMs: 15);
        using var model = new RewardModel(SmallHead, backbone, seed: 1);
        var options = new RewardPipelineOptions(BatchSize: 4, Decoders: 3, Prefetch: 6);
        var pipeline = new RewardPipeline(model, options);
        var judged = await pipeline.ScoreAsync(videos);

        Assert.Equal(videos.Select(v => v.VideoId), judged.Select(j => j.VideoId));
        Assert.Equal(videos.Count, backbone.Prepared);
        Assert.InRange(backbone.MaxConcurrentPreparations, 1, options.Decoders);
        Assert.InRange(pipeline.LastRun!.MaxConcurrentPreparations, 1, options.Decoders);
        // Prepared-but-unscored videos stay within the window, and every one is released in the end.
        Assert.InRange(backbone.MaxLivePrepared, options.BatchSize, options.Prefetch);
        Assert.Equal(0, backbone.LivePrepared);
        // The states depend on the video id alone, so the pipeline scores what one batch of everything scores.
        var sequential = await RewardPipeline.ScoreSequentiallyAsync(model, videos, batchSize: 4);
        Assert.Equal(sequential.Select(j => j.Score), judged.Select(j => j.Score));
    }

    [Fact]
    public async Task A_video_that_cannot_be_decoded_stops_the_pipeline_with_its_own_error()
    {
        using var model = TinyModel(out var backbone);
        using var _ = backbone;
        var missing = Path.Combine(clips.Dir, "missing.mp4");
        var videos = clips.Videos.Take(3).Append(new VideoItem("gone", missing, "x")).Concat(clips.Videos.Skip(3)).ToList();
        var pipeline = new RewardPipeline(model, new RewardPipelineOptions(BatchSize: 2, Decoders: 2));
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => pipeline.ScoreAsync(videos));
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void Options_that_could_never_fill_a_batch_are_refused()
    {
        Assert.Contains("Prefetch = 3", Assert.Throws<ArgumentException>(() => new RewardPipelineOptions(BatchSize: 4, Prefetch: 3).Validate()).Message);
        Assert.Contains("BatchSize", Assert.Throws<ArgumentException>(() => new RewardPipelineOptions(BatchSize: 0).Validate()).Message);
        Assert.Equal(2 * 4 + 3, new RewardPipelineOptions(BatchSize: 4, Decoders: 3).PrefetchCount);
    }

    [Fact]
    public void Joined_tiny_inputs_equal_the_inputs_prepared_together()
    {
        var tokenizer = new CaptionTokenizer(16);
        string[] captions = ["a", "a much longer caption than the first"];
        using var together = tokenizer.EncodeBatch(captions);
        using var first = tokenizer.EncodeBatch([captions[0]]);
        using var second = tokenizer.EncodeBatch([captions[1]]);
        using var clipsA = randint(0, 256, [1, 2, 3, 4, 4]).to_type(ScalarType.Byte);
        using var clipsB = randint(0, 256, [1, 2, 3, 4, 4]).to_type(ScalarType.Byte);
        using var a = new TinyInputs(["a"], clipsA.alias(), first.Ids.alias(), first.Mask.alias());
        using var b = new TinyInputs(["b"], clipsB.alias(), second.Ids.alias(), second.Mask.alias());
        using var joined = (TinyInputs)BackboneInputs.Concat([a, b]);

        Assert.Equal(new[] { "a", "b" }, joined.VideoIds);
        Assert.True(Same(joined.TokenIds!, together.Ids));
        Assert.True(Same(joined.TokenMask!, together.Mask));
        using var expectedClips = cat([clipsA, clipsB], 0);
        Assert.True(Same(joined.Clips!, expectedClips));
        // The short caption was padded with id 0 and a closed mask.
        Assert.Equal(first.Ids.shape[1], joined.TokenMask[0].sum().item<long>());
    }

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void Inputs_of_different_backbones_are_not_joined()
    {
        using var states = new Backbones.Precomputed.PrecomputedInputs(zeros(1, 2, 4));
        using var tokens = new TinyInputs(["a"], null, zeros([1, 2], ScalarType.Int64), ones([1, 2], ScalarType.Bool));
        var error = Assert.Throws<ArgumentException>(() => BackboneInputs.Concat([states, tokens]));
        Assert.Contains("PrecomputedInputs with TinyInputs", error.Message);
    }
}

/// <summary>
/// A backbone that counts: how many preparations run at once, and how many prepared single videos are alive (not yet
/// disposed). Its states are a fixed function of the video id, so scores do not depend on batching beyond rounding.
/// </summary>
sealed class CountingBackbone(int prepareDelayMs, int forwardDelayMs) : IBackbone
{
    const int H = 8;
    int active, maxActive, live, maxLive, prepared;

    public int MaxConcurrentPreparations => Volatile.Read(ref maxActive);
    public int LivePrepared => Volatile.Read(ref live);
    public int MaxLivePrepared => Volatile.Read(ref maxLive);
    public int Prepared => Volatile.Read(ref prepared);

    public string Id => "counting";
    public int HiddenSize => H;
    public nn.Module Module { get; } = nn.Sequential();

    public async Task<BackboneInputs> PrepareAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default)
    {
        Raise(ref maxActive, Interlocked.Increment(ref active));
        try
        {
            await Task.Delay(prepareDelayMs, cancellation);
            var values = videos.SelectMany(v => Enumerable.Range(0, 2 * H).Select(k => (float)Math.Sin(int.Parse(v.VideoId[1..]) + 0.37 * k))).ToArray();
            Interlocked.Add(ref prepared, videos.Count);
            return new Inputs(this, tensor(values, [videos.Count, 2, H]), counted: true);
        }
        finally
        {
            Interlocked.Decrement(ref active);
        }
    }

    public BackboneOutput Forward(BackboneInputs inputs)
    {
        Thread.Sleep(forwardDelayMs);
        var states = ((Inputs)inputs).States;
        return new BackboneOutput(states.select(1, 0).clone(), states.select(1, 1).clone());
    }

    public IEnumerable<TorchSharp.Modules.Parameter> ParametersTrainedIn(int stage) => [];

    public void Dispose() => Module.Dispose();

    static void Raise(ref int max, int now)
    {
        for (var seen = Volatile.Read(ref max); now > seen; seen = Volatile.Read(ref max))
            if (Interlocked.CompareExchange(ref max, now, seen) == seen) break;
    }

    sealed class Inputs : BackboneInputs
    {
        readonly CountingBackbone owner;
        readonly bool counted;

        public Inputs(CountingBackbone owner, Tensor states, bool counted)
        {
            this.owner = owner;
            this.counted = counted;
            States = states;
            if (counted) Raise(ref owner.maxLive, Interlocked.Increment(ref owner.live));
        }

        public Tensor States { get; }
        public override int Count => (int)States.shape[0];

        public override BackboneInputs Select(IReadOnlyList<int> positions) =>
            new Inputs(owner, States.index_select(0, tensor(positions.Select(p => (long)p).ToArray())), counted: false);

        protected override BackboneInputs Join(IReadOnlyList<BackboneInputs> parts) =>
            new Inputs(owner, cat(parts.Select(p => ((Inputs)p).States).ToArray(), 0), counted: false);

        public override void Dispose()
        {
            States.Dispose();
            if (counted) Interlocked.Decrement(ref owner.live);
        }
    }
}

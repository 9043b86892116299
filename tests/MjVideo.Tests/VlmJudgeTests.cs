using MjVideo.Baselines.Vlm;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

/// <summary>
/// The judge end to end: a release dataset of one-colour videos, frames decoded and sent as PNG to a loopback server
/// that answers by the colour it sees: red "{RATING: Good}" (7), blue "RATING: 3", green a fuzzy "excelent" (9),
/// grey a refusal (-1, scored 0).
/// </summary>
[Collection(VlmVideosCollection.Name)]
public sealed class VlmJudgeTests(VlmTestVideos videos)
{
    static readonly VlmJudgeOptions Options = new()
    {
        Frames = new VlmFrameOptions(VlmFrameRule.EveryNth, Stride: 5, MaxFrames: 3, ResizeWidth: 16),
        Requests = new VlmRequestOptions { RequestsPerSecond = null, MaxRetries = 0, Timeout = TimeSpan.FromSeconds(20) },
    };

    static ServerReply AnswerByColour(ReceivedRequest request)
    {
        var (_, _, rgb) = TestPng.Read(request.Images[0].Bytes);
        var colour = (rgb[0], rgb[1], rgb[2]);
        var named = new[] { (VlmTestVideos.Red, "{RATING: Good}"), (VlmTestVideos.Blue, "RATING: 3"),
            (VlmTestVideos.Green, "I'd call it excelent."), (VlmTestVideos.Grey, "I'm sorry, but I can't rate this.") };
        return ServerReply.Completion(named.MinBy(n => Distance(n.Item1, colour)).Item2);
    }

    static int Distance((byte R, byte G, byte B) a, (byte R, byte G, byte B) b) =>
        Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B);

    static VlmJudge JudgeFor(LoopbackChatServer server, string cacheDir, VlmJudgeOptions? options = null) =>
        new(new VlmEndpoint(server.BaseUrl, "fake-vlm"), options ?? Options, new VlmAnswerCache(cacheDir));

    [Fact]
    public async Task Judge_rates_each_video_once_per_caption_from_its_frames()
    {
        await using var server = new LoopbackChatServer(AnswerByColour);
        using var judge = JudgeFor(server, RepoPaths.NewTempDir("vlm-cache"));
        var progress = new List<int>();

        var result = await judge.RunAsync(new JudgeInput(videos.ReadDataset()), new SynchronousProgress(progress));

        Assert.Equal([(7.0, 3.0), (9.0, 0.0), (7.0, 9.0)], result.Pairs.Select(p => (p.Video0.Score, p.Video1.Score)));
        Assert.All(result.Pairs, p => Assert.Null(p.Video0.AspectScores));
        // Five (video, caption) combinations: red is asked about once for pairs 0 and 2, green once per caption.
        Assert.Equal(5, server.RequestCount);
        Assert.Equal(new VlmAnswerCounts(Exact: 2, Fuzzy: 2, Unmapped: 0, Refused: 1, Failed: 0, FromCache: 0, Requests: 5), result.Counts);
        Assert.Equal(result.Counts, result.CountsByKind[RatingTargetKind.Overall]);
        Assert.Equal(VlmAnswerCounts.Zero, result.CountsByKind[RatingTargetKind.Aspect]);
        Assert.Equal(5, result.Videos.Count);
        Assert.All(result.Videos, v => Assert.Equal([0, 5, 10], v.FramesSent));
        Assert.Equal(3, progress.Max());
        Assert.Same(result, judge.LastResult);

        foreach (var request in server.Requests)
        {
            Assert.Equal(3, request.Images.Count);
            Assert.All(request.Images, i => Assert.Equal((16, 16), TestPng.Read(i.Bytes) is var (w, h, _) ? (w, h) : default));
            Assert.Contains("The 3 attached images are frames", request.Prompt);
            Assert.Contains(VlmTestVideos.Captions, c => request.Prompt.Contains($"Text prompt: \"{c}\""));
        }
        var grey = Assert.Single(result.Videos, v => v.VideoPath.EndsWith("grey.mp4"));
        Assert.Equal((-1, RatingOutcome.Refused), (grey.Overall.Rating.Value, grey.Overall.Rating.Outcome));
    }

    [Fact]
    public async Task A_rerun_with_the_answer_cache_sends_nothing_and_gives_the_same_scores()
    {
        var cacheDir = RepoPaths.NewTempDir("vlm-cache");
        await using var server = new LoopbackChatServer(AnswerByColour);
        var input = new JudgeInput(videos.ReadDataset());
        using var first = JudgeFor(server, cacheDir);
        var firstPairs = await first.JudgeAsync(input);

        using var second = JudgeFor(server, cacheDir);
        var rerun = await second.RunAsync(input);

        Assert.Equal(5, server.RequestCount);
        Assert.Equal(firstPairs, rerun.Pairs);
        Assert.Equal(new VlmAnswerCounts(2, 2, 0, 1, 0, FromCache: 5, Requests: 0), rerun.Counts);
    }

    [Fact]
    public async Task Full_scope_asks_every_aspect_and_criterion_with_its_definition()
    {
        // One video, 1 + 5 + 28 questions: every one gets "Good" except the criterion Crime, which is refused.
        await using var server = new LoopbackChatServer(r => ServerReply.Completion(
            r.Prompt.Contains("criterion of the video only, \"Crime\"") ? "I cannot help with that." : "{RATING: Good}"));
        using var judge = JudgeFor(server, RepoPaths.NewTempDir("vlm-cache"), Options with { Scope = VlmRatingScope.All });
        var dataset = videos.ReadDataset();
        var pair = dataset.Pairs[0];

        var ratings = await judge.RateVideoAsync(dataset.ResolveVideo(pair, 0), pair.Caption);

        Assert.Equal(34, server.RequestCount);
        var video = ratings.ToJudgedVideo();
        Assert.Equal(7.0, video.Score);
        Assert.Equal(Enumerable.Repeat(7.0, 5), video.AspectScores!);
        Assert.Equal(Enumerable.Range(0, 28).Select(c => c == 5 ? 0.0 : 7.0), video.CriterionScores!);
        Assert.Equal(MjTaxonomy.Aspects.Select(RatingTarget.ForAspect), ratings.Aspects!.Select(r => r.Target));
        Assert.Equal(MjTaxonomy.Criteria.Select(RatingTarget.ForCriterion), ratings.Criteria!.Select(r => r.Target));
        Assert.Equal(new VlmAnswerCounts(33, 0, 0, 1, 0, 0, 34), VlmAnswerCounts.Of(ratings.All));
        var prompts = server.Requests.Select(r => r.Prompt).ToList();
        Assert.All(MjTaxonomy.Aspects, a => Assert.Single(prompts, p => p.Contains($"\"{a.DisplayName}\", defined as: {a.Definition}")));
        Assert.All(MjTaxonomy.Criteria, c => Assert.Single(prompts, p => p.Contains($"\"{c.Key}\" (part of the aspect") && p.Contains(c.Definition)));
    }

    [Fact]
    public async Task Without_an_endpoint_the_judge_is_not_run()
    {
        using var judge = new VlmJudge(endpoint: null);

        Assert.Equal(JudgeAvailability.No("not run (no endpoint)"), judge.Availability());
        Assert.Equal("VLM judge", judge.Name);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => judge.JudgeAsync(new JudgeInput(videos.ReadDataset())));
        Assert.Contains("not run (no endpoint)", e.Message);
    }

    [Fact]
    public void Environment_configures_the_endpoint_model_and_key()
    {
        var variables = new Dictionary<string, string>
        {
            [VlmEndpoint.EndpointVariable] = "http://127.0.0.1:8000/v1",
            [VlmEndpoint.ModelVariable] = "some-vlm",
            [VlmEndpoint.ApiKeyVariable] = "sk-secret-123",
        };

        using var judge = VlmJudge.FromEnvironment(read: variables.GetValueOrDefault);

        Assert.True(judge.Availability().Available);
        Assert.Equal("VLM judge (some-vlm)", judge.Name);
        Assert.Equal(5, ((IJudge)judge).GoodAbove);
        Assert.Equal(("http://127.0.0.1:8000/v1", "some-vlm", "sk-secret-123"),
            (judge.Endpoint!.Url.AbsoluteUri, judge.Endpoint.Model, judge.Endpoint.ApiKey));
        Assert.Equal("http://127.0.0.1:8000/v1", judge.Config["endpoint"]);
        Assert.DoesNotContain(judge.Config.Values, v => v.Contains("sk-secret"));
        Assert.DoesNotContain("sk-secret", judge.Endpoint.ToString());
    }

    [Fact]
    public void Credentials_in_the_url_are_not_printed()
    {
        var endpoint = new VlmEndpoint(new Uri("https://user:pw@example.test/v1?api-key=abc"), "m");

        Assert.Equal("https://example.test/v1", endpoint.DisplayUrl);
        Assert.Equal("m at https://example.test/v1", endpoint.ToString());
    }

    [Theory]
    [InlineData(null, null, "not run (no endpoint)")]
    [InlineData("  ", "m", "not run (no endpoint)")]
    [InlineData("http://127.0.0.1:8000/v1", null, "not run (MJVIDEO_VLM_ENDPOINT is set ('http://127.0.0.1:8000/v1') but MJVIDEO_VLM_MODEL is not: name the model to ask)")]
    [InlineData("ftp://host/v1", "m", "not run (MJVIDEO_VLM_ENDPOINT='ftp://host/v1' is not an absolute http or https URL)")]
    public void Unusable_environment_settings_say_why_the_judge_is_not_run(string? endpoint, string? model, string reason)
    {
        var variables = new Dictionary<string, string?> { [VlmEndpoint.EndpointVariable] = endpoint, [VlmEndpoint.ModelVariable] = model };

        using var judge = VlmJudge.FromEnvironment(read: variables.GetValueOrDefault);

        Assert.Equal(JudgeAvailability.No(reason), judge.Availability());
    }

    [Fact]
    public void Unrated_videos_score_zero_whether_unmapped_or_failed()
    {
        Assert.Equal(7, VlmJudge.ScoreOf(RatingParser.Parse("{RATING: Good}")));
        Assert.Equal(0, VlmJudge.ScoreOf(RatingParser.Parse("no idea")));
        Assert.Equal(0, VlmJudge.ScoreOf(ParsedRating.Failure("HTTP 500")));
        Assert.Equal(0, VlmJudge.ScoreOf(RatingParser.Parse("I'm sorry, I can't.")));
    }

    /// <summary>Records progress reports on the reporting thread (Progress&lt;T&gt; would post them later).</summary>
    sealed class SynchronousProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (reports) reports.Add(value);
        }
    }
}

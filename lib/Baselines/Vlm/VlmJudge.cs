using System.Collections.Concurrent;
using System.Globalization;
using MjVideo.Evaluation;
using MjVideo.Taxonomy;
using MjVideo.Video;

namespace MjVideo.Baselines.Vlm;

/// <summary>Which ratings the judge asks for per video: 1, 1 + 5 or 1 + 5 + 28 requests.</summary>
public enum VlmRatingScope
{
    Overall,
    OverallAndAspects,
    All,
}

public sealed record VlmJudgeOptions
{
    public VlmFrameOptions Frames { get; init; } = VlmFrameOptions.PaperEightFrames;
    public VlmRequestOptions Requests { get; init; } = new();
    public VlmRatingScope Scope { get; init; } = VlmRatingScope.Overall;
}

/// <summary>One rating of one video: what was asked, what came back, and what it was read as.</summary>
public sealed record VlmRating(RatingTarget Target, VlmAnswer Answer, ParsedRating Rating);

/// <summary>Everything the judge asked about one video (with one caption).</summary>
public sealed record VlmVideoRatings(
    string VideoPath, string Caption, IReadOnlyList<int> FramesSent,
    VlmRating Overall, IReadOnlyList<VlmRating>? Aspects, IReadOnlyList<VlmRating>? Criteria)
{
    public IEnumerable<VlmRating> All => new[] { Overall }.Concat(Aspects ?? []).Concat(Criteria ?? []);

    /// <summary>
    /// The judge's scores: the rating 1..10 where one was read, and <see cref="VlmJudge.NoRatingScore"/> (0) for both
    /// an unmapped answer (the paper's 0) and a refusal or failure (the paper's -1). The paper's scripts never mix the
    /// two codes within one judge (open models give 0, the API judge -1), so for them "no rating" ties with "no rating"
    /// and loses to any rating; one score for both keeps exactly that when a run has both kinds. The codes themselves
    /// stay in <see cref="ParsedRating.Value"/>.
    /// </summary>
    public JudgedVideo ToJudgedVideo() => new(
        VlmJudge.ScoreOf(Overall.Rating),
        Aspects?.Select(a => VlmJudge.ScoreOf(a.Rating)).ToArray(),
        Criteria?.Select(c => VlmJudge.ScoreOf(c.Rating)).ToArray());
}

/// <summary>How the answers of a run came out. Parsed = exact + fuzzy; failures = refused + failed.</summary>
public sealed record VlmAnswerCounts(int Exact, int Fuzzy, int Unmapped, int Refused, int Failed, int FromCache, long Requests)
{
    public static VlmAnswerCounts Zero { get; } = new(0, 0, 0, 0, 0, 0, 0);

    public int Parsed => Exact + Fuzzy;
    public int Failures => Refused + Failed;
    public int Total => Parsed + Unmapped + Failures;

    public static VlmAnswerCounts Of(IEnumerable<VlmRating> ratings) => ratings.Aggregate(Zero, (sum, r) => sum with
    {
        Exact = sum.Exact + (r.Rating.Outcome == RatingOutcome.Exact ? 1 : 0),
        Fuzzy = sum.Fuzzy + (r.Rating.Outcome == RatingOutcome.Fuzzy ? 1 : 0),
        Unmapped = sum.Unmapped + (r.Rating.Outcome == RatingOutcome.Unmapped ? 1 : 0),
        Refused = sum.Refused + (r.Rating.Outcome == RatingOutcome.Refused ? 1 : 0),
        Failed = sum.Failed + (r.Rating.Outcome == RatingOutcome.Failed ? 1 : 0),
        FromCache = sum.FromCache + (r.Answer.FromCache ? 1 : 0),
        Requests = sum.Requests + r.Answer.Requests,
    });

    public override string ToString() =>
        $"{Total} answers: {Parsed} parsed ({Exact} exact, {Fuzzy} fuzzy), {Unmapped} unmapped, {Failures} failed " +
        $"({Refused} refused, {Failed} no answer); {FromCache} from the cache, {Requests} HTTP requests";
}

/// <summary>A run's outcome: the pairs' scores for the evaluator, each video's ratings, and the answer counts.</summary>
public sealed record VlmJudgeResult(
    IReadOnlyList<JudgedPair> Pairs,
    IReadOnlyList<VlmVideoRatings> Videos,
    VlmAnswerCounts Counts,
    IReadOnlyDictionary<RatingTargetKind, VlmAnswerCounts> CountsByKind);

/// <summary>
/// The paper's VLM-judge baseline (paper-digest 3.1, 3.2) against any OpenAI-compatible endpoint: each video is rated
/// on its own, on the 10-level scale, from frames sent as images with the caption in the prompt (overall; optionally
/// each aspect and each criterion with its definition). Scores are the ratings (see
/// <see cref="VlmVideoRatings.ToJudgedVideo"/> for unrated videos); "good" is a rating above 5 (<see cref="GoodAbove"/>,
/// the presumed binarisation of paper-digest 3.2 and 3.4). A video that appears in several pairs with the same caption is
/// asked about once. Without a configured endpoint the judge is unavailable and its rows read "not run (no endpoint)".
/// A missing or undecodable video file is a data error and is thrown; answers already received stay in the cache.
/// </summary>
public sealed class VlmJudge : IJudge, IDisposable
{
    public const double NoRatingScore = 0;
    public const string NoEndpointReason = "not run (no endpoint)";

    readonly VlmClient? client;
    readonly string? configurationError;
    readonly VlmFramePreparer frames;

    public VlmJudge(VlmEndpoint? endpoint, VlmJudgeOptions? options = null, VlmAnswerCache? cache = null, VideoDecoder? decoder = null)
    {
        Options = options ?? new VlmJudgeOptions();
        Endpoint = endpoint;
        frames = new VlmFramePreparer(Options.Frames, decoder);
        client = endpoint is null ? null : new VlmClient(endpoint, Options.Requests, cache);
    }

    VlmJudge(string configurationError, VlmJudgeOptions? options)
        : this(endpoint: null, options) => this.configurationError = configurationError;

    /// <summary>The judge the environment configures (<see cref="VlmEndpoint.FromEnvironment"/>); unavailable, with the
    /// reason, when no endpoint is set or the settings are unusable.</summary>
    public static VlmJudge FromEnvironment(VlmJudgeOptions? options = null, VlmAnswerCache? cache = null, Func<string, string?>? read = null)
    {
        try
        {
            return new VlmJudge(VlmEndpoint.FromEnvironment(read), options, cache);
        }
        catch (ArgumentException e)
        {
            return new VlmJudge(e.Message, options);
        }
    }

    public VlmEndpoint? Endpoint { get; }
    public VlmJudgeOptions Options { get; }
    public VlmClient? Client => client;

    /// <summary>The last run's full result (ratings, answers and counts); null before the first run.</summary>
    public VlmJudgeResult? LastResult { get; private set; }

    public string Name => Endpoint is null ? "VLM judge" : $"VLM judge ({Endpoint.Model})";

    public double GoodAbove => 5;

    public IReadOnlyDictionary<string, string> Config
    {
        get
        {
            var r = Options.Requests;
            return new Dictionary<string, string>
            {
                ["endpoint"] = Endpoint?.DisplayUrl ?? "(none)",
                ["model"] = Endpoint?.Model ?? "(none)",
                ["prompts"] = VlmPrompts.Version,
                ["scope"] = Options.Scope.ToString(),
                ["frames"] = Options.Frames.Describe(),
                ["temperature"] = r.Temperature?.ToString(CultureInfo.InvariantCulture) ?? "endpoint default",
                ["max tokens"] = r.MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "endpoint default",
                ["seed"] = r.Seed?.ToString(CultureInfo.InvariantCulture) ?? "none",
                ["timeout"] = $"{r.Timeout.TotalSeconds:0.###} s",
                ["retries"] = $"{r.MaxRetries} (backoff {r.InitialBackoff.TotalSeconds:0.###} s doubling, at most {r.MaxBackoff.TotalSeconds:0.###} s)",
                ["rate limit"] = r.RequestsPerSecond is { } rps ? $"{rps.ToString(CultureInfo.InvariantCulture)} requests/s" : "none",
                ["concurrency"] = r.MaxConcurrency.ToString(CultureInfo.InvariantCulture),
                ["parser"] = $"stated/bare rating, else fuzzy level match >= {RatingParser.FuzzyCutoff.ToString(CultureInfo.InvariantCulture)}",
                ["good"] = "rating > 5",
                ["no rating"] = $"unmapped (0) and failed (-1) both score {NoRatingScore}",
            };
        }
    }

    public JudgeAvailability Availability() =>
        configurationError is not null ? JudgeAvailability.No($"not run ({configurationError})")
        : client is null ? JudgeAvailability.No(NoEndpointReason)
        : JudgeAvailability.Yes;

    public async Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default) =>
        (await RunAsync(input, progress, cancellation).ConfigureAwait(false)).Pairs;

    /// <summary>Rates every video of the input; <paramref name="progress"/> receives the number of pairs done.</summary>
    public async Task<VlmJudgeResult> RunAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        if (client is null) throw new InvalidOperationException($"{Name}: {Availability().Reason}");
        var videos = new ConcurrentDictionary<(string Path, string Caption), Lazy<Task<VlmVideoRatings>>>();
        Task<VlmVideoRatings> Rate(string path, string caption) => videos.GetOrAdd((path, caption),
            key => new Lazy<Task<VlmVideoRatings>>(() => RateVideoAsync(key.Path, key.Caption, cancellation))).Value;

        var pairs = new JudgedPair[input.Pairs.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Length),
            new ParallelOptions { MaxDegreeOfParallelism = Options.Requests.MaxConcurrency, CancellationToken = cancellation },
            async (i, _) =>
            {
                var pair = input.Pairs[i];
                var video0 = await Rate(input.VideoPath(pair, 0), pair.Caption).ConfigureAwait(false);
                var video1 = await Rate(input.VideoPath(pair, 1), pair.Caption).ConfigureAwait(false);
                pairs[i] = new JudgedPair(video0.ToJudgedVideo(), video1.ToJudgedVideo());
                progress?.Report(Interlocked.Increment(ref done));
            }).ConfigureAwait(false);

        var rated = new List<VlmVideoRatings>();
        foreach (var task in videos.Values) rated.Add(await task.Value.ConfigureAwait(false));
        rated.Sort((a, b) => (string.CompareOrdinal(a.VideoPath, b.VideoPath), string.CompareOrdinal(a.Caption, b.Caption)) switch
        {
            (0, var byCaption) => byCaption,
            (var byPath, _) => byPath,
        });
        var all = rated.SelectMany(v => v.All).ToList();
        var byKind = Enum.GetValues<RatingTargetKind>().ToDictionary(k => k, k => VlmAnswerCounts.Of(all.Where(r => r.Target.Kind == k)));
        LastResult = new VlmJudgeResult(pairs, rated, VlmAnswerCounts.Of(all), byKind);
        return LastResult;
    }

    /// <summary>Decodes one video's frames once and asks every question of the scope about them.</summary>
    public async Task<VlmVideoRatings> RateVideoAsync(string videoPath, string caption, CancellationToken cancellation = default)
    {
        if (client is null) throw new InvalidOperationException($"{Name}: {Availability().Reason}");
        var prepared = await frames.PrepareAsync(videoPath, cancellation).ConfigureAwait(false);

        async Task<VlmRating> Ask(RatingTarget target)
        {
            var prompt = VlmPrompts.For(target, caption, prepared.Images.Count);
            var answer = await client.AskAsync(prompt, prepared.Images, cancellation).ConfigureAwait(false);
            return new VlmRating(target, answer, answer.Rate());
        }

        var overall = Ask(RatingTarget.Overall);
        var aspects = Options.Scope >= VlmRatingScope.OverallAndAspects
            ? Task.WhenAll(MjTaxonomy.Aspects.Select(a => Ask(RatingTarget.ForAspect(a))))
            : null;
        var criteria = Options.Scope >= VlmRatingScope.All
            ? Task.WhenAll(MjTaxonomy.Criteria.Select(c => Ask(RatingTarget.ForCriterion(c))))
            : null;
        return new VlmVideoRatings(prepared.VideoPath, caption, prepared.Images.Select(i => i.SourceFrame).ToList(),
            await overall.ConfigureAwait(false),
            aspects is null ? null : await aspects.ConfigureAwait(false),
            criteria is null ? null : await criteria.ConfigureAwait(false));
    }

    /// <summary>A rating's score: the rating where one was read, else <see cref="NoRatingScore"/>.</summary>
    public static double ScoreOf(ParsedRating rating) => rating.IsParsed ? rating.Value : NoRatingScore;

    public void Dispose() => client?.Dispose();
}

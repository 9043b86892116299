using MjVideo.Reports;
using MjVideo.Baselines.Vlm;

namespace MjVideo.Tests;

/// <summary>
/// The client against a real HTTP server on loopback: what a request carries, and what each kind of answer or failure
/// becomes. Backoffs are milliseconds so the retry scenarios stay fast.
/// </summary>
public sealed class VlmClientTests
{
    const string Prompt = "Rate this. Answer with exactly {RATING: X}.";

    static readonly VlmRequestOptions Fast = new()
    {
        Temperature = 0.25,
        MaxTokens = 50,
        Seed = 7,
        Timeout = TimeSpan.FromSeconds(10),
        MaxRetries = 2,
        InitialBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(40),
        RequestsPerSecond = null,
    };

    /// <summary>Two tiny different images (2x1 RGB PNGs).</summary>
    static readonly EncodedImage[] Images =
    [
        new(PngEncoder.EncodeRgb([255, 0, 0, 0, 255, 0], 2, 1), PngEncoder.MediaType, 2, 1, 0),
        new(PngEncoder.EncodeRgb([0, 0, 255, 9, 9, 9], 2, 1), PngEncoder.MediaType, 2, 1, 50),
    ];

    static VlmClient ClientFor(LoopbackChatServer server, VlmRequestOptions? options = null, VlmAnswerCache? cache = null) =>
        new(new VlmEndpoint(server.BaseUrl, "fake-vlm", "test-key"), options ?? Fast, cache);

    [Fact]
    public async Task Request_carries_the_prompt_the_images_and_the_sampling_parameters()
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Completion("{RATING: Good}"));
        using var client = ClientFor(server);

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal(new ParsedRating(7, RatingOutcome.Exact, 1, "stated level 'Good'"), answer.Rate());
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer test-key", request.Authorization);
        Assert.Equal("fake-vlm", request.Json.GetProperty("model").GetString());
        Assert.Equal(Prompt, request.Prompt);
        Assert.Equal(Images.Select(i => (PngEncoder.MediaType, i.Bytes)), request.Images,
            (a, b) => a.Item1 == b.Item1 && a.Item2.SequenceEqual(b.Item2));
        Assert.Equal(0.25, request.Json.GetProperty("temperature").GetDouble(), 6);
        Assert.Equal(7, request.Json.GetProperty("seed").GetInt64());
        Assert.Equal(50, request.Json.GetProperty("max_completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Parameters_left_unset_are_not_sent()
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Completion("RATING: 8"));
        using var client = ClientFor(server, Fast with { Temperature = null, MaxTokens = null, Seed = null });

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal((8, RatingOutcome.Exact), (answer.Rate().Value, answer.Rate().Outcome));
        var json = Assert.Single(server.Requests).Json;
        foreach (var name in new[] { "temperature", "seed", "max_completion_tokens", "max_tokens" })
            Assert.False(json.TryGetProperty(name, out _), $"{name} was sent");
    }

    [Theory]
    [InlineData("{RATING: Good}", 7, RatingOutcome.Exact)]
    [InlineData("RATING: 3", 3, RatingOutcome.Exact)]
    [InlineData("Hmm. The motion is smooth and the colours are right; overall I find it excelent.", 9, RatingOutcome.Fuzzy)]
    [InlineData("The video shows a cat on a sofa.", 0, RatingOutcome.Unmapped)]
    [InlineData("I'm sorry, but I can't help with rating this video.", -1, RatingOutcome.Refused)]
    public async Task Answer_texts_become_ratings(string text, int value, RatingOutcome outcome)
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Completion(text));
        using var client = ClientFor(server);

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal((value, outcome), (answer.Rate().Value, answer.Rate().Outcome));
        Assert.Equal(text, answer.Text);
        Assert.Equal(1, answer.Requests);
    }

    [Fact]
    public async Task A_refusal_flagged_by_the_endpoint_is_a_failure()
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Completion(null, refusal: "I can't assist with that."));
        using var client = ClientFor(server);

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal("I can't assist with that.", answer.Refusal);
        Assert.Equal((-1, RatingOutcome.Refused), (answer.Rate().Value, answer.Rate().Outcome));
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task A_content_filter_stop_is_a_refusal()
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Completion("", finishReason: "content_filter"));
        using var client = ClientFor(server);

        var rating = (await client.AskAsync(Prompt, Images)).Rate();

        Assert.Equal((-1, RatingOutcome.Refused), (rating.Value, rating.Outcome));
    }

    [Fact]
    public async Task Malformed_json_is_recorded_as_a_failure_and_not_retried()
    {
        await using var server = new LoopbackChatServer(_ => new ServerReply(200, """{"id": "x", "choices": [ {"message": """));
        using var client = ClientFor(server);

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal((-1, RatingOutcome.Failed), (answer.Rate().Value, answer.Rate().Outcome));
        Assert.StartsWith("unreadable response", answer.Failure);
        Assert.Equal(1, answer.Requests);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task Http_429_is_retried_and_the_retry_succeeds()
    {
        await using var server = new LoopbackChatServer(r => r.Number == 1
            ? ServerReply.Error(429, new Dictionary<string, string> { ["Retry-After"] = "0" })
            : ServerReply.Completion("{RATING: Poor}"));
        using var client = ClientFor(server);

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal((3, RatingOutcome.Exact), (answer.Rate().Value, answer.Rate().Outcome));
        Assert.Null(answer.Failure);
        Assert.Equal(2, answer.Requests);
        Assert.Equal(2, server.RequestCount);
        Assert.Equal(server.Requests[0].Body, server.Requests[1].Body);
    }

    [Fact]
    public async Task Http_500_until_the_retries_run_out_is_a_recorded_failure()
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Error(500));
        using var client = ClientFor(server);

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal((-1, RatingOutcome.Failed), (answer.Rate().Value, answer.Rate().Outcome));
        Assert.StartsWith("HTTP 500", answer.Failure);
        Assert.Contains("gave up after 3 requests", answer.Failure);
        Assert.Equal(3, answer.Requests);
        Assert.Equal(3, server.RequestCount);
        Assert.Equal(3, client.RequestsSent);
    }

    [Fact]
    public async Task Other_client_errors_are_not_retried()
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Error(400));
        using var client = ClientFor(server);

        var answer = await client.AskAsync(Prompt, Images);

        Assert.StartsWith("HTTP 400", answer.Failure);
        Assert.DoesNotContain("gave up", answer.Failure);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task An_answer_slower_than_the_timeout_is_abandoned_retried_and_recorded()
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Completion("{RATING: Good}") with { Delay = TimeSpan.FromSeconds(20) });
        using var client = ClientFor(server, Fast with { Timeout = TimeSpan.FromMilliseconds(800), MaxRetries = 1 });

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal((-1, RatingOutcome.Failed), (answer.Rate().Value, answer.Rate().Outcome));
        Assert.StartsWith("no answer within the 0.8 s timeout", answer.Failure);
        Assert.Equal(2, answer.Requests);
        Assert.Equal(2, client.RequestsSent);
        // The server sees the abandoned retry a little after the client has given up on it, on a busy machine.
        Assert.True(await server.WaitForRequestsAsync(2, TimeSpan.FromSeconds(5)), $"the server saw {server.RequestCount} requests");
    }

    [Fact]
    public async Task A_refused_connection_is_retried_then_recorded()
    {
        Uri deadUrl;
        await using (var server = new LoopbackChatServer(_ => ServerReply.Completion("unused"))) deadUrl = server.BaseUrl;
        using var client = new VlmClient(new VlmEndpoint(deadUrl, "fake-vlm"), Fast with { MaxRetries = 1 });

        var answer = await client.AskAsync(Prompt, Images);

        Assert.Equal(RatingOutcome.Failed, answer.Rate().Outcome);
        Assert.Equal(2, answer.Requests);
    }

    [Fact]
    public async Task Answer_cache_makes_a_repeated_question_send_no_request()
    {
        var cacheDir = RepoPaths.NewTempDir("vlm-cache");
        await using var server = new LoopbackChatServer(r => ServerReply.Completion($"RATING: {r.Number}"));

        using (var first = ClientFor(server, cache: new VlmAnswerCache(cacheDir)))
        {
            Assert.Equal(1, (await first.AskAsync(Prompt, Images)).Rate().Value);
            Assert.Equal(2, (await first.AskAsync(Prompt + " Please.", Images)).Rate().Value);
        }
        using var second = ClientFor(server, cache: new VlmAnswerCache(cacheDir));
        var again = await second.AskAsync(Prompt, Images);
        var other = await second.AskAsync(Prompt + " Please.", Images);

        Assert.Equal((1, true, 0), (again.Rate().Value, again.FromCache, again.Requests));
        Assert.Equal((2, true, 0), (other.Rate().Value, other.FromCache, other.Requests));
        Assert.Equal(2, server.RequestCount);
        Assert.Equal(2, second.Cache!.Hits);

        // Another image order is another question.
        var swapped = await second.AskAsync(Prompt, [Images[1], Images[0]]);
        Assert.Equal((3, false), (swapped.Rate().Value, swapped.FromCache));
    }

    [Fact]
    public async Task Failures_are_not_cached()
    {
        var cacheDir = RepoPaths.NewTempDir("vlm-cache");
        await using var server = new LoopbackChatServer(r => r.Number == 1 ? ServerReply.Error(400) : ServerReply.Completion("RATING: 5"));
        using var client = ClientFor(server, cache: new VlmAnswerCache(cacheDir));

        Assert.Equal(RatingOutcome.Failed, (await client.AskAsync(Prompt, Images)).Rate().Outcome);
        var second = await client.AskAsync(Prompt, Images);

        Assert.Equal((5, false), (second.Rate().Value, second.FromCache));
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task A_corrupt_cache_entry_is_asked_again()
    {
        var cache = new VlmAnswerCache(RepoPaths.NewTempDir("vlm-cache"));
        await using var server = new LoopbackChatServer(_ => ServerReply.Completion("RATING: 6"));
        using var client = ClientFor(server, cache: cache);
        await client.AskAsync(Prompt, Images);
        File.WriteAllText(cache.EntryPath(client.Question(Prompt, Images).Key()), "{ not json");

        var again = await client.AskAsync(Prompt, Images);

        Assert.Equal((6, false), (again.Rate().Value, again.FromCache));
        Assert.Equal(1, cache.Rejected);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task Rate_limit_spaces_request_starts()
    {
        await using var server = new LoopbackChatServer(_ => ServerReply.Completion("RATING: 5"));
        using var client = ClientFor(server, Fast with { RequestsPerSecond = 10, MaxConcurrency = 4 });

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => client.AskAsync($"{Prompt} #{i}", Images)));

        var requests = server.Requests.OrderBy(r => r.Timestamp).ToList();
        Assert.Equal(5, requests.Count);
        // Five starts at least 0.1 s apart span at least 0.4 s; loosely, for a busy machine: 0.3 s.
        Assert.True(LoopbackChatServer.SecondsBetween(requests[0], requests[^1]) >= 0.3,
            $"5 requests at 10/s arrived within {LoopbackChatServer.SecondsBetween(requests[0], requests[^1]):0.000} s");
    }

    [Theory]
    [InlineData(1, null, 1000)]
    [InlineData(2, null, 2000)]
    [InlineData(3, null, 4000)]
    [InlineData(8, null, 60000)]   // 128 s, capped
    [InlineData(1, 10.0, 10000)]   // Retry-After asks for longer
    [InlineData(3, 1.0, 4000)]     // Retry-After shorter than the backoff
    [InlineData(1, 600.0, 60000)]  // Retry-After beyond the cap
    public void Backoff_doubles_honours_retry_after_and_is_capped(int failedRequests, double? retryAfterSeconds, double expectedMs)
    {
        using var client = new VlmClient(new VlmEndpoint(new Uri("http://127.0.0.1:9/v1"), "m"),
            new VlmRequestOptions { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(60) });

        var wait = client.Backoff(failedRequests, retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

        Assert.Equal(expectedMs, wait.TotalMilliseconds, 6);
    }

    [Fact]
    public void Question_key_changes_with_every_part_of_the_question()
    {
        var question = new VlmQuestion("http://h/v1", "m", "prompt", ["image/png:aa", "image/png:bb"], 0.5, 200, 42);
        var variants = new[]
        {
            question with { Endpoint = "http://other/v1" },
            question with { Model = "m2" },
            question with { Prompt = "prompt " },
            question with { ImageSha256 = ["image/png:bb", "image/png:aa"] },
            question with { ImageSha256 = ["image/png:aa"] },
            question with { Temperature = null },
            question with { MaxTokens = 201 },
            question with { Seed = 43 },
        };

        Assert.Equal(question.Key(), new VlmQuestion("http://h/v1", "m", "prompt", ["image/png:aa", "image/png:bb"], 0.5, 200, 42).Key());
        Assert.Equal(64, question.Key().Length);
        Assert.Equal(variants.Length + 1, variants.Select(v => v.Key()).Append(question.Key()).Distinct().Count());
    }

    [Fact]
    public void Invalid_options_are_rejected_with_the_field_named()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new VlmRequestOptions { RequestsPerSecond = 0 }.Validate());
        Assert.Equal("RequestsPerSecond", e.ParamName);
        Assert.Equal("MaxTokens", Assert.Throws<ArgumentOutOfRangeException>(() => new VlmRequestOptions { MaxTokens = 0 }.Validate()).ParamName);
        Assert.Equal("MaxRetries", Assert.Throws<ArgumentOutOfRangeException>(() => new VlmRequestOptions { MaxRetries = -1 }.Validate()).ParamName);
    }
}

using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.AI;
using OpenAI;

namespace MjVideo.Baselines.Vlm;

/// <summary>
/// How requests are made. Defaults follow the paper's GPT-4o script where it sets something (at most 200 output
/// tokens) and the open-VLM scripts' seed 42; the temperature is left to the endpoint, as the paper's scripts did.
/// </summary>
public sealed record VlmRequestOptions
{
    /// <summary>Sampling temperature; null sends none (the endpoint's default).</summary>
    public double? Temperature { get; init; }
    /// <summary>Output token limit; null sends none.</summary>
    public int? MaxTokens { get; init; } = 200;
    /// <summary>Sampling seed, for endpoints that accept one (OpenAI's is best effort); null sends none.</summary>
    public long? Seed { get; init; } = 42;
    /// <summary>How long one request may take before it is abandoned (and retried, if retries are left).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Retries after the first request, for HTTP 429, 5xx, timeouts and connection failures.</summary>
    public int MaxRetries { get; init; } = 4;
    /// <summary>The wait before the first retry; each further retry waits twice as long, up to <see cref="MaxBackoff"/>.
    /// A Retry-After header that asks for longer is honoured, within the same cap.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Request starts per second, retries included; null for no limit.</summary>
    public double? RequestsPerSecond { get; init; } = 2;
    /// <summary>Requests in flight at once.</summary>
    public int MaxConcurrency { get; init; } = 4;

    public void Validate()
    {
        if (MaxTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "must be positive");
        if (Temperature is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be in [0, 2]");
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "must be positive");
        if (MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "cannot be negative");
        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff)
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), $"need 0 <= InitialBackoff ({InitialBackoff}) <= MaxBackoff ({MaxBackoff})");
        if (RequestsPerSecond is <= 0 || RequestsPerSecond is { } r && !double.IsFinite(r))
            throw new ArgumentOutOfRangeException(nameof(RequestsPerSecond), RequestsPerSecond, "must be a positive number (null for no limit)");
        if (MaxConcurrency <= 0) throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "must be positive");
    }
}

/// <summary>
/// What came back for one question. <see cref="Failure"/> is set when no answer arrived (the reason, with the last
/// HTTP status or error); <see cref="Refusal"/> when the endpoint flagged a refusal (OpenAI's <c>refusal</c> field, or
/// finish reason <c>content_filter</c>). <see cref="Requests"/> counts the HTTP requests made (0 from the cache).
/// </summary>
public sealed record VlmAnswer(string? Text, string? Refusal, string? FinishReason, string? Failure, int Requests, bool FromCache)
{
    /// <summary>The rating this answer gives: a failure or flagged refusal is -1, otherwise the text is parsed.</summary>
    public ParsedRating Rate()
    {
        if (Failure is not null) return ParsedRating.Failure(Failure);
        if (Refusal is not null) return new(ParsedRating.FailedValue, RatingOutcome.Refused, 0, $"refusal flagged by the endpoint: {Refusal}");
        if (FinishReason == "content_filter")
            return new(ParsedRating.FailedValue, RatingOutcome.Refused, 0, "the endpoint's content filter stopped the answer");
        return RatingParser.Parse(Text);
    }
}

/// <summary>
/// Asks an OpenAI-compatible chat endpoint one question at a time (a prompt plus images, one user message, text first
/// and then the frames in order, as the paper's GPT-4o script), through Microsoft.Extensions.AI's <see cref="IChatClient"/>.
/// Adds what a long judging run needs: an on-disk answer cache, a bound on concurrent requests, a rate limit on request
/// starts, a per-request timeout, and bounded retries with exponential backoff on 429, 5xx, timeouts and connection
/// failures. No failure escapes as an exception: it comes back as a <see cref="VlmAnswer"/> with its reason. Only the
/// caller's own cancellation is thrown.
/// </summary>
public sealed class VlmClient : IDisposable
{
    readonly IChatClient chat;
    readonly bool ownsChat;
    readonly SemaphoreSlim inFlight;
    readonly RequestSpacer spacer;
    long requestsSent;

    /// <summary>A client for <paramref name="endpoint"/> through the OpenAI SDK (its own retries switched off: this class retries).</summary>
    public VlmClient(VlmEndpoint endpoint, VlmRequestOptions? options = null, VlmAnswerCache? cache = null)
        : this(CreateChatClient(endpoint, options ?? new VlmRequestOptions()), endpoint.Url.AbsoluteUri.TrimEnd('/'), endpoint.Model, options, cache)
    {
        ownsChat = true;
    }

    /// <summary>A client over any <see cref="IChatClient"/> (which stays the caller's to dispose); <paramref name="endpointId"/>
    /// and <paramref name="model"/> enter the cache key.</summary>
    public VlmClient(IChatClient chat, string endpointId, string model, VlmRequestOptions? options = null, VlmAnswerCache? cache = null)
    {
        Options = options ?? new VlmRequestOptions();
        Options.Validate();
        this.chat = chat;
        EndpointId = endpointId;
        Model = model;
        Cache = cache;
        inFlight = new SemaphoreSlim(Options.MaxConcurrency);
        spacer = new RequestSpacer(Options.RequestsPerSecond);
    }

    public VlmRequestOptions Options { get; }
    public string EndpointId { get; }
    public string Model { get; }
    public VlmAnswerCache? Cache { get; }

    /// <summary>HTTP requests made so far by this client, retries included.</summary>
    public long RequestsSent => Interlocked.Read(ref requestsSent);

    static IChatClient CreateChatClient(VlmEndpoint endpoint, VlmRequestOptions options)
    {
        options.Validate();
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint.Url,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // The per-request timeout is enforced by AskAsync; the SDK's own only guards against a hang past it.
            NetworkTimeout = options.Timeout + TimeSpan.FromSeconds(30),
        };
        // The SDK insists on a credential; a server without authentication ignores the bearer token.
        var credential = new ApiKeyCredential(endpoint.ApiKey ?? "no-key");
        return new OpenAIClient(credential, clientOptions).GetChatClient(endpoint.Model).AsIChatClient();
    }

    public VlmQuestion Question(string prompt, IReadOnlyList<EncodedImage> images) => new(
        EndpointId, Model, prompt, images.Select(i => $"{i.MediaType}:{i.Sha256}").ToList(),
        Options.Temperature, Options.MaxTokens, Options.Seed);

    public async Task<VlmAnswer> AskAsync(string prompt, IReadOnlyList<EncodedImage> images, CancellationToken cancellation = default)
    {
        var question = Question(prompt, images);
        var key = question.Key();
        if (Cache is not null && Cache.TryLoad(key, out var cached))
            return new VlmAnswer(cached!.Text, cached.Refusal, cached.FinishReason, null, 0, FromCache: true);

        List<AIContent> contents = [new TextContent(prompt)];
        contents.AddRange(images.Select(i => new DataContent(i.Bytes, i.MediaType)));
        ChatMessage[] messages = [new(ChatRole.User, contents)];
        var chatOptions = new ChatOptions
        {
            Temperature = Options.Temperature is { } t ? (float)t : null,
            MaxOutputTokens = Options.MaxTokens,
            Seed = Options.Seed,
        };

        var requests = 0;
        while (true)
        {
            var (answer, retryable, retryAfter) = await AttemptAsync(messages, chatOptions, cancellation).ConfigureAwait(false);
            requests++;
            if (answer is { Failure: null })
            {
                Cache?.Store(new CachedAnswer(key, Model, CachedAnswer.Sha256(prompt), answer.Text, answer.Refusal, answer.FinishReason, DateTime.UtcNow));
                return answer with { Requests = requests };
            }
            if (!retryable || requests > Options.MaxRetries)
            {
                var why = retryable ? $"{answer!.Failure}; gave up after {requests} request{(requests == 1 ? "" : "s")}" : answer!.Failure;
                return answer with { Failure = why, Requests = requests };
            }
            await Task.Delay(Backoff(requests, retryAfter), cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>The wait after the n-th failed request: InitialBackoff * 2^(n-1), at least Retry-After, at most MaxBackoff.</summary>
    public TimeSpan Backoff(int failedRequests, TimeSpan? retryAfter)
    {
        var exponential = Options.InitialBackoff.TotalMilliseconds * Math.Pow(2, failedRequests - 1);
        var wait = Math.Max(exponential, retryAfter?.TotalMilliseconds ?? 0);
        return TimeSpan.FromMilliseconds(Math.Min(wait, Options.MaxBackoff.TotalMilliseconds));
    }

    /// <summary>One request. Returns the answer, or a failure with whether it is worth retrying.</summary>
    async Task<(VlmAnswer Answer, bool Retryable, TimeSpan? RetryAfter)> AttemptAsync(
        ChatMessage[] messages, ChatOptions chatOptions, CancellationToken cancellation)
    {
        await inFlight.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            await spacer.WaitTurnAsync(cancellation).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(Options.Timeout);
            Interlocked.Increment(ref requestsSent);
            try
            {
                var response = await chat.GetResponseAsync(messages, chatOptions, timeout.Token).ConfigureAwait(false);
                var refusal = (response.RawRepresentation as OpenAI.Chat.ChatCompletion)?.Refusal;
                return (new VlmAnswer(response.Text, string.IsNullOrEmpty(refusal) ? null : refusal,
                    response.FinishReason?.Value, null, 1, FromCache: false), false, null);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                return (Failed($"no answer within the {Options.Timeout.TotalSeconds:0.###} s timeout"), true, null);
            }
            catch (ClientResultException e) when (e.Status is 429 or >= 500)
            {
                return (Failed($"HTTP {e.Status}: {Shorten(e.Message)}"), true, RetryAfter(e));
            }
            catch (ClientResultException e) when (e.Status == 0)
            {
                return (Failed($"no HTTP response: {Shorten(e.Message)}"), true, null);
            }
            catch (ClientResultException e)
            {
                return (Failed($"HTTP {e.Status}: {Shorten(e.Message)}"), false, null);
            }
            catch (HttpRequestException e)
            {
                return (Failed($"connection failed: {Shorten(e.Message)}"), true, null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A 200 whose body is not a chat completion (malformed JSON, missing fields): asking again would
                // most likely get the same, so it is recorded as it is.
                return (Failed($"unreadable response ({e.GetType().Name}): {Shorten(e.Message)}"), false, null);
            }
        }
        finally
        {
            inFlight.Release();
        }
    }

    static VlmAnswer Failed(string reason) => new(null, null, null, reason, 1, FromCache: false);

    /// <summary>Retry-After as seconds or an HTTP date, when the response carries one.</summary>
    static TimeSpan? RetryAfter(ClientResultException e)
    {
        if (e.GetRawResponse() is not { } response || !response.Headers.TryGetValue("Retry-After", out var value) || value is null) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            return TimeSpan.FromSeconds(seconds);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            return date > DateTimeOffset.UtcNow ? date - DateTimeOffset.UtcNow : TimeSpan.Zero;
        return null;
    }

    static string Shorten(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.Length <= 300 ? line : line[..300] + "...";
    }

    public void Dispose()
    {
        if (ownsChat) chat.Dispose();
        inFlight.Dispose();
    }
}

/// <summary>
/// Spaces request starts at least 1 / rate apart, across all callers: each caller reserves the next free slot and
/// waits for it. Monotonic clock, so a wall-clock change cannot release a burst.
/// </summary>
public sealed class RequestSpacer(double? perSecond)
{
    readonly long interval = perSecond is { } r ? (long)Math.Ceiling(Stopwatch.Frequency / r) : 0;
    readonly Lock gate = new();
    long nextSlot;

    public TimeSpan Interval => TimeSpan.FromSeconds((double)interval / Stopwatch.Frequency);

    public async Task WaitTurnAsync(CancellationToken cancellation)
    {
        if (interval == 0) return;
        long wait;
        lock (gate)
        {
            var now = Stopwatch.GetTimestamp();
            var slot = Math.Max(now, nextSlot);
            nextSlot = slot + interval;
            wait = slot - now;
        }
        if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellation).ConfigureAwait(false);
    }
}

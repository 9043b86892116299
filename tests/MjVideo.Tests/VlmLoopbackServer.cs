using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace MjVideo.Tests;

/// <summary>One chat-completions request as the server received it.</summary>
public sealed record ReceivedRequest(int Number, long Timestamp, string Method, string Path, string? Authorization, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>The text parts of the (single) user message, joined.</summary>
    public string Prompt => string.Concat(ContentParts().Where(p => p.GetProperty("type").GetString() == "text")
        .Select(p => p.GetProperty("text").GetString()));

    /// <summary>The images of the user message, decoded from their data URLs: (media type, bytes), in order.</summary>
    public IReadOnlyList<(string MediaType, byte[] Bytes)> Images => ContentParts()
        .Where(p => p.GetProperty("type").GetString() == "image_url")
        .Select(p => ParseDataUrl(p.GetProperty("image_url").GetProperty("url").GetString()!))
        .ToList();

    IEnumerable<JsonElement> ContentParts()
    {
        var messages = Json.GetProperty("messages");
        Assert.Equal(1, messages.GetArrayLength());
        Assert.Equal("user", messages[0].GetProperty("role").GetString());
        return messages[0].GetProperty("content").EnumerateArray().ToList();
    }

    static (string, byte[]) ParseDataUrl(string url)
    {
        // data:image/png;base64,....
        Assert.StartsWith("data:", url);
        var comma = url.IndexOf(',');
        var header = url[5..comma];
        Assert.EndsWith(";base64", header);
        return (header[..^";base64".Length], Convert.FromBase64String(url[(comma + 1)..]));
    }
}

/// <summary>What the server sends back: a status, a body, optional headers, after an optional delay.</summary>
public sealed record ServerReply(int Status, string Body, TimeSpan Delay = default, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>A chat completion whose message says <paramref name="content"/> (null: no content), optionally a refusal.</summary>
    public static ServerReply Completion(string? content, string? refusal = null, string finishReason = "stop") => new(200,
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = "chatcmpl-test",
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = "fake-vlm",
            ["choices"] = new object[]
            {
                new Dictionary<string, object?>
                {
                    ["index"] = 0,
                    ["message"] = new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = content, ["refusal"] = refusal },
                    ["finish_reason"] = finishReason,
                },
            },
            ["usage"] = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
        }));

    public static ServerReply Error(int status, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, $$$"""{"error":{"message":"fake error {{{status}}}","type":"test","code":null}}""", Headers: headers);
}

/// <summary>
/// A minimal OpenAI chat-completions server on 127.0.0.1 at an ephemeral port, for the VLM-judge tests: it records
/// every request and answers with what the test's handler returns. Bounded: after <c>maxRequests</c> it answers 503
/// (and <see cref="Overflowed"/> says so), and it stops by itself after <c>lifetime</c>. A handler that throws makes
/// <see cref="DisposeAsync"/> throw, so a test cannot pass over it.
/// </summary>
public sealed class LoopbackChatServer : IAsyncDisposable
{
    readonly HttpListener listener = new();
    readonly Func<ReceivedRequest, ServerReply> handler;
    readonly int maxRequests;
    readonly CancellationTokenSource stop;
    readonly ConcurrentQueue<ReceivedRequest> received = new();
    readonly ConcurrentBag<Task> handlers = [];
    readonly ConcurrentQueue<Exception> errors = new();
    readonly Task loop;
    int count;

    public LoopbackChatServer(Func<ReceivedRequest, ServerReply> handler, int maxRequests = 200, TimeSpan? lifetime = null)
    {
        this.handler = handler;
        this.maxRequests = maxRequests;
        stop = new CancellationTokenSource(lifetime ?? TimeSpan.FromSeconds(60));
        var port = FreeLoopbackPort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/v1");
        loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The base URL a client is given (the SDK appends /chat/completions).</summary>
    public Uri BaseUrl { get; }

    public IReadOnlyList<ReceivedRequest> Requests => received.OrderBy(r => r.Number).ToList();
    public int RequestCount => Volatile.Read(ref count);
    public bool Overflowed => RequestCount > maxRequests;

    /// <summary>Waits (polling, bounded) until the server has received <paramref name="count"/> requests.</summary>
    public async Task<bool> WaitForRequestsAsync(int count, TimeSpan limit)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (RequestCount < count && Stopwatch.GetTimestamp() < deadline) await Task.Delay(20);
        return RequestCount >= count;
    }

    /// <summary>A port the OS just handed out for 127.0.0.1 (HttpListener cannot bind port 0 itself).</summary>
    static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    async Task AcceptLoopAsync()
    {
        using var registration = stop.Token.Register(StopListening);
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            handlers.Add(Task.Run(() => HandleAsync(context)));
        }
    }

    void StopListening()
    {
        try { listener.Stop(); } catch (ObjectDisposedException) { } // already closed by DisposeAsync
    }

    async Task HandleAsync(HttpListenerContext context)
    {
        var number = Interlocked.Increment(ref count);
        var timestamp = Stopwatch.GetTimestamp();
        try
        {
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync();
            var request = new ReceivedRequest(number, timestamp, context.Request.HttpMethod, context.Request.Url!.AbsolutePath,
                context.Request.Headers["Authorization"], body);
            received.Enqueue(request);
            var reply = number > maxRequests ? ServerReply.Error(503) : handler(request);
            if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay, stop.Token);
            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = "application/json";
            foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>()) context.Response.Headers[name] = value;
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes, stop.Token);
            context.Response.Close();
        }
        catch (Exception e) when (e is OperationCanceledException or HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client gave up (timeout test) or the server is stopping: nothing to answer.
            try { context.Response.Abort(); } catch (ObjectDisposedException) { }
        }
        catch (Exception e)
        {
            // A handler bug: remembered (DisposeAsync throws it, so the test fails) and the request is dropped.
            errors.Enqueue(e);
            try { context.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Seconds between two recorded requests.</summary>
    public static double SecondsBetween(ReceivedRequest a, ReceivedRequest b) =>
        (double)(b.Timestamp - a.Timestamp) / Stopwatch.Frequency;

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Close();
        await loop;
        await Task.WhenAll(handlers);
        stop.Dispose();
        if (!errors.IsEmpty) throw new AggregateException("the loopback server's handler failed", errors);
    }
}

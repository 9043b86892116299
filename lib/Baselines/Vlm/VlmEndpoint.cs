namespace MjVideo.Baselines.Vlm;

/// <summary>
/// An OpenAI-compatible chat-completions endpoint: the base URL the client appends <c>/chat/completions</c> to (for
/// example <c>https://api.openai.com/v1</c> or a local server's <c>http://127.0.0.1:8000/v1</c>), the model name, and
/// an API key where the server wants one. <see cref="ToString"/> never shows the key.
/// </summary>
public sealed record VlmEndpoint
{
    public const string EndpointVariable = "MJVIDEO_VLM_ENDPOINT";
    public const string ModelVariable = "MJVIDEO_VLM_MODEL";
    public const string ApiKeyVariable = "MJVIDEO_VLM_API_KEY";

    public VlmEndpoint(Uri url, string model, string? apiKey = null)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"VLM endpoint '{url}' must be an absolute http or https URL", nameof(url));
        if (string.IsNullOrWhiteSpace(model)) throw new ArgumentException("a VLM endpoint needs a model name", nameof(model));
        Url = url;
        Model = model.Trim();
        ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey;
    }

    public Uri Url { get; }
    public string Model { get; }
    public string? ApiKey { get; }

    /// <summary>
    /// The endpoint the environment configures: <see cref="EndpointVariable"/>, <see cref="ModelVariable"/> and the
    /// optional <see cref="ApiKeyVariable"/>. Null when no endpoint is set; a clear error when it is set but unusable
    /// (not a URL, or no model named).
    /// </summary>
    public static VlmEndpoint? FromEnvironment(Func<string, string?>? read = null)
    {
        read ??= Environment.GetEnvironmentVariable;
        var url = read(EndpointVariable)?.Trim();
        if (string.IsNullOrEmpty(url)) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"{EndpointVariable}='{url}' is not an absolute http or https URL");
        var model = read(ModelVariable)?.Trim();
        if (string.IsNullOrEmpty(model))
            throw new ArgumentException($"{EndpointVariable} is set ('{url}') but {ModelVariable} is not: name the model to ask");
        return new VlmEndpoint(uri, model, read(ApiKeyVariable));
    }

    /// <summary>The URL without user info or query (where some servers take credentials), for printing beside results.</summary>
    public string DisplayUrl => Url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    public override string ToString() => $"{Model} at {DisplayUrl}{(ApiKey is null ? "" : " (API key set)")}";
}

using MjVideo.Reports;
using System.Security.Cryptography;
using MjVideo.Video;

namespace MjVideo.Baselines.Vlm;

/// <summary>Which frames of a video are sent to the judge.</summary>
public enum VlmFrameRule
{
    /// <summary>The paper's frame rule: <see cref="VlmFrameOptions.MaxFrames"/> (8) frames by
    /// <c>linspace(0, n-1, k, endpoint=False)</c> (<see cref="FrameSampling.PaperLinspace"/>), as the model sees them.</summary>
    PaperLinspace,
    /// <summary>The paper's GPT-4o script: every <see cref="VlmFrameOptions.Stride"/>-th decoded frame (0, 50, 100, ...),
    /// the first <see cref="VlmFrameOptions.MaxFrames"/> of them. A clip no longer than the stride sends only frame 0
    /// (all of a 16-frame SynthBench clip but its first frame is unseen: use the paper rule there).</summary>
    EveryNth,
}

/// <summary>
/// How a video becomes the images of a request. The default is the paper's 8-frame rule at the video's own size;
/// <see cref="Gpt4oProtocol"/> is the GPT-4o script's.
/// </summary>
/// <param name="MaxFrames">Frames sent: k of the paper rule, the cap of the every-n-th rule.</param>
/// <param name="ResizeWidth">Scale each frame to this width, keeping the aspect ratio (height rounded to the nearest
/// pixel, at least 1); null sends frames at the video's own size. The GPT-4o script asked for <c>resize: 768</c>;
/// reading it as a width is our inference.</param>
public sealed record VlmFrameOptions(
    VlmFrameRule Rule = VlmFrameRule.PaperLinspace,
    int Stride = 50,
    int MaxFrames = 8,
    int? ResizeWidth = null)
{
    /// <summary>The paper's 8-frame rule, frames at the video's own size.</summary>
    public static VlmFrameOptions PaperEightFrames { get; } = new();

    /// <summary>The GPT-4o protocol of the paper's scripts: every 50th frame, at most 8, 768 wide.</summary>
    public static VlmFrameOptions Gpt4oProtocol { get; } = new(VlmFrameRule.EveryNth, Stride: 50, MaxFrames: 8, ResizeWidth: 768);

    public string Describe() => (Rule == VlmFrameRule.EveryNth
            ? $"every {Stride}th frame, first {MaxFrames}"
            : $"{MaxFrames} frames (paper linspace)") +
        (ResizeWidth is { } w ? $", {w} px wide" : ", native size") + ", PNG";

    public void Validate()
    {
        if (Stride <= 0) throw new ArgumentOutOfRangeException(nameof(Stride), Stride, "the frame stride must be positive");
        if (MaxFrames <= 0) throw new ArgumentOutOfRangeException(nameof(MaxFrames), MaxFrames, "at least one frame must be sent");
        if (ResizeWidth is <= 0) throw new ArgumentOutOfRangeException(nameof(ResizeWidth), ResizeWidth, "the resize width must be positive");
    }
}

/// <summary>One image of a request: its encoded bytes, media type and SHA-256 (the answer cache's key uses it).</summary>
public sealed record EncodedImage(byte[] Bytes, string MediaType, int Width, int Height, int SourceFrame)
{
    public string Sha256 { get; } = Convert.ToHexString(SHA256.HashData(Bytes)).ToLowerInvariant();
}

/// <summary>The frames of one video, ready to send.</summary>
public sealed record VideoFrames(string VideoPath, VideoInfo Source, IReadOnlyList<EncodedImage> Images);

/// <summary>
/// Decodes the frames a <see cref="VlmFrameOptions"/> selects with the project's <see cref="VideoDecoder"/> (one ffmpeg
/// process: select + bicubic scale, as for the models) and encodes each as PNG.
/// </summary>
public sealed class VlmFramePreparer(VlmFrameOptions options, VideoDecoder? decoder = null)
{
    public VlmFrameOptions Options { get; } = Validated(options);
    public VideoDecoder Decoder { get; } = decoder ?? new VideoDecoder();

    static VlmFrameOptions Validated(VlmFrameOptions options)
    {
        options.Validate();
        return options;
    }

    public async Task<VideoFrames> PrepareAsync(string videoPath, CancellationToken cancellation = default)
    {
        var path = Path.GetFullPath(videoPath);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such video file", path);
        var info = await VideoProbe.ProbeAsync(path, Decoder.Tools, cancellation).ConfigureAwait(false);
        var preprocessing = PreprocessingFor(info, Options);
        var clip = await Decoder.DecodeAsync(info, preprocessing, cancellation).ConfigureAwait(false);

        var expected = Indices(info.FrameCount, Options);
        if (!clip.Indices.SequenceEqual(expected))
            throw new InvalidOperationException(
                $"{path}: the decoder sampled frames [{string.Join(",", clip.Indices)}], the {Options.Rule} rule asks for [{string.Join(",", expected)}]");

        var images = new EncodedImage[clip.FrameCount];
        for (var t = 0; t < clip.FrameCount; t++)
            images[t] = new EncodedImage(PngEncoder.EncodeRgb(clip.Frame(t), clip.Width, clip.Height), PngEncoder.MediaType,
                clip.Width, clip.Height, clip.Indices[t]);
        return new VideoFrames(path, info, images);
    }

    /// <summary>The source frame indices a rule sends for a clip of <paramref name="frameCount"/> frames.</summary>
    public static int[] Indices(int frameCount, VlmFrameOptions options) => options.Rule switch
    {
        VlmFrameRule.PaperLinspace => FrameSampler.Indices(frameCount, options.MaxFrames, FrameSampling.PaperLinspace),
        VlmFrameRule.EveryNth => Enumerable.Range(0, Math.Min(options.MaxFrames, (frameCount + options.Stride - 1) / options.Stride))
            .Select(i => i * options.Stride).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Rule, "unknown frame rule"),
    };

    /// <summary>
    /// The decoder's preprocessing for one clip. The every-n-th rule is the sampler's by-fps rule at a target rate of
    /// fps / stride (a stride of exactly <c>stride</c> source frames) with as many frames as the clip holds at that
    /// stride, so the sampler never pads with repeats; <see cref="PrepareAsync"/> checks the indices it got.
    /// </summary>
    public static Preprocessing PreprocessingFor(VideoInfo info, VlmFrameOptions options)
    {
        var (width, height) = options.ResizeWidth is { } w
            ? (w, Math.Max(1, (int)Math.Round((double)info.Height * w / info.Width, MidpointRounding.AwayFromZero)))
            : (info.Width, info.Height);
        return options.Rule switch
        {
            VlmFrameRule.PaperLinspace => new Preprocessing(options.MaxFrames, FrameSampling.PaperLinspace, width, height, ResizeMode.Squash),
            VlmFrameRule.EveryNth => new Preprocessing(Indices(info.FrameCount, options).Length, FrameSampling.ByFps, width, height,
                ResizeMode.Squash, TargetFps: info.Fps / options.Stride),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Rule, "unknown frame rule"),
        };
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MjVideo.Video;

namespace MjVideo.Backbones.Tiny;

/// <summary>Which inputs the small encoder reads. The two blanked variants are the control models of DESIGN 5: the full
/// encoder must beat both on the alignment criteria, or it is not fusing.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TinyModalities>))]
public enum TinyModalities
{
    /// <summary>Video and caption (the encoder proper).</summary>
    VideoAndCaption,
    /// <summary>The caption only: no CNN is built and no video is decoded.</summary>
    CaptionOnly,
    /// <summary>The video only: no caption encoder is built and captions are ignored.</summary>
    VideoOnly,
}

/// <summary>
/// The small video-text encoder's shape (<see cref="TinyVideoTextBackbone"/>). The defaults are the CPU default of the
/// workbook: the paper's 8 frames at SynthBench's 64x64, H = 128.
/// </summary>
/// <param name="HiddenSize">H, the size of h_gate and h_last and of every token</param>
/// <param name="CnnWidth">channels of the per-frame CNN's three strided conv layers: w, 2w, 2w</param>
/// <param name="FusionLayers">transformer layers over [caption tokens; frame tokens; gate; reward]</param>
/// <param name="Heads">attention heads in every transformer layer</param>
/// <param name="FeedForward">hidden width of the transformer layers' MLPs</param>
/// <param name="CaptionLayers">transformer layers over the caption tokens alone, before the fusion</param>
/// <param name="MaxCaptionTokens">tokens kept per caption, the terminator included</param>
/// <param name="TokenEmbeddingSize">width of the 50,257-row token table, projected to H. Narrow because the table dominates
/// the parameter count and so the optimizer step: at 32 it holds 1.6M values, and an AdamW step over the whole encoder
/// measured about half of what it took at 64</param>
/// <param name="TemporalKernel">frames seen by the temporal convolution over frame tokens (odd)</param>
/// <param name="MaxFrames">rows of the learned time embedding: the most frames a clip may have</param>
/// <param name="Modalities">the ablation switch: both inputs, caption only, or video only</param>
/// <param name="Seed">seeds every initial weight</param>
public sealed record TinyBackboneConfig(
    int HiddenSize = 128,
    int CnnWidth = 32,
    int FusionLayers = 2,
    int Heads = 4,
    int FeedForward = 256,
    int CaptionLayers = 1,
    int MaxCaptionTokens = 32,
    int TokenEmbeddingSize = 32,
    int TemporalKernel = 3,
    int MaxFrames = 32,
    TinyModalities Modalities = TinyModalities.VideoAndCaption,
    long Seed = 0)
{
    /// <summary>How clips are decoded (frame count, sampling rule, size); the paper's 8 frames at 64x64 by default.</summary>
    public Preprocessing Preprocessing { get; init; } = Preprocessing.Default;

    /// <summary>The spatial grid every frame's CNN map is pooled to before it becomes a frame token (4x4 at 64x64).</summary>
    public const int MapSide = 4;

    public bool UsesVideo => Modalities != TinyModalities.CaptionOnly;
    public bool UsesCaption => Modalities != TinyModalities.VideoOnly;

    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value < 1) throw new ArgumentException($"TinyBackboneConfig.{name} must be positive, got {value}");
        }
        Positive(HiddenSize, nameof(HiddenSize));
        Positive(CnnWidth, nameof(CnnWidth));
        Positive(FusionLayers, nameof(FusionLayers));
        Positive(Heads, nameof(Heads));
        Positive(FeedForward, nameof(FeedForward));
        Positive(TokenEmbeddingSize, nameof(TokenEmbeddingSize));
        Positive(MaxFrames, nameof(MaxFrames));
        if (CaptionLayers < 0) throw new ArgumentException($"TinyBackboneConfig.CaptionLayers must be >= 0, got {CaptionLayers}");
        if (MaxCaptionTokens < 2) throw new ArgumentException($"TinyBackboneConfig.MaxCaptionTokens must be at least 2, got {MaxCaptionTokens}");
        if (HiddenSize % Heads != 0)
            throw new ArgumentException($"TinyBackboneConfig.HiddenSize {HiddenSize} must be divisible by Heads {Heads}");
        if (CnnWidth % 8 != 0) throw new ArgumentException($"TinyBackboneConfig.CnnWidth must be a multiple of 8 (GroupNorm groups of 8 channels), got {CnnWidth}");
        if (TemporalKernel < 1 || TemporalKernel % 2 == 0)
            throw new ArgumentException($"TinyBackboneConfig.TemporalKernel must be a positive odd number, got {TemporalKernel}");
        if (!Enum.IsDefined(Modalities)) throw new ArgumentException($"TinyBackboneConfig.Modalities: unknown value {(int)Modalities}");
        if (UsesVideo && Preprocessing.Frames > MaxFrames)
            throw new ArgumentException(
                $"TinyBackboneConfig: the preprocessing samples {Preprocessing.Frames} frames, more than MaxFrames = {MaxFrames}");
        if (UsesVideo && (Preprocessing.Width < MapSide || Preprocessing.Height < MapSide))
            throw new ArgumentException(
                $"TinyBackboneConfig: frames of {Preprocessing.Width}x{Preprocessing.Height} are smaller than the {MapSide}x{MapSide} frame grid");
    }

    /// <summary>"tiny-v1-h128", with the blanked modality appended for the control variants.</summary>
    public string Id => "tiny-v1-h" + HiddenSize + Modalities switch
    {
        TinyModalities.CaptionOnly => "-caption-only",
        TinyModalities.VideoOnly => "-video-only",
        _ => "",
    };

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>12 hex digits of the SHA-256 of <see cref="ToJson"/>, for cache keys and result records.</summary>
    public string Hash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())))[..12].ToLowerInvariant();

    public string Describe() =>
        $"{Id}: per-frame CNN (width {CnnWidth}, {MapSide}x{MapSide} grid) + temporal conv (k={TemporalKernel}), " +
        $"GPT-2 BPE caption encoder ({CaptionLayers} layer(s), <= {MaxCaptionTokens} tokens), " +
        $"{FusionLayers}-layer fusion, {Heads} heads, FFN {FeedForward}, seed {Seed}; clips {Preprocessing.Describe()}";
}

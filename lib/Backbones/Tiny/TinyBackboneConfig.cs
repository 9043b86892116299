using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MjVideo.Video;

namespace MjVideo.Backbones.Tiny;

/// <summary>The small encoder's network: v1 (4x4 grid squeezed into one token per frame, caption by FiLM) or v2
/// (<see cref="GridVideoTextModel"/>: cells, frame differences over every decoded frame, caption bound to cells).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TinyArchitecture>))]
public enum TinyArchitecture
{
    V1,
    V2,
}

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
    /// <summary>How clips are decoded (frame count, sampling rule, size); the paper's 8 frames at 64x64 by default. The
    /// v2 architecture decodes every frame it reads (<see cref="ForV2"/>) and picks the CNN's frames itself.</summary>
    public Preprocessing Preprocessing { get; init; } = Preprocessing.Default;

    // The fields below are left out of the JSON at their defaults, so a v1 config serialises (and hashes) as before v2
    // existed and its cached encoders and states stay valid.

    /// <summary>Which network: the v1 encoder or the v2 grid encoder (<see cref="GridVideoTextModel"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TinyArchitecture Architecture { get; init; } = TinyArchitecture.V1;

    /// <summary>v2: the side of the grid of cells every frame's CNN map keeps (8: 8x8 cells of 8x8 pixels at 64x64).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int GridSide { get; init; }

    /// <summary>v2: how many of the decoded frames the per-frame CNN reads, and by which rule (the paper's 8 by default);
    /// the frame-difference stream reads every decoded frame whatever this is.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int CnnFrames { get; init; }

    /// <summary>v2: the rule that picks the CNN's frames out of the decoded ones.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public FrameSampling CnnSampling { get; init; }

    /// <summary>v2: each caption word also reads, per attention head, how well its best cell matches it and how many
    /// cells do (<see cref="CrossAttention"/>), so that "the red cube is not there" is a signal rather than an average of
    /// the wrong cells.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool MatchEvidence { get; init; }

    /// <summary>
    /// The v2 grid encoder at this config's sizes: 16 decoded frames (every frame of a SynthBench clip; a uniform 16 of a
    /// longer real clip) for the frame-difference stream, of which the CNN reads the paper's 8, an 8x8 grid of cells per
    /// frame, and the caption bound to the cells by cross-attention.
    /// </summary>
    public TinyBackboneConfig ForV2(int decodedFrames = 16) => this with
    {
        Architecture = TinyArchitecture.V2,
        GridSide = 8,
        CnnFrames = 8,
        CnnSampling = FrameSampling.PaperLinspace,
        MaxFrames = Math.Max(MaxFrames, decodedFrames),
        Preprocessing = Preprocessing with { Frames = decodedFrames, Sampling = FrameSampling.InclusiveUniform },
    };

    /// <summary>v2: the positions of the CNN's frames among <paramref name="decodedFrames"/> decoded ones.</summary>
    public int[] CnnFrameIndices(int decodedFrames) => FrameSampler.Indices(decodedFrames, Math.Min(CnnFrames, decodedFrames), CnnSampling);

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
        if (Architecture == TinyArchitecture.V2)
        {
            if (GridSide < 2) throw new ArgumentException($"TinyBackboneConfig.GridSide must be at least 2 for the v2 encoder, got {GridSide}");
            if (CnnFrames < 1) throw new ArgumentException($"TinyBackboneConfig.CnnFrames must be positive for the v2 encoder, got {CnnFrames}");
            if (UsesVideo && Preprocessing.Frames < 2)
                throw new ArgumentException($"TinyBackboneConfig: the v2 encoder's frame-difference stream needs at least 2 decoded frames, got {Preprocessing.Frames}");
            if (UsesVideo && (Preprocessing.Width % (8 * GridSide) != 0 || Preprocessing.Height % (8 * GridSide) != 0))
                throw new ArgumentException(
                    $"TinyBackboneConfig: v2 frames of {Preprocessing.Width}x{Preprocessing.Height} must be multiples of {8 * GridSide} (the stem and the stride-2 layer divide them by 8 down to a {GridSide}x{GridSide} grid)");
        }
        else if (Architecture != TinyArchitecture.V1) throw new ArgumentException($"TinyBackboneConfig.Architecture: unknown value {(int)Architecture}");
        if (!Enum.IsDefined(Modalities)) throw new ArgumentException($"TinyBackboneConfig.Modalities: unknown value {(int)Modalities}");
        if (UsesVideo && Preprocessing.Frames > MaxFrames)
            throw new ArgumentException(
                $"TinyBackboneConfig: the preprocessing samples {Preprocessing.Frames} frames, more than MaxFrames = {MaxFrames}");
        if (UsesVideo && (Preprocessing.Width < MapSide || Preprocessing.Height < MapSide))
            throw new ArgumentException(
                $"TinyBackboneConfig: frames of {Preprocessing.Width}x{Preprocessing.Height} are smaller than the {MapSide}x{MapSide} frame grid");
    }

    /// <summary>"tiny-v1-h128", with the blanked modality appended for the control variants.</summary>
    public string Id => (Architecture == TinyArchitecture.V2 ? "tiny-v2-h" : "tiny-v1-h") + HiddenSize + Modalities switch
    {
        TinyModalities.CaptionOnly => "-caption-only",
        TinyModalities.VideoOnly => "-video-only",
        _ => "",
    };

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>12 hex digits of the SHA-256 of <see cref="ToJson"/>, for cache keys and result records.</summary>
    public string Hash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())))[..12].ToLowerInvariant();

    public string Describe() => Architecture == TinyArchitecture.V2
        ? $"{Id}: per-frame CNN (width {CnnWidth}, {GridSide}x{GridSide} cells, {CnnFrames} frames by {CnnSampling}) + frame-difference stream " +
          $"over all {Preprocessing.Frames} decoded frames, GPT-2 BPE caption encoder ({CaptionLayers} layer(s), <= {MaxCaptionTokens} tokens) " +
          $"bound to the cells by cross-attention, {FusionLayers}-layer fusion, {Heads} heads, FFN {FeedForward}, standardised states, " +
          $"seed {Seed}; clips {Preprocessing.Describe()}"
        : $"{Id}: per-frame CNN (width {CnnWidth}, {MapSide}x{MapSide} grid) + temporal conv (k={TemporalKernel}), " +
        $"GPT-2 BPE caption encoder ({CaptionLayers} layer(s), <= {MaxCaptionTokens} tokens), " +
        $"{FusionLayers}-layer fusion, {Heads} heads, FFN {FeedForward}, seed {Seed}; clips {Preprocessing.Describe()}";
}

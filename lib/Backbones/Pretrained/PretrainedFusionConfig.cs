using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MjVideo.Video;

namespace MjVideo.Backbones.Pretrained;

/// <summary>
/// The frozen-encoder fusion backbone's shape (<see cref="PretrainedFusionBackbone"/>).
/// </summary>
/// <param name="HiddenSize">H, the size of h_gate and h_last and of every token</param>
/// <param name="FusionLayers">transformer layers over [caption token; feature-map cells; gate; reward]</param>
/// <param name="Heads">attention heads per layer</param>
/// <param name="FeedForward">hidden width of the transformer layers' MLPs</param>
/// <param name="CachedFrames">frames per video whose feature maps are computed and cached (<see cref="FeatureFrames"/>)</param>
/// <param name="InputSize">the frame size ResNet-18 sees: 112 gives 4x4 maps, 224 gives 7x7</param>
/// <param name="MaxFrames">rows of the learned time embedding: the most frames a sample may have</param>
/// <param name="ExtractorThreads">ONNX Runtime threads for ResNet-18 and MiniLM</param>
/// <param name="Seed">seeds every initial weight of the fusion</param>
public sealed record PretrainedFusionConfig(
    int HiddenSize = 128,
    int FusionLayers = 2,
    int Heads = 4,
    int FeedForward = 256,
    int CachedFrames = 16,
    int InputSize = 112,
    int MaxFrames = 32,
    int ExtractorThreads = 1,
    long Seed = 0)
{
    /// <summary>
    /// Which frames the fusion reads (count and sampling rule; the paper's 8 by default) and how frames are resized
    /// (squash or letterbox). Its width and height are not used: frames are decoded straight to
    /// <see cref="InputSize"/>.
    /// </summary>
    public Preprocessing Preprocessing { get; init; } = Preprocessing.Default;

    /// <summary>Channels of ResNet-18's last block.</summary>
    public const int FeatureChannels = 512;

    /// <summary>MiniLM's embedding size.</summary>
    public const int CaptionSize = CaptionEncoder.Dimension;

    /// <summary>
    /// The side of ResNet-18's pre-pool map at <see cref="InputSize"/>: the stem convolution, the max pool and the three
    /// strided stages each take n to ceil(n / 2) (kernel 7 padding 3, or kernel 3 padding 1, stride 2): 112 -> 4, 224 -> 7.
    /// </summary>
    public int MapSide
    {
        get
        {
            var side = InputSize;
            for (var i = 0; i < 5; i++) side = (side + 1) / 2;
            return side;
        }
    }

    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value < 1) throw new ArgumentException($"PretrainedFusionConfig.{name} must be positive, got {value}");
        }
        Positive(HiddenSize, nameof(HiddenSize));
        Positive(FusionLayers, nameof(FusionLayers));
        Positive(Heads, nameof(Heads));
        Positive(FeedForward, nameof(FeedForward));
        Positive(CachedFrames, nameof(CachedFrames));
        Positive(MaxFrames, nameof(MaxFrames));
        Positive(ExtractorThreads, nameof(ExtractorThreads));
        if (InputSize < 32) throw new ArgumentException($"PretrainedFusionConfig.InputSize must be at least ResNet-18's stride of 32, got {InputSize}");
        if (HiddenSize % Heads != 0)
            throw new ArgumentException($"PretrainedFusionConfig.HiddenSize {HiddenSize} must be divisible by Heads {Heads}");
        if (Preprocessing.Frames > MaxFrames)
            throw new ArgumentException($"PretrainedFusionConfig: the preprocessing samples {Preprocessing.Frames} frames, more than MaxFrames = {MaxFrames}");
    }

    /// <summary>"pretrained-v1-h128-112px": the fusion's version and size and the frozen encoders' input size.</summary>
    public string Id => $"pretrained-v1-h{HiddenSize}-{InputSize}px";

    public string ToJson() => JsonSerializer.Serialize(this);

    public string Hash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())))[..12].ToLowerInvariant();

    public string Describe() =>
        $"{Id}: frozen ResNet-18 pre-pool maps ({MapSide}x{MapSide}x{FeatureChannels} per frame, {CachedFrames} cached frames) + " +
        $"frozen MiniLM caption (FiLM + caption token), {FusionLayers}-layer fusion, {Heads} heads, FFN {FeedForward}, seed {Seed}; " +
        $"frames {Preprocessing.Frames} ({Preprocessing.Sampling}), {Preprocessing.Resize}";
}

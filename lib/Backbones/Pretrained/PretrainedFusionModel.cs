using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MjVideo.Backbones.Pretrained;

/// <summary>
/// The trainable fusion over frozen features (the frozen encoders themselves live outside it and have no parameters here):
/// <list type="number">
/// <item>every cell of every frame's ResNet-18 map (512 values) is projected to H and layer-normalised, and a learned
/// spatial embedding (which cell) and time embedding (which frame position) are added, so position, count and change
/// over time stay visible;</item>
/// <item>caption conditioning, two ways: FiLM, a per-channel scale and shift of every cell token computed from the
/// MiniLM caption embedding (x * (1 + gamma) + beta, so that cells are read in the light of the caption before any
/// attention), and the caption embedding projected to one caption token inside the sequence;</item>
/// <item>the fusion (<see cref="FusionTransformer"/>) over [caption token; cell tokens; gate; reward].</item>
/// </list>
/// </summary>
public sealed class PretrainedFusionModel : Module
{
    Linear cell_projection;
    LayerNorm cell_norm;
    Parameter spatial_embedding;
    Parameter time_embedding;
    Linear caption_film;
    Linear caption_projection;
    Parameter modality_embedding;
    FusionTransformer fusion;

    const int CaptionModality = 0;
    const int VideoModality = 1;

    /// <summary>Spread of the learned embeddings added to tokens: small against the normalised cell tokens (spread 1).</summary>
    public const double AddedEmbeddingStd = 0.1;

    public PretrainedFusionModel(PretrainedFusionConfig config) : base(nameof(PretrainedFusionModel))
    {
        config.Validate();
        Config = config;
        var h = config.HiddenSize;
        using var generator = new Generator(unchecked((ulong)config.Seed));
        cell_projection = Linear(PretrainedFusionConfig.FeatureChannels, h);
        cell_norm = LayerNorm(h);
        spatial_embedding = new Parameter(SeededInit.Normal([config.MapSide * config.MapSide, h], AddedEmbeddingStd, generator));
        time_embedding = new Parameter(SeededInit.Normal([config.MaxFrames, h], AddedEmbeddingStd, generator));
        caption_film = Linear(PretrainedFusionConfig.CaptionSize, 2 * h);
        caption_projection = Linear(PretrainedFusionConfig.CaptionSize, h);
        modality_embedding = new Parameter(SeededInit.Normal([2, h], AddedEmbeddingStd, generator));
        fusion = new FusionTransformer(h, config.FusionLayers, config.Heads, config.FeedForward, generator);
        RegisterComponents();
        SeededInit.Apply(this, generator);
    }

    public PretrainedFusionConfig Config { get; }

    /// <param name="features">frozen feature maps [B, T, 512, s, s] (any float type; computed in float32)</param>
    /// <param name="captions">frozen caption embeddings [B, 384]</param>
    public (Tensor HGate, Tensor HLast) Encode(Tensor features, Tensor captions)
    {
        var side = Config.MapSide;
        if (features.dim() != 5 || features.shape[2] != PretrainedFusionConfig.FeatureChannels || features.shape[3] != side || features.shape[4] != side)
            throw new ArgumentException(
                $"features must be [B, T, {PretrainedFusionConfig.FeatureChannels}, {side}, {side}] (ResNet-18 at {Config.InputSize}px), got [{string.Join(", ", features.shape)}]");
        if (captions.dim() != 2 || captions.shape[1] != PretrainedFusionConfig.CaptionSize || captions.shape[0] != features.shape[0])
            throw new ArgumentException(
                $"captions must be [B, {PretrainedFusionConfig.CaptionSize}] with B = {features.shape[0]}, got [{string.Join(", ", captions.shape)}]");
        var (batch, time) = (features.shape[0], features.shape[1]);
        if (time > Config.MaxFrames) throw new ArgumentException($"{time} frames exceed the {Config.MaxFrames} the time embedding covers");

        using var scope = NewDisposeScope();
        var h = Config.HiddenSize;
        var cellsPerFrame = side * side;
        // [B, T, C, s, s] -> [B, T, s*s, C]: one row per cell, cells in row-major order within a frame.
        var cells = features.to_type(ScalarType.Float32).permute(0, 1, 3, 4, 2).reshape(batch, time, cellsPerFrame, PretrainedFusionConfig.FeatureChannels);
        var x = cell_norm.forward(cell_projection.forward(cells));
        var film = caption_film.forward(captions.to_type(ScalarType.Float32)).view(batch, 1, 1, 2 * h);
        var (gamma, beta) = (film.narrow(-1, 0, h), film.narrow(-1, h, h));
        x = x * (gamma + 1) + beta;
        x = x + spatial_embedding.view(1, 1, cellsPerFrame, h) + time_embedding.narrow(0, 0, time).view(1, time, 1, h);
        x = x.reshape(batch, time * cellsPerFrame, h) + modality_embedding[VideoModality];

        var captionToken = (caption_projection.forward(captions.to_type(ScalarType.Float32)) + modality_embedding[CaptionModality]).unsqueeze(1);
        var content = cat([captionToken, x], 1);
        var mask = ones(batch, content.shape[1], dtype: ScalarType.Bool, device: content.device);
        var (hGate, hLast) = fusion.forward(content, mask);
        return (hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MjVideo.Core;

namespace MjVideo.Backbones.Tiny;

/// <summary>
/// The trainable network of the small video-text encoder, differentiable end to end from float pixels to h_gate/h_last:
/// <list type="number">
/// <item>each frame [3, H, W] in [0, 1] goes through three strided convolutions with GroupNorm and ReLU, is pooled to a
/// 4x4 grid and flattened, so where things are survives; beside it goes the frame's 4x4 average-colour thumbnail, because
/// GroupNorm removes a frame's overall brightness and colour cast, which the flicker and lighting criteria are about; one
/// linear layer makes a frame token of both;</item>
/// <item>a learned time embedding per frame position, then a residual temporal convolution over the frame tokens, so
/// that order and frame-to-frame change (flicker, disappearance, drift) are explicit before the fusion;</item>
/// <item>the caption: GPT-2 BPE ids, a narrow token table projected to H, learned positions, a transformer layer;</item>
/// <item>caption conditioning of the pixels (FiLM): the mean caption token sets a scale and shift for every channel of
/// the CNN's cell features, map * (1 + gamma) + beta, before they become frame tokens. It gives the bilinear
/// word-times-pixel interaction that alignment needs in one step ("red" re-weights the channels that respond to red),
/// where attention over frame tokens alone learned it slowly (measured on the colour-matching test);</item>
/// <item>the fusion (<see cref="FusionTransformer"/>): joint self-attention over [caption tokens; frame tokens; gate;
/// reward], so every frame token reads the caption tokens and the reverse (cross-modal attention, not concatenated
/// pooled vectors), each token marked by a learned modality embedding.</item>
/// </list>
/// With <see cref="TinyModalities.CaptionOnly"/> or <see cref="TinyModalities.VideoOnly"/> the blanked branch is not built
/// at all and its tokens are left out of the fusion.
/// </summary>
public sealed class TinyVideoTextModel : TinyEncoderModel
{
    // Field names become state-dict keys. The vision side (trained in stage 1 only) is everything under cnn and
    // frame_projection; see VisionPrefixes.
    Sequential? cnn;
    Linear? frame_projection;
    Parameter? time_embedding;
    LayerNorm? temporal_norm;
    Conv1d? temporal_conv;
    Embedding? token_embedding;
    Linear? token_projection;
    Parameter? caption_position;
    ModuleList<TransformerBlock>? caption_blocks;
    Linear? caption_film;
    Parameter modality_embedding;
    FusionTransformer fusion;

    /// <summary>State-dict prefixes of the per-frame vision network (the stand-in for the official vision encoder and
    /// projector): the parameters <see cref="TinyVideoTextBackbone.ParametersTrainedIn"/> trains in stage 1 only.</summary>
    public static readonly IReadOnlyList<string> VisionParameterPrefixes = ["cnn.", "frame_projection."];

    public override IReadOnlyList<string> VisionPrefixes => VisionParameterPrefixes;

    const int CaptionModality = 0;
    const int VideoModality = 1;

    /// <summary>Spread of the learned embeddings added to tokens (time, caption position, modality): a fraction of a token's
    /// own initial spread (about 0.5), so that at the start they mark tokens without drowning what the tokens carry.</summary>
    public const double AddedEmbeddingStd = 0.1;

    public TinyVideoTextModel(TinyBackboneConfig config) : base(nameof(TinyVideoTextModel), config)
    {
        var h = config.HiddenSize;
        using var generator = new Generator(unchecked((ulong)config.Seed));

        if (config.UsesVideo)
        {
            // A 4x4 stride-4 "patchify" stem, then two 3x3 stride-2 convolutions: 64 -> 16 -> 8 -> 4. The stem costs a sixth
            // of a 3x3 stride-2 first layer's forward and backward on this CPU (measured while choosing the design), and
            // still sees every pixel.
            var w = config.CnnWidth;
            int[] channels = [3, w, 2 * w, CnnChannels];
            (int Kernel, int Stride, int Padding)[] shapes = [(4, 4, 0), (3, 2, 1), (3, 2, 1)];
            var layers = new List<(string, Module<Tensor, Tensor>)>();
            for (var i = 0; i < shapes.Length; i++)
            {
                layers.Add(($"conv{i}", Conv2d(channels[i], channels[i + 1], shapes[i].Kernel, stride: shapes[i].Stride, padding: shapes[i].Padding)));
                layers.Add(($"norm{i}", GroupNorm(Math.Max(1, channels[i + 1] / 8), channels[i + 1])));
                layers.Add(($"relu{i}", ReLU()));
            }
            cnn = Sequential(layers);
            var cells = TinyBackboneConfig.MapSide * TinyBackboneConfig.MapSide;
            frame_projection = Linear(channels[^1] * cells + 3 * cells, h);
            time_embedding = new Parameter(SeededInit.Normal([config.MaxFrames, h], AddedEmbeddingStd, generator));
            temporal_norm = LayerNorm(h);
            temporal_conv = Conv1d(h, h, config.TemporalKernel, padding: config.TemporalKernel / 2);
        }
        if (config.UsesCaption)
        {
            token_embedding = Embedding(CaptionTokenizer.VocabularySize, config.TokenEmbeddingSize);
            token_projection = Linear(config.TokenEmbeddingSize, h);
            caption_position = new Parameter(SeededInit.Normal([config.MaxCaptionTokens, h], AddedEmbeddingStd, generator));
            caption_blocks = new ModuleList<TransformerBlock>();
            for (var i = 0; i < config.CaptionLayers; i++) caption_blocks.Add(new TransformerBlock(h, config.Heads, config.FeedForward));
        }
        if (config.UsesVideo && config.UsesCaption) caption_film = Linear(h, 2 * CnnChannels);
        modality_embedding = new Parameter(SeededInit.Normal([2, h], AddedEmbeddingStd, generator));
        fusion = new FusionTransformer(h, config.FusionLayers, config.Heads, config.FeedForward, generator);
        RegisterComponents();
        SeededInit.Apply(this, generator);
    }

    /// <summary>Channels of the CNN's last layer: what each cell of a frame's 4x4 grid carries.</summary>
    int CnnChannels => 2 * Config.CnnWidth;

    /// <summary>
    /// h_gate and h_last [B, H] for a batch.
    /// </summary>
    /// <param name="clips">float [B, T, 3, H, W] in [0, 1] (may require grad); null only for a caption-only model</param>
    /// <param name="tokenIds">int64 [B, L] caption token ids; null only for a video-only model</param>
    /// <param name="tokenMask">bool [B, L], true for real tokens</param>
    public override (Tensor HGate, Tensor HLast) Encode(Tensor? clips, Tensor? tokenIds, Tensor? tokenMask)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        var masks = new List<Tensor>();
        Tensor? film = null;
        if (Config.UsesCaption)
        {
            if (tokenIds is null || tokenMask is null) throw new ArgumentException($"{Config.Id} reads captions, but no caption tokens were given");
            var mask = tokenMask.to_type(ScalarType.Bool);
            var captionTokens = CaptionTokens(tokenIds, mask);
            parts.Add(captionTokens);
            masks.Add(mask);
            if (caption_film is not null)
            {
                var weights = mask.to_type(captionTokens.dtype).unsqueeze(-1);
                var meanToken = (captionTokens * weights).sum(1) / weights.sum(1);
                film = caption_film.forward(meanToken);
            }
        }
        if (Config.UsesVideo)
        {
            if (clips is null) throw new ArgumentException($"{Config.Id} reads videos, but no clips were given");
            var frames = FrameTokens(clips, film);
            parts.Add(frames);
            masks.Add(ones(frames.shape[0], frames.shape[1], dtype: ScalarType.Bool, device: frames.device));
        }
        var batch = parts[0].shape[0];
        if (parts.Any(p => p.shape[0] != batch))
            throw new ArgumentException($"clips and captions disagree on the batch size: [{string.Join(", ", parts.Select(p => p.shape[0]))}]");
        using var keyBias = parts.Count == 2 ? ModalityBalance(masks[0], parts[1].shape[1]) : null;
        var (hGate, hLast) = fusion.forward(cat(parts, 1), cat(masks, 1), keyBias);
        return (hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// [B, Lc + T]: the attention-logit offset of every content key so that, before training has shaped the attention,
    /// each modality receives half of a query's attention to the content, whatever its token count: log((Lc + T) / 2 / Lc)
    /// on the real caption tokens, log((Lc + T) / 2 / T) on the frame tokens. Without it SynthBench's captions (up to 65
    /// tokens) took about 8 / 9 of the attention from 8 frame tokens; measured on the quick split, a linear probe on the
    /// untrained encoder's states read abrupt background changes at AUC 0.55 with the caption present and 0.85 without
    /// it, and 0.69 with this offset. The offset sums to the same total content weight as no offset, and is the same for
    /// every row, so the attention can still learn to prefer either modality.
    /// </summary>
    /// <param name="captionMask">[B, Lc] bool, true for real caption tokens</param>
    /// <param name="frames">T, frame tokens per video</param>
    public static Tensor ModalityBalance(Tensor captionMask, long frames)
    {
        using var frameMask = ones(captionMask.shape[0], frames, dtype: ScalarType.Bool, device: captionMask.device);
        return GroupBalance([captionMask, frameMask]);
    }

    /// <summary>[B, T, H]: one token per frame, with time embedding, temporal mixing and the video modality marker.</summary>
    /// <param name="film">[B, 2C]: the caption's scale and shift for the CNN's C channels; null without a caption</param>
    Tensor FrameTokens(Tensor clips, Tensor? film)
    {
        if (clips.dim() != 5 || clips.shape[2] != 3)
            throw new ArgumentException($"clips must be [B, T, 3, H, W], got [{string.Join(", ", clips.shape)}]");
        if (!clips.is_floating_point()) throw new ArgumentException($"clips must be float in [0, 1], got {clips.dtype}");
        var (batch, time, height, width) = (clips.shape[0], clips.shape[1], clips.shape[3], clips.shape[4]);
        if (time > Config.MaxFrames)
            throw new ArgumentException($"a clip has {time} frames, more than the {Config.MaxFrames} the time embedding covers");
        if (height < TinyBackboneConfig.MapSide || width < TinyBackboneConfig.MapSide)
            throw new ArgumentException($"frames of {width}x{height} are smaller than the {TinyBackboneConfig.MapSide}x{TinyBackboneConfig.MapSide} grid");

        long[] grid = [TinyBackboneConfig.MapSide, TinyBackboneConfig.MapSide];
        var frames = HeldScalars.With(0.5, s => clips.reshape(batch * time, 3, height, width).sub(s));
        var cells = TinyBackboneConfig.MapSide * TinyBackboneConfig.MapSide;
        var map = functional.adaptive_avg_pool2d(cnn!.forward(frames), grid).view(batch, time, CnnChannels, cells);
        if (film is not null)
        {
            var gamma = film.narrow(1, 0, CnnChannels).view(batch, 1, CnnChannels, 1);
            var beta = film.narrow(1, CnnChannels, CnnChannels).view(batch, 1, CnnChannels, 1);
            map = map * (gamma + 1) + beta;
        }
        map = map.reshape(batch * time, CnnChannels * cells);
        var thumbnail = functional.adaptive_avg_pool2d(frames, grid).flatten(1);
        var tokens = frame_projection!.forward(cat([map, thumbnail], 1)).view(batch, time, Config.HiddenSize);
        tokens = tokens + time_embedding!.narrow(0, 0, time).unsqueeze(0);
        var mixed = temporal_conv!.forward(temporal_norm!.forward(tokens).transpose(1, 2)).transpose(1, 2);
        tokens = tokens + functional.gelu(mixed);
        return tokens + modality_embedding[VideoModality];
    }

    /// <summary>[B, L, H]: contextual caption tokens with the caption modality marker.</summary>
    Tensor CaptionTokens(Tensor ids, Tensor mask) =>
        EncodeCaption(ids, mask, token_embedding!, token_projection!, caption_position!, caption_blocks!) + modality_embedding[CaptionModality];
}

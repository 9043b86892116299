using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MjVideo.Core;

namespace MjVideo.Backbones.Tiny;

/// <summary>
/// What <see cref="TinyVideoTextBackbone"/> needs of its network, whichever architecture the config names
/// (<see cref="TinyArchitecture"/>): the two states from pixels and caption tokens, and which parameters form the per-frame
/// vision part that is trained first and then frozen.
/// </summary>
public abstract class TinyEncoderModel : Module
{
    protected TinyEncoderModel(string name, TinyBackboneConfig config) : base(name)
    {
        config.Validate();
        Config = config;
    }

    public TinyBackboneConfig Config { get; }

    /// <summary>State-dict prefixes of the per-frame vision network (the stand-in for the official vision encoder and
    /// projector).</summary>
    public abstract IReadOnlyList<string> VisionPrefixes { get; }

    /// <summary>h_gate and h_last [B, H] for a batch.</summary>
    /// <param name="clips">float [B, T, 3, H, W] in [0, 1] (may require grad); null only for a caption-only model</param>
    /// <param name="tokenIds">int64 [B, L] caption token ids; null only for a video-only model</param>
    /// <param name="tokenMask">bool [B, L], true for real tokens</param>
    public abstract (Tensor HGate, Tensor HLast) Encode(Tensor? clips, Tensor? tokenIds, Tensor? tokenMask);

    public static TinyEncoderModel Create(TinyBackboneConfig config) => config.Architecture switch
    {
        TinyArchitecture.V1 => new TinyVideoTextModel(config),
        TinyArchitecture.V2 => new GridVideoTextModel(config),
        _ => throw new ArgumentException($"unknown tiny encoder architecture {config.Architecture}"),
    };

    /// <summary>
    /// [B, L, H]: contextual caption tokens (without a modality marker): GPT-2 BPE ids through the narrow token table and
    /// its projection, learned positions, then the caption's own transformer layers. Padding closes its key column; a
    /// padded row still reads the real tokens, so it stays finite (and is never read).
    /// </summary>
    /// <param name="ids">int64 [B, L]</param>
    /// <param name="mask">bool [B, L], true for real tokens</param>
    protected Tensor EncodeCaption(Tensor ids, Tensor mask, Embedding tokenEmbedding, Linear tokenProjection, Parameter position,
        ModuleList<TransformerBlock> blocks)
    {
        if (ids.dim() != 2 || !mask.shape.SequenceEqual(ids.shape))
            throw new ArgumentException($"caption ids and mask must both be [B, L], got [{string.Join(", ", ids.shape)}] and [{string.Join(", ", mask.shape)}]");
        var length = ids.shape[1];
        if (length > Config.MaxCaptionTokens)
            throw new ArgumentException($"captions of {length} tokens exceed MaxCaptionTokens = {Config.MaxCaptionTokens}");
        if (mask.any(1).logical_not().any().item<bool>())
            throw new ArgumentException("a caption has no tokens (every caption carries at least its terminator)");
        var x = tokenProjection.forward(tokenEmbedding.forward(ids)) + position.narrow(0, 0, length).unsqueeze(0);
        var bias = HeldScalars.With(double.NegativeInfinity, s => zeros(mask.shape, dtype: x.dtype, device: x.device).masked_fill(mask.logical_not(), s))
            .unsqueeze(1).unsqueeze(1);
        foreach (var block in blocks) x = block.forward(x, bias);
        return x;
    }

    /// <summary>
    /// [B, N]: the attention-logit offset of every content key so that, before training has shaped the attention, each
    /// group of tokens (caption, frames, ...) receives an equal share of a query's attention whatever its token count:
    /// log(N_real / (groups * n_g)) on the real tokens of group g. The offsets are the same for every query row, so the
    /// attention can still learn to prefer any group.
    /// </summary>
    /// <param name="groupMasks">per group, [B, n_g] bool, true for real tokens</param>
    public static Tensor GroupBalance(IReadOnlyList<Tensor> groupMasks)
    {
        using var scope = NewDisposeScope();
        var counts = groupMasks.Select(m => m.to_type(ScalarType.Float32).sum(1, keepdim: true).clamp_min(1)).ToList();
        var total = counts.Aggregate((a, b) => a + b);
        var share = total / groupMasks.Count;
        var parts = groupMasks.Select((m, g) => (share / counts[g]).log().expand(-1, m.shape[1])).ToArray();
        return cat(parts, 1).MoveToOuterDisposeScope();
    }
}

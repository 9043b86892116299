using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MjVideo.Core;

namespace MjVideo.Backbones.Tiny;

/// <summary>
/// The v2 small video-text encoder, built to see what v1 could not (measured on SynthBench v1: a probe on v1's pre-trained
/// states read 24 of 28 criteria at chance while plain pixel statistics read background changes, lighting and blur at AUC
/// 0.92-1.00). Differentiable end to end from float pixels to h_gate/h_last:
/// <list type="number">
/// <item>cells: each CNN frame [3, 64, 64] goes through a 4x4 stride-4 stem and two 3x3 convolutions (GroupNorm, ReLU) to
/// an 8x8 grid; each cell becomes a token of its CNN channels, its mean colour and its local detail (GroupNorm removes a
/// frame's brightness and colour cast, which lighting and flicker are about, and much of the contrast that tells sharp
/// from blurred), with a learned cell position and the frame's time;</item>
/// <item>frame tokens: the whole 8x8 map, squeezed to 8 channels per cell and flattened with the colour grid, so position
/// and count survive into one token per CNN frame; a residual temporal convolution mixes neighbouring frames;</item>
/// <item>change tokens: every decoded frame (16, not only the CNN's 8) is pooled to 16x16 colour, and each consecutive
/// difference becomes a token of its signed 8x8 colour change and its 8x8 mean absolute change. The paper's 8-of-16 rule
/// reads frames 0, 1, 3, ..., 13, so flicker that alternates every frame looks like a constant offset to the CNN frames;
/// the change tokens see it whatever frames the CNN reads;</item>
/// <item>caption binding: the caption's tokens (GPT-2 BPE, a transformer layer) attend to every cell of every CNN frame
/// (cross-attention, queries from words, keys and values from cells), so "red" and "on the left" can each pick the cells
/// they are about, where v1's FiLM from the mean caption token could only re-weight channels for the whole frame;</item>
/// <item>the fusion (<see cref="FusionTransformer"/>) over [bound caption tokens; frame tokens; change tokens; gate;
/// reward], each group marked by a learned modality embedding and given an equal share of the initial attention;</item>
/// <item>a fixed standardisation of both states (<see cref="SetStandardisation"/>, stored in the weights as buffers): the
/// fusion's final LayerNorm leaves states whose shared part is about 10 times their spread between videos, which the
/// official bias-free regression layer cannot undo.</item>
/// </list>
/// </summary>
public sealed class GridVideoTextModel : TinyEncoderModel
{
    // Field names become state-dict keys; VisionParameterPrefixes names the per-frame vision part.
    Sequential? cnn;
    Linear? cell_projection;
    Parameter? cell_position;
    Conv2d? frame_squeeze;
    Linear? frame_projection;
    Linear? change_projection;
    Parameter? time_embedding;
    LayerNorm? temporal_norm;
    Conv1d? temporal_conv;
    LayerNorm? change_norm;
    Conv1d? change_conv;
    Embedding? token_embedding;
    Linear? token_projection;
    Parameter? caption_position;
    ModuleList<TransformerBlock>? caption_blocks;
    CrossAttention? binding;
    Parameter modality_embedding;
    FusionTransformer fusion;
    Tensor state_mean;
    Tensor state_scale;

    /// <summary>The per-frame vision part, pre-trained on the criteria and then frozen (DESIGN's recipe for the small
    /// encoder): the CNN, the cell, frame and change projections and the cell positions.</summary>
    public static readonly IReadOnlyList<string> VisionParameterPrefixes =
        ["cnn.", "cell_projection.", "cell_position", "frame_squeeze.", "frame_projection.", "change_projection."];

    public override IReadOnlyList<string> VisionPrefixes => VisionParameterPrefixes;

    const int CaptionModality = 0;
    const int FrameModality = 1;
    const int ChangeModality = 2;

    /// <summary>Channels per cell kept in the frame token (the map is squeezed by a 1x1 convolution).</summary>
    const int SqueezedChannels = 8;

    /// <summary>Per cell, the fixed pixel statistics that join the CNN's channels: mean colour (3) and local detail (1).</summary>
    const int PixelStatistics = 4;

    /// <summary>Local detail (mean absolute difference from a 3x3 blur) is a few hundredths of the pixel range on
    /// SynthBench's textures; this gain brings it to the order of the colour values.</summary>
    const double DetailGain = 10.0;

    /// <summary>Frame differences are a few hundredths of the pixel range for most temporal defects; this fixed gain
    /// brings them to the order of the other inputs before the first linear layer.</summary>
    const double ChangeGain = 8.0;

    public GridVideoTextModel(TinyBackboneConfig config) : base(nameof(GridVideoTextModel), config)
    {
        if (config.Architecture != TinyArchitecture.V2) throw new ArgumentException($"{nameof(GridVideoTextModel)} builds the v2 architecture, the config names {config.Architecture}");
        var h = config.HiddenSize;
        var cells = config.GridSide * config.GridSide;
        using var generator = new Generator(unchecked((ulong)config.Seed));
        if (config.UsesVideo)
        {
            var w = config.CnnWidth;
            cnn = Sequential(
                ("conv0", Conv2d(3, w, 4, stride: 4)), ("norm0", GroupNorm(Math.Max(1, w / 8), w)), ("relu0", ReLU()),
                ("conv1", Conv2d(w, 2 * w, 3, stride: 2, padding: 1)), ("norm1", GroupNorm(Math.Max(1, 2 * w / 8), 2 * w)), ("relu1", ReLU()),
                ("conv2", Conv2d(2 * w, CnnChannels, 3, stride: 1, padding: 1)), ("norm2", GroupNorm(Math.Max(1, CnnChannels / 8), CnnChannels)), ("relu2", ReLU()));
            cell_projection = Linear(CnnChannels + PixelStatistics, h);
            cell_position = new Parameter(SeededInit.Normal([cells, h], AddedEmbeddingStd, generator));
            frame_squeeze = Conv2d(CnnChannels, SqueezedChannels, 1);
            frame_projection = Linear((SqueezedChannels + PixelStatistics) * cells, h);
            change_projection = Linear(2 * 3 * cells, h);
            time_embedding = new Parameter(SeededInit.Normal([config.MaxFrames, h], AddedEmbeddingStd, generator));
            temporal_norm = LayerNorm(h);
            temporal_conv = Conv1d(h, h, config.TemporalKernel, padding: config.TemporalKernel / 2);
            change_norm = LayerNorm(h);
            change_conv = Conv1d(h, h, config.TemporalKernel, padding: config.TemporalKernel / 2);
        }
        if (config.UsesCaption)
        {
            token_embedding = Embedding(CaptionTokenizer.VocabularySize, config.TokenEmbeddingSize);
            token_projection = Linear(config.TokenEmbeddingSize, h);
            caption_position = new Parameter(SeededInit.Normal([config.MaxCaptionTokens, h], AddedEmbeddingStd, generator));
            caption_blocks = new ModuleList<TransformerBlock>();
            for (var i = 0; i < config.CaptionLayers; i++) caption_blocks.Add(new TransformerBlock(h, config.Heads, config.FeedForward));
        }
        if (config.UsesVideo && config.UsesCaption) binding = new CrossAttention(h, config.Heads, config.FeedForward, config.MatchEvidence);
        modality_embedding = new Parameter(SeededInit.Normal([3, h], AddedEmbeddingStd, generator));
        fusion = new FusionTransformer(h, config.FusionLayers, config.Heads, config.FeedForward, generator);
        state_mean = zeros(2, h);
        state_scale = ones(2, h);
        RegisterComponents();
        SeededInit.Apply(this, generator);
    }

    /// <summary>Spread of the learned embeddings added to tokens, as in v1.</summary>
    public const double AddedEmbeddingStd = TinyVideoTextModel.AddedEmbeddingStd;

    int CnnChannels => 2 * Config.CnnWidth;

    /// <summary>The stored standardisation: row 0 for h_gate, row 1 for h_last, each state = (state - mean) * scale.</summary>
    public (Tensor Mean, Tensor Scale) Standardisation => (state_mean, state_scale);

    /// <summary>
    /// Fixes the standardisation of both states from a sample of raw states (before any standardisation), e.g. every
    /// training video after pre-training: per dimension, mean 0 and standard deviation 1 on that sample. A dimension
    /// with no spread keeps scale 1, so it stays constant rather than blowing up.
    /// </summary>
    /// <param name="rawGate">[N, H] h_gate before standardisation</param>
    /// <param name="rawLast">[N, H] h_last before standardisation</param>
    public void SetStandardisation(Tensor rawGate, Tensor rawLast)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mean = stack([rawGate.mean([0L]), rawLast.mean([0L])]);
        var std = stack([rawGate.std(0, keepdim: false), rawLast.std(0, keepdim: false)]);
        var scale = where(std > 1e-6, std.clamp_min(1e-6).reciprocal(), ones_like(std));
        state_mean.copy_(mean);
        state_scale.copy_(scale);
    }

    /// <summary>Returns to the identity standardisation (as constructed).</summary>
    public void ResetStandardisation()
    {
        using var noGrad = no_grad();
        state_mean.zero_();
        state_scale.fill_(1);
    }

    public override (Tensor HGate, Tensor HLast) Encode(Tensor? clips, Tensor? tokenIds, Tensor? tokenMask) =>
        Encode(clips, tokenIds, tokenMask, cnnFrames: null);

    /// <summary>h_gate and h_last [B, H], standardised.</summary>
    /// <param name="clips">float [B, T, 3, H, W] in [0, 1]: every decoded frame</param>
    /// <param name="tokenIds">int64 [B, L]</param>
    /// <param name="tokenMask">bool [B, L]</param>
    /// <param name="cnnFrames">which of the T frames the CNN reads; null: the config's rule (the paper's 8 by default)</param>
    public (Tensor HGate, Tensor HLast) Encode(Tensor? clips, Tensor? tokenIds, Tensor? tokenMask, long[]? cnnFrames)
    {
        using var scope = NewDisposeScope();
        var (hGate, hLast) = EncodeRaw(clips, tokenIds, tokenMask, cnnFrames);
        (hGate, hLast) = Standardise(hGate, hLast, state_mean, state_scale);
        return (hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }

    /// <summary>The states before the stored standardisation (what <see cref="SetStandardisation"/> is fitted on).</summary>
    public (Tensor HGate, Tensor HLast) EncodeRaw(Tensor? clips, Tensor? tokenIds, Tensor? tokenMask, long[]? cnnFrames = null)
    {
        using var scope = NewDisposeScope();
        var (tokens, mask, keyBias) = FusionInputs(clips, tokenIds, tokenMask, cnnFrames);
        var (hGate, hLast) = fusion.forward(tokens, mask, keyBias);
        return (hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }

    /// <summary>The fusion transformer (the language-model analogue that the cached-token recipe trains with the head).</summary>
    public FusionTransformer Fusion => fusion;

    /// <summary>Applies a standardisation to raw states: row 0 of <paramref name="mean"/> and <paramref name="scale"/> for
    /// h_gate, row 1 for h_last (the layout of <see cref="Standardisation"/>).</summary>
    public static (Tensor HGate, Tensor HLast) Standardise(Tensor rawGate, Tensor rawLast, Tensor mean, Tensor scale) =>
        ((rawGate - mean[0]) * scale[0], (rawLast - mean[1]) * scale[1]);

    /// <summary>
    /// Everything before the fusion transformer: the content tokens [B, N, H] (bound caption tokens, frame tokens, change
    /// tokens, each with its modality embedding), their mask [B, N] and the key bias [B, N] that gives each group an
    /// equal share of the initial attention (null with one group).
    /// </summary>
    public (Tensor Tokens, Tensor Mask, Tensor? KeyBias) FusionInputs(Tensor? clips, Tensor? tokenIds, Tensor? tokenMask, long[]? cnnFrames = null)
    {
        using var scope = NewDisposeScope();
        var groups = new List<(Tensor Tokens, Tensor Mask)>();
        Tensor? caption = null, captionMask = null;
        if (Config.UsesCaption)
        {
            if (tokenIds is null || tokenMask is null) throw new ArgumentException($"{Config.Id} reads captions, but no caption tokens were given");
            captionMask = tokenMask.to_type(ScalarType.Bool);
            caption = CaptionTokens(tokenIds, captionMask);
        }
        if (Config.UsesVideo)
        {
            if (clips is null) throw new ArgumentException($"{Config.Id} reads videos, but no clips were given");
            CheckClips(clips);
            var batch = clips.shape[0];
            if (caption is not null && caption.shape[0] != batch)
                throw new ArgumentException($"clips and captions disagree on the batch size: {batch} and {caption.shape[0]}");
            var indices = cnnFrames ?? Config.CnnFrameIndices((int)clips.shape[1]).Select(i => (long)i).ToArray();
            var (cellTokens, frameTokens) = CellsAndFrames(clips, indices);
            var changeTokens = ChangeTokens(clips);
            if (caption is not null)
            {
                caption = binding!.forward(caption, cellTokens.flatten(1, 2));
                groups.Add((caption + modality_embedding[CaptionModality], captionMask!));
            }
            groups.Add((frameTokens + modality_embedding[FrameModality], AllReal(frameTokens)));
            groups.Add((changeTokens + modality_embedding[ChangeModality], AllReal(changeTokens)));
        }
        else groups.Add((caption! + modality_embedding[CaptionModality], captionMask!));

        var masks = groups.Select(g => g.Mask).ToList();
        var keyBias = groups.Count > 1 ? GroupBalance(masks) : null;
        var tokens = cat(groups.Select(g => g.Tokens).ToList(), 1);
        var mask = cat(masks, 1);
        return (tokens.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope(), keyBias?.MoveToOuterDisposeScope());
    }

    static Tensor AllReal(Tensor tokens) => ones(tokens.shape[0], tokens.shape[1], dtype: ScalarType.Bool, device: tokens.device);

    void CheckClips(Tensor clips)
    {
        if (clips.dim() != 5 || clips.shape[2] != 3)
            throw new ArgumentException($"clips must be [B, T, 3, H, W], got [{string.Join(", ", clips.shape)}]");
        if (!clips.is_floating_point()) throw new ArgumentException($"clips must be float in [0, 1], got {clips.dtype}");
        if (clips.shape[1] < 2) throw new ArgumentException($"the frame-difference stream needs at least 2 frames, got {clips.shape[1]}");
        if (clips.shape[1] > Config.MaxFrames)
            throw new ArgumentException($"a clip has {clips.shape[1]} frames, more than the {Config.MaxFrames} the time embedding covers");
        if (clips.shape[3] < 2 * Config.GridSide || clips.shape[4] < 2 * Config.GridSide)
            throw new ArgumentException($"frames of {clips.shape[4]}x{clips.shape[3]} are too small for a {Config.GridSide}x{Config.GridSide} grid");
    }

    /// <summary>Cell tokens [B, F, G*G, H] and frame tokens [B, F, H] of the F frames the CNN reads.</summary>
    (Tensor Cells, Tensor Frames) CellsAndFrames(Tensor clips, long[] indices)
    {
        var (batch, time) = (clips.shape[0], clips.shape[1]);
        if (indices.Length == 0 || indices.Any(i => i < 0 || i >= time))
            throw new ArgumentException($"CNN frame indices [{string.Join(", ", indices)}] outside the {time} frames of the clips");
        var count = indices.Length;
        var side = Config.GridSide;
        var cells = side * side;
        using var index = tensor(indices, device: clips.device);
        var frames = HeldScalars.With(0.5, s => clips.index_select(1, index).flatten(0, 1).sub(s));
        long[] grid = [side, side];
        var map = functional.adaptive_avg_pool2d(cnn!.forward(frames), grid);
        var colour = cat([functional.adaptive_avg_pool2d(frames, grid), Detail(frames, grid)], 1);
        var time_ = time_embedding!.index_select(0, index);
        var cellInputs = cat([map, colour], 1).flatten(2).transpose(1, 2);
        var cellTokens = cell_projection!.forward(cellInputs).view(batch, count, cells, Config.HiddenSize)
                         + cell_position!.view(1, 1, cells, Config.HiddenSize) + time_.view(1, count, 1, Config.HiddenSize);
        var squeezed = frame_squeeze!.forward(map);
        var frameTokens = frame_projection!.forward(cat([squeezed, colour], 1).flatten(1)).view(batch, count, Config.HiddenSize)
                          + time_.unsqueeze(0);
        var mixed = temporal_conv!.forward(temporal_norm!.forward(frameTokens).transpose(1, 2)).transpose(1, 2);
        return (cellTokens, frameTokens + functional.gelu(mixed));
    }

    /// <summary>
    /// [N, 1, G, G]: each cell's local detail, the mean absolute difference between the frame and its 3x3 blur (over the
    /// three colours). The CNN's GroupNorm divides every layer by its own spread, which removes much of what tells a
    /// sharp frame from a blurred one; this fixed statistic keeps it (measured: without it the v2 encoder's probe read
    /// de-focus blur at AUC 0.46-0.50 on the quick val split, where v1 reached 0.87).
    /// </summary>
    public static Tensor Detail(Tensor frames, long[] grid)
    {
        var blurred = functional.avg_pool2d(functional.pad(frames, [1, 1, 1, 1], PaddingModes.Replicate), 3, stride: 1);
        var detail = (frames - blurred).abs().mean([1L], keepdim: true);
        return functional.adaptive_avg_pool2d(detail, grid) * DetailGain;
    }

    /// <summary>[B, T-1, H]: one token per consecutive pair of decoded frames, from their colour change.</summary>
    Tensor ChangeTokens(Tensor clips)
    {
        var (batch, time, height, width) = (clips.shape[0], clips.shape[1], clips.shape[3], clips.shape[4]);
        var side = Config.GridSide;
        long[] fine = [2 * side, 2 * side];
        long[] coarse = [side, side];
        var pooled = functional.adaptive_avg_pool2d(clips.reshape(batch * time, 3, height, width), fine).view(batch, time, 3, 2 * side, 2 * side);
        var change = HeldScalars.With(ChangeGain, s => (pooled.narrow(1, 1, time - 1) - pooled.narrow(1, 0, time - 1)).flatten(0, 1).mul(s));
        var signed = functional.adaptive_avg_pool2d(change, coarse).flatten(1);
        var magnitude = functional.adaptive_avg_pool2d(change.abs(), coarse).flatten(1);
        var tokens = change_projection!.forward(cat([signed, magnitude], 1)).view(batch, time - 1, Config.HiddenSize)
                     + time_embedding!.narrow(0, 1, time - 1).unsqueeze(0);
        var mixed = change_conv!.forward(change_norm!.forward(tokens).transpose(1, 2)).transpose(1, 2);
        return tokens + functional.gelu(mixed);
    }

    /// <summary>
    /// [V, C] grounding scores between every video and every caption of a batch: entry (i, j) is how well the words of
    /// caption j each find a cell in one CNN frame of video i, through the binding cross-attention's own queries and keys
    /// (per word and head the best cell's attention score, averaged over heads and the caption's real tokens). A
    /// contrastive loss on these scores (<c>CaptionGrounding</c> in the experiments) trains the word-to-cell matching
    /// directly, from every caption word, where the criteria labels give one bit per criterion and video.
    /// </summary>
    /// <param name="clips">float [V, T, 3, H, W] in [0, 1]</param>
    /// <param name="tokenIds">int64 [C, L]</param>
    /// <param name="tokenMask">bool [C, L]</param>
    /// <param name="frame">which decoded frame's cells the words are matched against</param>
    public Tensor GroundingScores(Tensor clips, Tensor tokenIds, Tensor tokenMask, long frame)
    {
        if (binding is null) throw new InvalidOperationException($"{Config.Id} has no caption-to-cell binding: it reads one modality only");
        using var scope = NewDisposeScope();
        CheckClips(clips);
        var mask = tokenMask.to_type(ScalarType.Bool);
        var caption = CaptionTokens(tokenIds, mask);
        var (cells, _) = CellsAndFrames(clips, [frame]);
        var best = binding.PairScores(caption, cells.flatten(1, 2)).amax([-1L]).mean([2L]);
        var weights = mask.to_type(ScalarType.Float32);
        var scores = (best * weights.unsqueeze(0)).sum([-1L]) / weights.sum([-1L]).clamp_min(1).unsqueeze(0);
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>[B, L, H]: contextual caption tokens.</summary>
    Tensor CaptionTokens(Tensor ids, Tensor mask) =>
        EncodeCaption(ids, mask, token_embedding!, token_projection!, caption_position!, caption_blocks!);
}

/// <summary>
/// Pre-norm cross-attention with an MLP: queries + attention(LN(queries) -> LN(keys)), then + MLP. Used to bind caption
/// words to the cells of the frames (every key is real, so no mask is needed).
/// <para>With match evidence, each word also receives, per head, how well its best cell matches it (the largest
/// attention score) and how many cells match it (the log of the mean exponentiated score), projected to the hidden size
/// and added before the MLP. Softmax attention alone cannot say "no cell matches this word": its weights sum to one
/// whatever the scores, so a caption naming an object that is not there reads an average of the wrong cells. The
/// alignment criteria are exactly that question.</para>
/// </summary>
public sealed class CrossAttention : Module<Tensor, Tensor, Tensor>
{
    readonly int heads;
    LayerNorm query_norm;
    LayerNorm key_norm;
    Linear query;
    Linear key_value;
    Linear attention_output;
    Linear? match_evidence;
    LayerNorm mlp_norm;
    Linear mlp_in;
    Linear mlp_out;

    public CrossAttention(int hidden, int heads, int feedForward, bool matchEvidence = false) : base(nameof(CrossAttention))
    {
        if (hidden % heads != 0) throw new ArgumentException($"hidden size {hidden} is not divisible by {heads} heads");
        this.heads = heads;
        query_norm = LayerNorm(hidden);
        key_norm = LayerNorm(hidden);
        query = Linear(hidden, hidden);
        key_value = Linear(hidden, 2 * hidden);
        attention_output = Linear(hidden, hidden);
        if (matchEvidence) match_evidence = Linear(2 * heads, hidden);
        mlp_norm = LayerNorm(hidden);
        mlp_in = Linear(hidden, feedForward);
        mlp_out = Linear(feedForward, hidden);
        RegisterComponents();
    }

    /// <param name="queries">[B, L, H]</param>
    /// <param name="keys">[B, N, H]</param>
    public override Tensor forward(Tensor queries, Tensor keys)
    {
        using var scope = NewDisposeScope();
        var (batch, length, hidden) = (queries.shape[0], queries.shape[1], queries.shape[2]);
        var n = keys.shape[1];
        var headSize = hidden / heads;
        var q = query.forward(query_norm.forward(queries)).view(batch, length, heads, headSize).transpose(1, 2);
        var kv = key_value.forward(key_norm.forward(keys)).view(batch, n, 2, heads, headSize).permute(2, 0, 3, 1, 4);
        var scores = HeldScalars.With(Math.Sqrt(headSize), s => q.matmul(kv[0].transpose(-2, -1)).div(s));
        var attended = functional.softmax(scores, -1).matmul(kv[1]).transpose(1, 2).reshape(batch, length, hidden);
        var x = queries + attention_output.forward(attended);
        if (match_evidence is not null) x = x + match_evidence.forward(MatchEvidence(scores));
        x = x + mlp_out.forward(functional.gelu(mlp_in.forward(mlp_norm.forward(x))));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The attention scores of every query set against every key set: [V, C, heads, L, N] from queries [C, L, H]
    /// and keys [V, N, H] (the scores <see cref="forward"/> computes, for all pairs of the two batches).</summary>
    public Tensor PairScores(Tensor queries, Tensor keys)
    {
        using var scope = NewDisposeScope();
        var (captions, length, hidden) = (queries.shape[0], queries.shape[1], queries.shape[2]);
        var (videos, n) = (keys.shape[0], keys.shape[1]);
        var headSize = hidden / heads;
        var q = query.forward(query_norm.forward(queries)).view(captions, length, heads, headSize);
        var k = key_value.forward(key_norm.forward(keys)).view(videos, n, 2, heads, headSize).select(2, 0);
        var scores = HeldScalars.With(Math.Sqrt(headSize), s => einsum("clhd,vnhd->vchln", q, k).div(s));
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>[B, L, 2 * heads] from scores [B, heads, L, N]: per head, the best cell's score, then the log of the mean
    /// exponentiated score (which grows with the number of cells that match, where the maximum does not).</summary>
    public static Tensor MatchEvidence(Tensor scores)
    {
        var best = scores.amax([-1L]);
        var spread = HeldScalars.With(Math.Log(scores.shape[^1]), s => scores.logsumexp(-1, keepdim: false).sub(s));
        return cat([best, spread], 1).transpose(1, 2);
    }
}

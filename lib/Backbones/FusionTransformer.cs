using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MjVideo.Core;

namespace MjVideo.Backbones;

/// <summary>
/// A pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x)) with a GELU. No dropout, so a forward pass
/// is a deterministic function of its inputs and weights (the training sets here are small; regularisation is the
/// trainer's weight decay).
/// </summary>
public sealed class TransformerBlock : Module<Tensor, Tensor, Tensor>
{
    readonly int heads;
    LayerNorm attention_norm;
    Linear qkv;
    Linear attention_output;
    LayerNorm mlp_norm;
    Linear mlp_in;
    Linear mlp_out;

    public TransformerBlock(int hidden, int heads, int feedForward) : base(nameof(TransformerBlock))
    {
        if (hidden % heads != 0) throw new ArgumentException($"hidden size {hidden} is not divisible by {heads} heads");
        this.heads = heads;
        attention_norm = LayerNorm(hidden);
        qkv = Linear(hidden, 3 * hidden);
        attention_output = Linear(hidden, hidden);
        mlp_norm = LayerNorm(hidden);
        mlp_in = Linear(hidden, feedForward);
        mlp_out = Linear(feedForward, hidden);
        RegisterComponents();
    }

    /// <param name="x">tokens [B, N, H]</param>
    /// <param name="attentionBias">added to the attention logits, broadcastable to [B, heads, N, N]: 0 where a query may
    /// read a key, -inf where it may not</param>
    public override Tensor forward(Tensor x, Tensor attentionBias)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens, hidden) = (x.shape[0], x.shape[1], x.shape[2]);
        var headSize = hidden / heads;
        var qkvHeads = qkv.forward(attention_norm.forward(x)).view(batch, tokens, 3, heads, headSize).permute(2, 0, 3, 1, 4);
        var (q, k, v) = (qkvHeads[0], qkvHeads[1], qkvHeads[2]);
        var scores = HeldScalars.With(Math.Sqrt(headSize), s => q.matmul(k.transpose(-2, -1)).div(s)) + attentionBias;
        var attended = functional.softmax(scores, -1).matmul(v).transpose(1, 2).reshape(batch, tokens, hidden);
        x = x + attention_output.forward(attended);
        x = x + mlp_out.forward(functional.gelu(mlp_in.forward(mlp_norm.forward(x))));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The video-text fusion shared by both trainable backbones, ending in the two learned query tokens of DESIGN 5.
/// <para>
/// The content tokens (caption and video, in whatever mix the backbone builds) are followed by a gate token and a
/// reward token, and the joint sequence goes through the transformer blocks. The attention pattern mirrors the official
/// causal LLM, where the <c>&lt;|im_end|&gt;</c> position (h_gate) comes before the last token (h_last): content tokens
/// read only content tokens (so the video-text representation does not depend on the queries), the gate token reads
/// the content and itself, the reward token reads everything. The outputs at the two query positions, after a final
/// LayerNorm, are h_gate and h_last.
/// </para>
/// </summary>
public sealed class FusionTransformer : Module<Tensor, Tensor, (Tensor HGate, Tensor HLast)>
{
    Parameter gate_token;
    Parameter reward_token;
    ModuleList<TransformerBlock> blocks;
    LayerNorm final_norm;

    public FusionTransformer(int hidden, int layers, int heads, int feedForward, Generator generator) : base(nameof(FusionTransformer))
    {
        if (layers < 1) throw new ArgumentException($"the fusion needs at least one transformer layer, got {layers}");
        Hidden = hidden;
        gate_token = new Parameter(SeededInit.Normal([hidden], 1.0, generator));
        reward_token = new Parameter(SeededInit.Normal([hidden], 1.0, generator));
        blocks = new ModuleList<TransformerBlock>();
        for (var i = 0; i < layers; i++) blocks.Add(new TransformerBlock(hidden, heads, feedForward));
        final_norm = LayerNorm(hidden);
        RegisterComponents();
    }

    public int Hidden { get; }

    /// <param name="content">content tokens [B, N, H]</param>
    /// <param name="contentMask">[B, N] bool, true for real tokens and false for padding (never read by anyone)</param>
    /// <returns>h_gate and h_last, [B, H] each</returns>
    public override (Tensor HGate, Tensor HLast) forward(Tensor content, Tensor contentMask) => forward(content, contentMask, null);

    /// <param name="content">content tokens [B, N, H]</param>
    /// <param name="contentMask">[B, N] bool, true for real tokens and false for padding (never read by anyone)</param>
    /// <param name="contentKeyBias">[B, N], added to every row's attention logit for each content key column (e.g. to give
    /// each modality an equal share of attention at the start, whatever its token count); null adds nothing</param>
    public (Tensor HGate, Tensor HLast) forward(Tensor content, Tensor contentMask, Tensor? contentKeyBias)
    {
        using var scope = NewDisposeScope();
        var (batch, n) = (content.shape[0], content.shape[1]);
        var queries = stack([gate_token, reward_token]).unsqueeze(0).expand(batch, 2, Hidden);
        var x = cat([content, queries], 1);
        var bias = AttentionBias(contentMask, x.dtype);
        if (contentKeyBias is not null)
        {
            if (!contentKeyBias.shape.SequenceEqual(contentMask.shape))
                throw new ArgumentException($"content key bias [{string.Join(", ", contentKeyBias.shape)}] does not fit the content mask [{string.Join(", ", contentMask.shape)}]");
            var columns = cat([contentKeyBias.to_type(x.dtype), zeros(batch, 2, dtype: x.dtype, device: x.device)], 1);
            bias = bias + columns.view(batch, 1, 1, n + 2);
        }
        foreach (var block in blocks) x = block.forward(x, bias);
        x = final_norm.forward(x);
        var hGate = x.select(1, n);
        var hLast = x.select(1, n + 1);
        return (hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// [B, 1, N+2, N+2]: 0 where query row i may read key column j, -inf elsewhere. Columns of padded content are closed
    /// to every row; the gate column is open to the two query rows, the reward column to the reward row only.
    /// </summary>
    public static Tensor AttentionBias(Tensor contentMask, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var (batch, n) = (contentMask.shape[0], contentMask.shape[1]);
        var device = contentMask.device;
        var total = n + 2;
        // Which key columns each kind of row may read, ignoring padding: [N+2, N+2].
        var rows = arange(total, device: device).unsqueeze(1);
        var columns = arange(total, device: device).unsqueeze(0);
        var structure = (columns < n) | ((rows >= n) & (columns <= rows));
        // Padding closes a content column for everyone; the two query columns are always real.
        var keyIsReal = cat([contentMask.to_type(ScalarType.Bool), ones(batch, 2, dtype: ScalarType.Bool, device: device)], 1);
        var allowed = structure.unsqueeze(0) & keyIsReal.unsqueeze(1);
        var bias = HeldScalars.With(double.NegativeInfinity, s => zeros(allowed.shape, dtype: dtype, device: device).masked_fill(allowed.logical_not(), s));
        return bias.unsqueeze(1).MoveToOuterDisposeScope();
    }
}

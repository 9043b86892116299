using MjVideo.Backbones.Pretrained;
using MjVideo.Backbones.Tiny;
using static TorchSharp.torch;

namespace MjVideo.Backbones;

/// <summary>
/// One matrix product of a forward pass, per video: a layer's weight applied at some number of positions (a linear layer
/// at every token, a convolution at every output pixel), or a product of two activations (attention scores and the
/// attention-weighted values), which has no weight.
/// </summary>
/// <param name="WeightElements">the weight's element count; 0 for a product of two activations</param>
/// <param name="Applications">how many times the weight is applied per video (tokens, output pixels x frames)</param>
/// <param name="ActivationMultiplyAdds">for a product of two activations, its multiply-adds per video</param>
public sealed record MatmulTerm(string Name, long WeightElements, long Applications, long ActivationMultiplyAdds = 0)
{
    public long MultiplyAdds => WeightElements * Applications + ActivationMultiplyAdds;
}

/// <summary>
/// The multiply-adds of a forward pass per video, counted from the architecture and its configuration: every matrix
/// product and convolution, which is where the time of a well-run forward pass goes. Normalisations, activations,
/// softmax, pooling and element-wise arithmetic are not counted, so FLOPs / (matrix-multiply rate) is a floor on the
/// forward time: no implementation on the same cores can beat it. FLOPs = 2 x multiply-adds.
/// <para>
/// The counts follow <see cref="TinyVideoTextModel"/>, <see cref="PretrainedFusionModel"/> and
/// <see cref="FusionTransformer"/>; a test checks that the weights named here are exactly the matrix weights the modules
/// hold, so a change of architecture that is not reflected here fails it.
/// </para>
/// </summary>
public static class ForwardFlops
{
    public static long Flops(IEnumerable<MatmulTerm> terms) => 2 * terms.Sum(t => t.MultiplyAdds);

    /// <summary>The small encoder on one clip of the configured frames and size with a caption of
    /// <paramref name="captionTokens"/> tokens (the terminator included).</summary>
    public static IReadOnlyList<MatmulTerm> Tiny(TinyBackboneConfig config, int captionTokens)
    {
        config.Validate();
        if (config.UsesCaption && (captionTokens < 1 || captionTokens > config.MaxCaptionTokens))
            throw new ArgumentOutOfRangeException(nameof(captionTokens), captionTokens, $"a caption has 1 to {config.MaxCaptionTokens} tokens");
        var h = (long)config.HiddenSize;
        var frames = (long)config.Preprocessing.Frames;
        var terms = new List<MatmulTerm>();
        long contentTokens = 0;
        if (config.UsesCaption)
        {
            terms.Add(new("token_projection", (long)config.TokenEmbeddingSize * h, captionTokens));
            for (var layer = 0; layer < config.CaptionLayers; layer++)
                terms.AddRange(Block($"caption_blocks.{layer}", h, config.FeedForward, captionTokens));
            contentTokens += captionTokens;
        }
        if (config.UsesVideo)
        {
            var (width, height) = ((long)config.Preprocessing.Width, (long)config.Preprocessing.Height);
            var w = (long)config.CnnWidth;
            long[] channels = [3, w, 2 * w, 2 * w];
            (int Kernel, int Stride, int Padding)[] shapes = [(4, 4, 0), (3, 2, 1), (3, 2, 1)];
            for (var i = 0; i < shapes.Length; i++)
            {
                var (k, stride, padding) = shapes[i];
                (width, height) = ((width + 2 * padding - k) / stride + 1, (height + 2 * padding - k) / stride + 1);
                terms.Add(new($"cnn.conv{i}", channels[i + 1] * channels[i] * k * k, width * height * frames));
            }
            var cells = (long)TinyBackboneConfig.MapSide * TinyBackboneConfig.MapSide;
            terms.Add(new("frame_projection", (channels[^1] * cells + 3 * cells) * h, frames));
            terms.Add(new("temporal_conv", h * h * config.TemporalKernel, frames));
            contentTokens += frames;
        }
        if (config.UsesCaption && config.UsesVideo) terms.Add(new("caption_film", h * 2 * (2L * config.CnnWidth), 1));
        terms.AddRange(Fusion(h, config.FusionLayers, config.FeedForward, contentTokens));
        return terms;
    }

    /// <summary>The frozen-encoder fusion on one video's cached feature maps and caption embedding (the frozen encoders
    /// themselves ran when the features were cached and are not counted).</summary>
    public static IReadOnlyList<MatmulTerm> PretrainedFusion(PretrainedFusionConfig config)
    {
        config.Validate();
        var h = (long)config.HiddenSize;
        var cells = (long)config.Preprocessing.Frames * config.MapSide * config.MapSide;
        var terms = new List<MatmulTerm>
        {
            new("cell_projection", PretrainedFusionConfig.FeatureChannels * h, cells),
            new("caption_film", PretrainedFusionConfig.CaptionSize * 2 * h, 1),
            new("caption_projection", PretrainedFusionConfig.CaptionSize * h, 1),
        };
        terms.AddRange(Fusion(h, config.FusionLayers, config.FeedForward, 1 + cells));
        return terms;
    }

    /// <summary>
    /// A module each of whose matrices is applied once per video (the MJ-Video head, its gating MLPs, the adapters): one
    /// term per parameter of two or more dimensions. Parameters of a backbone module that a RewardModel does not register
    /// are not included.
    /// </summary>
    public static IReadOnlyList<MatmulTerm> OncePerVideo(nn.Module module) =>
        module.named_parameters().Where(p => p.parameter.dim() >= 2).Select(p => new MatmulTerm(p.name, p.parameter.numel(), 1)).ToList();

    /// <summary>The fusion over the content tokens plus its two query tokens (<see cref="FusionTransformer"/>).</summary>
    static IEnumerable<MatmulTerm> Fusion(long h, int layers, int feedForward, long contentTokens)
    {
        var tokens = contentTokens + 2;
        for (var layer = 0; layer < layers; layer++)
            foreach (var term in Block($"fusion.blocks.{layer}", h, feedForward, tokens))
                yield return term;
    }

    /// <summary>One <see cref="TransformerBlock"/> over n tokens: the four projections, the two-layer MLP, and the two
    /// attention products (scores q k^T and weights times v, n x n x h multiply-adds each, whatever the head count).</summary>
    static IEnumerable<MatmulTerm> Block(string name, long h, long feedForward, long n)
    {
        yield return new($"{name}.qkv", 3 * h * h, n);
        yield return new($"{name}.attention_output", h * h, n);
        yield return new($"{name}.mlp_in", h * feedForward, n);
        yield return new($"{name}.mlp_out", feedForward * h, n);
        yield return new($"{name}.attention_scores", 0, 0, n * n * h);
        yield return new($"{name}.attention_values", 0, 0, n * n * h);
    }
}

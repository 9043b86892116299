using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MjVideo.Backbones;

/// <summary>
/// Initial weights drawn from a seeded generator instead of torch's global one, so that a backbone built twice with the
/// same seed has the same weights whatever else the process did in between.
/// </summary>
public static class SeededInit
{
    /// <summary>
    /// Sets the weights of every Linear, Conv1d, Conv2d, Embedding, GroupNorm and LayerNorm inside <paramref name="module"/>, in the order of
    /// <c>named_modules()</c> (fixed by the module's structure): PyTorch's defaults, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
    /// the weights and biases of linear and convolution layers and N(0, 1) for embeddings; ones and zeros for the scale
    /// and shift of GroupNorm and LayerNorm (set here because TorchSharp 0.107's GroupNorm leaves them uninitialised:
    /// they held whatever the allocator returned, NaN included). Parameters a module creates itself are drawn where it
    /// creates them.
    /// </summary>
    public static void Apply(nn.Module module, Generator generator)
    {
        using var noGrad = no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            switch (child)
            {
                case Linear linear:
                    FanInUniform(linear.weight!, linear.bias, generator);
                    break;
                case Conv1d conv:
                    FanInUniform(conv.weight!, conv.bias, generator);
                    break;
                case Conv2d conv:
                    FanInUniform(conv.weight!, conv.bias, generator);
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, 1, generator);
                    break;
                case GroupNorm norm:
                    norm.weight?.fill_(1);
                    norm.bias?.zero_();
                    break;
                case LayerNorm norm:
                    norm.weight?.fill_(1);
                    norm.bias?.zero_();
                    break;
            }
        }
    }

    /// <summary>A fresh tensor drawn from N(0, std^2).</summary>
    public static Tensor Normal(long[] shape, double std, Generator generator)
    {
        using var scope = NewDisposeScope();
        return (randn(shape, generator: generator) * std).MoveToOuterDisposeScope();
    }

    static void FanInUniform(Tensor weight, Tensor? bias, Generator generator)
    {
        // fan_in = every weight feeding one output: in_features, or in_channels/groups x kernel size.
        var fanIn = weight.numel() / weight.shape[0];
        var bound = 1.0 / Math.Sqrt(fanIn);
        weight.uniform_(-bound, bound, generator);
        bias?.uniform_(-bound, bound, generator);
    }
}

using static TorchSharp.torch;

namespace MjVideo.Tuning;

/// <summary>
/// Codec-like damage applied to renders before the reward sees them during tuning, so that the generator cannot win by
/// pixel patterns finer than a video codec keeps: an offset per 8x8 block, channel and frame (the error a block
/// transform's quantised DC coefficient leaves), per-pixel noise, then 8-bit rounding with a straight-through gradient.
/// </summary>
/// <param name="BlockSigma">spread of the per-block offsets (in [0, 1] pixel units)</param>
/// <param name="PixelSigma">spread of the per-pixel noise</param>
/// <param name="BlockSize">side of the blocks, in pixels</param>
public sealed record CodecNoise(double BlockSigma = 1.5 / 255, double PixelSigma = 1.5 / 255, int BlockSize = 8)
{
    public void Validate()
    {
        if (!(BlockSigma >= 0) || !(PixelSigma >= 0)) throw new ArgumentException($"CodecNoise: spreads must be >= 0, got {BlockSigma} and {PixelSigma}");
        if (BlockSize < 1) throw new ArgumentException($"CodecNoise.BlockSize = {BlockSize}: must be at least 1");
    }

    /// <summary>Damages clips [B, T, 3, H, W] in [0, 1]; differentiable (identity gradient through the rounding).</summary>
    public Tensor Apply(Tensor clips, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (b, t, c, h, w) = (clips.shape[0], clips.shape[1], clips.shape[2], clips.shape[3], clips.shape[4]);
        var rows = (h + BlockSize - 1) / BlockSize;
        var columns = (w + BlockSize - 1) / BlockSize;
        var blocks = randn([b, t, c, rows, columns], generator: generator).to(clips.device) * BlockSigma;
        var offsets = blocks.repeat_interleave(BlockSize, 3).repeat_interleave(BlockSize, 4).narrow(3, 0, h).narrow(4, 0, w);
        var noisy = (clips + offsets + randn(clips.shape, generator: generator).to(clips.device) * PixelSigma).clamp(0, 1);
        var rounded = (noisy * 255).round() / 255;
        return (noisy + (rounded - noisy).detach()).MoveToOuterDisposeScope();
    }
}

using System.Text.Json;
using System.Security.Cryptography;
using System.Text;

namespace MjVideo.Video;

/// <summary>Which frames of a clip are read.</summary>
public enum FrameSampling
{
    /// <summary>The official loader: <c>np.linspace(0, n-1, k, endpoint=False).astype(int)</c>. The tail of the clip is
    /// never seen (81 frames, k = 8 -> 0, 10, ..., 70); a clip shorter than k repeats frames.</summary>
    PaperLinspace,
    /// <summary>k indices spread evenly from the first to the last frame: round(i (n-1) / (k-1)).</summary>
    InclusiveUniform,
    /// <summary>Frames at a target rate (frames per second of video time), the first k of them.</summary>
    ByFps,
}

/// <summary>How frames are brought to the model's size.</summary>
public enum ResizeMode
{
    /// <summary>Stretch to the target size without keeping the aspect ratio (the official loader).</summary>
    Squash,
    /// <summary>Keep the aspect ratio and pad with black to the target size.</summary>
    Letterbox,
}

/// <summary>
/// Every choice between an mp4 file and a clip tensor, as one record. It is printed with every result and its hash is
/// part of every cache key.
/// </summary>
public sealed record Preprocessing(
    int Frames = 8,
    FrameSampling Sampling = FrameSampling.PaperLinspace,
    int Width = 64,
    int Height = 64,
    ResizeMode Resize = ResizeMode.Squash,
    double TargetFps = 8.0)
{
    /// <summary>The paper's rule (8 frames, endpoint-exclusive linspace, squash) at SynthBench's 64x64 size.</summary>
    public static Preprocessing Default { get; } = new();

    public string Describe() =>
        $"{Frames} frames ({Sampling}{(Sampling == FrameSampling.ByFps ? $" at {TargetFps} fps" : "")}), {Width}x{Height} {Resize}";

    public string Hash()
    {
        var json = JsonSerializer.Serialize(this);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..12].ToLowerInvariant();
    }
}

/// <summary>Frame indices chosen by each sampling rule.</summary>
public static class FrameSampler
{
    /// <param name="frameCount">frames in the clip (n)</param>
    /// <param name="k">frames wanted</param>
    /// <param name="sourceFps">the clip's frame rate (only ByFps uses it)</param>
    public static int[] Indices(int frameCount, int k, FrameSampling rule, double sourceFps = 0, double targetFps = 8)
    {
        if (frameCount <= 0) throw new ArgumentException($"a clip with {frameCount} frames has nothing to sample");
        if (k <= 0) throw new ArgumentException($"k must be positive, got {k}");
        switch (rule)
        {
            case FrameSampling.PaperLinspace:
            {
                // numpy computes step = (stop - start) / num, then i * step + start in float64, then truncates.
                var step = (double)(frameCount - 1) / k;
                return Enumerable.Range(0, k).Select(i => (int)(i * step)).ToArray();
            }
            case FrameSampling.InclusiveUniform:
                if (k == 1) return [0];
                return Enumerable.Range(0, k)
                    .Select(i => (int)Math.Round(i * (double)(frameCount - 1) / (k - 1), MidpointRounding.AwayFromZero)).ToArray();
            case FrameSampling.ByFps:
            {
                if (sourceFps <= 0) throw new ArgumentException("ByFps sampling needs the clip's frame rate");
                var stride = sourceFps / targetFps;
                var indices = new List<int>();
                for (var i = 0; indices.Count < k; i++)
                {
                    var index = (int)Math.Floor(i * stride + 1e-9);
                    if (index >= frameCount) break;
                    indices.Add(index);
                }
                // A clip too short for k frames at this rate repeats its last sampled frame, so the count is always k.
                while (indices.Count < k) indices.Add(indices[^1]);
                return indices.ToArray();
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(rule));
        }
    }

    public static int[] Indices(int frameCount, Preprocessing p, double sourceFps = 0) =>
        Indices(frameCount, p.Frames, p.Sampling, sourceFps, p.TargetFps);
}

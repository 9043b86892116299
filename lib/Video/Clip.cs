using TorchSharp;
using MjVideo.Core;

namespace MjVideo.Video;

/// <summary>
/// Sampled, resized frames of one video as uint8 RGB in [T, H, W, 3] order (what ffmpeg's rgb24 pipe delivers), with
/// the frame indices they came from and the source clip's probe.
/// </summary>
public sealed class Clip
{
    public Clip(byte[] frames, int width, int height, int[] indices, VideoInfo source, Preprocessing preprocessing)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"clip size must be positive, got {width}x{height}");
        if (indices.Length == 0) throw new ArgumentException("a clip needs at least one frame", nameof(indices));
        if (frames.Length != (long)indices.Length * height * width * 3)
            throw new ArgumentException(
                $"{source.Path}: {frames.Length} bytes do not hold {indices.Length} frames of {width}x{height} RGB ({(long)indices.Length * height * width * 3} bytes)",
                nameof(frames));
        Frames = frames;
        Width = width;
        Height = height;
        Indices = indices;
        Source = source;
        Preprocessing = preprocessing;
    }

    /// <summary>[T, H, W, 3] uint8, row-major.</summary>
    public byte[] Frames { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>The source frame index of each of the T frames (repeats when the clip is shorter than the sample).</summary>
    public IReadOnlyList<int> Indices { get; }
    public VideoInfo Source { get; }
    public Preprocessing Preprocessing { get; }

    public int FrameCount => Indices.Count;
    public int FrameBytes => Width * Height * 3;

    public ReadOnlySpan<byte> Frame(int t) => Frames.AsSpan(t * FrameBytes, FrameBytes);

    /// <summary>True when the clip holds every frame of its source, in order.</summary>
    public bool HoldsEveryFrame => Indices.Count == Source.FrameCount && Indices.Select((index, t) => index == t).All(same => same);

    /// <summary>
    /// Another sampling of the same video without decoding it again: picks the target rule's frames out of a clip that
    /// holds every frame, at the same size and resize mode.
    /// </summary>
    public Clip Subsample(Preprocessing target)
    {
        if (!HoldsEveryFrame)
            throw new InvalidOperationException($"{Source.Path}: the clip holds {Indices.Count} of {Source.FrameCount} frames; subsampling needs all of them");
        if (target.Width != Width || target.Height != Height || target.Resize != Preprocessing.Resize)
            throw new ArgumentException($"{Source.Path}: cannot subsample a {Width}x{Height} {Preprocessing.Resize} clip to {target.Describe()}");
        var indices = FrameSampler.Indices(Source.FrameCount, target, Source.Fps);
        var bytes = new byte[indices.Length * FrameBytes];
        for (var t = 0; t < indices.Length; t++) Frame(indices[t]).CopyTo(bytes.AsSpan(t * FrameBytes, FrameBytes));
        return new Clip(bytes, Width, Height, indices, Source, target);
    }

    public (byte R, byte G, byte B) Pixel(int t, int x, int y)
    {
        var offset = t * FrameBytes + (y * Width + x) * 3;
        return (Frames[offset], Frames[offset + 1], Frames[offset + 2]);
    }

    /// <summary>
    /// float32 [T, 3, H, W] in [0, 1] (value / 255, as torchvision's ToTensor). One uint8 view of the bytes, one
    /// converting copy into the channel-first layout, one in-place division.
    /// </summary>
    public torch.Tensor ToTensor(torch.Device? device = null)
    {
        using var scope = torch.NewDisposeScope();
        var bytes = torch.tensor(Frames, [FrameCount, Height, Width, 3], torch.uint8);
        var result = torch.empty([FrameCount, 3, Height, Width], torch.float32);
        result.copy_(bytes.permute(0, 3, 1, 2));
        HeldScalars.With(255, s => result.div_(s));
        if (device is not null && device.type != DeviceType.CPU) result = result.to(device);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>uint8 [T, 3, H, W], the bytes reordered channel-first and nothing else: a quarter of the float clip's
    /// memory, for holding many clips in memory and converting each batch to float when it is used.</summary>
    public torch.Tensor ToByteTensor()
    {
        using var bytes = torch.tensor(Frames, [FrameCount, Height, Width, 3], torch.uint8);
        return bytes.permute(0, 3, 1, 2).contiguous();
    }

    public override string ToString() =>
        $"Clip {FrameCount}x{Height}x{Width}x3 from {System.IO.Path.GetFileName(Source.Path)} frames [{string.Join(",", Indices)}]";
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Pretrained;

/// <summary>
/// The input normalisation ResNet18.onnx was trained with, read from the package's ResNetPreprocess.onnx rather than
/// assumed. That graph is Split(RGB) -> Concat(B, G, R) -> Sub(MeanImage): Caffe-style BGR pixels in 0..255 minus a
/// per-pixel ImageNet mean image of 3x224x224 (channel averages about 103.1, 115.9, 123.2), with no division by a standard
/// deviation. <see cref="Load"/> checks that the graph still has exactly that shape and takes the mean image from it; at
/// other input sizes the mean image is resized like the frames (at 112 that is the 2x2 box average).
/// Resizing is bilinear with half-pixel centres and no antialiasing, the rule of torch's
/// <c>interpolate(mode: bilinear, align_corners: false)</c> (a test compares the two). It runs in plain managed loops that
/// write straight into ONNX Runtime's input buffer: the same steps as libtorch calls (interpolate, flip, subtract, copy
/// out) took about 80 ms per 16-frame clip on the loaded 2-core project machine, against about 11 ms for these loops and
/// about 210 ms for the network itself.
/// </summary>
public sealed class ResNetNormalization
{
    public const int MeanImageSize = 224;

    /// <summary>The mean image, [3, 224, 224], channels in B, G, R order, 0..255 scale.</summary>
    public float[] MeanImageBgr { get; }

    readonly Dictionary<int, float[]> meanBySize = [];
    readonly Lock gate = new();

    public ResNetNormalization(float[] meanImageBgr)
    {
        if (meanImageBgr.Length != 3 * MeanImageSize * MeanImageSize)
            throw new ArgumentException($"the mean image must hold 3x{MeanImageSize}x{MeanImageSize} values, got {meanImageBgr.Length}");
        MeanImageBgr = meanImageBgr;
        meanBySize[MeanImageSize] = meanImageBgr;
    }

    /// <summary>Reads and checks ResNetPreprocess.onnx (the package's by default).</summary>
    public static ResNetNormalization Load(string? preprocessPath = null)
    {
        preprocessPath ??= ResNet18Package.PreprocessPath();
        var bytes = File.ReadAllBytes(preprocessPath);
        var summary = OnnxGraphSummary.Read(bytes, preprocessPath);
        var ops = string.Join(" -> ", summary.Nodes.Select(n => n.OpType));
        var split = summary.Nodes.Count == 3 ? summary.Nodes[0] : null;
        var concat = summary.Nodes.Count == 3 ? summary.Nodes[1] : null;
        var sub = summary.Nodes.Count == 3 ? summary.Nodes[2] : null;
        var isBgrMinusMean = split is { OpType: "Split", Outputs.Count: 3 } && concat is { OpType: "Concat" } && sub is { OpType: "Sub" }
            && concat.Inputs.SequenceEqual([split.Outputs[2], split.Outputs[1], split.Outputs[0]])
            && sub.Inputs.Count == 2 && sub.Inputs[0] == concat.Outputs[0] && summary.Initializers.SequenceEqual([sub.Inputs[1]]);
        if (!isBgrMinusMean)
            throw new InvalidDataException(
                $"{preprocessPath}: expected Split -> Concat(B,G,R) -> Sub(mean image), found {ops}; the normalisation needs review");
        return new ResNetNormalization(ReadFloatInitializer(bytes, preprocessPath, sub!.Inputs[1], [1, 3, MeanImageSize, MeanImageSize]));
    }

    /// <summary>
    /// RGB frames [T,3,H,W] (uint8 in 0..255, or float32 in [0,1]) to the network's input [T,3,size,size] in
    /// <paramref name="destination"/>: resized, scaled to 0..255, reordered to BGR, minus the mean image at that size.
    /// </summary>
    public void Normalize(Tensor frames, int size, Span<float> destination)
    {
        if (frames.dim() != 4 || frames.shape[1] != 3)
            throw new ArgumentException($"frames must be [T,3,H,W] RGB, got [{string.Join(",", frames.shape)}]");
        if (frames.dtype is not (ScalarType.Byte or ScalarType.Float32))
            throw new ArgumentException($"frames must be uint8 (0..255) or float32 (0..1), got {frames.dtype}");
        var (count, height, width) = ((int)frames.shape[0], (int)frames.shape[2], (int)frames.shape[3]);
        var planeOut = size * size;
        if (destination.Length != count * 3 * planeOut)
            throw new ArgumentException($"destination holds {destination.Length} values, {count}x3x{size}x{size} needed");

        using var contiguous = frames.contiguous();
        var source = contiguous.bytes;
        var isBytes = frames.dtype == ScalarType.Byte;
        if (!isBytes) CheckUnitRange(MemoryMarshal.Cast<byte, float>(source));

        var rows = Taps(height, size);
        var columns = Taps(width, size);
        var mean = MeanAt(size);
        var planeIn = height * width;
        var pixels = new float[3 * planeIn];
        for (var frame = 0; frame < count; frame++)
        {
            if (isBytes)
                for (var i = 0; i < pixels.Length; i++) pixels[i] = source[frame * pixels.Length + i];
            else
            {
                var floats = MemoryMarshal.Cast<byte, float>(source).Slice(frame * pixels.Length, pixels.Length);
                for (var i = 0; i < pixels.Length; i++) pixels[i] = floats[i] * 255f;
            }
            for (var bgr = 0; bgr < 3; bgr++)
            {
                var output = destination.Slice((frame * 3 + bgr) * planeOut, planeOut);
                Resample(pixels.AsSpan((2 - bgr) * planeIn, planeIn), width, rows, columns, output);
                var meanPlane = mean.AsSpan(bgr * planeOut, planeOut);
                for (var i = 0; i < planeOut; i++) output[i] -= meanPlane[i];
            }
        }
    }

    /// <summary><see cref="Normalize"/> into a new tensor [T,3,size,size].</summary>
    public Tensor Apply(Tensor frames, int size)
    {
        var values = new float[frames.shape[0] * 3 * size * size];
        Normalize(frames, size, values);
        return tensor(values, [frames.shape[0], 3, size, size]);
    }

    /// <summary>The mean image at <paramref name="size"/>, [3,size,size] in BGR order, computed once per size.</summary>
    public float[] MeanAt(int size)
    {
        lock (gate)
        {
            if (meanBySize.TryGetValue(size, out var cached)) return cached;
            var rows = Taps(MeanImageSize, size);
            var resized = new float[3 * size * size];
            for (var c = 0; c < 3; c++)
                Resample(MeanImageBgr.AsSpan(c * MeanImageSize * MeanImageSize, MeanImageSize * MeanImageSize), MeanImageSize,
                    rows, rows, resized.AsSpan(c * size * size, size * size));
            meanBySize[size] = resized;
            return resized;
        }
    }

    /// <summary>For each output index: the two source indices and the weight of the second, as torch computes them for
    /// align_corners = false (source = (output + 0.5) * in / out - 0.5, clamped at 0).</summary>
    static (int First, int Second, float Weight)[] Taps(int inputSize, int outputSize)
    {
        var scale = (float)inputSize / outputSize;
        var taps = new (int, int, float)[outputSize];
        for (var o = 0; o < outputSize; o++)
        {
            var source = Math.Max(scale * (o + 0.5f) - 0.5f, 0f);
            var first = (int)source;
            var second = first < inputSize - 1 ? first + 1 : first;
            taps[o] = (first, second, source - first);
        }
        return taps;
    }

    static void Resample(ReadOnlySpan<float> plane, int width, (int First, int Second, float Weight)[] rows,
        (int First, int Second, float Weight)[] columns, Span<float> output)
    {
        var outWidth = columns.Length;
        for (var y = 0; y < rows.Length; y++)
        {
            var (top, bottom, wy) = rows[y];
            var upper = plane.Slice(top * width, width);
            var lower = plane.Slice(bottom * width, width);
            var line = output.Slice(y * outWidth, outWidth);
            for (var x = 0; x < outWidth; x++)
            {
                var (left, right, wx) = columns[x];
                var a = (1 - wx) * upper[left] + wx * upper[right];
                var b = (1 - wx) * lower[left] + wx * lower[right];
                line[x] = (1 - wy) * a + wy * b;
            }
        }
    }

    static void CheckUnitRange(ReadOnlySpan<float> values)
    {
        // A float clip in 0..255 would pass through silently and saturate every activation, so it is refused.
        var (min, max) = (float.PositiveInfinity, float.NegativeInfinity);
        foreach (var v in values) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (min < -1e-3f || max > 1 + 1e-3f || float.IsNaN(min) || float.IsNaN(max))
            throw new ArgumentException($"float frames must lie in [0,1] (got {min}..{max}); pass uint8 for 0..255 pixels");
    }

    /// <summary>A float initializer's values (raw_data or float_data), checked against the expected dims.</summary>
    static float[] ReadFloatInitializer(byte[] model, string origin, string name, long[] expectedDims)
    {
        var graph = OnnxModelEdit.ReadGraph(model, origin);
        var tensorProto = graph.All(OnnxField.GraphInitializer)
            .Select(f => ProtoMessage.Parse(f.Payload, $"{origin}: initializer"))
            .SingleOrDefault(t => t.OptionalString(OnnxField.TensorName) == name)
            ?? throw new InvalidDataException($"{origin}: no initializer named '{name}'");
        const int dimsField = 1, dataTypeField = 2, floatDataField = 4, rawDataField = 9, floatType = 1;
        var dims = tensorProto.All(dimsField).SelectMany(f => f.Type == WireType.Varint ? [f.AsInt64()] : ProtoMessage.ReadPackedVarints(f.Payload.Span, origin)).ToArray();
        if (!dims.SequenceEqual(expectedDims))
            throw new InvalidDataException($"{origin}: initializer '{name}' has dims [{string.Join(",", dims)}], expected [{string.Join(",", expectedDims)}]");
        if (tensorProto.Optional(dataTypeField)?.AsInt64() != floatType)
            throw new InvalidDataException($"{origin}: initializer '{name}' is not float32");
        var payload = tensorProto.Optional(rawDataField) is { } raw
            ? raw.Payload.ToArray()
            : tensorProto.All(floatDataField).SelectMany(f => f.Payload.ToArray()).ToArray(); // packed or one fixed32 per value
        var count = checked((int)dims.Aggregate(1L, (a, b) => a * b));
        if (payload.Length != 4 * count)
            throw new InvalidDataException($"{origin}: initializer '{name}' holds {payload.Length} bytes, expected {4 * count}");
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(payload.AsSpan(4 * i));
        return values;
    }
}

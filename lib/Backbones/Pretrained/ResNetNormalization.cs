using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Pretrained;

/// <summary>
/// The input normalisation ResNet18.onnx was trained with, read from the package's ResNetPreprocess.onnx rather than
/// assumed. That graph is Split(RGB) -> Concat(B, G, R) -> Sub(MeanImage): Caffe-style BGR pixels in 0..255 minus a
/// per-pixel ImageNet mean image of 3x224x224 (channel averages about 103.1, 115.9, 123.2), with no division by a standard
/// deviation. <see cref="Load"/> checks that the graph still has exactly that shape and takes the mean image from it; at
/// other input sizes the mean image is resized bilinearly like the frames (at 112 that is the 2x2 box average).
/// </summary>
public sealed class ResNetNormalization
{
    public const int MeanImageSize = 224;

    /// <summary>The mean image, [3, 224, 224], channels in B, G, R order, 0..255 scale.</summary>
    public float[] MeanImageBgr { get; }

    readonly Dictionary<int, Tensor> meanBySize = [];
    readonly Lock gate = new();

    public ResNetNormalization(float[] meanImageBgr)
    {
        if (meanImageBgr.Length != 3 * MeanImageSize * MeanImageSize)
            throw new ArgumentException($"the mean image must hold 3x{MeanImageSize}x{MeanImageSize} values, got {meanImageBgr.Length}");
        MeanImageBgr = meanImageBgr;
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
    /// RGB frames [T,3,H,W] (uint8 in 0..255, or float in [0,1]) to the network's input [T,3,size,size]: resized
    /// bilinearly (half-pixel centres, no antialiasing, as torch's interpolate), scaled to 0..255, reordered to BGR, minus
    /// the mean image at that size.
    /// </summary>
    public Tensor Apply(Tensor frames, int size)
    {
        if (frames.dim() != 4 || frames.shape[1] != 3)
            throw new ArgumentException($"frames must be [T,3,H,W] RGB, got [{string.Join(",", frames.shape)}]");
        using var scope = NewDisposeScope();
        var pixels = frames.dtype switch
        {
            ScalarType.Byte => frames.to_type(ScalarType.Float32),
            ScalarType.Float32 => CheckUnitRange(frames) * 255f,
            _ => throw new ArgumentException($"frames must be uint8 (0..255) or float32 (0..1), got {frames.dtype}"),
        };
        if (pixels.shape[2] != size || pixels.shape[3] != size)
            pixels = nn.functional.interpolate(pixels, [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
        var bgr = pixels.flip(1);
        return (bgr - MeanAt(size)).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The mean image at <paramref name="size"/>, [1,3,size,size], computed once per size.</summary>
    public Tensor MeanAt(int size)
    {
        lock (gate)
        {
            if (meanBySize.TryGetValue(size, out var cached)) return cached;
            using var scope = NewDisposeScope();
            var mean = tensor(MeanImageBgr, [1, 3, MeanImageSize, MeanImageSize]);
            if (size != MeanImageSize)
                mean = nn.functional.interpolate(mean, [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
            var kept = mean.contiguous().DetachFromDisposeScope();
            meanBySize[size] = kept;
            return kept;
        }
    }

    static Tensor CheckUnitRange(Tensor frames)
    {
        // A float clip in 0..255 would pass through silently and saturate every activation, so it is refused.
        var max = frames.max().item<float>();
        var min = frames.min().item<float>();
        if (min < -1e-3f || max > 1 + 1e-3f)
            throw new ArgumentException($"float frames must lie in [0,1] (got {min}..{max}); pass uint8 for 0..255 pixels");
        return frames;
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

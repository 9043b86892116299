using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Pretrained;

/// <summary>How the frozen ResNet-18 runs.</summary>
/// <param name="InputSize">frames are resized to InputSize x InputSize (112 gives a 4x4 map, 224 a 7x7 one)</param>
/// <param name="BatchSize">frames per ONNX Runtime call</param>
/// <param name="IntraOpThreads">ONNX Runtime's threads; keep it below the core count when decoding runs beside it</param>
/// <param name="AllowSpinning">let idle ORT threads spin (faster between calls, but burns a core that decoding could use)</param>
/// <param name="HalfOutput">return float16 feature maps (the cache stores float16 in any case)</param>
public sealed record ResNetExtractorOptions(
    int InputSize = 112,
    int BatchSize = 16,
    int IntraOpThreads = 1,
    bool AllowSpinning = false,
    bool HalfOutput = false)
{
    public SessionOptions CreateSessionOptions()
    {
        if (IntraOpThreads < 1) throw new ArgumentException($"IntraOpThreads must be at least 1, got {IntraOpThreads}");
        var options = new SessionOptions
        {
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", AllowSpinning ? "1" : "0");
        return options;
    }
}

/// <summary>
/// Per-frame ResNet-18 feature maps: RGB frames [T,3,H,W] in, the last conv block's map [T,512,h,w] out (4x4 at 112x112),
/// before any pooling, so that where things are and how many there are survive into the fusion. One ONNX Runtime session;
/// the input and output buffers of each batch size are allocated once and reused, so concurrent calls are serialised.
/// </summary>
public sealed class ResNetFeatureExtractor : IDisposable
{
    public ResNetExtractorOptions Options { get; }
    public FeatureMapModel Model { get; }
    public ResNetNormalization Normalization { get; }
    public int Channels { get; }
    public int MapHeight { get; }
    public int MapWidth { get; }

    /// <summary>Weights, edit and input size: what a cached feature depends on besides the frames.</summary>
    public string EncoderId => $"{Model.EncoderId}-{Options.InputSize}px";

    readonly InferenceSession session;
    readonly RunOptions runOptions = new();
    readonly string inputName, outputName;
    readonly Dictionary<int, BatchBuffers> buffersBySize = [];
    readonly Lock gate = new();

    public ResNetFeatureExtractor(FeatureMapModel model, ResNetNormalization normalization, ResNetExtractorOptions? options = null)
    {
        Options = options ?? new ResNetExtractorOptions();
        if (Options.InputSize < 32) throw new ArgumentException($"InputSize {Options.InputSize} is below ResNet-18's stride of 32");
        if (Options.BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {Options.BatchSize}");
        Model = model;
        Normalization = normalization;
        using (var sessionOptions = Options.CreateSessionOptions())
            session = new InferenceSession(model.Path, sessionOptions);
        inputName = session.InputMetadata.Keys.Single();
        outputName = session.OutputMetadata.Keys.Single();

        // The map size follows from the input size through the conv strides and paddings; one frame tells it.
        var probe = new float[3 * Options.InputSize * Options.InputSize];
        using var probeInput = OrtValue.CreateTensorValueFromMemory(probe, [1, 3, Options.InputSize, Options.InputSize]);
        using var probeOutput = session.Run(runOptions, [inputName], [probeInput], [outputName]);
        var shape = probeOutput[0].GetTensorTypeAndShape().Shape;
        (Channels, MapHeight, MapWidth) = ((int)shape[1], (int)shape[2], (int)shape[3]);
    }

    /// <summary>The package's ResNet-18, edited once into <paramref name="cacheDir"/> (usually <c>Workbook.CacheDir</c>).</summary>
    public static ResNetFeatureExtractor Open(string cacheDir, ResNetExtractorOptions? options = null) =>
        new(ResNet18Package.PrepareFeatureMapModel(cacheDir), ResNetNormalization.Load(), options);

    public int ValuesPerFrame => Channels * MapHeight * MapWidth;

    /// <summary>RGB frames [T,3,H,W] (uint8 0..255 or float32 0..1) to feature maps [T,512,h,w], float32 (float16 with
    /// <see cref="ResNetExtractorOptions.HalfOutput"/>).</summary>
    public Tensor Extract(Tensor frames)
    {
        if (frames.dim() != 4) throw new ArgumentException($"frames must be [T,3,H,W], got [{string.Join(",", frames.shape)}]");
        var count = (int)frames.shape[0];
        var features = new float[(long)count * ValuesPerFrame];
        lock (gate)
        {
            for (var start = 0; start < count; start += Options.BatchSize)
            {
                var n = Math.Min(Options.BatchSize, count - start);
                var buffers = BuffersFor(n);
                using (var batch = frames.narrow(0, start, n))
                    Normalization.Normalize(batch, Options.InputSize, buffers.Input);
                session.Run(runOptions, [inputName], [buffers.InputValue], [outputName], [buffers.OutputValue]);
                Array.Copy(buffers.Output, 0, features, (long)start * ValuesPerFrame, buffers.Output.Length);
            }
        }
        var result = tensor(features, [count, Channels, MapHeight, MapWidth]);
        if (!Options.HalfOutput) return result;
        using (result) return result.to_type(ScalarType.Float16);
    }

    BatchBuffers BuffersFor(int n)
    {
        if (buffersBySize.TryGetValue(n, out var existing)) return existing;
        var size = Options.InputSize;
        var input = new float[n * 3 * size * size];
        var output = new float[n * ValuesPerFrame];
        var buffers = new BatchBuffers(
            input, OrtValue.CreateTensorValueFromMemory(input, [n, 3, size, size]),
            output, OrtValue.CreateTensorValueFromMemory(output, [n, Channels, MapHeight, MapWidth]));
        buffersBySize[n] = buffers;
        return buffers;
    }

    public void Dispose()
    {
        foreach (var buffers in buffersBySize.Values)
        {
            buffers.InputValue.Dispose();
            buffers.OutputValue.Dispose();
        }
        buffersBySize.Clear();
        runOptions.Dispose();
        session.Dispose();
    }

    sealed record BatchBuffers(float[] Input, OrtValue InputValue, float[] Output, OrtValue OutputValue);
}

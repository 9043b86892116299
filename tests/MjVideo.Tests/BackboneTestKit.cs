using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Video;
using TorchSharp;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>Helpers for the backbone tests: small configurations, synthetic clips, a probe trainer.</summary>
static class BackboneTestKit
{
    /// <summary>A small encoder that runs in milliseconds: H = 32, 4 frames of 32x32.</summary>
    public static TinyBackboneConfig SmallTiny(long seed = 0, TinyModalities modalities = TinyModalities.VideoAndCaption, int frames = 4, int size = 32) =>
        new(HiddenSize: 32, CnnWidth: 16, FusionLayers: 1, Heads: 2, FeedForward: 64, CaptionLayers: 1, MaxCaptionTokens: 8,
            TokenEmbeddingSize: 8, Modalities: modalities, Seed: seed)
        { Preprocessing = new Preprocessing(Frames: frames, Width: size, Height: size) };

    /// <summary>A small v2 config: 32x32 frames on a 4x4 grid, two CNN frames of <paramref name="frames"/> decoded ones.</summary>
    public static TinyBackboneConfig SmallGrid(long seed = 0, int frames = 2, int cnnFrames = 2, TinyModalities modalities = TinyModalities.VideoAndCaption) =>
        new TinyBackboneConfig(HiddenSize: 32, CnnWidth: 16, FusionLayers: 1, Heads: 2, FeedForward: 64, CaptionLayers: 1, MaxCaptionTokens: 12,
            TokenEmbeddingSize: 8, MaxFrames: 16, Modalities: modalities, Seed: seed)
        {
            Architecture = TinyArchitecture.V2,
            GridSide = 4,
            CnnFrames = cnnFrames,
            CnnSampling = FrameSampling.InclusiveUniform,
            Preprocessing = new Preprocessing(Frames: frames, Width: 32, Height: 32, Sampling: FrameSampling.InclusiveUniform),
        };

    public static readonly string[] ColourWords = ["red", "green", "blue", "yellow"];
    static readonly byte[][] ColourRgb = [[220, 40, 40], [40, 200, 40], [40, 60, 230], [230, 220, 30]];

    /// <summary>
    /// The alignment toy task: each clip shows one square (half the frame wide, random place) of one of four colours on
    /// grey, and its caption "a {colour} square" names the square's colour with probability 1/2, another colour otherwise.
    /// The label is 1 when they match. Given the clip alone or the caption alone, the label is a fair coin, so only a
    /// model that combines the two can beat chance.
    /// </summary>
    /// <returns>uint8 clips [n, frames, 3, size, size] (the same square in every frame), captions, labels</returns>
    public static (Tensor Clips, string[] Captions, float[] Labels) ColourMatching(int n, int frames, int size, int seed)
    {
        var random = new Random(seed);
        var frameBytes = 3 * size * size;
        var bytes = new byte[n * frames * frameBytes];
        Array.Fill(bytes, (byte)110);
        var captions = new string[n];
        var labels = new float[n];
        for (var i = 0; i < n; i++)
        {
            var colour = random.Next(4);
            var match = random.Next(2) == 0;
            var named = match ? colour : (colour + 1 + random.Next(3)) % 4;
            var side = size / 2;
            var (x0, y0) = (random.Next(size - side + 1), random.Next(size - side + 1));
            PaintSquare(bytes, clip: i, frames, size, x0, y0, side, ColourRgb[colour]);
            captions[i] = $"a {ColourWords[named]} square";
            labels[i] = match ? 1 : 0;
        }
        return (tensor(bytes, [n, frames, 3, size, size]), captions, labels);
    }

    /// <summary>
    /// The binding toy task: each clip shows two squares of two different colours, one in the left half and one in the
    /// right half, and its caption "a {colour} square on the {side}" always names one of the two colours present. The
    /// label is 1 when the named colour is on the named side. Which colours appear, and which colour or side the caption
    /// names, say nothing about the label; only tying the colour word to a place does. With <paramref name="swapped"/>
    /// the same scenes are drawn with the two squares exchanged, which flips every label.
    /// </summary>
    /// <returns>uint8 clips [n, frames, 3, size, size], captions, labels</returns>
    public static (Tensor Clips, string[] Captions, float[] Labels) TwoObjectBinding(int n, int frames, int size, int seed, bool swapped = false)
    {
        var random = new Random(seed);
        var frameBytes = 3 * size * size;
        var bytes = new byte[n * frames * frameBytes];
        Array.Fill(bytes, (byte)110);
        var captions = new string[n];
        var labels = new float[n];
        var side = size / 3;
        var half = size / 2;
        for (var i = 0; i < n; i++)
        {
            var left = random.Next(4);
            var right = (left + 1 + random.Next(3)) % 4;
            var namedSide = random.Next(2);
            var namesTheColourThere = random.Next(2) == 0;
            var (y0, y1) = (random.Next(size - side + 1), random.Next(size - side + 1));
            var (x0, x1) = (random.Next(half - side + 1), half + random.Next(half - side + 1));
            if (swapped) (left, right) = (right, left);
            var colourOnNamedSide = namedSide == 0 ? left : right;
            var colourElsewhere = namedSide == 0 ? right : left;
            // The caption is drawn from the unswapped scene, so swapping the squares flips the label.
            var named = namesTheColourThere != swapped ? colourOnNamedSide : colourElsewhere;
            PaintSquare(bytes, clip: i, frames, size, x0, y0, side, ColourRgb[left]);
            PaintSquare(bytes, clip: i, frames, size, x1, y1, side, ColourRgb[right]);
            captions[i] = $"a {ColourWords[named]} square on the {(namedSide == 0 ? "left" : "right")}";
            labels[i] = named == colourOnNamedSide ? 1 : 0;
        }
        return (tensor(bytes, [n, frames, 3, size, size]), captions, labels);
    }

    /// <summary>Fills a side x side square at (x0, y0) with one colour in every frame of one clip of uint8 clips laid out
    /// [clips, frames, 3, size, size].</summary>
    static void PaintSquare(byte[] bytes, int clip, int frames, int size, int x0, int y0, int side, byte[] rgb)
    {
        var frameBytes = 3 * size * size;
        for (var t = 0; t < frames; t++)
            for (var c = 0; c < 3; c++)
                for (var y = y0; y < y0 + side; y++)
                    bytes.AsSpan((clip * frames + t) * frameBytes + (c * size + y) * size + x0, side).Fill(rgb[c]);
    }

    public static string[] Ids(int n) => Enumerable.Range(0, n).Select(i => $"v{i}").ToArray();

    /// <summary>
    /// Trains the backbone's stage-1 parameters and a linear probe on h_last with a plain BCE loss (AdamW, no weight
    /// decay, batches drawn with a seed), then returns the probe's accuracy on the test inputs.
    /// </summary>
    public static double TrainProbeAndTest(IBackbone backbone, BackboneInputs train, float[] trainLabels, BackboneInputs test,
        float[] testLabels, int steps, double learningRate, int batch = 32, int seed = 0) =>
        TrainProbeAndTestEach(backbone, train, trainLabels, [(test, testLabels)], steps, learningRate, batch, seed)[0];

    /// <summary>As <see cref="TrainProbeAndTest"/>, with the probe's accuracy on each of several test sets.</summary>
    public static double[] TrainProbeAndTestEach(IBackbone backbone, BackboneInputs train, float[] trainLabels,
        IReadOnlyList<(BackboneInputs Inputs, float[] Labels)> tests, int steps, double learningRate, int batch = 32, int seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        var bound = 1.0 / Math.Sqrt(backbone.HiddenSize);
        using var probe = nn.Linear(new TorchSharp.Modules.Parameter(rand([1, backbone.HiddenSize], generator: generator) * (2 * bound) - bound),
            new TorchSharp.Modules.Parameter(zeros(1)));
        using var optimizer = optim.AdamW(backbone.ParametersTrainedIn(1).Concat(probe.parameters()), lr: learningRate, weight_decay: 0);
        using var targets = tensor(trainLabels);
        var random = new Random(seed);
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var positions = Enumerable.Range(0, batch).Select(_ => random.Next(train.Count)).ToArray();
            using var inputs = train.Select(positions);
            using var output = backbone.Forward(inputs);
            var logits = probe.forward(output.HLast).squeeze(1);
            var loss = nn.functional.binary_cross_entropy_with_logits(logits, targets.index_select(0, tensor(positions.Select(p => (long)p).ToArray())));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        return tests.Select(test =>
        {
            using var noGrad = no_grad();
            using var output = backbone.Forward(test.Inputs);
            using var predicted = probe.forward(output.HLast).squeeze(1) > 0;
            var predictions = predicted.data<bool>().ToArray();
            return predictions.Zip(test.Labels).Count(p => p.First == (p.Second > 0.5f)) / (double)test.Labels.Length;
        }).ToArray();
    }

    /// <summary>A scalar that depends on every element of both states: each projected on fixed random weights.</summary>
    public static Tensor ProjectionLoss(Tensor hGate, Tensor hLast, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var gateWeights = randn(hGate.shape, generator: generator);
        using var lastWeights = randn(hLast.shape, generator: generator);
        return (hGate * gateWeights).sum() + (hLast * lastWeights).sum();
    }

    /// <summary>Names of the parameters whose gradient is missing or all zero.</summary>
    public static List<string> WithoutGradient(nn.Module module, IEnumerable<TorchSharp.Modules.Parameter> trained)
    {
        var handles = trained.Select(p => p.Handle).ToHashSet();
        return module.named_parameters()
            .Where(p => handles.Contains(p.parameter.Handle))
            .Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0)
            .Select(p => p.name)
            .ToList();
    }

    /// <summary>The names of the given parameters, by identity.</summary>
    public static HashSet<string> NamesOf(nn.Module module, IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        var handles = parameters.Select(p => p.Handle).ToHashSet();
        return module.named_parameters().Where(p => handles.Contains(p.parameter.Handle)).Select(p => p.name).ToHashSet();
    }

    public static float MaxAbsDifference(Tensor a, Tensor b)
    {
        using var difference = (a - b).abs().max();
        return difference.item<float>();
    }

    public static bool BitwiseEqual(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    /// <summary>
    /// Runs the body with torch on one intra-op thread. The learning tests run hundreds of small steps; on a machine
    /// whose cores other processes (or parallel test classes) keep busy, every two-thread op waits at its barrier for a
    /// descheduled thread, which made the same test twenty times slower in measurements here.
    /// </summary>
    public static T OneTorchThread<T>(Func<T> body)
    {
        var before = get_num_threads();
        set_num_threads(1);
        try
        {
            return body();
        }
        finally
        {
            set_num_threads(before);
        }
    }

    /// <summary>Encodes frames [T][H*W*3] as an mp4 (64x64 SynthBench-like settings).</summary>
    public static string EncodeVideo(string dir, string name, IReadOnlyList<byte[]> frames, int size)
    {
        var path = Path.Combine(dir, name);
        VideoEncoder.EncodeAsync(frames, size, size, path).GetAwaiter().GetResult();
        return path;
    }

    /// <summary>A square of the given colour on grey that moves right by 2 pixels a frame.</summary>
    public static byte[][] MovingSquare(int size, int frames, (byte R, byte G, byte B) colour)
    {
        var result = new byte[frames][];
        for (var t = 0; t < frames; t++)
        {
            var frame = new byte[size * size * 3];
            Array.Fill(frame, (byte)96);
            for (var y = size / 4; y < size / 2; y++)
                for (var x = 2 * t; x < 2 * t + size / 4; x++)
                    (frame[(y * size + x) * 3], frame[(y * size + x) * 3 + 1], frame[(y * size + x) * 3 + 2]) = colour;
            result[t] = frame;
        }
        return result;
    }
}

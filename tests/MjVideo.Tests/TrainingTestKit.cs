using MjVideo.Backbones;
using MjVideo.Backbones.Precomputed;
using MjVideo.Data;
using MjVideo.Model;
using MjVideo.Taxonomy;
using MjVideo.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>
/// A synthetic task whose labels are a known function of the features. Each video has a random state x ~ N(0, I_H)
/// (h_gate = h_last = x). Criterion c has a fixed random direction v_c; the video is good on c when v_c . x &gt; 0 (every
/// criterion related). An aspect is good when all its criteria are. The utility is u = sum_c v_c . x; the overall preference
/// goes to the higher u, an aspect preference to the higher sum over its criteria. So a linear read-out of x answers
/// everything.
/// </summary>
sealed class SyntheticTask
{
    readonly float[][] directions;

    public SyntheticTask(int hiddenSize, int seed)
    {
        HiddenSize = hiddenSize;
        var random = new Random(seed);
        directions = Enumerable.Range(0, MjTaxonomy.CriterionCount)
            .Select(_ => Enumerable.Range(0, hiddenSize).Select(_ => (float)Gaussian(random)).ToArray()).ToArray();
    }

    public int HiddenSize { get; }

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    double Projection(float[] x, int criterion) => directions[criterion].Zip(x, (a, b) => (double)a * b).Sum();

    /// <summary>A split of <paramref name="count"/> pairs named <paramref name="name"/>; states are added to <paramref name="states"/>.
    /// With <paramref name="flipped"/> every preference points the other way (a val set that training makes worse).</summary>
    public PreferenceDataset Split(string name, int count, int seed, Dictionary<string, float[]> states, bool flipped = false)
    {
        var random = new Random(seed);
        var pairs = new List<PreferencePair>();
        for (var i = 0; i < count; i++)
        {
            var videos = new[] { $"{name}/{i}_0.mp4", $"{name}/{i}_1.mp4" };
            var x = videos.Select(_ => Enumerable.Range(0, HiddenSize).Select(_ => (float)Gaussian(random)).ToArray()).ToArray();
            for (var v = 0; v < 2; v++) states[videos[v]] = x[v];
            var projections = x.Select(xv => Enumerable.Range(0, MjTaxonomy.CriterionCount).Select(c => Projection(xv, c)).ToArray()).ToArray();
            VideoAnnotation Labels(double[] p)
            {
                var criteria = p.Select(value => value > 0 ? LabelCode.Good : LabelCode.Bad).ToArray();
                var aspects = MjTaxonomy.AspectToCriteria.Select(g => g.All(c => criteria[c] == LabelCode.Good) ? LabelCode.Good : LabelCode.Bad).ToArray();
                return new VideoAnnotation(criteria, aspects, p.Sum() > 0 ? LabelCode.Good : LabelCode.Bad);
            }
            PreferenceLabel Prefer(double u0, double u1) =>
                (u0 > u1) != flipped ? PreferenceLabel.Video1Better : PreferenceLabel.Video2Better;
            pairs.Add(new PreferencePair
            {
                SourceFile = $"{name}.json",
                Index = i,
                Caption = $"synthetic {name} {i}",
                Video0 = videos[0],
                Video1 = videos[1],
                Labels0 = Labels(projections[0]),
                Labels1 = Labels(projections[1]),
                AspectPreferences = MjTaxonomy.AspectToCriteria
                    .Select(g => (PreferenceLabel?)Prefer(g.Sum(c => projections[0][c]), g.Sum(c => projections[1][c]))).ToList(),
                Overall = Prefer(projections[0].Sum(), projections[1].Sum()),
            });
        }
        return TrainingTestKit.InMemory($"{name}.json", pairs);
    }
}

/// <summary>
/// A backbone with parameters, over precomputed states: <c>cnn</c> (trained in stage 1 only, like the small encoder's CNN),
/// <c>fusion</c> (every stage) and <c>frozen</c> (never). h_last = fusion(cnn(x) + frozen(x)), h_gate = fusion(cnn(x_gate)).
/// </summary>
sealed class TrainableTestBackbone : IBackbone
{
    readonly PrecomputedBackbone states;
    readonly Parts parts;

    public TrainableTestBackbone(PrecomputedStates states, long seed)
    {
        this.states = new PrecomputedBackbone(states);
        parts = new Parts(states.HiddenSize, seed);
    }

    public string Id => $"trainable-test-H{HiddenSize}";
    public int HiddenSize => states.HiddenSize;
    public nn.Module Module => parts;

    public Task<BackboneInputs> PrepareAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default) =>
        states.PrepareAsync(videos, cancellation);

    public BackboneOutput Forward(BackboneInputs inputs)
    {
        using var raw = states.Forward(inputs);
        using var scope = NewDisposeScope();
        var last = parts.fusion.forward(parts.cnn.forward(raw.HLast) + parts.frozen.forward(raw.HLast));
        var gate = parts.fusion.forward(parts.cnn.forward(raw.HGate));
        return new BackboneOutput(gate.MoveToOuterDisposeScope(), last.MoveToOuterDisposeScope());
    }

    public IEnumerable<Parameter> ParametersTrainedIn(int stage) =>
        stage == 1 ? parts.cnn.parameters().Concat(parts.fusion.parameters()) : parts.fusion.parameters();

    public void Dispose()
    {
        states.Dispose();
        parts.Dispose();
    }

    sealed class Parts : nn.Module
    {
        public readonly Linear cnn, fusion, frozen;

        public Parts(int h, long seed) : base("test-backbone")
        {
            using var generator = new Generator((ulong)seed);
            Linear Make()
            {
                var layer = nn.Linear(h, h);
                using var noGrad = no_grad();
                layer.weight!.copy_(randn([h, h], generator: generator) / Math.Sqrt(h));
                layer.bias!.copy_(randn([h], generator: generator) * 0.1);
                return layer;
            }
            cnn = Make();
            fusion = Make();
            frozen = Make();
            RegisterComponents();
        }
    }
}

static class TrainingTestKit
{
    public static PreferenceDataset InMemory(string name, IReadOnlyList<PreferencePair> pairs) => new()
    {
        Format = DatasetFormat.Release,
        SourceFile = Path.Combine("/synthetic", name),
        Pairs = pairs,
        Extras = pairs.Select(_ => new ExtraFields()).ToList(),
    };

    public static PrecomputedStates States(Dictionary<string, float[]> states)
    {
        var tensors = states.ToDictionary(s => s.Key, s => tensor(s.Value.Concat(s.Value).ToArray()).reshape(2, s.Value.Length));
        try
        {
            return PrecomputedStates.FromTensors(tensors);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>A small head: gating MLPs of 2 hidden layers of width 8.</summary>
    public static ModelSettings SmallModel(JudgeKind judge = JudgeKind.MjVideo, Routing? routing = null) => new()
    {
        Judge = judge,
        Routing = routing ?? Routing.Paper,
        GatingHiddenDim = 8,
        GatingHiddenLayers = 2,
    };

    /// <summary>Every stage with the given epochs, lr 1e-2, no warm-up, batch <paramref name="batch"/>, one thread.</summary>
    public static TrainConfig Config(ModelSettings model, int epochs = 1, int batch = 4, int accumulation = 1, double lr = 1e-2,
        int[]? stages = null) => new()
    {
        Preset = "test",
        Model = model,
        Stages = (stages ?? [1, 2, 3]).Select(s => new StageSettings
        {
            Stage = s,
            Epochs = epochs,
            LearningRate = lr,
            GradientAccumulation = accumulation,
            LossMode = s == 1 ? LossMode.Bce : LossMode.Mse,
        }).ToList(),
        BatchSize = batch,
        Seed = 7,
        Threads = 1,
        EvalBatchSize = 16,
    };

    public static BackboneSpec Spec => new() { Name = "test" };

    /// <summary>Train and val sets of the synthetic task, with their states in one backbone.</summary>
    public sealed class Setup : IDisposable
    {
        public required IBackbone Backbone { get; init; }
        public required TrainingData Train { get; init; }
        public required TrainingData Val { get; init; }
        public required SyntheticTask Task { get; init; }

        public void Dispose()
        {
            Train.Dispose();
            Val.Dispose();
            Backbone.Dispose();
        }
    }

    public static Setup Synthetic(int hiddenSize = 8, int trainPairs = 16, int valPairs = 8, bool trainableBackbone = false,
        bool flippedVal = false, int seed = 1, Action<Dictionary<string, float[]>>? editStates = null)
    {
        var task = new SyntheticTask(hiddenSize, seed);
        var states = new Dictionary<string, float[]>();
        var train = task.Split("train", trainPairs, seed + 1, states);
        var val = task.Split("val", valPairs, seed + 2, states, flippedVal);
        editStates?.Invoke(states);
        var precomputed = States(states);
        IBackbone backbone = trainableBackbone ? new TrainableTestBackbone(precomputed, seed + 3) : new PrecomputedBackbone(precomputed);
        return new Setup
        {
            Backbone = backbone,
            Train = TrainingData.PrepareAsync(train, backbone).GetAwaiter().GetResult(),
            Val = TrainingData.PrepareAsync(val, backbone).GetAwaiter().GetResult(),
            Task = task,
        };
    }

    /// <summary>Every parameter and buffer of a judge (backbone included), copied out by name.</summary>
    public static Dictionary<string, float[]> Weights(RewardModel model) =>
        model.FullState().ToDictionary(e => e.Key, e => e.Value.detach().cpu().contiguous().data<float>().ToArray());

    public static void AssertSameWeights(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected)
            Assert.True(values.SequenceEqual(actual[name]), $"{name} differs");
    }
}

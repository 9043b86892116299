using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Precomputed;

/// <summary>
/// A backbone whose hidden states were computed elsewhere and read from files (DESIGN 5), e.g. MJ-VIDEO-2B's own
/// fine-tuned language model dumped on a GPU machine (tools/dump-mjvideo-states.md): the official heads then run here
/// exactly. It has no trainable parameters, so every stage trains the head alone. With random states it is also the
/// trainer's fast test vehicle.
/// </summary>
public sealed class PrecomputedBackbone : IBackbone
{
    public const string Name = "precomputed";

    readonly PrecomputedStates states;
    readonly Device device;

    /// <param name="states">the states; the backbone owns them from here on and disposes them</param>
    /// <param name="device">where prepared inputs are placed (the CPU by default)</param>
    public PrecomputedBackbone(PrecomputedStates states, Device? device = null)
    {
        this.states = states;
        this.device = device ?? CPU;
    }

    /// <summary>The factory's builder: reads the spec's states files.</summary>
    public static PrecomputedBackbone Create(BackboneSpec spec)
    {
        if (spec.StatesFiles.Count == 0)
            throw new ArgumentException("the precomputed backbone needs its states file(s) (--states FILE)");
        var backbone = new PrecomputedBackbone(PrecomputedStates.Load(spec.StatesFiles));
        if (spec.HiddenSize is { } requested && requested != backbone.HiddenSize)
        {
            backbone.Dispose();
            throw new ArgumentException(
                $"the states in {string.Join(", ", spec.StatesFiles)} have H = {backbone.HiddenSize}, but H = {requested} was asked for");
        }
        return backbone;
    }

    public string Id => $"{Name}-H{HiddenSize}";

    public int HiddenSize => states.HiddenSize;

    public PrecomputedStates States => states;

    /// <summary>An empty module: nothing to train, nothing to save.</summary>
    public nn.Module Module { get; } = new NoParameters();

    public Task<BackboneInputs> PrepareAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        using var stacked = states.Stack(videos.Select(v => v.VideoId).ToList());
        return Task.FromResult<BackboneInputs>(new PrecomputedInputs(stacked.to(device, copy: true)));
    }

    public BackboneOutput Forward(BackboneInputs inputs)
    {
        if (inputs is not PrecomputedInputs precomputed)
            throw new ArgumentException($"the precomputed backbone got inputs prepared by another backbone ({inputs.GetType().Name})");
        // Views of rows 0 and 1: two different tensors over the same storage, which disposing the output does not free.
        return new BackboneOutput(precomputed.States.select(1, PrecomputedStates.GateRow), precomputed.States.select(1, PrecomputedStates.LastRow));
    }

    public IEnumerable<Parameter> ParametersTrainedIn(int stage)
    {
        if (stage is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(stage), stage, "training stages are 1, 2 and 3");
        return [];
    }

    public void Dispose()
    {
        states.Dispose();
        Module.Dispose();
    }

    sealed class NoParameters : nn.Module
    {
        public NoParameters() : base(nameof(PrecomputedBackbone)) => RegisterComponents();
    }
}

/// <summary>States [N, 2, H] of N videos, in the order they were asked for.</summary>
public sealed class PrecomputedInputs(Tensor states) : BackboneInputs
{
    public Tensor States { get; } = states;

    public override int Count => checked((int)States.shape[0]);

    public override BackboneInputs Select(IReadOnlyList<int> positions)
    {
        foreach (var position in positions)
            if (position < 0 || position >= Count)
                throw new ArgumentOutOfRangeException(nameof(positions), position, $"position outside the {Count} prepared videos");
        using var index = tensor(positions.Select(p => (long)p).ToArray(), device: States.device);
        return new PrecomputedInputs(States.index_select(0, index));
    }

    protected override BackboneInputs Join(IReadOnlyList<BackboneInputs> parts) =>
        new PrecomputedInputs(cat(parts.Select(p => ((PrecomputedInputs)p).States).ToArray(), 0));

    public override void Dispose() => States.Dispose();
}

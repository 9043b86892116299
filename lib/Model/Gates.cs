using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MjVideo.Model;

/// <summary>
/// A router: turns h_gate [B, H] into n logits [B, n] and owns the learnable scale lambda (<c>logit_scale</c>, init 1).
/// <see cref="forward"/> is the official GatingNetwork.forward: softmax(logits / T) * lambda over all n outputs; the head
/// uses <see cref="Logits"/> and <see cref="Scale"/> itself where it softmaxes within aspect groups or keeps the top k.
/// Field names are the official parameter names (paper-digest 2.2.1): TorchSharp turns them into state-dict keys.
/// </summary>
public abstract class Gate : Module<Tensor, Tensor>
{
    // Not readonly: TorchSharp's to(device) replaces parameters and writes the new ones back into the fields.
    Parameter logit_scale;

    protected Gate(string name, int outputs, double temperature) : base(name)
    {
        if (outputs < 1) throw new ArgumentException($"a gate needs at least one output, got {outputs}");
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentException($"the gating temperature must be a positive finite number, got {temperature}");
        Outputs = outputs;
        Temperature = temperature;
        logit_scale = new Parameter(ones(1));
    }

    public int Outputs { get; }

    /// <summary>T: logits are divided by it before the softmax (the official config passes 1.0).</summary>
    public double Temperature { get; }

    /// <summary>The raw logits [B, n], before temperature and softmax.</summary>
    public abstract Tensor Logits(Tensor hGate);

    /// <summary>
    /// lambda as used in the forward, clamped to at most 1 ([1]). The gate losses take log(1 - g + eps), and a gate output
    /// g = softmax * lambda can exceed 1 only when lambda does: the official code then feeds log a negative number and gets
    /// NaN (paper-digest 2.4, stage 3 note). With lambda &lt;= 1 every g &lt;= 1 and 1 - g + eps &gt;= eps &gt; 0. A lambda that an
    /// update pushes above 1 gets no gradient through the clamp until weight decay brings it back, so the effective scale
    /// is min(lambda, 1).
    /// </summary>
    public Tensor Scale() => logit_scale.clamp_max(1.0);

    /// <summary>The raw, unclamped parameter value (for logging and for the load report).</summary>
    public float RawScale => logit_scale.detach().cpu().item<float>();

    /// <summary>The official GatingNetwork.forward: softmax(logits / T, dim 1) * lambda, [B, n].</summary>
    public override Tensor forward(Tensor hGate)
    {
        using var scope = NewDisposeScope();
        var weights = functional.softmax(Logits(hGate) / Temperature, 1) * Scale();
        return weights.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The official GatingNetwork: <c>n_hidden</c> Linear + ReLU layers of <c>hidden_dim</c>, then Linear(hidden_dim -> n, with
/// bias). State-dict keys: <c>layers.0.weight</c> ... <c>layers.{n_hidden}.bias</c>, <c>logit_scale</c>. ReLU has no
/// parameters and stays out of the ModuleList, so the layer indices match the official ones.
/// </summary>
public sealed class GatingNetwork : Gate
{
    ModuleList<Linear> layers;

    /// <param name="generator">the seeded source of the initial weights (PyTorch's default Linear init)</param>
    public GatingNetwork(int inputSize, int outputs, int hiddenDim, int hiddenLayers, double temperature, Generator generator)
        : base(nameof(GatingNetwork), outputs, temperature)
    {
        if (inputSize < 1) throw new ArgumentException($"gating input size must be positive, got {inputSize}");
        if (hiddenDim < 1) throw new ArgumentException($"gating hidden_dim must be positive, got {hiddenDim}");
        if (hiddenLayers < 0) throw new ArgumentException($"gating n_hidden must be >= 0, got {hiddenLayers}");
        InputSize = inputSize;
        layers = new ModuleList<Linear>();
        var width = inputSize;
        for (var i = 0; i < hiddenLayers; i++)
        {
            layers.Add(SeededLinear.Create(width, hiddenDim, hasBias: true, generator));
            width = hiddenDim;
        }
        layers.Add(SeededLinear.Create(width, outputs, hasBias: true, generator));
        RegisterComponents();
    }

    public int InputSize { get; }

    public override Tensor Logits(Tensor hGate)
    {
        using var scope = NewDisposeScope();
        var x = hGate;
        for (var i = 0; i < layers.Count; i++)
        {
            x = layers[i].forward(x);
            if (i < layers.Count - 1) x = functional.relu(x);
        }
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The StaticLearned router: one learned logit vector (<c>logits</c> [n], init 0 = uniform) shared by every input,
/// so routing cannot depend on the video or caption.
/// </summary>
public sealed class StaticGate : Gate
{
    Parameter logits;

    public StaticGate(int outputs, double temperature) : base(nameof(StaticGate), outputs, temperature)
    {
        logits = new Parameter(zeros(outputs));
        RegisterComponents();
    }

    public override Tensor Logits(Tensor hGate) => logits.unsqueeze(0).expand(hGate.shape[0], Outputs);
}

/// <summary>
/// The Uniform router: equal logits (zeros), so the softmax gives 1/n to each output; only the scale is learned.
/// </summary>
public sealed class UniformGate : Gate
{
    public UniformGate(int outputs) : base(nameof(UniformGate), outputs, temperature: 1.0)
    {
        RegisterComponents();
    }

    public override Tensor Logits(Tensor hGate) => zeros(hGate.shape[0], Outputs, dtype: hGate.dtype, device: hGate.device);
}

/// <summary>Linear layers initialised from a seeded generator rather than torch's global one.</summary>
static class SeededLinear
{
    /// <summary>
    /// PyTorch's default nn.Linear init: kaiming_uniform(a = sqrt 5) for the weight, which is U(-1/sqrt(in), 1/sqrt(in)),
    /// and the same bound for the bias.
    /// </summary>
    public static Linear Create(int inputs, int outputs, bool hasBias, Generator generator)
    {
        var bound = 1.0 / Math.Sqrt(inputs);
        var weight = new Parameter(Uniform([outputs, inputs], bound, generator));
        var bias = hasBias ? new Parameter(Uniform([outputs], bound, generator)) : null;
        return Linear(weight, bias);
    }

    static Tensor Uniform(long[] shape, double bound, Generator generator)
    {
        using var scope = NewDisposeScope();
        return (rand(shape, generator: generator) * (2 * bound) - bound).MoveToOuterDisposeScope();
    }
}

using MjVideo.Model;
using static MjVideo.Tests.ModelTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The gating network and the input-aware head against hand-computed values.</summary>
public class ModelHeadTests
{
    /// <summary>A 2 -> 3 gate, 3 hidden layers of width 2: layer 0 identity (so ReLU shows), layers 1-2 identity,
    /// last layer W = [[ln 2, 0], [0, ln 2], [0, 0]], zero biases.</summary>
    static GatingNetwork HandGatingNetwork(double temperature, float scale)
    {
        var gate = new GatingNetwork(inputSize: 2, outputs: 3, hiddenDim: 2, hiddenLayers: 3, temperature, new Generator(0));
        for (var layer = 0; layer < 3; layer++)
        {
            Set(gate, $"layers.{layer}.weight", Identity(2));
            Set(gate, $"layers.{layer}.bias", 0, 0);
        }
        Set(gate, "layers.3.weight", Ln2, 0, 0, Ln2, 0, 0);
        Set(gate, "layers.3.bias", 0, 0, 0);
        Set(gate, "logit_scale", scale);
        return gate;
    }

    [Fact]
    public void Gating_network_has_the_official_parameter_names_and_shapes()
    {
        using var gate = new GatingNetwork(inputSize: 6, outputs: 5, hiddenDim: 4, hiddenLayers: 3, 1.0, new Generator(0));
        var shapes = gate.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var expected = new Dictionary<string, long[]>
        {
            ["layers.0.weight"] = [4, 6], ["layers.0.bias"] = [4],
            ["layers.1.weight"] = [4, 4], ["layers.1.bias"] = [4],
            ["layers.2.weight"] = [4, 4], ["layers.2.bias"] = [4],
            ["layers.3.weight"] = [5, 4], ["layers.3.bias"] = [5],
            ["logit_scale"] = [1],
        };
        Assert.Equal(expected.Keys.Order(), shapes.Keys.Order());
        foreach (var (name, shape) in expected) Assert.Equal(shape, shapes[name]);
        Assert.Equal(1f, Scalar(gate.named_parameters().Single(p => p.name == "logit_scale").parameter)); // init 1
    }

    [Fact]
    public void Gating_network_applies_relu_softmax_and_scale_per_input()
    {
        using var gate = HandGatingNetwork(temperature: 1.0, scale: 0.8f);
        // Row 0: x = [1, -2] -> ReLU -> [1, 0] -> logits [ln 2, 0, 0] (without the ReLU: [ln 2, -2 ln 2, 0]);
        //   softmax = [2, 1, 1] / 4 = [0.5, 0.25, 0.25]; times 0.8 = [0.4, 0.2, 0.2].
        // Row 1: x = [0, 1] -> logits [0, ln 2, 0] -> [1, 2, 1] / 4 * 0.8 = [0.2, 0.4, 0.2]: a different input, other weights.
        using var x = tensor(new float[] { 1, -2, 0, 1 }).reshape(2, 2);
        using var weights = gate.forward(x);
        AssertClose([0.4f, 0.2f, 0.2f, 0.2f, 0.4f, 0.2f], Values(weights));
        using var logits = gate.Logits(x);
        AssertClose([Ln2, 0, 0, 0, Ln2, 0], Values(logits));
    }

    [Fact]
    public void Gating_temperature_divides_the_logits()
    {
        using var gate = HandGatingNetwork(temperature: 2.0, scale: 0.8f);
        // Row 0 logits [ln 2, 0, 0] / 2 = [ln sqrt 2, 0, 0]: softmax = [sqrt 2, 1, 1] / (2 + sqrt 2) = [0.414214, 0.292893,
        // 0.292893]; times 0.8 = [0.331371, 0.234315, 0.234315].
        using var x = tensor(new float[] { 1, -2 }).reshape(1, 2);
        using var weights = gate.forward(x);
        AssertClose([0.331371f, 0.234315f, 0.234315f], Values(weights));
    }

    [Fact]
    public void Gating_scale_above_one_is_clamped_to_one()
    {
        using var gate = HandGatingNetwork(temperature: 1.0, scale: 3f);
        // lambda = 3 is used as 1: [0.5, 0.25, 0.25], so every weight stays <= 1 and log(1 - g + eps) is finite.
        using var x = tensor(new float[] { 1, -2 }).reshape(1, 2);
        using var weights = gate.forward(x);
        AssertClose([0.5f, 0.25f, 0.25f], Values(weights));
        Assert.Equal(3f, gate.RawScale);
    }

    [Fact]
    public void Head_has_exactly_the_official_state_dict()
    {
        using var head = new MjVideoHead(new MjVideoHeadConfig(HiddenSize: 6, Routing.Paper, GatingHiddenDim: 4), seed: 3);
        var shapes = head.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        var expected = new Dictionary<string, long[]>
        {
            ["regression_layer.weight"] = [28, 6],
            ["reward_transform_matrix"] = [28, 28],
        };
        foreach (var (gate, outputs) in new[] { ("criteria_gating", 28L), ("aspect_gating", 5L) })
        {
            expected[$"{gate}.layers.0.weight"] = [4, 6];
            expected[$"{gate}.layers.0.bias"] = [4];
            for (var layer = 1; layer <= 2; layer++)
            {
                expected[$"{gate}.layers.{layer}.weight"] = [4, 4];
                expected[$"{gate}.layers.{layer}.bias"] = [4];
            }
            expected[$"{gate}.layers.3.weight"] = [outputs, 4];
            expected[$"{gate}.layers.3.bias"] = [outputs];
            expected[$"{gate}.logit_scale"] = [1];
        }
        Assert.Equal(expected.Keys.Order(), shapes.Keys.Order());
        foreach (var (name, shape) in expected) Assert.Equal(shape, shapes[name]);

        var identity = head.named_parameters().Single(p => p.name == "reward_transform_matrix").parameter;
        Assert.False(identity.requires_grad);
        AssertClose(Identity(28), Values(identity));
    }

    [Fact]
    public void Head_computes_criteria_aspect_and_overall_scores_by_hand()
    {
        using var head = HandHead();
        using var hGate = HandGate();
        using var hLast = HandLast();
        using var output = head.forward(hGate, hLast);
        // Arithmetic in ModelTestKit: r from h_last, w = per-aspect softmax * 0.5, s = [0.5, 1, 1, 0.5, -0.5],
        // g = [0.2, 0.1, 0.1, 0.4, 0.2], score = 0.4.
        AssertClose(HandRewards, Values(output.Criteria!));
        AssertClose(HandCriteriaWeights, Values(output.CriteriaWeights!));
        AssertClose(HandAspectScores, Values(output.AspectScores!));
        AssertClose(HandAspectWeights, Values(output.AspectWeights!));
        AssertClose([HandScore], Values(output.Score));
        AssertClose(HandCriteriaLogits, Values(output.CriteriaLogits!));
        Assert.Equal([1L, 28], output.Criteria!.shape);
        Assert.Equal([1L], output.Score.shape);
    }

    [Fact]
    public void Within_aspect_weights_sum_to_the_criteria_scale()
    {
        using var head = new MjVideoHead(new MjVideoHeadConfig(HiddenSize: 3, Routing.Paper, GatingHiddenDim: 4), seed: 11);
        Set(head, "criteria_gating.logit_scale", 0.7f);
        using var hGate = rand([4, 3], generator: new Generator(5));
        using var hLast = rand([4, 3], generator: new Generator(6));
        using var output = head.forward(hGate, hLast);
        var weights = Values(output.CriteriaWeights!);
        // Each aspect's softmax sums to 1, times lambda_crit = 0.7, for every video.
        for (var b = 0; b < 4; b++)
        for (var a = 0; a < 5; a++)
        {
            var group = Taxonomy.MjTaxonomy.AspectToCriteria[a];
            AssertClose(0.7, group.Sum(c => weights[b * 28 + c]));
        }
    }

    [Fact]
    public void Score_gradient_with_respect_to_h_last_matches_the_hand_derivative()
    {
        using var head = HandHead();
        using var hGate = HandGate();
        using var hLast = HandLast().requires_grad_(true);
        using var output = head.forward(hGate, hLast);
        output.Score.sum().backward();
        // score = sum_c g_a(c) w_c (W[c,0] h0 + W[c,1] h1). d/dh0 = sum_c g w r_c = score at h = [1, 0] = 0.4;
        // d/dh1 = sum_c g w * 1 = sum_a g_a * lambda_crit = 1 * 0.5 = 0.5.
        AssertClose([0.4f, 0.5f], Values(hLast.grad!));
    }

    [Fact]
    public void Head_is_differentiable_with_respect_to_both_hidden_states()
    {
        using var head = new MjVideoHead(new MjVideoHeadConfig(HiddenSize: 3, Routing.Paper, GatingHiddenDim: 4), seed: 2);
        using var hGate = rand([2, 3], generator: new Generator(1)).requires_grad_(true);
        using var hLast = rand([2, 3], generator: new Generator(2)).requires_grad_(true);
        using var output = head.forward(hGate, hLast);
        output.Score.sum().backward();
        foreach (var grad in new[] { hGate.grad!, hLast.grad! })
        {
            var values = Values(grad);
            Assert.All(values, v => Assert.True(float.IsFinite(v)));
            Assert.Contains(values, v => v != 0);
        }
    }

    [Fact]
    public void Head_rejects_bad_hidden_states_by_name()
    {
        using var head = HandHead();
        using var good = HandGate();
        using var threeD = zeros(1, 1, 2);
        using var wrongWidth = zeros(1, 3);
        using var nan = tensor(new[] { 1f, float.NaN }).reshape(1, 2);
        using var twoRows = zeros(2, 2);

        var e1 = Assert.Throws<ArgumentException>(() => head.forward(threeD, good));
        Assert.Contains("h_gate must be [B, H]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => head.forward(good, wrongWidth));
        Assert.Contains("h_last has H = 3", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => head.forward(good, nan));
        Assert.Contains("h_last contains 1 NaN", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => head.forward(good, twoRows));
        Assert.Contains("same batch size", e4.Message);
    }

    [Fact]
    public void Same_seed_gives_the_same_weights_and_another_seed_does_not()
    {
        using var a = new MjVideoHead(new MjVideoHeadConfig(HiddenSize: 3, Routing.Paper, GatingHiddenDim: 4), seed: 9);
        using var b = new MjVideoHead(new MjVideoHeadConfig(HiddenSize: 3, Routing.Paper, GatingHiddenDim: 4), seed: 9);
        using var c = new MjVideoHead(new MjVideoHeadConfig(HiddenSize: 3, Routing.Paper, GatingHiddenDim: 4), seed: 10);
        var wa = Values(a.state_dict()["criteria_gating.layers.0.weight"]);
        Assert.Equal(wa, Values(b.state_dict()["criteria_gating.layers.0.weight"]));
        Assert.NotEqual(wa, Values(c.state_dict()["criteria_gating.layers.0.weight"]));
        // PyTorch's default Linear init bound: 1 / sqrt(fan_in) = 1 / sqrt 3 = 0.57735.
        Assert.All(wa, w => Assert.InRange(w, -0.57735f, 0.57735f));
    }
}

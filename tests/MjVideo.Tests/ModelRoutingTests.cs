using MjVideo.Model;
using static MjVideo.Tests.ModelTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>Each routing strategy on a hand-set case (the rewards of <see cref="ModelTestKit.HandRewards"/>).</summary>
public class ModelRoutingTests
{
    static MjVideoHead HeadWithHandRewards(Routing routing)
    {
        var head = new MjVideoHead(HandConfig(routing), seed: 4);
        if (routing.HasCriteria) Set(head, "regression_layer.weight", HandRegressionWeight());
        return head;
    }

    // Means of the hand rewards per aspect: (3+6+0+0-6)/5 = 0.6, (1+2+3+4+5-3)/6 = 2, 10/5 = 2, 7/7 = 1, -5/5 = -1.
    static readonly float[] AspectMeans = [0.6f, 2, 2, 1, -1];

    static readonly float[] UniformCriteriaWeights =
        [.. Repeat(1f / 5, 5), .. Repeat(1f / 6, 6), .. Repeat(1f / 5, 5), .. Repeat(1f / 7, 7), .. Repeat(1f / 5, 5)];

    [Fact]
    public void Uniform_gives_equal_weights_times_the_scales()
    {
        using var head = HeadWithHandRewards(new Routing(RoutingStrategy.Uniform));
        using var hGate = HandGate();
        using var hLast = HandLast();
        using (var output = head.forward(hGate, hLast))
        {
            // lambda = 1: w = 1/|C_a|, s = the means, g = 1/5 each; score = (0.6 + 2 + 2 + 1 - 1) / 5 = 0.92.
            AssertClose(UniformCriteriaWeights, Values(output.CriteriaWeights!));
            AssertClose(AspectMeans, Values(output.AspectScores!));
            AssertClose(Repeat(0.2f, 5), Values(output.AspectWeights!));
            AssertClose([0.92f], Values(output.Score));
            Assert.Null(output.CriteriaLogits);
        }
        Set(head, "criteria_gating.logit_scale", 0.5f);
        Set(head, "aspect_gating.logit_scale", 0.8f);
        using (var output = head.forward(hGate, hLast))
        {
            // w halves, so s halves: [0.3, 1, 1, 0.5, -0.5]; g = 0.8 / 5 = 0.16; score = 0.16 * 2.3 = 0.368.
            AssertClose(UniformCriteriaWeights.Select(w => w / 2).ToArray(), Values(output.CriteriaWeights!));
            AssertClose([0.3f, 1, 1, 0.5f, -0.5f], Values(output.AspectScores!));
            AssertClose(Repeat(0.16f, 5), Values(output.AspectWeights!));
            AssertClose([0.368f], Values(output.Score));
        }
        Assert.Equal(["aspect_gating.logit_scale", "criteria_gating.logit_scale", "regression_layer.weight", "reward_transform_matrix"],
            head.state_dict().Keys.Order());
    }

    [Fact]
    public void Static_learned_uses_one_logit_vector_for_every_input()
    {
        using var head = HeadWithHandRewards(new Routing(RoutingStrategy.StaticLearned));
        Set(head, "criteria_gating.logits", HandCriteriaLogits);
        Set(head, "criteria_gating.logit_scale", 0.5f);
        Set(head, "aspect_gating.logits", HandAspectLogits);
        // Two different gate inputs; the static logits are the hand case's, so both rows give the hand case's outputs:
        // s = [0.5, 1, 1, 0.5, -0.5], g = [0.2, 0.1, 0.1, 0.4, 0.2], score = 0.4.
        using var hGate = tensor(new float[] { 1, 2, -7, 30 }).reshape(2, 2);
        using var hLast = HandLast(batch: 2);
        using var output = head.forward(hGate, hLast);
        AssertClose([.. HandCriteriaWeights, .. HandCriteriaWeights], Values(output.CriteriaWeights!));
        AssertClose([.. HandAspectScores, .. HandAspectScores], Values(output.AspectScores!));
        AssertClose([.. HandAspectWeights, .. HandAspectWeights], Values(output.AspectWeights!));
        AssertClose([HandScore, HandScore], Values(output.Score));
        Assert.Contains("criteria_gating.logits", head.state_dict().Keys);
        Assert.Equal([28L], head.state_dict()["criteria_gating.logits"].shape);
        Assert.Equal([5L], head.state_dict()["aspect_gating.logits"].shape);
    }

    /// <summary>Criteria logits ln(j + 1) at position j of each aspect group; aspect logits ln [3, 1, 1, 4, 2].</summary>
    static MjVideoHead SparseHead(int k)
    {
        var head = HandHead(Routing.Sparse(k));
        var criteriaLogits = Taxonomy.MjTaxonomy.AspectToCriteria
            .SelectMany(g => g.Select((_, j) => MathF.Log(j + 1))).ToArray();
        Set(head, "criteria_gating.layers.3.bias", criteriaLogits);
        Set(head, "criteria_gating.logit_scale", 1f);
        Set(head, "aspect_gating.layers.3.bias", Ln3, 0, 0, Ln4, Ln2);
        return head;
    }

    [Fact]
    public void Sparse_top_k_zeroes_the_rest_and_renormalises()
    {
        using var head = SparseHead(k: 2);
        using var hGate = HandGate();
        using var hLast = HandLast();
        using var output = head.forward(hGate, hLast);
        // Each group keeps its two largest logits, ln n and ln(n-1) (n = group size): weights (n-1)/(2n-1) and n/(2n-1).
        //   n = 5: 4/9, 5/9; n = 6: 5/11, 6/11; n = 7: 6/13, 7/13.
        float[] expectedWeights =
        [
            0, 0, 0, 4f / 9, 5f / 9,
            0, 0, 0, 0, 5f / 11, 6f / 11,
            0, 0, 0, 4f / 9, 5f / 9,
            0, 0, 0, 0, 0, 6f / 13, 7f / 13,
            0, 0, 0, 4f / 9, 5f / 9,
        ];
        AssertClose(expectedWeights, Values(output.CriteriaWeights!));
        // Aspects keep ln 4 (index 3) and ln 3 (index 0): [3, 0, 0, 4, 0] / 7.
        AssertClose([3f / 7, 0, 0, 4f / 7, 0], Values(output.AspectWeights!));
        // s0 = 4/9 * 0 + 5/9 * -6 = -10/3; s1 = 5/11 * 5 + 6/11 * -3 = 7/11; s2 = 2; s3 = 0; s4 = 0.
        AssertClose([-10f / 3, 7f / 11, 2, 0, 0], Values(output.AspectScores!));
        // score = 3/7 * -10/3 + 4/7 * 0 = -10/7.
        AssertClose([-10f / 7], Values(output.Score));
    }

    [Fact]
    public void Sparse_top_k_leaves_groups_of_k_or_fewer_whole()
    {
        using var head = SparseHead(k: 6);
        using var hGate = HandGate();
        using var hLast = HandLast();
        using var output = head.forward(hGate, hLast);
        // Only C&C (7 criteria) loses its smallest logit (ln 1): [0, 2, ..., 7] / 27. The others keep all: (j+1) / (n(n+1)/2).
        float[] expectedWeights =
        [
            1f / 15, 2f / 15, 3f / 15, 4f / 15, 5f / 15,
            1f / 21, 2f / 21, 3f / 21, 4f / 21, 5f / 21, 6f / 21,
            1f / 15, 2f / 15, 3f / 15, 4f / 15, 5f / 15,
            0, 2f / 27, 3f / 27, 4f / 27, 5f / 27, 6f / 27, 7f / 27,
            1f / 15, 2f / 15, 3f / 15, 4f / 15, 5f / 15,
        ];
        AssertClose(expectedWeights, Values(output.CriteriaWeights!));
        // 5 aspects <= 6: all kept, [3, 1, 1, 4, 2] / 11.
        AssertClose([3f / 11, 1f / 11, 1f / 11, 4f / 11, 2f / 11], Values(output.AspectWeights!));
    }

    [Fact]
    public void Sparse_top_k_stays_differentiable_through_the_kept_weights()
    {
        using var head = SparseHead(k: 2);
        using var hGate = HandGate();
        using var hLast = HandLast();
        using var output = head.forward(hGate, hLast);
        output.Score.sum().backward();
        var bias = head.named_parameters().Single(p => p.name == "aspect_gating.layers.3.bias").parameter;
        var grad = Values(bias.grad!);
        // d score / d z_a = g_a (s_a - score) for kept aspects, 0 for dropped ones:
        //   a0: 3/7 (-10/3 + 10/7) = 3/7 * -40/21 = -0.816327; a3: 4/7 (0 + 10/7) = 40/49 = 0.816327.
        AssertClose([-0.816327f, 0, 0, 0.816327f, 0], grad);
    }

    [Fact]
    public void No_criteria_moe_uses_the_mean_of_each_aspect()
    {
        using var head = HeadWithHandRewards(new Routing(RoutingStrategy.NoCriteriaMoE));
        for (var layer = 0; layer < 3; layer++)
        {
            Set(head, $"aspect_gating.layers.{layer}.weight", Identity(2));
            Set(head, $"aspect_gating.layers.{layer}.bias", 0, 0);
        }
        Set(head, "aspect_gating.layers.3.weight", new float[10]);
        Set(head, "aspect_gating.layers.3.bias", HandAspectLogits);
        using var hGate = HandGate();
        using var hLast = HandLast();
        using var output = head.forward(hGate, hLast);
        // s = the means [0.6, 2, 2, 1, -1]; g = [0.2, 0.1, 0.1, 0.4, 0.2];
        // score = 0.12 + 0.2 + 0.2 + 0.4 - 0.2 = 0.72.
        AssertClose(AspectMeans, Values(output.AspectScores!));
        AssertClose(UniformCriteriaWeights, Values(output.CriteriaWeights!));
        AssertClose([0.72f], Values(output.Score));
        Assert.Null(output.CriteriaLogits);
        Assert.DoesNotContain(head.state_dict().Keys, k => k.StartsWith("criteria_gating"));
    }

    [Fact]
    public void Single_scalar_head_gives_only_a_score()
    {
        using var head = new MjVideoHead(HandConfig(new Routing(RoutingStrategy.SingleScalarHead)), seed: 4);
        Set(head, "scalar_head.weight", 2, -1);
        // h_last rows [1, 3] -> 2 - 3 = -1; [0.5, 0] -> 1. h_gate is not read.
        using var hGate = zeros(2, 2);
        using var hLast = tensor(new float[] { 1, 3, 0.5f, 0 }).reshape(2, 2);
        using var output = head.forward(hGate, hLast);
        AssertClose([-1f, 1f], Values(output.Score));
        Assert.Null(output.Criteria);
        Assert.Null(output.AspectScores);
        Assert.Null(output.CriteriaWeights);
        Assert.Null(output.AspectWeights);
        Assert.Null(output.CriteriaLogits);
        Assert.Equal(["scalar_head.weight"], head.state_dict().Keys);
    }

    [Fact]
    public void Routing_options_are_checked()
    {
        Assert.Contains("k >= 1", Assert.Throws<ArgumentException>(() => Routing.Sparse(0).Validate()).Message);
        Assert.Contains("only meaningful for SparseTopK",
            Assert.Throws<ArgumentException>(() => new Routing(RoutingStrategy.Uniform, TopK: 2).Validate()).Message);
        Assert.Throws<ArgumentException>(() => new MjVideoHead(HandConfig(Routing.Sparse(-1)), seed: 0));
        Assert.Equal("SparseTopK(k=3)", Routing.Sparse(3).ToString());
    }
}

using MjVideo.Data;
using MjVideo.Model;
using MjVideo.Taxonomy;
using static MjVideo.Tests.ModelTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>Stage composition, the batching invariant, and which parameters each stage trains.</summary>
public class ModelStageTests
{
    /// <summary>Random labels from a seeded generator; pair 0 has no labels at all (every mask empty).</summary>
    static List<PairTargets> RandomTargets(int pairs, int seed)
    {
        var rng = new Random(seed);
        int Signed() => rng.Next(2) == 0 ? 1 : -1;
        Dictionary<int, int> Some(int count, double p) =>
            Enumerable.Range(0, count).Where(_ => rng.NextDouble() < p).ToDictionary(i => i, _ => Signed());
        VideoTargets RandomVideo() => VideoLabels(Some(MjTaxonomy.CriterionCount, 0.4), Some(MjTaxonomy.AspectCount, 0.5),
            rng.NextDouble() < 0.7 ? Signed() : null);
        var list = new List<PairTargets> { Unlabelled() };
        for (var i = 1; i < pairs; i++)
        {
            var video0 = RandomVideo();
            var video1 = RandomVideo();
            var aspectPreferences = Enumerable.Range(0, MjTaxonomy.AspectCount).Where(_ => rng.NextDouble() < 0.4)
                .ToDictionary(a => a, _ => rng.Next(2));
            list.Add(Pair(video0, video1, aspectPreferences, rng.NextDouble() < 0.6 ? rng.Next(2) : null));
        }
        return list;
    }

    /// <summary>Head outputs with independent random tensors, so each output feeds only its own loss terms.</summary>
    static RewardOutput FakeOutput(int pairs, Generator generator, Func<Tensor, Tensor>? criteria = null,
        Func<Tensor, Tensor>? criteriaWeights = null)
    {
        var r = randn([pairs, 28], generator: generator);
        var s = randn([pairs, 5], generator: generator);
        var score = randn([pairs], generator: generator);
        var w = rand([pairs, 28], generator: generator) * 0.9;
        var g = rand([pairs, 5], generator: generator) * 0.9;
        return new RewardOutput(criteria?.Invoke(r) ?? r, s, score, criteriaWeights?.Invoke(w) ?? w, g, null);
    }

    static (RewardOutput, RewardOutput) FakeOutputs(int pairs, int seed, Func<Tensor, Tensor>? criteria = null,
        Func<Tensor, Tensor>? criteriaWeights = null)
    {
        var generator = new Generator((ulong)seed);
        return (FakeOutput(pairs, generator, criteria, criteriaWeights), FakeOutput(pairs, generator, criteria, criteriaWeights));
    }

    [Theory]
    [InlineData(TrainingStage.Criteria, LossMode.Bce)]
    [InlineData(TrainingStage.Criteria, LossMode.Mse)]
    [InlineData(TrainingStage.Aspect, LossMode.Mse)]
    [InlineData(TrainingStage.Aspect, LossMode.Bce)]
    [InlineData(TrainingStage.Overall, LossMode.Mse)]
    [InlineData(TrainingStage.Overall, LossMode.Bce)]
    public void Stage_total_is_the_official_weighted_sum_of_its_terms(TrainingStage stage, LossMode mode)
    {
        using var targets = TargetBatch.From(RandomTargets(6, seed: 1));
        var (video0, video1) = FakeOutputs(6, seed: 2);
        using var loss = StageLosses.Compute(stage, video0, video1, targets, new LossOptions(mode));
        var t = loss.Terms;
        var bce = mode == LossMode.Bce;
        var l1 = t[bce ? LossTerm.CriteriaBce : LossTerm.CriteriaMse];
        // Stage 2: 0.3 L1 + 1 L2 + 1 L_BT,asp (+ 0.5 L_gate,crit in BCE mode).
        double Stage2() => 0.3 * l1 + 1 * t[bce ? LossTerm.AspectBce : LossTerm.AspectMse] + 1 * t[LossTerm.AspectBradleyTerry]
                           + (bce ? 0.5 * t[LossTerm.CriteriaGate] : 0);
        var (expected, names) = stage switch
        {
            TrainingStage.Criteria => (l1, new[] { bce ? LossTerm.CriteriaBce : LossTerm.CriteriaMse }),
            TrainingStage.Aspect => (Stage2(), bce
                ? [LossTerm.CriteriaBce, LossTerm.AspectBce, LossTerm.AspectBradleyTerry, LossTerm.CriteriaGate]
                : new[] { LossTerm.CriteriaMse, LossTerm.AspectMse, LossTerm.AspectBradleyTerry }),
            // Stage 3: 0.3 L1 + 0.3 L_stage2 + 0.3 L_gate,asp + 1 L_BT,overall + 1 L_mse,overall.
            _ => (0.3 * l1 + 0.3 * Stage2() + 0.3 * t[LossTerm.AspectGate] + 1 * t[LossTerm.OverallBradleyTerry]
                  + 1 * t[LossTerm.OverallMse],
                bce
                    ? [LossTerm.CriteriaBce, LossTerm.AspectBce, LossTerm.AspectBradleyTerry, LossTerm.CriteriaGate,
                       LossTerm.Stage2, LossTerm.AspectGate, LossTerm.OverallBradleyTerry, LossTerm.OverallMse]
                    : new[] { LossTerm.CriteriaMse, LossTerm.AspectMse, LossTerm.AspectBradleyTerry, LossTerm.Stage2,
                        LossTerm.AspectGate, LossTerm.OverallBradleyTerry, LossTerm.OverallMse }),
        };
        Assert.Equal(names.Append(LossTerm.Total).Order(), t.Keys.Order());
        AssertClose(expected, t[LossTerm.Total], 1e-4);
        AssertClose(expected, Scalar(loss.Total), 1e-4);
        if (stage == TrainingStage.Overall) AssertClose(Stage2(), t[LossTerm.Stage2], 1e-4);
        Assert.All(t.Values, v => Assert.True(double.IsFinite(v) && v != 0, $"term value {v}"));
        video0.Dispose();
        video1.Dispose();
    }

    [Fact]
    public void Stage_three_counts_the_criteria_loss_twice()
    {
        using var targets = TargetBatch.From(RandomTargets(6, seed: 3));
        var options = new LossOptions(LossMode.Mse);
        // Two sets of outputs that differ only in the criteria rewards: only L1 changes, and it enters stage 3 as
        // 0.3 L1 + 0.3 (0.3 L1 + ...) = 0.39 L1.
        var (a0, a1) = FakeOutputs(6, seed: 4);
        var (b0, b1) = FakeOutputs(6, seed: 4, criteria: r => r * 3 + 1);
        using var lossA = StageLosses.Compute(TrainingStage.Overall, a0, a1, targets, options);
        using var lossB = StageLosses.Compute(TrainingStage.Overall, b0, b1, targets, options);
        var deltaL1 = lossB[LossTerm.CriteriaMse] - lossA[LossTerm.CriteriaMse];
        Assert.True(Math.Abs(deltaL1) > 0.1, $"the perturbation should change L1, changed it by {deltaL1}");
        AssertClose(0.39 * deltaL1, lossB[LossTerm.Total] - lossA[LossTerm.Total], 1e-4);
        foreach (var name in new[] { LossTerm.AspectMse, LossTerm.AspectBradleyTerry, LossTerm.AspectGate, LossTerm.OverallBradleyTerry,
                     LossTerm.OverallMse })
            Assert.Equal(lossA[name], lossB[name]);
    }

    [Theory]
    [InlineData(TrainingStage.Aspect, 0.5)]          // stage 2 BCE: 0.5 L_gate,crit
    [InlineData(TrainingStage.Overall, 0.3 * 0.5)]   // stage 3 BCE: inside 0.3 L_stage2
    public void Criteria_gate_loss_enters_with_its_official_weight(TrainingStage stage, double weight)
    {
        using var targets = TargetBatch.From(RandomTargets(6, seed: 5));
        var options = new LossOptions(LossMode.Bce);
        var (a0, a1) = FakeOutputs(6, seed: 6);
        var (b0, b1) = FakeOutputs(6, seed: 6, criteriaWeights: w => w * 0.5);
        using var lossA = StageLosses.Compute(stage, a0, a1, targets, options);
        using var lossB = StageLosses.Compute(stage, b0, b1, targets, options);
        var deltaGate = lossB[LossTerm.CriteriaGate] - lossA[LossTerm.CriteriaGate];
        Assert.True(Math.Abs(deltaGate) > 0.1, $"the perturbation should change the gate loss, changed it by {deltaGate}");
        AssertClose(weight * deltaGate, lossB[LossTerm.Total] - lossA[LossTerm.Total], 1e-4);
    }

    [Fact]
    public void Staged_loss_of_a_single_scalar_head_says_what_is_missing()
    {
        using var head = new MjVideoHead(HandConfig(new Routing(RoutingStrategy.SingleScalarHead)), seed: 1);
        using var targets = TargetBatch.From(RandomTargets(2, seed: 1));
        using var h = rand([2, 2], generator: new Generator(1));
        using var output = head.forward(h, h);
        var e = Assert.Throws<InvalidOperationException>(
            () => StageLosses.Compute(TrainingStage.Criteria, output, output, targets, new LossOptions(LossMode.Bce)));
        Assert.Contains("criteria rewards", e.Message);
        Assert.Contains(nameof(StageLosses.OverallPreferenceOnly), e.Message);
    }

    [Fact]
    public void Overall_preference_only_is_the_mean_overall_bradley_terry()
    {
        using var targets = TargetBatch.From(
        [
            Pair(VideoLabels(), VideoLabels(), overallPreference: 1),
            Unlabelled(),
        ]);
        using var output0 = new RewardOutput(null, null, tensor(new float[] { 2, 7 }), null, null, null);
        using var output1 = new RewardOutput(null, null, tensor(new float[] { 1, -3 }), null, null, null);
        using var loss = StageLosses.OverallPreferenceOnly(output0, output1, targets, new LossOptions(LossMode.Mse));
        // Pair 0: -ln sigma(1 - 2) = 1.313262; pair 1 masked: 0. Mean 0.656631.
        AssertClose(0.656631, loss[LossTerm.Total]);
        AssertClose(0.656631, loss[LossTerm.OverallBradleyTerry]);
    }

    // ---- the batching invariant ----

    static MjVideoHead SmallHead(Routing routing, long seed) =>
        new(new MjVideoHeadConfig(HiddenSize: 3, routing, GatingHiddenDim: 4, GatingHiddenLayers: 2), seed);

    static (Tensor Gate0, Tensor Last0, Tensor Gate1, Tensor Last1) RandomStates(int pairs, int seed)
    {
        var generator = new Generator((ulong)seed);
        return (randn([pairs, 3], generator: generator), randn([pairs, 3], generator: generator),
            randn([pairs, 3], generator: generator), randn([pairs, 3], generator: generator));
    }

    static StageLoss Loss(MjVideoHead head, TrainingStage stage, LossOptions options, IReadOnlyList<PairTargets> pairs,
        (Tensor Gate0, Tensor Last0, Tensor Gate1, Tensor Last1) states)
    {
        using var targets = TargetBatch.From(pairs);
        using var video0 = head.forward(states.Gate0, states.Last0);
        using var video1 = head.forward(states.Gate1, states.Last1);
        return head.Routing.HasCriteria
            ? StageLosses.Compute(stage, video0, video1, targets, options)
            : StageLosses.OverallPreferenceOnly(video0, video1, targets, options);
    }

    static Dictionary<string, float[]> Gradients(MjVideoHead head) => head.named_parameters()
        .Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => Values(p.parameter.grad!));

    [Theory]
    [InlineData(TrainingStage.Criteria, LossMode.Bce)]
    [InlineData(TrainingStage.Criteria, LossMode.Mse)]
    [InlineData(TrainingStage.Aspect, LossMode.Mse)]
    [InlineData(TrainingStage.Aspect, LossMode.Bce)]
    [InlineData(TrainingStage.Overall, LossMode.Mse)]
    [InlineData(TrainingStage.Overall, LossMode.Bce)]
    public void Batch_1_times_accumulation_8_equals_batch_8_times_accumulation_1(TrainingStage stage, LossMode mode)
    {
        const int pairs = 8;
        var targets = RandomTargets(pairs, seed: 7);
        var states = RandomStates(pairs, seed: 8);
        var options = new LossOptions(mode);
        using var head = SmallHead(Routing.Paper, seed: 9);
        head.PrepareForStage(stage);

        // One batch of 8.
        using (var loss = Loss(head, stage, options, targets, states)) loss.Total.backward();
        var batched = Gradients(head);
        head.zero_grad();

        // Eight batches of 1, each loss divided by the accumulation steps (as the HF Trainer does), gradients summed.
        for (var i = 0; i < pairs; i++)
        {
            using var gate0 = states.Gate0.narrow(0, i, 1);
            using var last0 = states.Last0.narrow(0, i, 1);
            using var gate1 = states.Gate1.narrow(0, i, 1);
            using var last1 = states.Last1.narrow(0, i, 1);
            using var loss = Loss(head, stage, options, [targets[i]], (gate0, last0, gate1, last1));
            using var scaled = loss.Total / pairs;
            scaled.backward();
        }
        var accumulated = Gradients(head);

        Assert.Equal(head.ParametersTrainedIn(stage).Select(p => p.Name).Order(), batched.Keys.Order());
        Assert.Equal(batched.Keys.Order(), accumulated.Keys.Order());
        foreach (var (name, grad) in batched)
        {
            Assert.Contains(grad, g => g != 0);
            for (var k = 0; k < grad.Length; k++)
                Assert.True(Math.Abs(grad[k] - accumulated[name][k]) <= 1e-5 + 1e-4 * Math.Abs(grad[k]),
                    $"{name}[{k}]: batch 8 {grad[k]}, accumulated {accumulated[name][k]}");
        }
    }

    // ---- stage parameter sets ----

    static string[] GateNames(string gate) => Enumerable.Range(0, 3)
        .SelectMany(layer => new[] { $"{gate}.layers.{layer}.weight", $"{gate}.layers.{layer}.bias" })
        .Append($"{gate}.logit_scale").ToArray();

    [Fact]
    public void Each_stage_adds_one_part_of_the_head_and_never_the_identity()
    {
        using var head = SmallHead(Routing.Paper, seed: 1);
        string[] Names(TrainingStage stage) => head.ParametersTrainedIn(stage).Select(p => p.Name).Order().ToArray();
        // GatingHiddenLayers = 2, so the layers are 0, 1 and the output layer 2.
        Assert.Equal(["regression_layer.weight"], Names(TrainingStage.Criteria));
        Assert.Equal(new[] { "regression_layer.weight" }.Concat(GateNames("criteria_gating")).Order(), Names(TrainingStage.Aspect));
        Assert.Equal(new[] { "regression_layer.weight" }.Concat(GateNames("criteria_gating")).Concat(GateNames("aspect_gating")).Order(),
            Names(TrainingStage.Overall));

        using var noCriteria = SmallHead(new Routing(RoutingStrategy.NoCriteriaMoE), seed: 1);
        Assert.Equal(["regression_layer.weight"], noCriteria.ParametersTrainedIn(TrainingStage.Aspect).Select(p => p.Name));
        using var uniform = SmallHead(new Routing(RoutingStrategy.Uniform), seed: 1);
        Assert.Equal(["criteria_gating.logit_scale", "regression_layer.weight"],
            uniform.ParametersTrainedIn(TrainingStage.Aspect).Select(p => p.Name).Order());
        using var single = SmallHead(new Routing(RoutingStrategy.SingleScalarHead), seed: 1);
        foreach (var stage in Enum.GetValues<TrainingStage>())
            Assert.Equal(["scalar_head.weight"], single.ParametersTrainedIn(stage).Select(p => p.Name));

        head.PrepareForStage(TrainingStage.Overall);
        Assert.False(head.named_parameters().Single(p => p.name == "reward_transform_matrix").parameter.requires_grad);
    }

    public static TheoryData<RoutingStrategy, TrainingStage> StrategiesAndStages()
    {
        var data = new TheoryData<RoutingStrategy, TrainingStage>();
        foreach (var strategy in Enum.GetValues<RoutingStrategy>())
        foreach (var stage in Enum.GetValues<TrainingStage>())
            data.Add(strategy, stage);
        return data;
    }

    [Theory]
    [MemberData(nameof(StrategiesAndStages))]
    public void One_optimizer_step_changes_every_trained_parameter_and_no_frozen_one(RoutingStrategy strategy, TrainingStage stage)
    {
        var routing = strategy == RoutingStrategy.SparseTopK ? Routing.Sparse(2) : new Routing(strategy);
        using var head = SmallHead(routing, seed: 12);
        head.PrepareForStage(stage);
        var before = head.named_parameters().ToDictionary(p => p.name, p => Values(p.parameter));
        var trained = head.ParametersTrainedIn(stage).Select(p => p.Name).ToHashSet();
        Assert.NotEmpty(trained);

        // Adam without weight decay, so a parameter moves only if its gradient is non-zero.
        using var optimizer = optim.Adam(head.ParametersTrainedIn(stage).Select(p => p.Parameter), lr: 0.01);
        using (var loss = Loss(head, stage, LossOptions.PaperDefault(stage), RandomTargets(8, seed: 13), RandomStates(8, seed: 14)))
            loss.Total.backward();
        optimizer.step();

        foreach (var (name, parameter) in head.named_parameters())
        {
            var after = Values(parameter);
            if (trained.Contains(name))
                Assert.True(!after.SequenceEqual(before[name]), $"{routing} stage {stage}: trained parameter {name} did not change");
            else
            {
                Assert.Equal(before[name], after);
                Assert.Null(parameter.grad);
            }
        }
    }
}

using MjVideo.Data;
using MjVideo.Model;
using MjVideo.Training;
using static MjVideo.Tests.ModelTestKit;

namespace MjVideo.Tests;

/// <summary>The schedule, the data order, the config and its presets, and the judge and routing names.</summary>
public class TrainingScheduleTests
{
    [Fact]
    public void Cosine_schedule_warms_up_linearly_then_follows_a_half_cosine()
    {
        // Warm-up 4 of 12 steps: 0, 1/4, 2/4, 3/4, then 0.5 (1 + cos(pi (t - 4) / 8)).
        double[] expected =
        [
            0, 0.25, 0.5, 0.75, 1,
            0.5 * (1 + Math.Cos(Math.PI / 8)), 0.5 * (1 + Math.Cos(Math.PI / 4)), 0.5 * (1 + Math.Cos(3 * Math.PI / 8)), 0.5,
            0.5 * (1 - Math.Cos(3 * Math.PI / 8)), 0.5 * (1 - Math.Cos(Math.PI / 4)), 0.5 * (1 - Math.Cos(Math.PI / 8)),
        ];
        for (var step = 0; step < 12; step++) AssertClose(expected[step], CosineSchedule.Factor(step, 4, 12), 1e-12);
        AssertClose(0.14644660940672624, CosineSchedule.Factor(10, 4, 12), 1e-12);
        Assert.Equal(1, CosineSchedule.Factor(0, 0, 1));
        Assert.Equal(0, CosineSchedule.Factor(12, 4, 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => CosineSchedule.Factor(-1, 0, 5));
    }

    [Fact]
    public void Data_order_is_a_seeded_permutation_from_splitmix64()
    {
        // SplitMix64's published first output for seed 0.
        var state = 0UL;
        Assert.Equal(0xE220A8397B1DCDAFUL, DataOrder.SplitMix64(ref state));

        var order = DataOrder.Permutation(seed: 42, stage: 1, epoch: 0, count: 50);
        Assert.Equal(Enumerable.Range(0, 50), order.Order());
        Assert.Equal(order, DataOrder.Permutation(42, 1, 0, 50));
        Assert.NotEqual(order, DataOrder.Permutation(42, 1, 1, 50));
        Assert.NotEqual(order, DataOrder.Permutation(42, 2, 0, 50));
        Assert.NotEqual(order, DataOrder.Permutation(43, 1, 0, 50));
        Assert.NotEqual(Enumerable.Range(0, 50), order);
        Assert.Empty(DataOrder.Permutation(1, 1, 0, 0));
    }

    [Fact]
    public void Paper_preset_is_the_official_settings()
    {
        var paper = TrainConfig.Paper();
        Assert.Equal([1, 2, 3], paper.Stages.Select(s => s.Stage));
        Assert.Equal([8, 8, 4], paper.Stages.Select(s => s.GradientAccumulation));
        Assert.Equal([25, 50, 5], paper.Stages.Select(s => s.WarmupSteps));
        Assert.All(paper.Stages, s => Assert.Equal((3, 3e-5), (s.Epochs, s.LearningRate)));
        Assert.Equal([LossMode.Bce, LossMode.Mse, LossMode.Mse], paper.Stages.Select(s => s.LossMode));
        Assert.All(paper.Stages, s => Assert.Equal(BadLabelEncoding.Zero, s.BceBadLabel));
        Assert.Equal((1, 0.1, 1.0, 42L), (paper.BatchSize, paper.WeightDecay, paper.MaxGradNorm, paper.Seed));
        Assert.Equal(Routing.Paper, paper.Model.Routing);
        Assert.Equal((1024, 3, 1.0), (paper.Model.GatingHiddenDim, paper.Model.GatingHiddenLayers, paper.Model.GatingTemperature));
        Assert.Equal(paper.Stages, TrainConfig.Full().Stages);
        paper.Validate();
        TrainConfig.Quick().Validate();
    }

    [Fact]
    public void Config_round_trips_through_json_and_bad_values_are_named()
    {
        var config = TrainConfig.Quick(JudgeKind.MjVideo) with { Model = new ModelSettings { Routing = Routing.Sparse(2) }, Patience = 2 };
        var json = config.ToJson();
        Assert.Contains("\"Strategy\": \"SparseTopK\"", json);
        Assert.Contains("\"LossMode\": \"Bce\"", json);
        var back = TrainConfig.FromJson(json, "config.json");
        Assert.Equal(json, back.ToJson());
        Assert.Equal(Routing.Sparse(2), back.Model.Routing);

        var badAccumulation = config with
        {
            Stages = [config.Stages[0], config.Stages[1] with { GradientAccumulation = 0 }],
        };
        Assert.Contains("Stages[1] (stage 2).GradientAccumulation = 0", Assert.Throws<ArgumentException>(badAccumulation.Validate).Message);
        var outOfOrder = config with { Stages = [config.Stages[2], config.Stages[0]] };
        Assert.Contains("increasing order, got 3, 1", Assert.Throws<ArgumentException>(outOfOrder.Validate).Message);
        var routedBaseline = config with { Model = new ModelSettings { Judge = JudgeKind.BtSingle, Routing = new Routing(RoutingStrategy.Uniform) } };
        Assert.Contains("routing is an option of the mjvideo judge only", Assert.Throws<ArgumentException>(routedBaseline.Validate).Message);

        var e = Assert.Throws<InvalidDataException>(() => TrainConfig.FromJson(json.Replace("\"BatchSize\": 8", "\"BatchSize\": -3"), "x/config.json"));
        Assert.Contains("x/config.json: BatchSize = -3", e.Message);
        Assert.Contains("x/config.json: not a valid training config", Assert.Throws<InvalidDataException>(() => TrainConfig.FromJson("{", "x/config.json")).Message);

        Assert.Equal([3], config.WithStages([3]).Stages.Select(s => s.Stage));
        Assert.Equal(config.Stages[2], config.WithStages([3]).Stages[0]);
    }

    [Fact]
    public void Judge_and_routing_names_parse_and_print()
    {
        foreach (var name in JudgeNames.All) Assert.Equal(name, JudgeNames.Name(JudgeNames.Parse(name)));
        Assert.Equal(JudgeKind.CapacityMatched, JudgeNames.Parse(" Capacity-Matched "));
        Assert.Contains("known: mjvideo, bt-single, multitask-single, capacity-matched, videoscore",
            Assert.Throws<ArgumentException>(() => JudgeNames.Parse("gpt")).Message);

        foreach (var name in new[] { "input-aware", "uniform", "static", "topk:3", "no-criteria-moe", "single" })
            Assert.Equal(name, JudgeNames.RoutingName(JudgeNames.ParseRouting(name)));
        Assert.Equal(Routing.Sparse(3), JudgeNames.ParseRouting("topk:3"));
        Assert.Contains("topk needs a whole number k >= 1", Assert.Throws<ArgumentException>(() => JudgeNames.ParseRouting("topk:0")).Message);
        Assert.Contains("unknown routing 'moe'", Assert.Throws<ArgumentException>(() => JudgeNames.ParseRouting("moe")).Message);
    }
}

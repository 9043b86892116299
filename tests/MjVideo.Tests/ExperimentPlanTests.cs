using static MjVideo.Tests.ModelTestKit;
using MjVideo.Data;
using MjVideo.Experiments;
using MjVideo.Model;
using MjVideo.Synth;
using MjVideo.Training;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The experiment plan: variants, cells, learning-rate sources, the ablation grid, and the gate-loss switch.</summary>
public class ExperimentPlanTests
{
    [Fact]
    public void Variant_keys_and_configs_carry_exactly_what_differs_from_the_paper()
    {
        Assert.Equal("mjvideo", HeadVariant.MjVideo.Key);
        Assert.Equal("MJ-Video (input-aware)", HeadVariant.MjVideo.Display);
        var variant = HeadVariant.MjVideo with
        {
            Routing = Routing.Sparse(2), Temperature = 0.5, GateLosses = false, LossModes = [LossMode.Mse, LossMode.Mse, LossMode.Mse],
            BadLabel = BadLabelEncoding.MinusOne,
        };
        Assert.Equal("mjvideo-routing-topk-2-t0.5-no-gate-losses-loss-mse-mse-mse-bce-minus-one", variant.Key);

        var config = ExperimentSettings.Quick.HeadConfig(variant, seed: 7, learningRate: 3e-3);
        config.Validate();
        Assert.Equal(7, config.Seed);
        Assert.Equal(new Routing(RoutingStrategy.SparseTopK, 2), config.Model.Routing);
        Assert.Equal(0.5, config.Model.GatingTemperature);
        Assert.Equal(128, config.Model.GatingHiddenDim);
        Assert.All(config.Stages, s =>
        {
            Assert.Equal(LossMode.Mse, s.LossMode);
            Assert.False(s.LossOptions().GateLosses);
            Assert.Equal(BadLabelEncoding.MinusOne, s.LossOptions().BceBadLabel);
            Assert.Equal(3e-3, s.LearningRate);
        });
        Assert.Throws<ArgumentException>(() => (HeadVariant.Baseline(JudgeKind.BtSingle) with { Temperature = 2 }).Validate());
    }

    [Fact]
    public void Main_cells_search_the_learning_rate_on_the_first_seed_and_reuse_it_on_the_others()
    {
        var settings = ExperimentSettings.Quick;
        var cells = MainComparison.Cells(settings);
        // 5 trained judges on 4 families and 3 seeds; 2 modality controls on the one quick control seed; 2 heads on the
        // oracle inputs on every seed.
        Assert.Equal(5 * 4 * 3 + 2 * 4 * 1 + 2 * 4 * 3, cells.Count);
        Assert.Equal(cells.Count, cells.Select(c => c.Key).Distinct().Count());
        foreach (var group in cells.GroupBy(c => (c.Family, c.Variant.Key, c.Backbone.Key)))
        {
            var first = group.Single(c => c.Seed == settings.Seeds[0]);
            Assert.Equal(settings.Head.LearningRateGrid, first.LearningRate.SearchGrid);
            Assert.All(group.Where(c => c != first), c => Assert.Equal(first.Key, c.LearningRate.From));
        }
        Assert.Contains(cells, c => c.Key == "main/additive/mjvideo/8-paper/seed-0");
        Assert.Contains(cells, c => c.Key == "main/annotators/videoscore/8-paper/seed-2");
        Assert.Contains(cells, c => c.Key == "main/worst-defect/mjvideo/caption-only/seed-0");
        Assert.DoesNotContain(cells, c => c.Key == "main/worst-defect/mjvideo/caption-only/seed-1");
        Assert.Contains(cells, c => c.Key == "main/additive/multitask-single/oracle-inputs/seed-2");
    }

    [Fact]
    public void Ablation_cells_reuse_the_paper_heads_learning_rate_and_share_its_cells()
    {
        var settings = ExperimentSettings.Quick;
        var grid = new AblationGrid(settings, null!, null!, null!);
        var cells = grid.Cells();
        var mainKeys = MainComparison.Cells(settings).Select(c => c.Key).ToHashSet();
        var paperCells = cells.Where(c => c.Experiment == MainComparison.Experiment).ToList();
        // The reference cells are the main comparison's own (same key, same learning-rate source), for the ablation seeds.
        Assert.All(paperCells, c => Assert.Contains(c.Key, mainKeys));
        Assert.Equal([RuleFamily.Additive], settings.AblationFamilies);
        Assert.Equal(PreferenceRules.Families, ExperimentSettings.Full.AblationFamilies);
        Assert.Equal(settings.AblationFamilies.Count * settings.AblationSeeds.Count, paperCells.Count);
        var settingsCount = grid.Settings().Count(s => !s.IsReference);
        Assert.Equal(5 + 6 + 1 + 1 + 2 + 2 + 1, settingsCount); // routing, frames, gate losses, gate balance, temperature, loss modes, BCE encoding
        Assert.Equal(paperCells.Count + settingsCount * settings.AblationFamilies.Count * settings.AblationSeeds.Count, cells.Count);
        Assert.All(cells.Where(c => c.Experiment != MainComparison.Experiment), c =>
            Assert.Equal($"main/{c.Family.Name()}/mjvideo/8-paper/seed-{settings.Seeds[0]}", c.LearningRate.From));
        Assert.Contains(cells, c => c.Key == "ablation-frames/additive/mjvideo/4-inclusive/seed-1");
        Assert.Contains(cells, c => c.Key == "ablation-routing/additive/mjvideo-routing-static/8-paper/seed-0");
        Assert.DoesNotContain(cells, c => c.Family != RuleFamily.Additive);
        Assert.Contains(new AblationGrid(ExperimentSettings.Full, null!, null!, null!).Cells(),
            c => c.Key == "ablation-routing/fixed-weights/mjvideo-routing-static/8-paper/seed-0");
        Assert.Equal(grid.Cells("temperature").Count, paperCells.Count + 2 * settings.AblationFamilies.Count * settings.AblationSeeds.Count);
    }

    [Fact]
    public void Gate_losses_off_removes_exactly_their_weighted_terms()
    {
        var (video0, video1, targets) = RandomOutputs(seed: 5);
        var on = new LossOptions(LossMode.Mse);
        var off = on with { GateLosses = false };
        using var stage3On = StageLosses.Compute(TrainingStage.Overall, video0, video1, targets, on);
        using var stage3Off = StageLosses.Compute(TrainingStage.Overall, video0, video1, targets, off);
        Assert.True(stage3On[LossTerm.AspectGate] > 0);
        Assert.Equal(stage3On[LossTerm.Total] - StageLosses.Stage3AspectGateWeight * stage3On[LossTerm.AspectGate], stage3Off[LossTerm.Total], 4);
        Assert.Equal(stage3On[LossTerm.AspectGate], stage3Off[LossTerm.AspectGate], 6); // still reported

        // BCE stage 2: the criteria-gate term (weight 0.5) goes; inside stage 3 the stage-2 loss loses 0.3 * 0.5 of it too.
        var bceOn = new LossOptions(LossMode.Bce);
        using var stage2On = StageLosses.Compute(TrainingStage.Aspect, video0, video1, targets, bceOn);
        using var stage2Off = StageLosses.Compute(TrainingStage.Aspect, video0, video1, targets, bceOn with { GateLosses = false });
        Assert.True(stage2On[LossTerm.CriteriaGate] > 0);
        Assert.Equal(stage2On[LossTerm.Total] - StageLosses.Stage2CriteriaGateWeight * stage2On[LossTerm.CriteriaGate], stage2Off[LossTerm.Total], 4);
        video0.Dispose();
        video1.Dispose();
        targets.Dispose();
    }

    [Fact]
    public void The_gate_balance_term_is_the_kl_of_the_batch_mean_gate_from_uniform()
    {
        // Pair 0: video 0 all on aspect 0 at scale 0.5, video 1 all on aspect 1 at scale 1 -> normalised [1,0,0,0,0] and
        // [0,1,0,0,0]; batch mean [.5, .5, 0, 0, 0]; KL from uniform = 2 * .5 * ln(5 * .5) = ln 2.5 = 0.916291.
        using var split = tensor(new float[] { .5f, 0, 0, 0, 0, 0, 1, 0, 0, 0 }).reshape(1, 2, 5);
        AssertClose([0.916291f], Values(StageLosses.AspectGateBalance(split)), tolerance: 1e-5);
        // Every video uniform: 0. Every video on one aspect: ln 5, the same value for each pair of the batch.
        using var uniform = full(new long[] { 3, 2, 5 }, 0.2f);
        AssertClose([0f, 0f, 0f], Values(StageLosses.AspectGateBalance(uniform)), tolerance: 1e-6);
        using var collapsed = zeros(2, 2, 5).index_fill_(2, tensor(new long[] { 3 }), 0.9f);
        AssertClose([1.609438f, 1.609438f], Values(StageLosses.AspectGateBalance(collapsed)), tolerance: 1e-5);
        // Each video on its own aspect, nearly balanced over the batch (aspect 0 twice, the others once): mean
        // [1/3, 1/6, 1/6, 1/6, 1/6], KL = 1/3 ln(5/3) + 4/6 ln(5/6) = 0.048728, far below the collapsed ln 5.
        using var routed = tensor(new float[] { 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0 }).reshape(3, 2, 5);
        AssertClose([0.048728f, 0.048728f, 0.048728f], Values(StageLosses.AspectGateBalance(routed)), tolerance: 1e-5);
    }

    [Fact]
    public void The_gate_balance_option_adds_its_weighted_term_in_stage_3_only()
    {
        var (video0, video1, targets) = RandomOutputs(seed: 5);
        var paper = new LossOptions(LossMode.Mse);
        var balanced = paper with { AspectGateBalance = 2.0 };
        using var off = StageLosses.Compute(TrainingStage.Overall, video0, video1, targets, paper);
        using var on = StageLosses.Compute(TrainingStage.Overall, video0, video1, targets, balanced);
        Assert.False(off.Terms.ContainsKey(LossTerm.AspectBalance));
        Assert.True(on[LossTerm.AspectBalance] > 0);
        Assert.Equal(off[LossTerm.Total] + 2.0 * on[LossTerm.AspectBalance], on[LossTerm.Total], 4);
        using var stage2 = StageLosses.Compute(TrainingStage.Aspect, video0, video1, targets, balanced);
        Assert.False(stage2.Terms.ContainsKey(LossTerm.AspectBalance));
        Assert.Throws<ArgumentException>(() => (paper with { AspectGateBalance = -1 }).Validate());
        video0.Dispose();
        video1.Dispose();
        targets.Dispose();
    }

    /// <summary>Head outputs for 3 pairs from a seeded random head, and targets where some criteria and aspects are unrelated.</summary>
    static (RewardOutput Video0, RewardOutput Video1, TargetBatch Targets) RandomOutputs(int seed)
    {
        using var head = new MjVideoHead(new MjVideoHeadConfig(8, Routing.Paper, 8, 1), seed);
        using var generator = new Generator((ulong)seed);
        using var states = randn([6, 8], generator: generator);
        var output = head.forward(states, states);
        var random = new Random(seed);
        var pairs = Enumerable.Range(0, 3).Select(i =>
        {
            VideoAnnotation Labels() => new(Enumerable.Range(0, 28).Select(_ => random.Next(3)).ToArray(),
                Enumerable.Range(0, 5).Select(_ => random.Next(3)).ToArray(), random.Next(1, 3));
            var pair = new PreferencePair
            {
                SourceFile = "t.json", Index = i, Caption = "c", Video0 = "a", Video1 = "b", Labels0 = Labels(), Labels1 = Labels(),
                AspectPreferences = Enumerable.Range(0, 5).Select(_ => (PreferenceLabel?)PreferenceLabel.Video1Better).ToList(),
                Overall = PreferenceLabel.Video2Better,
            };
            return PairTargets.From(pair, BadLabelEncoding.MinusOne);
        }).ToList();
        Tensor Rows(Tensor? t, int start) => t!.narrow(0, start, 3);
        RewardOutput Part(int start) => new(Rows(output.Criteria, start), Rows(output.AspectScores, start), Rows(output.Score, start),
            Rows(output.CriteriaWeights, start), Rows(output.AspectWeights, start), null);
        return (Part(0), Part(3), TargetBatch.From(pairs));
    }
}

/// <summary>An ablation row must change one thing: its recorded config differs from the paper's head only in its own field.</summary>
public class ExperimentAblationConfigTests
{
    /// <summary>The JSON paths (with array indices replaced by []) each experiment may change.</summary>
    static readonly Dictionary<string, string[]> OwnFields = new()
    {
        ["routing"] = ["Model.Routing"],
        ["temperature"] = ["Model.GatingTemperature"],
        ["gate-losses"] = ["Stages[].GateLosses"],
        ["gate-balance"] = ["Stages[].AspectGateBalance"],
        ["loss-modes"] = ["Stages[].LossMode"],
        ["bce-encoding"] = ["Stages[].BceBadLabel"],
        ["frames"] = [],
    };

    [Fact]
    public void Each_ablation_row_differs_from_the_paper_head_only_in_its_own_field()
    {
        var settings = ExperimentSettings.Quick;
        var grid = new AblationGrid(settings, null!, null!, null!);
        var paper = Flatten(System.Text.Json.JsonSerializer.SerializeToNode(settings.HeadConfig(HeadVariant.MjVideo, seed: 0, learningRate: 3e-3), TrainConfig.JsonOptions)!);
        var settingsSeen = 0;
        foreach (var setting in grid.Settings().Where(s => !s.IsReference))
        {
            settingsSeen++;
            var own = OwnFields[setting.Experiment];
            var config = Flatten(System.Text.Json.JsonSerializer.SerializeToNode(settings.HeadConfig(setting.Variant, seed: 0, learningRate: 3e-3), TrainConfig.JsonOptions)!);
            var changed = paper.Keys.Union(config.Keys)
                .Where(path => paper.GetValueOrDefault(path) != config.GetValueOrDefault(path))
                .Select(path => System.Text.RegularExpressions.Regex.Replace(path, @"\[\d+\]", "[]"))
                .Distinct().ToList();
            Assert.True(changed.All(path => own.Any(field => path == field || path.StartsWith(field + ".", StringComparison.Ordinal))),
                $"{setting.Experiment} / {setting.Name} also changes: {string.Join(", ", changed.Where(p => !own.Any(f => p == f || p.StartsWith(f + ".", StringComparison.Ordinal))))}");
            if (setting.Experiment == "frames")
            {
                Assert.Equal(BackboneChoice.Default.Modalities, setting.Backbone.Modalities);
                Assert.NotEqual(BackboneChoice.Default.Frames, setting.Backbone.Frames);
            }
            else
            {
                Assert.NotEmpty(changed);
                Assert.Equal(BackboneChoice.Default, setting.Backbone);
            }
        }
        Assert.True(settingsSeen >= 15, $"only {settingsSeen} ablation settings");
    }

    static Dictionary<string, string> Flatten(System.Text.Json.Nodes.JsonNode node, string prefix = "")
    {
        var result = new Dictionary<string, string>();
        switch (node)
        {
            case System.Text.Json.Nodes.JsonObject obj:
                foreach (var (key, value) in obj)
                    if (value is null) result[prefix + key] = "null";
                    else foreach (var (k, v) in Flatten(value, prefix + key + ".")) result[k] = v;
                break;
            case System.Text.Json.Nodes.JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (array[i] is null) result[$"{prefix.TrimEnd('.')}[{i}]"] = "null";
                    else foreach (var (k, v) in Flatten(array[i]!, $"{prefix.TrimEnd('.')}[{i}].")) result[k] = v;
                break;
            default:
                result[prefix.TrimEnd('.')] = node.ToJsonString();
                break;
        }
        return result;
    }
}

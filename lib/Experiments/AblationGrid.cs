using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Backbones.Tiny;
using MjVideo.Data;
using MjVideo.Model;
using MjVideo.Reports;
using MjVideo.Synth;

namespace MjVideo.Experiments;

/// <summary>One setting of an ablation experiment: the head variant and backbone it trains, or the paper's head (the
/// reference row every setting of the experiment is read against, taken from the main comparison's records).</summary>
public sealed record AblationSetting(string Experiment, string Name, HeadVariant Variant, BackboneChoice Backbone, bool IsReference);

/// <summary>
/// Notebook 04's grid and <c>mjvideo ablate</c> (DESIGN 8, issue 7): each experiment changes one thing of the paper's
/// head and trains it on the frozen states of every rule family over <see cref="ExperimentSettings.AblationSeeds"/>, at
/// the learning rate the paper's head chose on val for that family (ablations hold the other hyper-parameters fixed):
/// <list type="bullet">
/// <item><c>routing</c>: uniform, static learned, sparse top-2, no criteria MoE, single scalar head;</item>
/// <item><c>frames</c>: 2, 4, 8 and 16 frames under the paper's rule and 2, 4, 8 inclusive-uniform (16 inclusive is
/// all 16 frames, the same as 16 under the paper's rule), index subsets of the same decoded clips, read by the same
/// pre-trained encoder;</item>
/// <item><c>gate-losses</c>: off (the routers learn only from the regression and preference terms);</item>
/// <item><c>temperature</c>: T = 0.5 and 2;</item>
/// <item><c>loss-modes</c>: MSE in every stage, BCE in every stage;</item>
/// <item><c>bce-encoding</c>: the official {1, -1} bad label in the BCE terms;</item>
/// <item><c>stages</c>: end to end, one seed, additive family: stage 3 alone against 1 -> 2 -> 3 (<see cref="EndToEnd"/>).</item>
/// </list>
/// </summary>
public sealed class AblationGrid(ExperimentSettings settings, ExperimentData data, HeadRunner runner, EndToEnd endToEnd)
{
    public const string Prefix = "ablation";
    public const string StagesExperiment = "stages";

    /// <summary>The experiments in table order (the stage ablation last).</summary>
    public static IReadOnlyList<string> Experiments { get; } = ["routing", "frames", "gate-losses", "temperature", "loss-modes", "bce-encoding", StagesExperiment];

    public IReadOnlyList<AblationSetting> Settings()
    {
        var paper = HeadVariant.MjVideo;
        var list = new List<AblationSetting>();
        void Add(string experiment, string name, HeadVariant variant, BackboneChoice? backbone = null) =>
            list.Add(new AblationSetting(experiment, name, variant, backbone ?? BackboneChoice.Default, IsReference: false));
        void Reference(string experiment, string name) =>
            list.Add(new AblationSetting(experiment, name, paper, BackboneChoice.Default, IsReference: true));

        Reference("routing", "input-aware (paper)");
        Add("routing", "uniform", paper with { Routing = new Routing(RoutingStrategy.Uniform) });
        Add("routing", "static learned", paper with { Routing = new Routing(RoutingStrategy.StaticLearned) });
        Add("routing", "sparse top-2", paper with { Routing = Routing.Sparse(2) });
        Add("routing", "no criteria MoE", paper with { Routing = new Routing(RoutingStrategy.NoCriteriaMoE) });
        Add("routing", "single scalar head", paper with { Routing = new Routing(RoutingStrategy.SingleScalarHead) });

        foreach (var frames in settings.FrameChoices)
        {
            var name = frames == FrameChoice.Paper ? $"{frames.Frames} frames, paper rule (paper)" : $"{frames.Frames} frames, {(frames.Sampling == Video.FrameSampling.PaperLinspace ? "paper rule" : "inclusive-uniform")}";
            if (frames == FrameChoice.Paper) Reference("frames", name);
            else Add("frames", name, paper, BackboneChoice.Default with { Frames = frames });
        }

        Reference("gate-losses", "on (paper)");
        Add("gate-losses", "off", paper with { GateLosses = false });

        // Not in the paper: a stage-3 term that keeps the batch-mean aspect gate near uniform (each input may still route
        // to its own aspects). The paper's objective is the reference row.
        Reference("gate-balance", "off (paper)");
        Add("gate-balance", "balance term, weight 1", paper with { GateBalance = 1.0 });

        foreach (var t in settings.Temperatures)
        {
            var name = "T = " + t.ToString("0.###", CultureInfo.InvariantCulture);
            if (t == 1.0) Reference("temperature", name + " (paper)");
            else Add("temperature", name, paper with { Temperature = t });
        }

        Reference("loss-modes", "BCE / MSE / MSE (paper)");
        Add("loss-modes", "MSE / MSE / MSE", paper with { LossModes = [LossMode.Mse, LossMode.Mse, LossMode.Mse] });
        Add("loss-modes", "BCE / BCE / BCE", paper with { LossModes = [LossMode.Bce, LossMode.Bce, LossMode.Bce] });

        Reference("bce-encoding", "bad = 0, labels {1, 0} (fixed)");
        Add("bce-encoding", "bad = -1, labels {1, -1} (official code)", paper with { BadLabel = BadLabelEncoding.MinusOne });
        return list;
    }

    /// <summary>The main comparison's cells of the paper's head that the ablations read as reference rows and whose chosen
    /// learning rate they reuse.</summary>
    HeadCell PaperCell(RuleFamily family, long seed)
    {
        var first = new HeadCell(MainComparison.Experiment, HeadVariant.MjVideo, family, settings.Seeds[0], BackboneChoice.Default,
            LearningRateSource.Search(settings.Head.LearningRateGrid));
        return seed == settings.Seeds[0] ? first : first with { Seed = seed, LearningRate = LearningRateSource.ChosenBy(first) };
    }

    /// <summary>A setting's cell on one family and seed: the paper's head cell for the reference rows.</summary>
    public HeadCell CellFor(AblationSetting setting, RuleFamily family, long seed) => setting.IsReference
        ? PaperCell(family, seed)
        : new HeadCell($"{Prefix}-{setting.Experiment}", setting.Variant, family, seed, setting.Backbone,
            LearningRateSource.ChosenBy(PaperCell(family, settings.Seeds[0])));

    /// <summary>Every head cell of the grid (those of <paramref name="only"/> experiment when given), with the paper's head
    /// cells they depend on.</summary>
    public IReadOnlyList<HeadCell> Cells(string? only = null)
    {
        var cells = new List<HeadCell>();
        foreach (var family in settings.AblationFamilies)
        {
            var seeds = settings.AblationSeeds;
            cells.AddRange(new[] { settings.Seeds[0] }.Concat(seeds).Distinct().Select(seed => PaperCell(family, seed)));
            foreach (var setting in Settings().Where(s => !s.IsReference && (only is null || s.Experiment == only)))
                cells.AddRange(seeds.Select(seed => CellFor(setting, family, seed)));
        }
        return cells;
    }

    /// <summary>Runs whatever of the grid is missing (or only one experiment); the stage ablation too unless
    /// <paramref name="only"/> names another experiment. Returns the number of cells in the grid.</summary>
    public async Task<int> RunAsync(string? only = null, Action<HeadRunResult>? onHead = null, Action<string>? log = null,
        CancellationToken cancellation = default)
    {
        if (only is not null && !Experiments.Contains(only))
            throw new ArgumentException($"unknown ablation experiment '{only}'; known: {string.Join(", ", Experiments)}");
        var cells = only == StagesExperiment ? [] : Cells(only);
        await runner.RunAsync(cells, onHead, log, cancellation).ConfigureAwait(false);
        if (only is null or StagesExperiment)
            foreach (var cell in endToEnd.StageAblation)
            {
                await endToEnd.RunAsync(cell, log, cancellation).ConfigureAwait(false);
                log?.Invoke($"{cell.Key}: done");
            }
        return cells.Count + (only is null or StagesExperiment ? endToEnd.StageAblation.Count : 0);
    }

    /// <summary>One result row per (setting, family), the reference rows from the main comparison's records.</summary>
    public IReadOnlyList<(AblationSetting Setting, ResultRow Row)> Rows()
    {
        var ledger = runner.Ledger;
        var rows = new List<(AblationSetting, ResultRow)>();
        foreach (var setting in Settings())
            foreach (var family in settings.AblationFamilies)
            {
                var records = settings.AblationSeeds.Select(seed => ledger.Latest(CellFor(setting, family, seed).Key)).OfType<RunRecord>().ToList();
                rows.Add((setting, new ResultRow(family.Name(), setting.Name, setting.Experiment, records)));
            }
        foreach (var cell in endToEnd.StageAblation)
        {
            var setting = new AblationSetting(StagesExperiment, cell.Stages.Count == 3 ? "1 -> 2 -> 3 (paper), end to end" : "3 alone, end to end",
                HeadVariant.MjVideo with { Stages = cell.Stages }, BackboneChoice.Default, IsReference: cell.Stages.Count == 3);
            rows.Add((setting, new ResultRow(cell.Family.Name(), setting.Name, StagesExperiment, ledger.Latest(cell.Key) is { } r ? [r] : [])));
        }
        return rows;
    }

    /// <summary>The closing ablation table: one row per setting, one column per family (strict accuracy on the published
    /// labels, mean over seeds with its t interval), and the seeds behind each.</summary>
    public DataFrame Table(string metric = "overall.strict")
    {
        var rows = Rows();
        var settingsInOrder = rows.Select(r => (r.Setting.Experiment, r.Setting.Name)).Distinct().ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("experiment", settingsInOrder.Select(s => s.Experiment)),
            new StringDataFrameColumn("setting", settingsInOrder.Select(s => s.Name)),
        };
        foreach (var family in settings.AblationFamilies)
            columns.Add(new StringDataFrameColumn(family.Name(), settingsInOrder.Select(s =>
                rows.FirstOrDefault(r => r.Setting.Experiment == s.Experiment && r.Setting.Name == s.Name && r.Row.Family == family.Name()).Row is { } row
                    ? row.Records.Count == 0 ? "" : row.Cell(metric)
                    : "")));
        columns.Add(new StringDataFrameColumn("seeds", settingsInOrder.Select(s =>
            string.Join("/", rows.Where(r => r.Setting.Experiment == s.Experiment && r.Setting.Name == s.Name).Select(r => r.Row.Records.Count).Distinct()))));
        return new DataFrame(columns);
    }

    /// <summary>The grid's summary record (kind "ablation"): which cells are done, with their strict accuracy, rewritten
    /// after every cell by <c>mjvideo ablate</c>, so that an interrupted run shows where it stopped.</summary>
    public RunRecord Summary(Core.Workbook workbook, IReadOnlyList<HeadCell> cells)
    {
        var ledger = runner.Ledger;
        var config = new JsonObject
        {
            ["grid"] = new JsonArray(Experiments.Select(e => (JsonNode?)e).ToArray()),
            ["families"] = new JsonArray(settings.AblationFamilies.Select(f => (JsonNode?)f.Name()).ToArray()),
            ["seeds"] = new JsonArray(settings.AblationSeeds.Select(s => (JsonNode?)s).ToArray()),
            ["settings"] = JsonNode.Parse(settings.ToJson()),
        };
        var done = new JsonObject();
        foreach (var cell in cells)
            if (ledger.Latest(cell.Key) is { } record)
                done[cell.Key] = new JsonObject
                {
                    ["run_id"] = record.RunId,
                    ["strict"] = ExperimentLedger.Metric(record, "overall.strict.value") is var strict && double.IsFinite(strict) ? strict : null,
                };
        var metrics = new JsonObject { ["cells"] = cells.Count, ["done"] = done.Count, ["records"] = done };
        return ResultsStore.Create(Prefix, "grid", workbook, config, metrics, data.SynthBenchVersion);
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Model;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Training;

namespace MjVideo.Experiments;

/// <summary>One head's training step at one gating width, as measured.</summary>
public sealed record HeadStepCost(string Judge, int GatingWidth, long TrainedParameters, double MsPerStep, double PairsPerSecond);

/// <summary>The measured step costs that sized the experiments: both trainable backbones and the heads.</summary>
public sealed record CostReport(BackboneBenchmarkResult Backbones, IReadOnlyList<HeadStepCost> Heads, int BatchSize, int HiddenSize)
{
    /// <summary>The small encoder the experiments use, as timed (its config id, e.g. tiny-v2-h128).</summary>
    public string EncoderId { get; init; } = "tiny";

    /// <summary>Per row: what was timed, ms per step (wall, as measured on this machine), and the ratio to the chosen head's step.</summary>
    public DataFrame Table(int chosenWidth)
    {
        var chosen = Heads.First(h => h.Judge == JudgeNames.Name(JudgeKind.MjVideo) && h.GatingWidth == chosenWidth).MsPerStep;
        var b = Backbones;
        var rows = new List<(string What, string Detail, double Ms, double Ratio)>
        {
            ($"small encoder ({EncoderId})", $"forward + backward + AdamW of {b.Options.BatchPairs} pairs at the experiments' frames, quiet-machine estimate",
                (b.TinyStepRatio + b.TinyOptimizerRatio) * b.QuietReferenceMs * b.Options.BatchPairs, double.NaN),
            ("frozen ResNet-18 + MiniLM fusion", $"forward + backward + AdamW of {b.Options.BatchPairs} pairs, features cached, quiet-machine estimate",
                (b.PretrainedStepRatio + b.PretrainedOptimizerRatio) * b.QuietReferenceMs * b.Options.BatchPairs, double.NaN),
            ("frozen ResNet-18 features", "computing one video's 16 feature maps when not cached (as measured)", b.PretrainedPrepareMsPerVideo, double.NaN),
        };
        rows.AddRange(Heads.Select(h => ($"head on precomputed states: {h.Judge}", string.Create(CultureInfo.InvariantCulture,
            $"gating 3 x {h.GatingWidth}, {h.TrainedParameters:N0} trained parameters, stage 3, {BatchSize} pairs a step, H = {HiddenSize} (wall)"),
            h.MsPerStep, h.MsPerStep / chosen)));
        return new DataFrame(
            new StringDataFrameColumn("step", rows.Select(r => r.What)),
            new StringDataFrameColumn("what", rows.Select(r => r.Detail)),
            new DoubleDataFrameColumn("ms", rows.Select(r => Math.Round(r.Ms, 2))),
            new StringDataFrameColumn($"vs MJ-Video head at width {chosenWidth}", rows.Select(r => double.IsNaN(r.Ratio) ? "" : r.Ratio.ToString("0.00", CultureInfo.InvariantCulture))));
    }
}

/// <summary>
/// Measures a training step of each backbone (<see cref="BackboneBenchmark"/>: ratios to a reference matmul in the same
/// process, turned into quiet-machine milliseconds) and of the heads on precomputed states at several gating widths
/// (<see cref="TrainingBenchmark"/>, wall clock), which is how the gating width and the plan of training heads on frozen
/// states were chosen. Timings are as measured on a shared machine and move with its load; the ratios between rows
/// measured together are the numbers to read.
/// </summary>
public static class ExperimentCosts
{
    public static async Task<CostReport> MeasureAsync(ExperimentSettings settings, IReadOnlyList<int> gatingWidths, string scratchDirectory,
        int measuredSteps = 20, CancellationToken cancellation = default)
    {
        // The encoder the experiments pre-train (v2 by default), not the benchmark's default, so the table sizes what runs.
        var backbones = await BackboneBenchmark.Run(scratchDirectory, new BackboneBenchmarkOptions(BatchPairs: 8, Repetitions: 3),
            tinyConfig: settings.Backbone).ConfigureAwait(false);
        var h = settings.Backbone.HiddenSize;
        var batch = settings.Head.BatchSize;
        var heads = new List<HeadStepCost>();
        var measured = gatingWidths.Select(w => (JudgeKind.MjVideo, w))
            .Concat([(JudgeKind.CapacityMatched, settings.GatingHiddenDim), (JudgeKind.MultitaskSingle, settings.GatingHiddenDim), (JudgeKind.BtSingle, settings.GatingHiddenDim)]);
        foreach (var (judge, width) in measured)
        {
            cancellation.ThrowIfCancellationRequested();
            var result = TrainingBenchmark.Run(new TrainingBenchmarkOptions
            {
                HiddenSizes = [h], Stages = [3], BatchSize = batch, WarmupSteps = 3, MeasuredSteps = measuredSteps, Pairs = batch * (3 + measuredSteps),
                Model = new ModelSettings { Judge = judge, GatingHiddenDim = width, GatingHiddenLayers = settings.GatingHiddenLayers },
            })[0];
            heads.Add(new HeadStepCost(JudgeNames.Name(judge), width, result.TrainedParameters, 1000.0 * batch / result.TrainPairsPerSecond, result.TrainPairsPerSecond));
        }
        return new CostReport(backbones, heads, batch, h) { EncoderId = settings.Backbone.Id };
    }
}

/// <summary>
/// The full-mode time of notebooks 03 and 04, estimated from what this run measured (the records' training seconds, the
/// pre-training reports, the states exports' timing files) scaled to the full-mode sizes and cell counts. Parallel
/// phases are divided by <see cref="ExperimentSettings.MaxParallel"/>. It is an estimate on this machine at its load while
/// measured, printed beside the budget of DESIGN 9 (about 45-60 minutes each), not a promise.
/// </summary>
public static class FullModeEstimate
{
    public sealed record Phase(string Notebook, string Name, double MeasuredSeconds, string Unit, double MeasuredUnits, double FullUnits, bool Parallel)
    {
        public double SecondsPerUnit => MeasuredUnits > 0 ? MeasuredSeconds / MeasuredUnits : double.NaN;
        public double FullSeconds(int parallel) => SecondsPerUnit * FullUnits / (Parallel ? parallel : 1);
    }

    public static IReadOnlyList<Phase> Phases(ExperimentSuite suite)
    {
        var full = ExperimentSettings.Full;
        var (fullSizes, sizes) = (SynthBenchDefaults.Full, SynthBenchDefaults.Sizes(suite.Settings.Mode));
        var phases = new List<Phase>();
        var records = suite.Ledger.All().Where(r => r.Mode == suite.Settings.Mode.ToString().ToLowerInvariant()).ToList();

        // Pre-training: measured seconds per video pass of each modality, times the full set's passes of every encoder.
        var reports = suite.Settings.Seeds.Concat(suite.Settings.ControlSeeds).Distinct()
            .SelectMany(seed => Enum.GetValues<TinyModalities>().Select(m => suite.Backbones.Existing(seed, m))).OfType<PretrainReport>().ToList();
        if (reports.Count > 0)
        {
            var videoPasses = reports.Sum(r => (double)r.Steps * r.Settings.BatchVideos);
            var fullEncoders = full.Seeds.Count + 2 * full.ControlSeeds.Count;
            var fullPasses = fullEncoders * 2.0 * fullSizes.Train * full.Pretrain.Epochs;
            phases.Add(new Phase("03", $"pre-train the encoders ({fullEncoders})", reports.Sum(r => r.Seconds), "video passes", videoPasses, fullPasses, true));
        }

        // States: per exported video, per file.
        var timings = Directory.Exists(suite.Backbones.Folder)
            ? Directory.GetFiles(suite.Backbones.Folder, "*.timing.json", SearchOption.AllDirectories).Select(f => JsonNode.Parse(File.ReadAllText(f))!).ToList()
            : [];
        if (timings.Count > 0)
        {
            var seconds = timings.Sum(t => t["seconds"]!.GetValue<double>());
            var videos = timings.Sum(t => t["videos"]!.GetValue<double>());
            var fullVideos = 2.0 * (fullSizes.Train + fullSizes.Val + fullSizes.Test);
            phases.Add(new Phase("03", "export states (8 frames, every encoder)", seconds, "videos", videos,
                (full.Seeds.Count + 2 * full.ControlSeeds.Count) * fullVideos, true));
            phases.Add(new Phase("04", "export states (6 more frame choices)", seconds, "videos", videos,
                full.AblationSeeds.Count * (full.FrameChoices.Count - 1) * fullVideos, true));
        }

        // Heads: seconds per (pair x epoch x candidate) of training, times the full cell list.
        double PairEpochs(RunRecord r)
        {
            var candidates = r.Metrics["training"]?["candidates"]?.AsArray().Count ?? 1;
            var stages = r.Config["experiment"]?["head"]?["Stages"]?.AsArray().Count ?? 3;
            return candidates * stages * suite.Settings.Head.EpochsPerStage * (double)sizes.Train;
        }
        static bool IsHeadRun(RunRecord r) => ExperimentLedger.KeyOf(r) is { } key
            && (key.StartsWith(MainComparison.Experiment + "/") || key.StartsWith(AblationGrid.Prefix)) && r.Metrics["training"]?["seconds"] is not null;
        var heads = records.Where(IsHeadRun).ToList();
        if (heads.Count > 0)
        {
            var seconds = heads.Sum(r => r.Metrics["training"]!["seconds"]!.GetValue<double>());
            var units = heads.Sum(PairEpochs);
            double FullUnits(IEnumerable<HeadCell> cells) => cells.Sum(c =>
                (c.LearningRate.SearchGrid?.Count ?? 1) * c.Variant.Stages.Count * full.Head.EpochsPerStage * (double)fullSizes.Train);
            var mainCells = MainComparison.Cells(full);
            var ablationCells = new AblationGrid(full, suite.Data, suite.Heads, suite.EndToEnd).Cells().Where(c => c.Experiment != MainComparison.Experiment);
            phases.Add(new Phase("03", $"train heads ({mainCells.Count} cells)", seconds, "pair-epochs", units, FullUnits(mainCells), true));
            phases.Add(new Phase("04", $"train ablation heads ({ablationCells.Count()} cells)", seconds, "pair-epochs", units, FullUnits(ablationCells), true));
        }

        var references = records.Where(r => r.Metrics["timing"]?["seconds"] is not null).ToList();
        if (references.Count > 0)
            phases.Add(new Phase("03", "training-free judges, controls, ceilings", references.Sum(r => r.Metrics["timing"]!["seconds"]!.GetValue<double>()),
                "test + val pairs", references.Select(r => r.Config["experiment"]?["family"]?.GetValue<string>()).Distinct().Count() * (double)(sizes.Test + sizes.Val),
                full.Families.Count * (double)(fullSizes.Test + fullSizes.Val), false));

        // The trainable-fusion recipe: seconds per stage run (one stage's epochs over the training pairs), times the full
        // plan's stage runs, and times what every judge, family and seed would take (which is why a subset runs).
        var fusion = records.Where(r => (ExperimentLedger.KeyOf(r) ?? "").StartsWith(FusionCell.Experiment + "/")).ToList();
        if (fusion.Count > 0)
        {
            static double Seconds(RunRecord r) => r.Metrics["training"]?["candidates"] is JsonArray candidates
                ? candidates.Sum(c => c?["seconds"]?.GetValue<double>() ?? 0)
                : r.Metrics["training"]?["seconds"]?.GetValue<double>() ?? 0;
            var measured = suite.Settings.Fusion;
            var measuredRuns = FusionRecipe.StageRuns(measured.Variants, measured.Families.Count, measured.Seeds, suite.Settings.Seeds[0],
                suite.Settings.Head.LearningRateGrid.Count) * suite.Settings.Head.EpochsPerStage * sizes.Train;
            double FullRuns(IReadOnlyList<HeadVariant> variants, int families, IReadOnlyList<long> seeds) =>
                FusionRecipe.StageRuns(variants, families, seeds, full.Seeds[0], full.Head.LearningRateGrid.Count) * full.Head.EpochsPerStage * fullSizes.Train;
            var seconds = fusion.Sum(Seconds);
            phases.Add(new Phase("03", $"trainable fusion ({full.Fusion.Judges.Count} judge(s), {full.Fusion.Families.Count} family, {full.Fusion.Seeds.Count} seed(s))",
                seconds, "pair-epochs", measuredRuns, FullRuns(full.Fusion.Variants, full.Fusion.Families.Count, full.Fusion.Seeds), false));
            phases.Add(new Phase("not run", $"trainable fusion for every judge, family and seed ({MainComparison.TrainedJudges.Count * full.Families.Count * full.Seeds.Count} cells)",
                seconds, "pair-epochs", measuredRuns, FullRuns(MainComparison.TrainedJudges, full.Families.Count, full.Seeds), false));
        }

        var e2e = records.Where(r => (ExperimentLedger.KeyOf(r) ?? "").StartsWith(EndToEndCell.Experiment + "/")).ToList();
        foreach (var record in e2e)
        {
            var stages = record.Config["experiment"]?["stages"]?.AsArray().Count ?? 3;
            var notebook = stages == 3 ? "03" : "04";
            phases.Add(new Phase(notebook, $"end to end, stages {string.Join("", record.Config["experiment"]!["stages"]!.AsArray().Select(s => s!.GetValue<int>()))}",
                record.Metrics["training"]!["seconds"]!.GetValue<double>(), "pair-epochs", stages * suite.Settings.EndToEnd.EpochsPerStage * (double)sizes.Train,
                stages * full.EndToEnd.EpochsPerStage * (double)fullSizes.Train, false));
        }
        return phases;
    }

    public static DataFrame Table(IReadOnlyList<Phase> phases, int parallel) => new(
        new StringDataFrameColumn("notebook", phases.Select(p => p.Notebook)),
        new StringDataFrameColumn("phase", phases.Select(p => p.Name)),
        new DoubleDataFrameColumn("measured s", phases.Select(p => Math.Round(p.MeasuredSeconds, 1))),
        new StringDataFrameColumn("per unit", phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{1000 * p.SecondsPerUnit:0.###} ms per {p.Unit[..^1]}"))),
        new DoubleDataFrameColumn("full-mode units", phases.Select(p => p.FullUnits)),
        new DoubleDataFrameColumn("full-mode minutes (est.)", phases.Select(p => Math.Round(p.FullSeconds(parallel) / 60, 1))));

    public static double Minutes(IReadOnlyList<Phase> phases, string notebook, int parallel) =>
        phases.Where(p => p.Notebook == notebook).Sum(p => p.FullSeconds(parallel)) / 60;

    /// <summary>Writes an export's timing beside its states file, for the estimate.</summary>
    public static void WriteTiming(string statesPath, StatesExport export)
    {
        var path = statesPath + ".timing.json";
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(new { seconds = export.Seconds, videos = export.Videos }));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

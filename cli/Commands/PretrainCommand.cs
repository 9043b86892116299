using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MjVideo.Backbones;
using MjVideo.Backbones.Pretrained;
using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using MjVideo.Experiments;
using MjVideo.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace MjVideo.Cli.Commands;

/// <summary>
/// `mjvideo pretrain`: pre-trains the small encoder once on the default SynthBench training videos, judge-neutrally (as
/// the experiments do), and prints how well a linear probe on its states reads each criterion on val (AUC, the primary
/// measure; chance 0.5). It is how an encoder change is measured before any judge is trained on it.
/// </summary>
public sealed class PretrainCommand : AsyncCommand<PretrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--full")]
        [Description("Full-size data (default: the quick sets).")]
        public bool Full { get; init; }

        [CommandOption("--encoder <VERSION>")]
        [Description("v1 (4x4 grid in one token per frame, caption by FiLM), v2 (8x8 cells, frame differences over every frame, caption bound to cells) or resnet (frozen ResNet-18 maps and MiniLM caption embeddings, cached; only their fusion trains). Default v2.")]
        public string Encoder { get; init; } = "v2";

        [CommandOption("--seed <SEED>")]
        [Description("Seed of the encoder's weights and of the visiting order (default 0).")]
        public long Seed { get; init; }

        [CommandOption("--lr <RATE>")]
        [Description("AdamW peak learning rate (default: the mode's preset for v1, the rate chosen on val for v2).")]
        public double? LearningRate { get; init; }

        [CommandOption("--epochs <N>")]
        [Description("Passes over the training videos (default: the mode's preset).")]
        public int? Epochs { get; init; }

        [CommandOption("--balance <on|off>")]
        [Description("on: weigh each criterion's good and bad classes equally in the criteria term; off: the paper's alpha. Default: on for v2, off for v1.")]
        public string? Balance { get; init; }

        [CommandOption("--criteria-only")]
        [Description("Train on the criteria term alone (relatedness, aspect and caption-word terms weigh 0).")]
        public bool CriteriaOnly { get; init; }

        [CommandOption("--matching <WEIGHT>")]
        [Description("Weight of the caption-matching term (tell each caption from a copy with one colour, shape, count, place, size or action swapped). Default: the mode's preset.")]
        public double? Matching { get; init; }

        [CommandOption("--grounding <WEIGHT>")]
        [Description("v2: weight of the caption-grounding term (each caption's words must find their cells in its own video better than in the batch's others). Default: the mode's preset.")]
        public double? Grounding { get; init; }

        [CommandOption("--grounding-swaps")]
        [Description("With --grounding: each caption's one-word swap joins the batch's captions as a hard negative.")]
        public bool GroundingSwaps { get; init; }

        [CommandOption("--match-evidence <on|off>")]
        [Description("v2: each caption word also reads how well its best cell matches it and how many cells do. Default: the workbook's v2 encoder.")]
        public string? MatchEvidence { get; init; }

        [CommandOption("--json <FILE>")]
        [Description("Also write the pre-training report (settings, trace, per-criterion probe) as JSON.")]
        public string? Json { get; init; }

        public override ValidationResult Validate()
        {
            if (Encoder is not ("v1" or "v2" or "resnet")) return ValidationResult.Error($"--encoder {Encoder}: expected v1, v2 or resnet");
            if (Encoder == "resnet" && (Matching is > 0 || Grounding is > 0)) return ValidationResult.Error("--matching and --grounding need the small encoder (v1 or v2)");
            if (LearningRate is <= 0) return ValidationResult.Error($"--lr must be positive, got {LearningRate}");
            if (Epochs is < 1) return ValidationResult.Error($"--epochs must be at least 1, got {Epochs}");
            if (Grounding is < 0) return ValidationResult.Error($"--grounding must be 0 or more, got {Grounding}");
            if (Grounding is > 0 && Encoder != "v2") return ValidationResult.Error("--grounding applies to the v2 encoder only");
            if (GroundingSwaps && Grounding is not > 0) return ValidationResult.Error("--grounding-swaps needs --grounding with a positive weight");
            if (Matching is < 0) return ValidationResult.Error($"--matching must be 0 or more, got {Matching}");
            if (Balance is not (null or "on" or "off")) return ValidationResult.Error($"--balance {Balance}: expected on or off");
            if (MatchEvidence is not (null or "on" or "off")) return ValidationResult.Error($"--match-evidence {MatchEvidence}: expected on or off");
            if (MatchEvidence is not null && Encoder != "v2") return ValidationResult.Error("--match-evidence applies to the v2 encoder only");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var workbook = Workbook.Open(settings.Full ? RunMode.Full : RunMode.Quick);
        var preset = ExperimentSettings.For(workbook);
        var v2 = settings.Encoder is "v2" or "resnet";
        var backboneConfig = (v2 ? ExperimentSettings.V1Backbone.ForV2() : ExperimentSettings.V1Backbone) with { Seed = settings.Seed };
        if (settings.MatchEvidence is { } evidence) backboneConfig = backboneConfig with { MatchEvidence = evidence == "on" };
        var weights = settings.CriteriaOnly ? new NeutralWeights(Criteria: 1, Related: 0, Aspects: 0, Words: 0) : preset.Pretrain.Weights;
        weights = weights with
        {
            BalanceCriteria = settings.Balance is null ? v2 : settings.Balance == "on",
            Matching = settings.Matching ?? weights.Matching,
            Grounding = settings.Grounding ?? weights.Grounding,
            GroundingSwaps = settings.GroundingSwaps || weights.GroundingSwaps,
        };
        var pretrain = preset.Pretrain with
        {
            LearningRate = settings.LearningRate ?? (v2 ? ExperimentSettings.PretrainLearningRateV2 : ExperimentSettings.PretrainLearningRate),
            Epochs = settings.Epochs ?? preset.Pretrain.Epochs,
            Weights = weights,
        };
        AnsiConsole.WriteLine(workbook.Describe());
        var resnet = settings.Encoder == "resnet" ? new PretrainedFusionConfig(Seed: settings.Seed) : null;
        AnsiConsole.WriteLine($"encoder {resnet?.Describe() ?? backboneConfig.Describe()}");
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pre-training: {pretrain.Epochs} epochs, {pretrain.BatchVideos} videos a step, AdamW lr {pretrain.LearningRate:G3}, weights {weights}"));

        var data = await ExperimentData.LoadAsync(workbook, progress: new Progress<string>(Console.WriteLine), cancellation: cancellation);
        AnsiConsole.WriteLine($"data: {data.Root} ({data.SynthBenchVersion}, config {data.SynthBenchConfigHash})");
        using IBackbone backbone = resnet is null ? new TinyVideoTextBackbone(backboneConfig, workbook.CacheDir) : new PretrainedFusionBackbone(resnet, workbook.CacheDir);
        using var inputs = resnet is null
            ? await PretrainingInputs.PrepareAsync(data, backboneConfig, workbook.CacheDir, cancellation)
            : await PretrainingInputs.PrepareAsync(data, backbone, cancellation);
        set_num_threads(pretrain.Threads);
        var report = NeutralPretraining.Run(backbone, inputs, pretrain, key: "cli", cancellation: cancellation);

        var table = new Table().AddColumns("criterion", "aspect", "val videos", "bad", "AUC", "accuracy");
        foreach (var c in report.ValCriteria)
            table.AddRow(c.Criterion, c.Aspect, c.Videos.ToString(), c.Bad.ToString(),
                double.IsNaN(c.Auc) ? "-" : c.Auc.ToString("F3", CultureInfo.InvariantCulture), c.Accuracy.ToString("F3", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        var scored = report.ValCriteria.Where(c => c.Bad >= 20 && c.Good >= 20 && !double.IsNaN(c.Auc)).ToList();
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"criteria with at least 20 bad and 20 good val videos: {scored.Count}; mean AUC {(scored.Count == 0 ? double.NaN : scored.Average(c => c.Auc)):F3}; " +
            $"AUC >= 0.85 on {scored.Count(c => c.Auc >= 0.85)}, <= 0.6 on {scored.Count(c => c.Auc <= 0.6)}"));
        if (report.GroundingValAccuracy is { } grounding)
            AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"caption grounding on val: own caption ranked first among a batch's {pretrain.BatchVideos} in {grounding:P1} of videos"));
        if (report.MatchingValAuc is { } matchingAuc)
            AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture, $"caption matching on val (true captions against one-word swaps): AUC {matchingAuc:F3}"));
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Steps} steps in {report.Seconds:F0} s ({report.MsPerVideo:F1} ms per video); total {clock.Elapsed.TotalSeconds:F0} s"));
        if (settings.Json is { } path)
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, TrainConfig.JsonOptions), cancellation);
        return 0;
    }
}

using System.ComponentModel;
using MjVideo.Backbones;
using MjVideo.Experiments;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>`mjvideo bench backbones`: <see cref="BackboneBenchmark"/> at the default backbone configurations.</summary>
public sealed class BenchBackbonesCommand : AsyncCommand<BenchBackbonesCommand.Settings>
{
    public sealed class Settings : BenchSettings
    {
        [CommandOption("--threads <N>")]
        [Description("torch intra-op threads while timing, 1 or 2 (default 1: on a shared machine 2-thread ops stall at their barriers).")]
        [DefaultValue(1)]
        public int Threads { get; init; }

        [CommandOption("--batch-pairs <N>")]
        [Description("Pairs per training batch (default 8).")]
        [DefaultValue(8)]
        public int BatchPairs { get; init; }

        [CommandOption("--encoder <VERSION>")]
        [Description("The small encoder to time: v2 (the experiments' encoder: 8x8 cells, frame differences over 16 decoded frames, caption bound to cells; default) or v1.")]
        [DefaultValue("v2")]
        public string Encoder { get; init; } = "v2";

        public override ValidationResult Validate() =>
            Encoder is not ("v1" or "v2") ? ValidationResult.Error($"--encoder {Encoder}: expected v1 or v2")
            : Threads is not (1 or 2) ? ValidationResult.Error($"--threads must be 1 or 2, got {Threads}")
            : BatchPairs < 1 ? ValidationResult.Error($"--batch-pairs must be at least 1, got {BatchPairs}")
            : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"mjvideo-bench-backbones-{Guid.NewGuid():N}");
        try
        {
            BenchCommand.Progress("timing the small encoder and the frozen-encoder fusion (training steps, then video preparation) ...");
            var encoder = settings.Encoder == "v2" ? ExperimentSettings.V1Backbone.ForV2() : ExperimentSettings.V1Backbone;
            var result = await BackboneBenchmark.Run(scratch,
                new BackboneBenchmarkOptions(BatchPairs: settings.BatchPairs, Repetitions: settings.Repeats, TorchThreads: settings.Threads), tinyConfig: encoder);
            if (settings.Json)
                BenchCommand.WriteJson(new
                {
                    result.Options, result.Machine, result.TinyConfig, result.PretrainedConfig, result.ReferenceMs, result.QuietReferenceMs,
                    result.TinyStepRatio, result.TinyStepQuietMs, result.TinyForwardRatio, result.TinyOptimizerRatio, result.TinyBudgetRatio,
                    result.PretrainedStepRatio, result.PretrainedStepQuietMs, result.PretrainedForwardRatio, result.PretrainedOptimizerRatio,
                    result.PretrainedPrepareMsPerVideo, result.PretrainedCachedPrepareMsPerVideo, result.TinyPrepareMsPerVideo,
                });
            else
                Console.WriteLine(result.Describe());
            return 0;
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }
}

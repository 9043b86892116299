using System.ComponentModel;
using System.Text.Json;
using MjVideo.Core;
using MjVideo.Synth;
using MjVideo.Video;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

public sealed class GenerateCommand : AsyncCommand<GenerateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Output folder: DIR/<split>.json, DIR/<split>.oracle.json, DIR/videos/<split>/<i>_0.mp4 (with several families: DIR/<family>/...).")]
        public string Out { get; init; } = "";

        [CommandOption("--split <SPLIT>")]
        [Description("train, val or test.")]
        public string Split { get; init; } = "train";

        [CommandOption("--pairs <N>")]
        public int Pairs { get; init; } = 100;

        [CommandOption("--seed <S>")]
        public long Seed { get; init; } = 1;

        [CommandOption("--config <FAMILY>")]
        [Description("Preference rule family: additive, fixed-weights, worst-defect, annotators, or all (shared videos).")]
        public string Family { get; init; } = "additive";

        [CommandOption("--size <PX>")]
        public int Size { get; init; } = 64;

        [CommandOption("--frames <N>")]
        public int Frames { get; init; } = 16;

        [CommandOption("--crf <CRF>")]
        public int Crf { get; init; } = 10;

        [CommandOption("--yuv420")]
        [Description("Encode with 4:2:0 chroma (realistic; at 64x64 it blurs colour as much as a subtle defect).")]
        public bool Yuv420 { get; init; }

        [CommandOption("--no-cache")]
        [Description("Do not decode the clips into the clip cache after encoding them.")]
        public bool NoCache { get; init; }

        [CommandOption("--json")]
        public bool Json { get; init; }

        [CommandOption("--version <VERSION>")]
        [Description("SynthBench version: synthbench-v1 (default) or synthbench-v2.")]
        public string Version { get; init; } = SynthConfig.Version;

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out is required") : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var config = new SynthConfig(settings.Split, settings.Pairs, settings.Seed, settings.Size, settings.Frames, Crf: settings.Crf,
            Yuv420: settings.Yuv420, BenchVersion: settings.Version);
        var families = settings.Family == "all" ? PreferenceRules.Families : [PreferenceRules.Parse(settings.Family)];
        var decoder = settings.NoCache ? null : new VideoDecoder(cache: ClipCache.InWorkbook(Workbook.Open()));
        var writer = new SynthBenchWriter(decoder);
        GenerationReport report;
        if (settings.Json)
            report = await writer.WriteAsync(config, settings.Out, families, cancellation: cancellation);
        else
            report = await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask($"{config.BenchVersion} {config.Split} ({config.Hash()})", maxValue: config.Pairs);
                return await writer.WriteAsync(config, settings.Out, families, new Progress<int>(n => task.Value = n), cancellation);
            });
        var summary = new
        {
            version = config.BenchVersion,
            config_hash = config.Hash(),
            split = config.Split,
            pairs = report.Pairs,
            families = families.Select(f => f.Name()),
            files = report.JsonFiles,
            seconds = Math.Round(report.Elapsed.TotalSeconds, 2),
            pairs_per_second = Math.Round(report.PairsPerSecond, 2),
            video_bytes = report.VideoBytes,
        };
        Console.WriteLine(settings.Json
            ? JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true })
            : $"{report.Pairs} pairs of {config.Split} in {report.Elapsed.TotalSeconds:F1}s ({report.PairsPerSecond:F1} pairs/s, " +
              $"{report.VideoBytes / 1024.0 / 1024:F1} MiB of video) -> {string.Join(", ", report.JsonFiles)}");
        return 0;
    }
}

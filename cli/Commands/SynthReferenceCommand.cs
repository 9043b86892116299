using System.ComponentModel;
using MjVideo.Core;
using MjVideo.Synth;
using MjVideo.Video;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>
/// The single-video reference: per criterion and severity bin, the AUC of pinned detectors and of a pinned
/// pixel-statistics probe that see one video (and its caption) only. Runs on the default SynthBench sets of a mode, or on
/// any family folder.
/// </summary>
public sealed class SynthReferenceCommand : AsyncCommand<SynthReferenceCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--full")]
        [Description("Use the full-mode default sets (default: quick mode). Ignored with --dir.")]
        public bool Full { get; init; }

        [CommandOption("--dir <DIR>")]
        [Description("A SynthBench family folder (<split>.oracle.json, videos/); default: the default sets' additive folder, generated when missing.")]
        public string? Dir { get; init; }

        [CommandOption("--fit <SPLIT>")]
        [Description("The split the pixel probe is fitted on (default train).")]
        public string Fit { get; init; } = "train";

        [CommandOption("--eval <SPLIT>")]
        [Description("The split the AUCs are measured on (default val).")]
        public string Eval { get; init; } = "val";

        [CommandOption("--resamples <N>")]
        [Description("Bootstrap resamples per interval (default 1000).")]
        public int Resamples { get; init; } = 1000;

        [CommandOption("--version <VERSION>")]
        [Description("SynthBench version of the default sets: synthbench-v1 (default) or synthbench-v2. Ignored with --dir.")]
        public string Version { get; init; } = SynthConfig.Version;

        [CommandOption("--out <FILE>")]
        [Description("Where to write the JSON record (default: synth-reference/<version>-<mode>.json in the workbook's results folder; a subfolder, so the results store does not read it).")]
        public string? Out { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var workbook = Workbook.Open(settings.Full ? RunMode.Full : RunMode.Quick);
        var progress = new Progress<string>(line => Console.Error.WriteLine(line));
        var dir = settings.Dir ?? Path.Combine(await SynthBenchDefaults.EnsureAsync(workbook, progress, cancellation, settings.Version), RuleFamily.Additive.Name());
        var decoder = new VideoDecoder(cache: ClipCache.InWorkbook(workbook));
        var report = await SingleVideoReference.RunAsync(dir, decoder, settings.Fit, settings.Eval, bootstrapResamples: settings.Resamples,
            progress: progress, cancellation: cancellation);
        var mode = settings.Dir is null ? workbook.Mode.ToString().ToLowerInvariant() : "dir";
        var path = settings.Out ?? Path.Combine(workbook.ResultsDir, "synth-reference", $"{report.SynthBenchVersion}-{mode}.json");
        report.Write(path);

        var table = new Table().AddColumn("criterion").AddColumn("bad / videos").AddColumn("detector AUC [[95%]]").AddColumn("pixel probe AUC [[95%]]");
        foreach (var row in report.Rows)
            table.AddRow(Markup.Escape($"{row.Criterion} {row.Key}"), $"{row.Bad}/{row.Videos}",
                Markup.Escape(row.DetectorAuc?.FormatValue(1, 3, 3) ?? "not covered"), Markup.Escape(row.ProbeAuc.FormatValue(1, 3, 3)));
        AnsiConsole.Write(table);
        Console.WriteLine($"synth reference: {report.SynthBenchVersion} ({report.ConfigHash}), {report.DetectorVersion}, {report.ProbeVersion}; " +
                          $"probe fitted on {report.FitVideos} {report.FitSplit} videos, measured on {report.EvalVideos} {report.EvalSplit} videos " +
                          $"in {report.Seconds:F0}s; written to {path}");
        return 0;
    }
}

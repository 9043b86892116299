using System.ComponentModel;
using System.Diagnostics;
using MjVideo.Core;
using MjVideo.Synth;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>Generates the default SynthBench sets of a mode when they are missing or stale (a no-op otherwise).</summary>
public sealed class DataCommand : AsyncCommand<DataCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--full")]
        [Description("The full-mode sets (default: the quick-mode sets CI uses).")]
        public bool Full { get; init; }

        [CommandOption("--version <VERSION>")]
        [Description("SynthBench version: synthbench-v1 (default) or synthbench-v2.")]
        public string Version { get; init; } = SynthConfig.Version;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var workbook = Workbook.Open(settings.Full ? RunMode.Full : RunMode.Quick);
        var root = await SynthBenchDefaults.EnsureAsync(workbook, new Progress<string>(Console.WriteLine), cancellation,
            settings.Version);
        Console.WriteLine($"data: {settings.Version} ({workbook.Mode.ToString().ToLowerInvariant()}) ready at {root} in {clock.Elapsed.TotalSeconds:F0}s");
        return 0;
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using MjVideo.Synth;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

public sealed class DetectabilityCommand : AsyncCommand<DetectabilityCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--lowest <N>")]
        [Description("Samples per criterion in the lowest severity bin (0, 0.25].")]
        public int Lowest { get; init; } = 200;

        [CommandOption("--others <N>")]
        [Description("Samples per criterion in each other severity bin.")]
        public int Others { get; init; } = 50;

        [CommandOption("--seed <S>")]
        public long Seed { get; init; } = 7;

        [CommandOption("--criteria <LIST>")]
        [Description("Only these criteria (comma-separated indices); default all 28.")]
        public string? Criteria { get; init; }

        [CommandOption("--min-rate <RATE>")]
        [Description("Fail (exit 1) when any criterion's lowest-bin detection rate is significantly below RATE (the upper end of its 95% Wilson interval under RATE), e.g. 0.9.")]
        public double? MinRate { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("Also write the table as JSON to FILE.")]
        public string? Out { get; init; }

        [CommandOption("--json")]
        public bool Json { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var progress = settings.Json ? null : new Progress<string>(line => Console.Error.WriteLine(line));
        var criteria = settings.Criteria?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToList();
        var cells = await DefectDetectability.RunAsync(settings.Lowest, settings.Others, settings.Seed, criteria: criteria,
            progress: progress, cancellation: cancellation);
        var document = new
        {
            version = SynthConfig.Version,
            seed = settings.Seed,
            lowest_bin_samples = settings.Lowest,
            other_bin_samples = settings.Others,
            seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            cells = cells.Select(c => new
            {
                criterion = c.Criterion, key = c.Key, bin = c.Bin, severity_low = c.SeverityLow, severity_high = c.SeverityHigh,
                samples = c.Samples, detected = c.Detected, rate = Math.Round(c.Rate, 4), detector = c.Detector,
            }),
        };
        var json = JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
        if (settings.Out is { } path)
        {
            File.WriteAllText(path + ".tmp", json);
            File.Move(path + ".tmp", path, overwrite: true);
        }
        var failing = settings.MinRate is { } min
            ? cells.Where(c => c.Bin == 0 && c.Samples > 0 && DefectDetectability.SignificantlyBelow(c, min)).ToList()
            : [];
        if (settings.Json)
        {
            Console.WriteLine(json);
            return failing.Count == 0 ? 0 : 1;
        }
        var table = new Table().AddColumn("criterion");
        foreach (var (low, high) in DefectDetectability.Bins) table.AddColumn(Markup.Escape($"({low:0.00}, {high:0.00}]"));
        foreach (var group in cells.GroupBy(c => c.Criterion).OrderBy(g => g.Key))
            table.AddRow(new[] { Markup.Escape($"{group.Key} {group.First().Key}") }
                .Concat(group.OrderBy(c => c.Bin).Select(c => $"{c.Detected}/{c.Samples}")).ToArray());
        AnsiConsole.Write(table);
        Console.WriteLine($"{cells.Sum(c => c.Samples)} paired clips in {clock.Elapsed.TotalSeconds:F0}s");
        foreach (var cell in failing)
            Console.WriteLine($"detectability: {cell.Key} lowest bin {cell.Detected}/{cell.Samples} = {cell.Rate:P1}, significantly below {settings.MinRate:P0}");
        if (settings.MinRate is { } rate)
            Console.WriteLine(failing.Count == 0
                ? $"detectability: no criterion's lowest bin is significantly below {rate:P0}"
                : $"detectability: {failing.Count} criteria significantly below {rate:P0}");
        return failing.Count == 0 ? 0 : 1;
    }
}

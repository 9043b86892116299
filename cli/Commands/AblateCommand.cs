using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Data.Analysis;
using MjVideo.Core;
using MjVideo.Experiments;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>
/// `mjvideo ablate`: notebook 04's grid from the command line (<see cref="AblationGrid"/>). Every finished cell is a record
/// in results/ and the grid's summary record is rewritten after each one, so an interrupted run resumes where it stopped.
/// </summary>
public sealed class AblateCommand : AsyncCommand<AblateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--full")]
        [Description("Full mode: the full-size data and settings, records into results/ (default: quick mode into the scratch folder).")]
        public bool Full { get; init; }

        [CommandOption("--only <EXPERIMENT>")]
        [Description("One experiment: routing, frames, gate-losses, temperature, loss-modes, bce-encoding or stages.")]
        public string? Only { get; init; }

        [CommandOption("--list")]
        [Description("Print the grid's settings and cells without running anything.")]
        public bool List { get; init; }

        public override ValidationResult Validate() =>
            Only is not null && !AblationGrid.Experiments.Contains(Only)
                ? ValidationResult.Error($"--only {Only}: unknown experiment; known: {string.Join(", ", AblationGrid.Experiments)}")
                : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var workbook = Workbook.Open(settings.Full ? RunMode.Full : RunMode.Quick);
        AnsiConsole.MarkupLine(Markup.Escape(workbook.Describe()));
        using var suite = await ExperimentSuite.OpenAsync(workbook, progress: new Progress<string>(Console.WriteLine), cancellation: cancellation);
        AnsiConsole.WriteLine(suite.Settings.Describe());
        var grid = suite.Ablations;
        var cells = settings.Only == AblationGrid.StagesExperiment ? [] : grid.Cells(settings.Only);
        if (settings.List)
        {
            foreach (var setting in grid.Settings().Where(s => settings.Only is null || s.Experiment == settings.Only))
                AnsiConsole.MarkupLine(Markup.Escape($"{setting.Experiment}: {setting.Name}{(setting.IsReference ? " (reference: the main comparison's head)" : "")}"));
            var done = cells.Count(c => suite.Ledger.Find(c.Key, suite.Heads.SpecHash(c)) is not null);
            AnsiConsole.MarkupLine(Markup.Escape($"{cells.Count} head cells ({done} already in {workbook.ResultsDir}), plus {suite.EndToEnd.StageAblation.Count} end-to-end runs"));
            return 0;
        }

        var finished = 0;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("ablation grid", maxValue: Math.Max(1, cells.Count));
                await grid.RunAsync(settings.Only, onHead: result =>
                {
                    lock (task)
                    {
                        finished++;
                        task.Value = finished;
                        task.Description = Markup.Escape($"{result.Cell.Key}{(result.Reused ? " (from results/)" : "")}");
                        suite.Ledger.Store.Write(grid.Summary(workbook, cells));
                    }
                }, log: line => AnsiConsole.MarkupLine(Markup.Escape(line)), cancellation: cancellation);
                task.Value = task.MaxValue;
            });
        suite.Ledger.Store.Write(grid.Summary(workbook, cells));
        PrintTable(grid.Table());
        AnsiConsole.MarkupLine(Markup.Escape($"ablate: {cells.Count} head cells and the stage runs done in {clock.Elapsed.TotalMinutes:F1} min; records in {workbook.ResultsDir}"));
        return 0;
    }

    static void PrintTable(DataFrame frame)
    {
        var table = new Table().Title("strict test accuracy (%), mean over seeds [95% t interval]");
        foreach (var column in frame.Columns) table.AddColumn(Markup.Escape(column.Name));
        foreach (var row in frame.Rows) table.AddRow(row.Select(v => Markup.Escape(v?.ToString() ?? "")).ToArray());
        AnsiConsole.Write(table);
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using MjVideo.Core;
using MjVideo.Experiments;
using MjVideo.Synth;
using MjVideo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>
/// `mjvideo fusion`: the trainable-fusion recipe (<see cref="FusionRecipe"/>) from the command line, for some judges,
/// seeds and families. Each finished cell is a record in results/, so an interrupted run resumes.
/// </summary>
public sealed class FusionCommand : AsyncCommand<FusionCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--full")]
        [Description("Full mode: the full-size data and settings, records into results/ (default: quick mode into the scratch folder).")]
        public bool Full { get; init; }

        [CommandOption("--judge <JUDGE>")]
        [Description("A judge to train (repeatable): mjvideo, bt-single, multitask-single, capacity-matched, videoscore. Default: all five.")]
        public string[] Judges { get; init; } = [];

        [CommandOption("--seed <S>")]
        [Description("A seed (repeatable; default: the mode's main seeds). The first of the mode's seeds chooses the learning rates and runs first.")]
        public long[] Seeds { get; init; } = [];

        [CommandOption("--family <FAMILY>")]
        [Description("A rule family (repeatable; default: every family).")]
        public string[] Families { get; init; } = [];

        public override ValidationResult Validate()
        {
            try
            {
                foreach (var judge in Judges) JudgeNames.Parse(judge);
                foreach (var family in Families) PreferenceRules.Parse(family);
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message);
            }
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var workbook = Workbook.Open(settings.Full ? RunMode.Full : RunMode.Quick);
        AnsiConsole.MarkupLine(Markup.Escape(workbook.Describe()));
        using var suite = await ExperimentSuite.OpenAsync(workbook, progress: new Progress<string>(Console.WriteLine), cancellation: cancellation);
        AnsiConsole.WriteLine(suite.Settings.Describe());
        var variants = settings.Judges.Length == 0
            ? MainComparison.TrainedJudges
            : settings.Judges.Select(j => JudgeNames.Parse(j) == JudgeKind.MjVideo ? HeadVariant.MjVideo : HeadVariant.Baseline(JudgeNames.Parse(j))).ToList();
        var seeds = settings.Seeds.Length == 0 ? suite.Settings.Seeds : settings.Seeds;
        var families = settings.Families.Select(PreferenceRules.Parse).ToHashSet();
        var cells = suite.Fusion.Cells(variants, seeds).Where(c => families.Count == 0 || families.Contains(c.Family)).ToList();
        AnsiConsole.MarkupLine(Markup.Escape($"fusion recipe: {cells.Count} cells; the fusion steps at {FusionRecipe.FusionRateScale} of the head's rate"));
        var records = await suite.Fusion.RunAsync(cells, line => AnsiConsole.MarkupLine(Markup.Escape(line)), cancellation);
        var table = new Table().AddColumns("cell", "strict (published)", "n", "learning rate", "seconds");
        for (var i = 0; i < cells.Count; i++)
        {
            var strict = records[i].Metrics["overall"]?["strict"];
            table.AddRow(Markup.Escape(cells[i].Key),
                (100 * strict?["value"]?.GetValue<double>() ?? double.NaN).ToString("F1", CultureInfo.InvariantCulture),
                strict?["n"]?.ToString() ?? "",
                records[i].Metrics["training"]?["learning_rate"]?.ToString() ?? "",
                records[i].Metrics["training"]?["seconds"]?.ToString() ?? "");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape($"fusion: {cells.Count} cells in {clock.Elapsed.TotalMinutes:F1} min; records in {workbook.ResultsDir}"));
        return 0;
    }
}

using System.ComponentModel;
using MjVideo.Core;
using MjVideo.Experiments;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>`mjvideo report`: regenerates the README's results section from the full-mode records in results/.</summary>
public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--print")]
        [Description("Print the section instead of writing it into README.md.")]
        public bool Print { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var workbook = Workbook.Open(RunMode.Full);
        if (settings.Print)
        {
            Console.WriteLine(ResultsReadme.Generate(workbook.ResultsDir, workbook.Root, workbook.FiguresDir));
            return 0;
        }
        var readme = Path.Combine(workbook.Root, "README.md");
        ResultsReadme.Update(readme, workbook.ResultsDir, workbook.Root, workbook.FiguresDir);
        AnsiConsole.MarkupLine(Markup.Escape($"report: the results section of {readme} regenerated from {workbook.ResultsDir}"));
        return 0;
    }
}

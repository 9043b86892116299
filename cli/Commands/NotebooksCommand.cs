using System.ComponentModel;
using MjVideo.Core;
using MjVideo.Workflow;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

public sealed class NotebooksCommand : AsyncCommand<NotebooksCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--full")]
        [Description("Full mode: write outputs back into the notebooks (and figures/, results/). Default: quick mode into a scratch copy.")]
        public bool Full { get; init; }

        [CommandOption("--only <NAME>")]
        [Description("Run only the notebooks whose file name contains NAME.")]
        public string? Only { get; init; }

        [CommandOption("--keep-going")]
        [Description("Run the remaining notebooks after one fails (each notebook still stops at its first failing cell).")]
        public bool KeepGoing { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var workbook = Workbook.Open(settings.Full ? RunMode.Full : RunMode.Quick);
        var runs = await RunSuiteAsync(workbook, settings.Only, settings.KeepGoing, cancellation);
        return runs.All(r => r.Passed) ? 0 : 1;
    }

    /// <summary>Runs the suite and prints one line per notebook with its wall time; shared with `reproduce`.</summary>
    public static async Task<IReadOnlyList<NotebookRun>> RunSuiteAsync(Workbook workbook, string? only, bool keepGoing,
        CancellationToken cancellation, ISet<string>? skip = null, Action<NotebookRun>? onFinished = null)
    {
        var suite = new NotebookSuite(workbook);
        var specs = suite.Discover(only);
        if (specs.Count == 0 && only is not null)
            throw new UsageException($"--only {only}: no notebook name contains it; the notebooks are " +
                                     string.Join(", ", suite.Discover().Select(s => s.FileName)));
        Console.WriteLine($"{(workbook.IsQuick ? Workbook.QuickBanner : "FULL mode")}: {specs.Count} notebook(s) in {suite.NotebooksDir}");
        var runs = new List<NotebookRun>();
        foreach (var spec in specs)
        {
            if (skip?.Contains(spec.FileName) == true)
            {
                Console.WriteLine($"notebook {spec.FileName}: already done in this reproduce run, skipped (use --force to redo)");
                continue;
            }
            Console.WriteLine($"notebook {spec.FileName}: running (budget {spec.Timeout(workbook.Mode).TotalMinutes / 2:F0} min, hard timeout {spec.Timeout(workbook.Mode).TotalMinutes:F0} min)");
            var run = await suite.RunAsync(spec, Console.WriteLine, cancellation);
            runs.Add(run);
            onFinished?.Invoke(run);
            // Plain lines: tools/run-tests counts them ("notebook X: passed" / "FAILED" / "TIMED OUT").
            var status = run.Passed ? "passed" : run.TimedOut ? "TIMED OUT" : "FAILED";
            Console.WriteLine($"notebook {spec.FileName}: {status} in {run.Wall.TotalSeconds:F1}s wall, " +
                              $"peak RSS {run.PeakRssBytes / (1024.0 * 1024):F0} MiB -> {run.OutputPath}");
            if (!run.Passed && !keepGoing) break;
        }
        var passed = runs.Count(r => r.Passed);
        Console.WriteLine($"notebooks: {passed} ok, {runs.Count - passed} not ok, {runs.Sum(r => r.Wall.TotalSeconds):F0}s in all");
        return runs;
    }
}

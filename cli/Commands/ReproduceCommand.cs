using System.ComponentModel;
using System.Diagnostics;
using MjVideo.Core;
using MjVideo.Experiments;
using MjVideo.Synth;
using MjVideo.Workflow;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

public sealed class ReproduceCommand : AsyncCommand<ReproduceCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--quick")]
        [Description("The smoke run: quick mode, outputs to a scratch folder, nothing committed is touched.")]
        public bool Quick { get; init; }

        [CommandOption("--force")]
        [Description("Redo every step, even those an interrupted run already finished.")]
        public bool Force { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var workbook = Workbook.Open(settings.Quick ? RunMode.Quick : RunMode.Full);
        var statePath = Path.Combine(workbook.CacheDir, $"reproduce-state-{workbook.Mode.ToString().ToLowerInvariant()}.json");
        var state = ReproduceState.Load(statePath);
        if (settings.Force) state.Clear();
        var library = ReproduceState.FileSha256(typeof(Workbook).Assembly.Location);

        await SynthBenchDefaults.EnsureAsync(workbook, new Progress<string>(Console.WriteLine), cancellation);

        var suite = new NotebookSuite(workbook);
        string Fingerprint(string notebook) =>
            ReproduceState.Sha256(library, ReproduceState.NotebookSourceHash(Path.Combine(suite.NotebooksDir, notebook)));
        var skip = suite.Discover().Where(s => state.IsDone(s.FileName, Fingerprint(s.FileName)))
            .Select(s => s.FileName).ToHashSet();
        var runs = await NotebooksCommand.RunSuiteAsync(workbook, only: null, keepGoing: false, cancellation, skip,
            onFinished: run => { if (run.Passed) state.MarkDone(run.FileName, Fingerprint(run.FileName)); });

        var ok = runs.All(r => r.Passed);
        if (ok) WriteResultsSection(workbook);
        Console.WriteLine($"reproduce ({workbook.Mode.ToString().ToLowerInvariant()} mode): {(ok ? "done" : "stopped at a failure; rerun to resume")} " +
                          $"in {clock.Elapsed.TotalMinutes:F1} min total");
        return ok ? 0 : 1;
    }

    /// <summary>
    /// The README's results section, generated from results/ (full mode: README.md itself; quick mode: a copy in the
    /// scratch folder, so that the smoke run exercises the generator without touching a committed file).
    /// </summary>
    static void WriteResultsSection(Workbook workbook)
    {
        var readme = Path.Combine(workbook.Root, "README.md");
        if (workbook.IsQuick)
        {
            var copy = Path.Combine(workbook.ScratchRoot, "README.md");
            File.Copy(readme, copy, overwrite: true);
            readme = copy;
        }
        ResultsReadme.Update(readme, workbook.ResultsDir, workbook.Root, workbook.FiguresDir, workbook.Mode.ToString().ToLowerInvariant());
        Console.WriteLine($"README results section regenerated from {workbook.ResultsDir} -> {readme}");
    }
}

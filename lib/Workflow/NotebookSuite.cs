using System.Diagnostics;
using MjVideo.Core;

namespace MjVideo.Workflow;

/// <summary>One notebook of the suite and its time budget in quick mode (DESIGN 9: about 35 minutes for all of them).</summary>
public sealed record NotebookSpec(string FileName, TimeSpan QuickBudget, TimeSpan FullBudget)
{
    /// <summary>The hard timeout is a safety net, twice the budget, not a speed test.</summary>
    public TimeSpan Timeout(RunMode mode) => 2 * (mode == RunMode.Quick ? QuickBudget : FullBudget);
}

public sealed record NotebookRun(string FileName, bool Passed, bool TimedOut, TimeSpan Wall, int ExitCode, string OutputPath,
    long PeakRssBytes);

/// <summary>
/// Executes the notebooks in notebooks/ in order, each in its own NbRunner process with a hard timeout, fail-fast.
/// Quick mode reads the committed notebook and writes the executed copy to the scratch folder; full mode writes the
/// outputs back into the notebook (atomically, after the last cell).
/// </summary>
public sealed class NotebookSuite(Workbook workbook)
{
    /// <summary>Budgets per notebook; a notebook missing here gets the default budget.</summary>
    public static readonly IReadOnlyList<NotebookSpec> Budgets =
    [
        new("00-quickstart.ipynb", TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5)),
        new("01-dataset-exploration.ipynb", TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(30)),
        new("02-baseline-evaluation.ipynb", TimeSpan.FromMinutes(8), TimeSpan.FromMinutes(40)),
        // 03: on the v2 encoder quick took 9.6 min on the shared machine (pre-training five encoders 4.8 min, the heads
        // 3.7 min, the fusion search about 2 min more); v1 took 5.3 min in a clean-clone CI run. Full: 38.4 min measured on
        // v1, about 78 min estimated on v2.
        new("03-moe-training.ipynb", TimeSpan.FromMinutes(12), TimeSpan.FromMinutes(120)),
        // 04: quick 9.2 min on v2 beside another training (the frame ablation exports six more state files).
        new("04-routing-ablations.ipynb", TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(60)),
        // 05: quick measured at 4.2 min on the shared 2-core machine under load; full estimated at about 25 min from it.
        new("05-preference-tuning.ipynb", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)),
    ];

    static readonly TimeSpan DefaultBudget = TimeSpan.FromMinutes(5);

    public string NotebooksDir => Path.Combine(workbook.Root, "notebooks");
    public string RunnerPath => Path.Combine(workbook.Root, "tools", "NbRunner", "bin", "Release", "net10.0", "NbRunner.dll");

    public IReadOnlyList<NotebookSpec> Discover(string? only = null)
    {
        var files = Directory.GetFiles(NotebooksDir, "*.ipynb").Select(Path.GetFileName).OfType<string>()
            .Where(f => only is null || f.Contains(only, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        return files.Select(f => Budgets.FirstOrDefault(b => b.FileName == f)
            ?? new NotebookSpec(f, DefaultBudget, 4 * DefaultBudget)).ToList();
    }

    public string OutputPathFor(NotebookSpec spec) => workbook.IsQuick
        ? Path.Combine(workbook.ScratchRoot, "notebooks", spec.FileName)
        : Path.Combine(NotebooksDir, spec.FileName);

    /// <summary>Runs one notebook; <paramref name="log"/> receives the runner's output lines as they come.</summary>
    public async Task<NotebookRun> RunAsync(NotebookSpec spec, Action<string> log, CancellationToken cancel = default)
    {
        if (!File.Exists(RunnerPath))
            throw new FileNotFoundException($"notebook runner not built: {RunnerPath} (run: dotnet build MjVideo.slnx -c Release)");
        var output = OutputPathFor(spec);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = NotebooksDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { RunnerPath, Path.Combine(NotebooksDir, spec.FileName), output }) start.ArgumentList.Add(a);
        start.Environment[Workbook.ModeVariable] = workbook.Mode.ToString().ToLowerInvariant();
        start.Environment[Workbook.RootVariable] = workbook.Root;
        start.Environment[Workbook.ScratchVariable] = workbook.ScratchRoot;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        long peakRss = 0;
        void OnLine(string? line)
        {
            if (line is null) return;
            if (line.StartsWith(NbRunnerProtocol.PeakRssPrefix) && long.TryParse(line[NbRunnerProtocol.PeakRssPrefix.Length..], out var rss))
                peakRss = rss;
            else log(line);
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(spec.Timeout(workbook.Mode));
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancel.IsCancellationRequested;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            log(timedOut
                ? $"notebook {spec.FileName}: killed after its hard timeout of {spec.Timeout(workbook.Mode).TotalMinutes:F0} min"
                : $"notebook {spec.FileName}: cancelled");
        }
        process.WaitForExit();   // drains the redirected streams
        var exitCode = timedOut ? 124 : process.ExitCode;
        return new NotebookRun(spec.FileName, exitCode == 0, timedOut, clock.Elapsed, exitCode, output, peakRss);
    }
}

/// <summary>Lines NbRunner prints for its parent to parse.</summary>
public static class NbRunnerProtocol
{
    public const string PeakRssPrefix = "##mjvideo-peak-rss-bytes=";
}

using System.Diagnostics;
using System.Text;

namespace MjVideo.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the built <c>mjvideo</c> command line in its own process, as a user or a script would. MJVIDEO_TEST_CLI points
/// the tests at another build of mjvideo.dll (for example one from before a fix, to see its regression test fail).
/// </summary>
public static class CliRunner
{
    public static string Dll => Environment.GetEnvironmentVariable("MJVIDEO_TEST_CLI") is { Length: > 0 } other
        ? other
        : Path.Combine(RepoPaths.Root, "cli", "bin", "Release", "net10.0", "mjvideo.dll");

    /// <summary>The environment of a run inside the repository: its root and a scratch folder of the test's own.</summary>
    public static Dictionary<string, string?> InRepository(string scratch) => new()
    {
        ["MJVIDEO_ROOT"] = RepoPaths.Root, ["MJVIDEO_SCRATCH"] = scratch, ["MJVIDEO_MODE"] = "quick",
    };

    public static ProcessStartInfo StartInfo(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment)
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        return start;
    }

    public static CliResult Run(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, environment, args))!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    /// <summary>Sends a POSIX signal (e.g. "INT", "TERM") to a process, as Ctrl+C or a service manager would.</summary>
    public static void Signal(Process process, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {process.Id}") { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}

using System.Diagnostics;
using FFMpegCore;

namespace MjVideo.Video;

/// <summary>
/// Where ffmpeg and ffprobe are and how long one call may take. The binaries come from FFMpegCore's
/// <see cref="GlobalFFOptions"/> (PATH unless a BinaryFolder is configured there), so one setting serves both.
/// It also counts the processes started through it: the cache tests and the decode benchmark read the count.
/// </summary>
public sealed class FfmpegTools
{
    public FfmpegTools(string? ffmpegPath = null, string? ffprobePath = null, TimeSpan? timeout = null)
    {
        FfmpegPath = ffmpegPath ?? GlobalFFOptions.GetFFMpegBinaryPath();
        FfprobePath = ffprobePath ?? GlobalFFOptions.GetFFProbeBinaryPath();
        Timeout = timeout ?? TimeSpan.FromMinutes(2);
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), Timeout, "the timeout must be positive");
    }

    public string FfmpegPath { get; }
    public string FfprobePath { get; }

    /// <summary>The longest one ffmpeg or ffprobe process may run before it is killed.</summary>
    public TimeSpan Timeout { get; }

    long processesStarted;
    public long ProcessesStarted => Interlocked.Read(ref processesStarted);
    internal void CountStart() => Interlocked.Increment(ref processesStarted);
}

/// <summary>What one ffmpeg or ffprobe process left behind.</summary>
internal sealed record FfmpegRun(int ExitCode, bool TimedOut, byte[] Output, int OutputLength, long ExtraOutputBytes, string Errors)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;
}

/// <summary>
/// Runs one ffmpeg/ffprobe process with a hard timeout: stdout goes into a buffer (of a known size when the caller knows
/// how many bytes to expect, so that no copy is needed), stderr is read alongside so the process never blocks on it,
/// and on timeout the process is killed rather than waited for.
/// </summary>
internal static class FfmpegProcess
{
    /// <param name="expectedOutputBytes">the size of stdout when known (raw frames); -1 to collect whatever comes (JSON)</param>
    /// <param name="writeInput">writes stdin, which is then closed; null leaves stdin unredirected (pass -nostdin)</param>
    public static async Task<FfmpegRun> RunAsync(FfmpegTools tools, string binary, IReadOnlyList<string> arguments,
        CancellationToken cancellation, int expectedOutputBytes = -1, Func<Stream, CancellationToken, Task>? writeInput = null)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = writeInput is not null,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FileNotFoundException(
                $"could not start '{binary}' ({e.Message}); install ffmpeg (apt-get install -y ffmpeg) or set FFMpegCore's GlobalFFOptions.BinaryFolder", binary, e);
        }
        tools.CountStart();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(tools.Timeout);
        var token = timeout.Token;

        var errorsTask = process.StandardError.ReadToEndAsync(token);
        var outputTask = ReadOutputAsync(process.StandardOutput.BaseStream, expectedOutputBytes, token);
        var inputTask = writeInput is null ? Task.CompletedTask : WriteInputAsync(process.StandardInput.BaseStream, writeInput, token);
        try
        {
            await Task.WhenAll(errorsTask, outputTask, inputTask).ConfigureAwait(false);
            await process.WaitForExitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await Settle(errorsTask, outputTask, inputTask).ConfigureAwait(false);
            if (cancellation.IsCancellationRequested) throw;
            var partial = errorsTask.IsCompletedSuccessfully ? errorsTask.Result : "";
            return new FfmpegRun(-1, TimedOut: true, [], 0, 0, partial.Trim());
        }
        catch
        {
            Kill(process);
            await Settle(errorsTask, outputTask, inputTask).ConfigureAwait(false);
            throw;
        }
        var (output, length, extra) = outputTask.Result;
        return new FfmpegRun(process.ExitCode, TimedOut: false, output, length, extra, errorsTask.Result.Trim());
    }

    static async Task<(byte[] Output, int Length, long Extra)> ReadOutputAsync(Stream stdout, int expectedBytes, CancellationToken token)
    {
        if (expectedBytes < 0)
        {
            using var collected = new MemoryStream();
            await stdout.CopyToAsync(collected, token).ConfigureAwait(false);
            return (collected.ToArray(), (int)collected.Length, 0);
        }
        // Read straight into the final buffer; whatever comes beyond it is counted (a caller treats it as an error) but
        // must still be drained, or ffmpeg would block on a full pipe.
        var buffer = new byte[expectedBytes];
        var filled = await stdout.ReadAtLeastAsync(buffer, expectedBytes, throwOnEndOfStream: false, token).ConfigureAwait(false);
        long extra = 0;
        var scratch = new byte[16 * 1024];
        int read;
        while ((read = await stdout.ReadAsync(scratch, token).ConfigureAwait(false)) > 0) extra += read;
        return (buffer, filled, extra);
    }

    static async Task WriteInputAsync(Stream stdin, Func<Stream, CancellationToken, Task> write, CancellationToken token)
    {
        try
        {
            await write(stdin, token).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // ffmpeg closed its end (it failed early); its exit code and stderr tell the caller why.
        }
        finally
        {
            try { stdin.Dispose(); } catch (IOException) { }
        }
    }

    static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // it exited between the check and the kill
        }
    }

    /// <summary>Waits for the I/O tasks after a kill so that none of them is left running or unobserved.</summary>
    static async Task Settle(params Task[] tasks)
    {
        try { await Task.WhenAll(tasks).ConfigureAwait(false); }
        catch { /* the caller reports the failure that caused the kill */ }
    }

    /// <summary>The last lines of ffmpeg's stderr, enough to say what went wrong without flooding a message.</summary>
    public static string Tail(string errors, int maxLines = 8)
    {
        if (string.IsNullOrWhiteSpace(errors)) return "(ffmpeg printed no message)";
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - maxLines)));
    }
}

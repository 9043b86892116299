using System.Diagnostics;

namespace MjVideo.Core;

/// <summary>
/// One line of `mjvideo bench`: a throughput measured together with its reference in the same run, and their ratio. The
/// README's performance table is made of these rows (<c>MjVideo.Reports.PerformanceReport</c>).
/// </summary>
/// <param name="Key">the summary key the ratio is reported under (decode_ratio, encoder_ratio, end_to_end_ratio, ...);
/// the summary is the worst ratio of the rows that share a key</param>
/// <param name="Measurement">what was measured, in words (e.g. "sampled decoding, real 480p, one clip at a time")</param>
/// <param name="Measured">the library's throughput (median over repetitions)</param>
/// <param name="Unit">the unit of both throughputs (clips/s, frames/s, videos/s, pairs/s)</param>
/// <param name="Reference">the reference's throughput, measured in the same run</param>
/// <param name="ReferenceName">what the reference is (e.g. "ffmpeg command line, same arguments")</param>
/// <param name="Ratio">measured / reference (higher is better)</param>
/// <param name="Target">the ratio the issue asks for at least, when there is one</param>
public sealed record PerformanceRow(string Key, string Measurement, double Measured, string Unit, double Reference, string ReferenceName,
    double Ratio, double? Target = null)
{
    public bool? MeetsTarget => Target is { } target ? Ratio >= target : null;
}

/// <summary>The process's peak resident memory, for the bench commands (each measurement runs in its own process).</summary>
public static class PeakMemory
{
    /// <summary>VmHWM of /proc/self/status (Linux: the most resident memory this process has held); elsewhere the
    /// runtime's peak working set. Child processes (ffmpeg) are not included.</summary>
    public static long ResidentBytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return StatusLineBytes(line);
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    /// <summary>The bytes of a /proc status line such as <c>"VmHWM:\t  123456 kB"</c>. The kernel pads the number with
    /// spaces after the tab only up to 8 digits, so from 10^7 kB (9.5 GiB) on there is no space between the tab and it.</summary>
    public static long StatusLineBytes(string line)
    {
        var fields = line[(line.IndexOf(':') + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 2 || fields[1] != "kB" || !long.TryParse(fields[0], out var kilobytes))
            throw new FormatException($"/proc/self/status: cannot read '{line}' as '<name>: <number> kB'");
        return kilobytes * 1024;
    }
}

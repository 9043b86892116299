using System.Diagnostics;

namespace MjVideo.Core;

/// <summary>
/// Times several ways of doing the same work in alternation, for the `mjvideo bench` commands: each repetition runs
/// every series once, in an order rotated by one each time, so that drift in the machine's load (the project machines
/// are shared) falls on all series alike. The first repetitions warm caches and are discarded. Results are seconds per
/// repetition; report medians and ratios, never single runs.
/// </summary>
public static class InterleavedTiming
{
    /// <param name="Before">untimed set-up run right before each timed run of the series (e.g. emptying a cache)</param>
    public sealed record Series(string Name, Func<CancellationToken, Task> Run, Func<Task>? Before = null);

    /// <returns>for each series, in the order given, the wall seconds of each measured repetition</returns>
    public static async Task<IReadOnlyList<double[]>> RunAsync(IReadOnlyList<Series> series, int repeats, int warmups = 1,
        Action<string>? log = null, CancellationToken cancellation = default)
    {
        if (series.Count == 0) throw new ArgumentException("nothing to time", nameof(series));
        if (repeats <= 0) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "need at least one measured repetition");
        var seconds = series.Select(_ => new double[repeats]).ToArray();
        for (var rep = 0; rep < warmups + repeats; rep++)
        {
            var line = new List<string>();
            for (var k = 0; k < series.Count; k++)
            {
                var s = (k + rep) % series.Count;
                if (series[s].Before is { } before) await before().ConfigureAwait(false);
                var watch = Stopwatch.StartNew();
                await series[s].Run(cancellation).ConfigureAwait(false);
                var elapsed = watch.Elapsed.TotalSeconds;
                if (rep >= warmups) seconds[s][rep - warmups] = elapsed;
                line.Add($"{series[s].Name} {elapsed:0.000}s");
            }
            log?.Invoke($"  {(rep < warmups ? "warm-up" : $"rep {rep - warmups + 1}/{repeats}")}: {string.Join(", ", line)}");
        }
        return seconds;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("the median of nothing", nameof(values));
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

using System.Diagnostics;
using System.Globalization;

namespace MjVideo.Core;

/// <summary>
/// Counts finished items of a long job and reports a line with the count, the rate and the time left, e.g.
/// "train: 120/500 pairs (24%), 2.1 pairs/s, about 3 min left". A line goes out at most every
/// <see cref="Interval"/> and at the end, so a notebook cell or a log shows steady signs of life without flooding.
/// Thread-safe: <see cref="Report"/> may be called from parallel workers, with counts in any order.
/// </summary>
public sealed class RateProgress(string label, int total, string unit, Action<string> write) : IProgress<int>
{
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly Lock gate = new();
    TimeSpan? lastLine;
    int done;

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Records that <paramref name="value"/> items are done in all (the highest count seen wins).</summary>
    public void Report(int value)
    {
        string? line = null;
        lock (gate)
        {
            if (value <= done) return;
            done = Math.Min(value, total);
            var now = clock.Elapsed;
            if (done == total || lastLine is null || now - lastLine >= Interval)
            {
                lastLine = now;
                line = Line(done, total, now);
            }
        }
        if (line is not null) write(line);
    }

    /// <summary>The progress line for <paramref name="count"/> of <paramref name="of"/> items after <paramref name="elapsed"/>.</summary>
    public string Line(int count, int of, TimeSpan elapsed)
    {
        var percent = of == 0 ? 100 : 100.0 * count / of;
        var rate = elapsed.TotalSeconds > 0 ? count / elapsed.TotalSeconds : 0;
        var text = string.Create(CultureInfo.InvariantCulture, $"{label}: {count}/{of} {unit} ({percent:F0}%), {rate:F1} {unit}/s");
        if (count >= of) return text + string.Create(CultureInfo.InvariantCulture, $", done in {Duration(elapsed)}");
        return rate > 0 ? text + $", about {Duration(TimeSpan.FromSeconds((of - count) / rate))} left" : text;
    }

    static string Duration(TimeSpan t) => t.TotalSeconds < 90
        ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F0} s")
        : t.TotalMinutes < 90
            ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalMinutes:F0} min")
            : string.Create(CultureInfo.InvariantCulture, $"{t.TotalHours:F1} h");
}

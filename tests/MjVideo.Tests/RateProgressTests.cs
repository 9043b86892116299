using MjVideo.Core;

namespace MjVideo.Tests;

/// <summary>Long jobs (data generation, evaluation) report count, rate and time left, throttled, and always the end.</summary>
public class RateProgressTests
{
    [Fact]
    public void A_line_has_the_count_the_rate_and_the_time_left()
    {
        var progress = new RateProgress("train", 500, "pairs", _ => { });
        Assert.Equal("train: 120/500 pairs (24%), 2.0 pairs/s, about 3 min left", progress.Line(120, 500, TimeSpan.FromSeconds(60)));
        Assert.Equal("train: 500/500 pairs (100%), 2.0 pairs/s, done in 4 min", progress.Line(500, 500, TimeSpan.FromSeconds(250)));
        Assert.Equal("train: 10/500 pairs (2%), 10.0 pairs/s, about 49 s left", progress.Line(10, 500, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Lines_are_throttled_but_the_last_one_always_comes()
    {
        var lines = new List<string>();
        var progress = new RateProgress("test", 100, "pairs", lines.Add) { Interval = TimeSpan.FromHours(1) };
        for (var i = 1; i <= 100; i++) progress.Report(i);
        progress.Report(50);   // a late, lower count from another worker is ignored
        // The first report prints (nothing printed yet), the rest wait for the interval, and the end always prints.
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("test: 100/100 pairs (100%)", lines[^1]);
        Assert.Contains("done in", lines[^1]);
    }
}

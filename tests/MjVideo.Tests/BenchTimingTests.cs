using System.Diagnostics;
using MjVideo.Core;

namespace MjVideo.Tests;

/// <summary>The pieces the bench commands stand on: interleaved timing, medians, shell quoting of printed commands.</summary>
public class BenchTimingTests
{
    [Fact]
    public void Median_of_odd_and_even_counts()
    {
        Assert.Equal(3.0, InterleavedTiming.Median([5.0, 1.0, 3.0]));
        Assert.Equal(2.5, InterleavedTiming.Median([4.0, 1.0, 2.0, 3.0]));
        Assert.Throws<ArgumentException>(() => InterleavedTiming.Median([]));
    }

    [Fact]
    public async Task Series_alternate_in_rotated_order_and_warm_ups_are_dropped()
    {
        var order = new List<string>();
        InterleavedTiming.Series Record(string name) => new(name, _ => { order.Add(name); return Task.CompletedTask; });
        var seconds = await InterleavedTiming.RunAsync([Record("a"), Record("b"), Record("c")], repeats: 2, warmups: 1);
        // Repetition r starts with series r mod 3: abc (warm-up), bca, cab.
        Assert.Equal(["a", "b", "c", "b", "c", "a", "c", "a", "b"], order);
        Assert.Equal(3, seconds.Count);
        Assert.All(seconds, s => Assert.Equal(2, s.Length));
    }

    [Theory]
    [InlineData("plain-name_1.mp4")]
    [InlineData("/tmp/with space/it's \"quoted\" $HOME `x` \\ ;.mp4")]
    [InlineData("select='eq(n,0)+eq(n,10)',scale=224:224")]
    [InlineData("")]
    public void Shell_quoting_survives_the_shell(string argument)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"printf '%s' {Tools.ShellQuote(argument)}");
        using var shell = Process.Start(start)!;
        var echoed = shell.StandardOutput.ReadToEnd();
        shell.WaitForExit();
        Assert.Equal(argument, echoed);
    }
}

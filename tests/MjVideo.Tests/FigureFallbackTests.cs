using MjVideo.Reports;

namespace MjVideo.Tests;

/// <summary>Without a browser for PNG export, a figure is HTML only and notebooks still display something.</summary>
public class FigureFallbackTests
{
    [Fact]
    public void A_figure_without_a_png_displays_a_placeholder_png()
    {
        var figure = new SavedFigure("missing", Path.Combine(RepoPaths.NewTempDir("figure"), "missing.png"), "missing.html");
        Assert.False(figure.HasPng);
        var png = figure.PngBytes;
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.NotEmpty(figure.PngBase64);
    }

    [Fact]
    public void Chromium_is_looked_for_in_the_usual_places_of_each_os()
    {
        var candidates = FigureWriter.ChromiumCandidates();
        Assert.NotEmpty(candidates);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal("/usr/bin/chromium", candidates[0]);
            Assert.Contains("/snap/bin/chromium", candidates);
            Assert.Contains("/usr/bin/google-chrome", candidates);
        }
    }
}

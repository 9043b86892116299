using MjVideo.Reports;
using Plotly.NET.CSharp;

namespace MjVideo.Tests;

public class FigureWriterTests
{
    [Fact]
    public void A_chart_is_saved_as_png_and_as_small_html_that_loads_the_shared_plotly_js()
    {
        var dir = RepoPaths.NewTempDir("figures");
        var chart = Chart.Line<int, double, string>(x: new[] { 0, 1, 2 }, y: new[] { 1.0, 0.5, 0.25 }, Name: "loss");
        var figure = FigureWriter.Save(chart, "probe", dir, width: 400, height: 300);

        var png = File.ReadAllBytes(figure.PngPath);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.True(png.Length > 2000, "a rendered chart, not an empty image");

        var html = File.ReadAllText(figure.HtmlPath);
        Assert.Contains($"src=\"{FigureWriter.PlotlyJsFileName}\"", html);
        Assert.True(new FileInfo(figure.HtmlPath).Length < FigureWriter.MaxHtmlBytes);
        Assert.True(File.Exists(Path.Combine(dir, FigureWriter.PlotlyJsFileName)));
    }
}

using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.CSharp;
using Plotly.NET.ImageExport;
using MjVideo.Core;

namespace MjVideo.Reports;

/// <summary>A chart saved as PNG (for GitHub, which renders no JavaScript) and as a small HTML page.</summary>
public sealed record SavedFigure(string Name, string PngPath, string HtmlPath)
{
    public byte[] PngBytes => File.ReadAllBytes(PngPath);
    public string PngBase64 => Convert.ToBase64String(PngBytes);
}

/// <summary>
/// Writes figures: PNG through Plotly.NET.ImageExport driving the system's Chromium (no download), and HTML that
/// loads one shared copy of plotly.js from the same folder by a relative path, so each HTML file stays small.
/// </summary>
public static class FigureWriter
{
    public const string PlotlyJsFileName = "plotly-2.28.0.min.js";
    const string PlotlyJsResource = "Plotly.NET.plotly-2.28.0.min.js";
    public const int MaxHtmlBytes = 200 * 1024;
    static readonly object ChromiumConfigured = new();
    static bool configured;

    public static SavedFigure Save(GenericChart chart, string name, string directory, int width = 900, int height = 500)
    {
        ConfigureChromium();
        Directory.CreateDirectory(directory);
        EnsurePlotlyJs(directory);
        var sized = chart.WithSize(width, height);
        var basePath = Path.Combine(directory, name);

        var html = GenericChart.toEmbeddedHTML(WithPlotlyJs(sized, PlotlyJSReference.NewCDN(PlotlyJsFileName)));
        WriteAtomically(basePath + ".html", html);
        if (new FileInfo(basePath + ".html").Length > MaxHtmlBytes)
            throw new InvalidOperationException(
                $"figure '{name}' HTML is {new FileInfo(basePath + ".html").Length} bytes, over the {MaxHtmlBytes}-byte limit; plot fewer points");

        // The PNG renderer needs plotly.js inline: with a CDN reference it waits for a download that never comes.
        WithPlotlyJs(sized, PlotlyJSReference.Full).SavePNG(basePath, Width: width, Height: height);
        return new SavedFigure(name, basePath + ".png", basePath + ".html");
    }

    /// <summary>Saves the chart under the workbook's figures folder (the committed one in full mode, scratch in quick).</summary>
    public static SavedFigure Save(GenericChart chart, string name, Workbook workbook, int width = 900, int height = 500)
    {
        var titled = workbook.IsQuick ? Plotly.NET.Chart.withTitle($"{Workbook.QuickBanner}: {name}", null).Invoke(chart) : chart;
        return Save(titled, name, workbook.FiguresDir, width, height);
    }

    /// <summary>
    /// Saves an already-rendered image (a frame gallery, say) as a figure: the PNG and a small HTML page showing it, in the
    /// workbook's figures folder.
    /// </summary>
    public static SavedFigure SaveImage(byte[] png, string name, Workbook workbook)
    {
        var directory = workbook.FiguresDir;
        Directory.CreateDirectory(directory);
        var basePath = Path.Combine(directory, name);
        File.WriteAllBytes(basePath + ".png.tmp", png);
        File.Move(basePath + ".png.tmp", basePath + ".png", overwrite: true);
        var banner = workbook.IsQuick ? $"<p>{Workbook.QuickBanner}</p>" : "";
        WriteAtomically(basePath + ".html",
            $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{name}</title></head><body>{banner}<img src=\"{name}.png\" alt=\"{name}\"></body></html>\n");
        return new SavedFigure(name, basePath + ".png", basePath + ".html");
    }

    static GenericChart WithPlotlyJs(GenericChart chart, PlotlyJSReference reference) =>
        GenericChart.setDisplayOptions(
            DisplayOptions.init(null, null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(reference)), chart);

    static void EnsurePlotlyJs(string directory)
    {
        var target = Path.Combine(directory, PlotlyJsFileName);
        if (File.Exists(target)) return;
        using var resource = typeof(GenericChart).Assembly.GetManifestResourceStream(PlotlyJsResource)
            ?? throw new InvalidOperationException($"resource {PlotlyJsResource} not found in Plotly.NET");
        var temporary = target + ".tmp";
        using (var file = File.Create(temporary)) resource.CopyTo(file);
        File.Move(temporary, target, overwrite: true);
    }

    static void ConfigureChromium()
    {
        lock (ChromiumConfigured)
        {
            if (configured) return;
            var chromium = FindChromium() ?? throw new InvalidOperationException(
                "PNG export needs Chromium: install it (apt-get install -y chromium) or set CHROMIUM_PATH");
            PuppeteerSharpRendererOptions.localBrowserExecutablePath = FSharpOption<string>.Some(chromium);
            PuppeteerSharpRendererOptions.launchOptions.Args =
                new[] { "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking" };
            configured = true;
        }
    }

    static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } fromEnvironment) return fromEnvironment;
        foreach (var candidate in new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}

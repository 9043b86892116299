using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.CSharp;
using Plotly.NET.ImageExport;
using MjVideo.Core;

namespace MjVideo.Reports;

/// <summary>A chart saved as PNG (for GitHub, which renders no JavaScript) and as a small HTML page.</summary>
public sealed record SavedFigure(string Name, string PngPath, string HtmlPath)
{
    /// <summary>False when PNG export was skipped (no Chromium): then only the HTML exists.</summary>
    public bool HasPng => File.Exists(PngPath);

    /// <summary>The PNG, or without one a small grey placeholder, so that a notebook displaying the figure still runs.</summary>
    public byte[] PngBytes => HasPng ? File.ReadAllBytes(PngPath) : Placeholder.Value;
    public string PngBase64 => Convert.ToBase64String(PngBytes);

    static readonly Lazy<byte[]> Placeholder = new(() =>
    {
        var rgb = new byte[160 * 24 * 3];
        Array.Fill(rgb, (byte)200);
        return PngEncoder.EncodeRgb(rgb, 160, 24);
    });
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
        var canExportPng = ConfigureChromium();
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
        if (canExportPng)
        {
            try
            {
                WithPlotlyJs(sized, PlotlyJSReference.Full).SavePNG(basePath, Width: width, Height: height);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A browser that starts but cannot render (a snap's confinement, a missing library) must not fail a notebook.
                Warn($"PNG export of '{name}' failed with {ChromiumPath}: {e.GetBaseException().Message}. The HTML figure was written; " +
                     "set CHROMIUM_PATH to a Chromium or Chrome that runs headless (see environment.md).");
            }
        }
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

    /// <summary>The browser PNG export uses, or null when none was found (then figures are written as HTML only).</summary>
    public static string? ChromiumPath => FindChromium();

    /// <summary>Where Chromium is looked for, in order, after CHROMIUM_PATH.</summary>
    public static IReadOnlyList<string> ChromiumCandidates()
    {
        if (OperatingSystem.IsWindows())
        {
            var roots = new[] { "ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA" }
                .Select(Environment.GetEnvironmentVariable).OfType<string>().Where(r => r.Length > 0).ToList();
            return roots.SelectMany(r => new[]
            {
                Path.Combine(r, "Google", "Chrome", "Application", "chrome.exe"),
                Path.Combine(r, "Chromium", "Application", "chrome.exe"),
                Path.Combine(r, "Microsoft", "Edge", "Application", "msedge.exe"),
            }).ToList();
        }
        if (OperatingSystem.IsMacOS())
            return ["/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "/Applications/Chromium.app/Contents/MacOS/Chromium"];
        // Debian's chromium, Ubuntu's snap (its /usr/bin/chromium-browser is a wrapper that asks for the snap), Google Chrome.
        return ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium", "/usr/bin/google-chrome",
                "/usr/bin/google-chrome-stable", "/opt/google/chrome/chrome"];
    }

    /// <summary>Points ImageExport at the system's browser once; false (with one warning) when there is none.</summary>
    static bool ConfigureChromium()
    {
        lock (ChromiumConfigured)
        {
            if (configured) return chromiumFound;
            configured = true;
            var chromium = FindChromium();
            if (chromium is null)
            {
                Warn("PNG export skipped: no Chromium or Chrome found (looked in CHROMIUM_PATH, then " +
                     string.Join(", ", ChromiumCandidates()) + "). Figures are written as HTML only and notebooks show a grey " +
                     "placeholder. Install one (Debian: apt-get install -y chromium; Ubuntu: snap install chromium, or Google Chrome) " +
                     "or set CHROMIUM_PATH.");
                return chromiumFound = false;
            }
            PuppeteerSharpRendererOptions.localBrowserExecutablePath = FSharpOption<string>.Some(chromium);
            PuppeteerSharpRendererOptions.launchOptions.Args =
                new[] { "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking" };
            return chromiumFound = true;
        }
    }

    static bool chromiumFound;

    static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } fromEnvironment) return fromEnvironment;
        return ChromiumCandidates().FirstOrDefault(File.Exists);
    }

    static void Warn(string message) => Console.Error.WriteLine("warning: " + message);

    static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}

using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace MjVideo.Reports;

/// <summary>
/// The few chart shapes the notebooks draw, so that notebook cells stay one line: bars (plain and grouped), points
/// with asymmetric error bars for estimates and their intervals, lines, and heatmaps. All titled and axis-labelled.
/// </summary>
public static class Charts
{
    public static GenericChart Titled(GenericChart chart, string title, string? xTitle = null, string? yTitle = null)
    {
        var titled = Plotly.NET.Chart.withTitle(title, null).Invoke(chart);
        if (xTitle is not null) titled = titled.WithXAxisStyle<double, double, string>(TitleText: xTitle);
        if (yTitle is not null) titled = titled.WithYAxisStyle<double, double, string>(TitleText: yTitle);
        return titled;
    }

    public static GenericChart Bars(IEnumerable<string> keys, IEnumerable<double> values, string title, string? yTitle = null,
        string? name = null) =>
        Titled(Chart.Column<double, string, string>(values.ToArray(), Keys: keys.ToArray(), Name: name ?? title), title, null, yTitle);

    /// <summary>One series of bars per group, side by side over the same keys.</summary>
    public static GenericChart GroupedBars(IEnumerable<string> keys, IEnumerable<(string Series, double[] Values)> series,
        string title, string? yTitle = null)
    {
        var keyArray = keys.ToArray();
        var charts = series.Select(s => Chart.Column<double, string, string>(s.Values, Keys: keyArray, Name: s.Series)).ToArray();
        return Titled(Chart.Combine(charts), title, null, yTitle);
    }

    /// <summary>Points with error bars from low to high (e.g. accuracies with 95% intervals), one series per group.</summary>
    public static GenericChart Intervals(IEnumerable<(string Series, string[] Keys, double[] Values, double[] Low, double[] High)> series,
        string title, string? yTitle = null)
    {
        var charts = series.Select(s =>
        {
            var points = Chart.Point<string, double, string>(s.Keys, s.Values, Name: s.Series);
            var plus = s.Values.Zip(s.High, (v, h) => Math.Max(0, h - v)).ToArray();
            var minus = s.Values.Zip(s.Low, (v, l) => Math.Max(0, v - l)).ToArray();
            return Plotly.NET.Chart.withYErrorStyle<double, double>(null, null, FSharpOption<bool>.Some(false),
                FSharpOption<IEnumerable<double>>.Some(plus), FSharpOption<IEnumerable<double>>.Some(minus),
                null, null, null, null, null, null, null, null).Invoke(points);
        }).ToArray();
        return Titled(Chart.Combine(charts), title, null, yTitle);
    }

    public static GenericChart Lines(IEnumerable<(string Series, double[] X, double[] Y)> series, string title, string? xTitle = null,
        string? yTitle = null) =>
        Titled(Chart.Combine(series.Select(s => Chart.Line<double, double, string>(s.X, s.Y, Name: s.Series)).ToArray()), title, xTitle, yTitle);

    /// <summary>A heatmap of rows x columns (z[row][column]).</summary>
    public static GenericChart Heatmap(double[][] z, string[] columns, string[] rows, string title) =>
        Titled(Chart.Heatmap<double, string, string, string>(z.Select(r => (IEnumerable<double>)r).ToArray(), X: columns, Y: rows), title);
}

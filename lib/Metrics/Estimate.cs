using System.Globalization;

namespace MjVideo.Metrics;

/// <summary>
/// One reported number: its value, its interval, how many units (pairs, videos, seeds) it is computed over, and how the
/// interval was made. Values are fractions (0.6875), printed as percentages by <see cref="Format"/>.
/// An undefined value (a macro-F1 whose class was never predicted, an accuracy over zero pairs) is NaN, never 0;
/// <see cref="Note"/> says why.
/// </summary>
public sealed record Estimate(double Value, double Low, double High, int N, string Method)
{
    /// <summary>Why the value or its interval is undefined, or another caveat a reader needs beside the number.</summary>
    public string? Note { get; init; }

    public bool IsDefined => !double.IsNaN(Value);
    public bool HasInterval => !double.IsNaN(Low) && !double.IsNaN(High);

    public static Estimate Undefined(int n, string method, string note) =>
        new(double.NaN, double.NaN, double.NaN, n, method) { Note = note };

    /// <summary>"68.75 [59.66, 76.59]" style: the value and its interval, scaled (percent by default), without n.</summary>
    public string FormatValue(double scale = 100, int decimals = 2, int intervalDecimals = 1)
    {
        if (!IsDefined) return "undefined";
        var value = Number(Value * scale, decimals);
        return HasInterval
            ? $"{value} [{Number(Low * scale, intervalDecimals)}, {Number(High * scale, intervalDecimals)}]"
            : $"{value} [no interval]";
    }

    /// <summary>"68.75 [59.7, 76.6] (n=112)", or "undefined (n=0)".</summary>
    public string Format(double scale = 100, int decimals = 2, int intervalDecimals = 1) =>
        $"{FormatValue(scale, decimals, intervalDecimals)} (n={N})";

    public override string ToString() => Format();

    static string Number(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}

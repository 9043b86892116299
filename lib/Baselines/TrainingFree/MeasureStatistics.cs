using System.Globalization;

namespace MjVideo.Baselines.TrainingFree;

/// <summary>
/// One measure's distribution over the videos of a val split: what standardises it in the combined judge and sets the
/// single-measure judges' "good" threshold. Computed on val only, never on the split being judged.
/// </summary>
/// <param name="Std">sample standard deviation (n - 1)</param>
/// <param name="Source">the val dataset file the statistics come from</param>
public sealed record MeasureStatistics(QualityMeasure Measure, int Videos, double Mean, double Std, double Median, string Source)
{
    /// <summary>Statistics of one value per distinct val video.</summary>
    public static MeasureStatistics Compute(QualityMeasure measure, IReadOnlyList<double> values, string source)
    {
        if (values.Count < 2)
            throw new ArgumentException($"{source}: {measure.Name()} statistics need at least 2 videos, got {values.Count}");
        if (values.FirstOrDefault(v => !double.IsFinite(v), 0) is var bad && !double.IsFinite(bad))
            throw new ArgumentException($"{source}: {measure.Name()} gave the non-finite value {bad}");
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        var sorted = values.Order().ToArray();
        var half = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
        return new MeasureStatistics(measure, values.Count, mean, std, median, source);
    }

    /// <summary>(value - mean) / std.</summary>
    public double Standardise(double value) => (value - Mean) / Std;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Videos} val videos of {Source}: mean {Mean:G6}, std {Std:G6}, median {Median:G6}");
}

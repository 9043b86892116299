using MjVideo.Evaluation;
using MjVideo.Taxonomy;

namespace MjVideo.Baselines.TrainingFree;

/// <summary>
/// Several VBench-like measures combined with equal weights: each is standardised with its val mean and standard
/// deviation, z = (x - mean) / std, and the score is the sum of the z's. An aspect's score is the sum of the z's of the
/// measures that speak to it (Fineness: imaging quality; Coherence &amp; Consistency: subject consistency + motion
/// smoothness), NaN for aspects no measure speaks to. "Good" is a score above 0, i.e. better than the average val
/// video. Equal weights because nothing training-free says which measure matters more; choosing weights on labels
/// would make it a trained judge.
/// </summary>
public sealed class CombinedQualityJudge : IJudge
{
    public const string DefaultName = "VBench-like: combined";

    readonly QualityMeasurer measurer;
    readonly IReadOnlyDictionary<string, string> notes;

    /// <param name="val">one entry per measure, computed on val (<see cref="QualityMeasurer.CalibrateAsync"/>)</param>
    /// <param name="notes">extra config lines (what a variant leaves out and why)</param>
    public CombinedQualityJudge(QualityMeasurer measurer, IReadOnlyList<MeasureStatistics> val, string name = DefaultName,
        IReadOnlyDictionary<string, string>? notes = null)
    {
        if (val.Count == 0) throw new ArgumentException("a combined judge needs at least one measure", nameof(val));
        if (val.GroupBy(s => s.Measure).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            throw new ArgumentException($"measure {repeated.Key.Name()} is given {repeated.Count()} times", nameof(val));
        if (val.FirstOrDefault(s => !(s.Std > 0)) is { } flat)
            throw new ArgumentException(
                $"{flat.Source}: {flat.Measure.Name()} has standard deviation {flat.Std} over {flat.Videos} val videos, so it cannot be standardised",
                nameof(val));
        this.measurer = measurer;
        Val = val;
        Name = name;
        this.notes = notes ?? new Dictionary<string, string>();
    }

    public IReadOnlyList<MeasureStatistics> Val { get; }
    public IReadOnlyList<QualityMeasure> Measures => Val.Select(s => s.Measure).ToList();

    public string Name { get; }

    public double GoodAbove => 0;

    public IReadOnlyDictionary<string, string> Config
    {
        get
        {
            var config = new Dictionary<string, string>
            {
                ["measures"] = string.Join(", ", Measures.Select(m => m.Name())),
                ["combination"] = "sum of (x - val mean) / val std, equal weights",
                ["aspects"] = string.Join("; ", AspectMeasures().Select(g => $"{MjTaxonomy.Aspects[g.Key].DisplayName} = sum of z({string.Join(", ", g.Select(m => m.Name()))})")),
                ["good"] = "score > 0 (better than the average val video)",
                ["trained"] = "no (training-free; val used only for the standardisation)",
            };
            foreach (var s in Val)
            {
                config[$"{s.Measure.Name()}: formula"] = s.Measure.Formula();
                config[$"{s.Measure.Name()}: frames"] = measurer.Frames.Describe(s.Measure.Frames());
                config[$"{s.Measure.Name()}: val statistics"] = s.Describe();
            }
            foreach (var (key, value) in notes) config[key] = value;
            return config;
        }
    }

    public JudgeAvailability Availability() =>
        Measures.Contains(QualityMeasure.SubjectConsistency) && measurer.Features is null
            ? JudgeAvailability.No("not run (no ResNet-18 feature cache)")
            : JudgeAvailability.Yes;

    public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default) =>
        PerVideoJudging.JudgeAsync(input, async (video, token) => Combine(await measurer.MeasureAsync(Measures, video, token).ConfigureAwait(false)),
            progress, cancellation, measurer.MaxParallel);

    /// <summary>The judged video for raw measure values given in the order of <see cref="Val"/>.</summary>
    public JudgedVideo Combine(IReadOnlyList<double> raw)
    {
        if (raw.Count != Val.Count) throw new ArgumentException($"expected {Val.Count} measure values, got {raw.Count}", nameof(raw));
        var z = Val.Select((s, i) => s.Standardise(raw[i])).ToArray();
        var aspects = Enumerable.Repeat(double.NaN, MjTaxonomy.AspectCount).ToArray();
        for (var i = 0; i < z.Length; i++)
        {
            var a = Val[i].Measure.AspectIndex();
            aspects[a] = double.IsNaN(aspects[a]) ? z[i] : aspects[a] + z[i];
        }
        return new JudgedVideo(z.Sum(), aspects);
    }

    IEnumerable<IGrouping<int, QualityMeasure>> AspectMeasures() => Measures.GroupBy(m => m.AspectIndex()).OrderBy(g => g.Key);
}

using System.Globalization;
using MjVideo.Evaluation;
using MjVideo.Taxonomy;

namespace MjVideo.Baselines.TrainingFree;

/// <summary>
/// One VBench-like measure as a judge: each video's score is the raw measure (higher is better), and its aspect score
/// is the same value in the aspect the measure speaks to (<see cref="QualityMeasures.AspectIndex"/>), NaN in the other
/// four (not scored; the evaluator leaves those aspects out of this judge's Table 1 row).
/// <para>
/// "Good" (<see cref="GoodAbove"/>) is above the val median: the raw scales (a cosine, 1 - an error, a share of gradient
/// energy) have no natural zero, and the median splits val videos in half without looking at any label.
/// </para>
/// </summary>
public sealed class QualityMeasureJudge : IJudge
{
    readonly QualityMeasurer measurer;

    public QualityMeasureJudge(QualityMeasurer measurer, MeasureStatistics val)
    {
        this.measurer = measurer;
        Val = val;
    }

    public QualityMeasure Measure => Val.Measure;
    public MeasureStatistics Val { get; }

    public string Name => $"VBench-like: {Measure.Name()}";

    public double GoodAbove => Val.Median;

    public IReadOnlyDictionary<string, string> Config => new Dictionary<string, string>
    {
        ["measure"] = Measure.Name(),
        ["formula"] = Measure.Formula(),
        ["frames"] = measurer.Frames.Describe(Measure.Frames()),
        ["aspect"] = MjTaxonomy.Aspects[Measure.AspectIndex()].DisplayName,
        ["val statistics"] = Val.Describe(),
        ["good"] = string.Create(CultureInfo.InvariantCulture, $"score > {Val.Median:G6} (the val median)"),
        ["trained"] = "no (training-free)",
    };

    public JudgeAvailability Availability() =>
        Measure == QualityMeasure.SubjectConsistency && measurer.Features is null
            ? JudgeAvailability.No("not run (no ResNet-18 feature cache)")
            : JudgeAvailability.Yes;

    public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default) =>
        PerVideoJudging.JudgeAsync(input, async (video, token) =>
        {
            var value = (await measurer.MeasureAsync([Measure], video, token).ConfigureAwait(false))[0];
            var aspects = Enumerable.Repeat(double.NaN, MjTaxonomy.AspectCount).ToArray();
            aspects[Measure.AspectIndex()] = value;
            return new JudgedVideo(value, aspects);
        }, progress, cancellation, measurer.MaxParallel);
}

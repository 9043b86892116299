using MjVideo.Baselines.TrainingFree;

namespace MjVideo.Baselines.Controls;

/// <summary>
/// The combined VBench-like judge restricted to what one frame shows: imaging quality of the middle frame, standardised
/// with its val statistics (so "good" is above the average val video, as for the combined judge). Subject consistency
/// and motion smoothness need several frames and are left out. The gap between this row and the combined judge is what
/// looking at time adds; a trained model that does no better than this row is judging frames, not videos.
/// </summary>
public static class SingleFrameJudge
{
    public const string Name = "Control: single frame";

    /// <param name="val">statistics of <see cref="QualityMeasure.MiddleFrameImagingQuality"/> on val</param>
    public static CombinedQualityJudge Create(QualityMeasurer measurer, MeasureStatistics val)
    {
        if (val.Measure != QualityMeasure.MiddleFrameImagingQuality)
            throw new ArgumentException($"the single-frame control reads {QualityMeasure.MiddleFrameImagingQuality.Name()}, not {val.Measure.Name()}", nameof(val));
        return new CombinedQualityJudge(measurer, [val], Name, new Dictionary<string, string>
        {
            ["left out"] = $"{QualityMeasure.SubjectConsistency.Name()}, {QualityMeasure.MotionSmoothness.Name()} (they need more than one frame)",
        });
    }
}

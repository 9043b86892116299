using MjVideo.Baselines.Controls;
using MjVideo.Evaluation;

namespace MjVideo.Baselines.TrainingFree;

/// <summary>Builds every judge that rests on the VBench-like measures from one measuring pass over val.</summary>
public static class TrainingFreeJudges
{
    /// <summary>
    /// The three single-measure judges, the combined judge and the single-frame control, in that order, all sharing
    /// <paramref name="measurer"/> (so a test split is decoded and measured once for all five).
    /// <paramref name="progress"/> receives the number of val videos measured.
    /// </summary>
    public static async Task<IReadOnlyList<IJudge>> CreateAsync(QualityMeasurer measurer, JudgeInput val,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var measures = QualityMeasures.Video.Append(QualityMeasure.MiddleFrameImagingQuality).ToList();
        var statistics = await measurer.CalibrateAsync(val, measures, progress, cancellation).ConfigureAwait(false);
        var video = statistics.Where(s => QualityMeasures.Video.Contains(s.Measure)).ToList();
        var judges = new List<IJudge>();
        judges.AddRange(video.Select(s => new QualityMeasureJudge(measurer, s)));
        judges.Add(new CombinedQualityJudge(measurer, video));
        judges.Add(SingleFrameJudge.Create(measurer, statistics.Single(s => s.Measure == QualityMeasure.MiddleFrameImagingQuality)));
        return judges;
    }
}

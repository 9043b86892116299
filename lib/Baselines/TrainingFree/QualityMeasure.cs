using MjVideo.Taxonomy;
using MjVideo.Video;

namespace MjVideo.Baselines.TrainingFree;

/// <summary>The VBench-like measures (DESIGN 4, training-free). Each scores one video on its own; higher is better.</summary>
public enum QualityMeasure
{
    /// <summary>Appearance drift: VBench's first/previous-frame cosine formula on pooled ResNet-18 features.</summary>
    SubjectConsistency,
    /// <summary>How well each middle frame is predicted from its neighbours by a bilateral block interpolator.</summary>
    MotionSmoothness,
    /// <summary>Re-blur sharpness (share of Sobel gradient energy removed by a further blur), mean over the sampled frames.</summary>
    ImagingQuality,
    /// <summary>The same sharpness on the middle frame only: what a judge that sees one frame can do.</summary>
    MiddleFrameImagingQuality,
}

/// <summary>Which decoded frames a measure reads.</summary>
public enum MeasureFrames
{
    /// <summary>The temporal clip (<see cref="QualityFrames.Temporal"/>: all 16 frames of a SynthBench clip).</summary>
    Temporal,
    /// <summary>The default sample (<see cref="QualityFrames.Sampled"/>: the paper's 8 frames).</summary>
    Sampled,
    /// <summary>The middle frame of the temporal clip, index (T - 1) / 2.</summary>
    Middle,
}

/// <summary>
/// The two decodings the measures read. Temporal measures need equally spaced, consecutive frames (an interpolator
/// predicts frame t from t - 1 and t + 1; the paper's 8-frame sample 0, 1, 3, ..., 13 is unevenly spaced), so they read
/// 16 frames spread from the first to the last; per-frame measures read the default sample, as every other judge does.
/// For a 16-frame SynthBench clip the temporal decoding is every frame, the clip cache entry the SynthBench writer
/// stores, and the default sample is picked out of it without decoding again.
/// </summary>
public sealed record QualityFrames(Preprocessing Temporal, Preprocessing Sampled)
{
    public static QualityFrames Default { get; } = new(
        new Preprocessing(Frames: 16, Sampling: FrameSampling.InclusiveUniform),
        Preprocessing.Default);

    public Preprocessing For(MeasureFrames frames) => frames == MeasureFrames.Sampled ? Sampled : Temporal;

    public string Describe(MeasureFrames frames) => frames switch
    {
        MeasureFrames.Temporal => Temporal.Describe(),
        MeasureFrames.Sampled => Sampled.Describe(),
        MeasureFrames.Middle => $"middle frame ((T - 1) / 2) of {Temporal.Describe()}",
        _ => throw new ArgumentOutOfRangeException(nameof(frames)),
    };
}

public static class QualityMeasures
{
    /// <summary>The three video measures of the combined judge (the middle-frame one is the single-frame control's).</summary>
    public static readonly IReadOnlyList<QualityMeasure> Video =
        [QualityMeasure.SubjectConsistency, QualityMeasure.MotionSmoothness, QualityMeasure.ImagingQuality];

    public static string Name(this QualityMeasure measure) => measure switch
    {
        QualityMeasure.SubjectConsistency => "subject consistency",
        QualityMeasure.MotionSmoothness => "motion smoothness",
        QualityMeasure.ImagingQuality => "imaging quality",
        QualityMeasure.MiddleFrameImagingQuality => "imaging quality (middle frame)",
        _ => throw new ArgumentOutOfRangeException(nameof(measure)),
    };

    /// <summary>The aspect a measure speaks to: sharpness to Fineness, smoothness and consistency to Coherence &amp;
    /// Consistency.</summary>
    public static int AspectIndex(this QualityMeasure measure) => measure switch
    {
        QualityMeasure.SubjectConsistency or QualityMeasure.MotionSmoothness => MjTaxonomy.FindAspect("Coherence & Consistency").Index,
        QualityMeasure.ImagingQuality or QualityMeasure.MiddleFrameImagingQuality => MjTaxonomy.FindAspect("Fineness").Index,
        _ => throw new ArgumentOutOfRangeException(nameof(measure)),
    };

    public static MeasureFrames Frames(this QualityMeasure measure) => measure switch
    {
        QualityMeasure.SubjectConsistency or QualityMeasure.MotionSmoothness => MeasureFrames.Temporal,
        QualityMeasure.ImagingQuality => MeasureFrames.Sampled,
        QualityMeasure.MiddleFrameImagingQuality => MeasureFrames.Middle,
        _ => throw new ArgumentOutOfRangeException(nameof(measure)),
    };

    /// <summary>The formula, as printed in a judge's config.</summary>
    public static string Formula(this QualityMeasure measure) => measure switch
    {
        QualityMeasure.SubjectConsistency =>
            "mean over frames t >= 1 of (max(0, cos(f_t, f_0)) + max(0, cos(f_t, f_t-1))) / 2, f = ResNet-18 last-block map " +
            "averaged over its spatial positions (VBench's formula, ResNet-18 in place of DINO)",
        QualityMeasure.MotionSmoothness =>
            $"1 - mean absolute error / 255 of predicting each middle frame as the average of its neighbours, moved per " +
            $"{FrameMeasures.InterpolationBlock}x{FrameMeasures.InterpolationBlock} block by the symmetric shift " +
            $"(up to {FrameMeasures.InterpolationSearch} px) under which the neighbours agree best (VBench uses a frame-interpolation network)",
        QualityMeasure.ImagingQuality or QualityMeasure.MiddleFrameImagingQuality =>
            $"1 - E(blur(Y)) / E(Y), E = Sobel gradient energy of the luma, blur = Gaussian sigma {FrameMeasures.ReblurSigma} px " +
            "(re-blur sharpness; VBench uses MUSIQ)" + (measure == QualityMeasure.ImagingQuality ? ", mean over frames" : ""),
        _ => throw new ArgumentOutOfRangeException(nameof(measure)),
    };
}

using MjVideo.Backbones.Pretrained;
using MjVideo.Baselines;
using MjVideo.Baselines.Controls;
using MjVideo.Baselines.TrainingFree;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using MjVideo.Video;
using static MjVideo.Tests.BaselineTestKit;

namespace MjVideo.Tests;

/// <summary>
/// Six SynthBench-style clips, encoded once: a circle moving steadily and the same circle jumping 10 px at frame 8; a
/// still scene sharp and with a 1.5 px de-focus blur; a still circle that stays red and one that turns blue at frame 8.
/// </summary>
public sealed class TrainingFreeClips : IDisposable
{
    public string Dir { get; } = RepoPaths.NewTempDir("quality");
    public string Smooth { get; }
    public string Jump { get; }
    public string Sharp { get; }
    public string Blurred { get; }
    public string Stable { get; }
    public string Recoloured { get; }

    static readonly Rgb Red = new(0.85, 0.15, 0.12), Blue = new(0.15, 0.3, 0.9), Yellow = new(0.95, 0.85, 0.2);

    public TrainingFreeClips()
    {
        Smooth = Encode(Dir, "smooth", Render(Scene((Shape.Circle, Red, 7, t => (12 + 2.5 * t, 30)))));
        Jump = Encode(Dir, "jump", Render(Scene((Shape.Circle, Red, 7, t => (12 + 2.5 * t + (t >= 8 ? 10 : 0), 30)))));

        var still = Scene((Shape.Square, Blue, 8, _ => (20, 22)), (Shape.Star, Yellow, 9, _ => (44, 40)), (Shape.Circle, Red, 6, _ => (18, 48)));
        Sharp = Encode(Dir, "sharp", Render(still));
        still.BlurSigma = 1.5;
        Blurred = Encode(Dir, "blurred", Render(still));

        var red = Render(Scene((Shape.Circle, Red, 12, _ => (32, 32))));
        var blue = Render(Scene((Shape.Circle, Blue, 12, _ => (32, 32))));
        Stable = Encode(Dir, "stable", red);
        Recoloured = Encode(Dir, "recoloured", red.Take(8).Concat(blue.Skip(8)));
    }

    /// <summary>The three contrasting pairs (video 0 is the better one) as a dataset in <see cref="Dir"/>.</summary>
    public JudgeInput Input() => BaselineTestKit.Input(
    [
        Pair(0, "smooth.mp4", "jump.mp4", PreferenceLabel.Video1Better),
        Pair(1, "sharp.mp4", "blurred.mp4", PreferenceLabel.Video1Better),
        Pair(2, "stable.mp4", "recoloured.mp4", PreferenceLabel.Video1Better),
    ], Path.Combine(Dir, "val.json"), Dir);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

[Collection(ResNetCollection.Name)]
public class BaselineTrainingFreeTests(ResNetFixture resnet, TrainingFreeClips clips) : IClassFixture<TrainingFreeClips>
{
    QualityMeasurer Measurer(string tag, bool clipCache = false)
    {
        var dir = RepoPaths.NewTempDir(tag);
        var decoder = new VideoDecoder(cache: clipCache ? new ClipCache(Path.Combine(dir, "clips")) : null);
        return new QualityMeasurer(decoder, new FrameFeatureCache(dir, resnet.Extractor));
    }

    /// <summary>A single-measure judge whose val statistics are given by hand (they only set its threshold).</summary>
    static QualityMeasureJudge JudgeOf(QualityMeasurer measurer, QualityMeasure measure) =>
        new(measurer, MeasureStatistics.Compute(measure, [0.0, 1.0], "hand-made statistics"));

    async Task<JudgedPair> JudgePairAsync(IJudge judge, int pair)
    {
        var input = clips.Input();
        var one = BaselineTestKit.Input([input.Pairs[pair]], input.Dataset.SourceFile, clips.Dir);
        return (await judge.JudgeAsync(one)).Single();
    }

    [Fact]
    public async Task Motion_smoothness_prefers_steady_motion_to_a_frame_jump()
    {
        var judged = await JudgePairAsync(JudgeOf(Measurer("smooth"), QualityMeasure.MotionSmoothness), 0);
        Assert.True(judged.Video0.Score > judged.Video1.Score, $"smooth {judged.Video0.Score} vs jump {judged.Video1.Score}");
        // The measure speaks to Coherence & Consistency only; the other aspects are not scored.
        var aspects = judged.Video0.AspectScores!;
        Assert.Equal(judged.Video0.Score, aspects[3]);
        Assert.All(new[] { 0, 1, 2, 4 }, a => Assert.True(double.IsNaN(aspects[a])));
    }

    [Fact]
    public async Task Imaging_quality_prefers_a_sharp_clip_to_a_blurred_one()
    {
        var judged = await JudgePairAsync(JudgeOf(Measurer("sharp"), QualityMeasure.ImagingQuality), 1);
        Assert.True(judged.Video0.Score > judged.Video1.Score + 0.1, $"sharp {judged.Video0.Score} vs blurred {judged.Video1.Score}");
        Assert.Equal(judged.Video0.Score, judged.Video0.AspectScores![MjTaxonomy.FindAspect("Fineness").Index]);
    }

    [Fact]
    public async Task Subject_consistency_prefers_a_stable_object_to_one_that_changes_colour()
    {
        var judged = await JudgePairAsync(JudgeOf(Measurer("consistent"), QualityMeasure.SubjectConsistency), 2);
        Assert.True(judged.Video0.Score > judged.Video1.Score, $"stable {judged.Video0.Score} vs recoloured {judged.Video1.Score}");
        Assert.InRange(judged.Video0.Score, 0.99, 1.0);
    }

    [Fact]
    public async Task The_default_sample_is_picked_out_of_the_temporal_clip_without_a_second_decode()
    {
        var measurer = Measurer("decode-once", clipCache: true);
        var video = new VideoRef("sharp.mp4", clips.Sharp);
        var both = await measurer.MeasureAsync([QualityMeasure.ImagingQuality, QualityMeasure.MotionSmoothness], video);
        Assert.Equal((0, 1), (measurer.Decoder.Cache!.Hits, measurer.Decoder.Cache.Misses));

        // A fresh measurer asked for sharpness alone decodes the 8-frame sample itself, and finds the same value.
        var alone = new QualityMeasurer(new VideoDecoder(cache: measurer.Decoder.Cache));
        Assert.Equal(both[0], (await alone.MeasureAsync([QualityMeasure.ImagingQuality], video))[0], 12);
        Assert.Equal((0, 2), (measurer.Decoder.Cache.Hits, measurer.Decoder.Cache.Misses));
    }

    [Fact]
    public async Task The_combined_judge_sums_val_standardised_measures_with_equal_weights()
    {
        var measurer = Measurer("combined");
        var judges = await TrainingFreeJudges.CreateAsync(measurer, clips.Input());
        Assert.Equal(
            ["VBench-like: subject consistency", "VBench-like: motion smoothness", "VBench-like: imaging quality", CombinedQualityJudge.DefaultName, SingleFrameJudge.Name],
            judges.Select(j => j.Name));
        var combined = (CombinedQualityJudge)judges[3];
        var val = combined.Val;
        Assert.Equal(6, val[0].Videos);

        var judged = await combined.JudgeAsync(clips.Input());
        var raw = await measurer.MeasureAsync(QualityMeasures.Video, new VideoRef("jump.mp4", clips.Jump));
        var z = raw.Select((x, i) => (x - val[i].Mean) / val[i].Std).ToArray();
        var jump = judged[0].Video1;
        Assert.Equal(z[0] + z[1] + z[2], jump.Score, 12);
        Assert.Equal(z[2], jump.AspectScores![2], 12);              // Fineness: imaging quality
        Assert.Equal(z[0] + z[1], jump.AspectScores[3], 12);        // C&C: subject consistency + motion smoothness
        Assert.All(new[] { 0, 1, 4 }, a => Assert.True(double.IsNaN(jump.AspectScores[a])));
        Assert.Equal(0, combined.GoodAbove);

        // The single-measure judges say "good" above the val median; the single-frame control scores Fineness only.
        Assert.Equal(val[1].Median, judges[1].GoodAbove);
        var singleFrame = (CombinedQualityJudge)judges[4];
        Assert.Equal([QualityMeasure.MiddleFrameImagingQuality], singleFrame.Measures);
        Assert.Contains("motion smoothness", singleFrame.Config["left out"]);
    }

    [Fact]
    public void A_measure_without_spread_on_val_cannot_be_standardised()
    {
        var flat = MeasureStatistics.Compute(QualityMeasure.ImagingQuality, [0.5, 0.5, 0.5], "val.json");
        var error = Assert.Throws<ArgumentException>(() => new CombinedQualityJudge(Measurer("flat"), [flat]));
        Assert.Contains("val.json", error.Message);
        Assert.Contains("imaging quality", error.Message);
    }
}

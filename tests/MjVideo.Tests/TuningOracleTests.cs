using MjVideo.Synth;
using MjVideo.Tuning;
using static MjVideo.Tests.TuningTestKit;

namespace MjVideo.Tests;

/// <summary>The oracle judges clips against their captions from pixels: clean SynthBench renders pass, each kind of
/// mistake fails its own check and leaves the others alone.</summary>
public class TuningOracleTests
{
    static readonly TuningOracle Oracle = new(64);

    static readonly CaptionSpec TwoRedSquaresLeft =
        Caption(Group(Shape.Square, ColorName.Red, 2, countNamed: true, region: Region.Left), kind: CaptionKind.Counting);

    static readonly CaptionSpec BlueStarMovingRight =
        Caption(Group(Shape.Star, ColorName.Blue, motion: Motion.LeftToRight), scene: SceneKind.Beach, kind: CaptionKind.Motion);

    static OracleVerdict Judge(CaptionSpec caption, VideoScene scene) => Oracle.Judge(Frames(scene), caption, FrameTimes);

    static void AssertOnly(OracleVerdict verdict, params OracleCheck[] failing)
    {
        foreach (var (check, passed) in verdict.Checks)
            if (passed is not null)
                Assert.True(passed == !failing.Contains(check), $"{check}: expected {(failing.Contains(check) ? "fail" : "pass")}");
    }

    [Fact]
    public void A_clean_render_passes_every_check_its_caption_asks_for()
    {
        var counted = Judge(TwoRedSquaresLeft, Scene(TwoRedSquaresLeft, 11));
        Assert.Equal([true, true, true, true, null, true, true, true], Enum.GetValues<OracleCheck>().Select(c => counted.Checks[c]));
        Assert.True(counted.Aligned && counted.GoodQuality);
        Assert.Equal(1.0, counted.Score);

        var moving = Judge(BlueStarMovingRight, Scene(BlueStarMovingRight, 12));
        Assert.Equal([true, true, null, null, true, true, true, true], Enum.GetValues<OracleCheck>().Select(c => moving.Checks[c]));
    }

    [Fact]
    public void A_missing_object_fails_the_count()
    {
        var scene = Scene(TwoRedSquaresLeft, 11);
        scene.Objects.RemoveAt(1);
        var verdict = Judge(TwoRedSquaresLeft, scene);
        // The location is not asserted: the remaining square sat on a ring around the left anchor, and alone it may be
        // nearer the centre's.
        Assert.False(verdict.Checks[OracleCheck.Count]);
        Assert.True(verdict.Checks[OracleCheck.Object] == true && verdict.Checks[OracleCheck.Colour] == true && verdict.GoodQuality);
    }

    [Fact]
    public void A_wrong_colour_fails_the_colour()
    {
        var scene = Scene(TwoRedSquaresLeft, 11);
        foreach (var o in scene.Objects) o.Color = ColorName.Blue.Color();
        var verdict = Judge(TwoRedSquaresLeft, scene);
        Assert.False(verdict.Checks[OracleCheck.Colour]);
        Assert.False(verdict.Aligned);
        Assert.True(verdict.GoodQuality);
    }

    [Fact]
    public void Objects_on_the_wrong_side_fail_the_location_only()
    {
        var scene = Scene(TwoRedSquaresLeft, 11);
        foreach (var o in scene.Objects)
            for (var t = 0; t < scene.Frames; t++) o.X[t] += 34;   // from around x = 15 (left anchor) to around 49 (right)
        AssertOnly(Judge(TwoRedSquaresLeft, scene), OracleCheck.Location);
    }

    [Fact]
    public void Motion_the_other_way_fails_the_motion_only()
    {
        var scene = Scene(BlueStarMovingRight, 12);
        var o = scene.Objects[0];
        var (start, end) = (o.X[0], o.X[^1]);
        for (var t = 0; t < scene.Frames; t++) o.X[t] = end - (o.X[t] - start);   // the same path, right to left
        AssertOnly(Judge(BlueStarMovingRight, scene), OracleCheck.Motion);
    }

    [Fact]
    public void Defocus_fails_the_sharpness()
    {
        var scene = Scene(TwoRedSquaresLeft, 11);
        scene.BlurSigma = 1.2;
        var verdict = Judge(TwoRedSquaresLeft, scene);
        Assert.True(verdict.Sharpness < TuningOracle.MinSharpness, $"sharpness {verdict.Sharpness:F3}");
        AssertOnly(verdict, OracleCheck.Sharpness);
    }

    [Fact]
    public void Alternating_brightness_fails_the_flicker_with_the_jump_it_measures()
    {
        var scene = Scene(TwoRedSquaresLeft, 11);
        for (var t = 0; t < scene.Frames; t++) scene.Brightness[t] = t == 5 ? 0.88 : 1.0;   // frame 5 is rendered (times 0,1,3,5,...)
        var verdict = Judge(TwoRedSquaresLeft, scene);
        // The gain of frame 5 against frame 3 is 0.88: a jump of 0.12 (and back up by 1/0.88 - 1 = 0.136).
        Assert.Equal(1 / 0.88 - 1, verdict.FlickerJump, 0.01);
        AssertOnly(verdict, OracleCheck.Flicker);
    }

    [Fact]
    public void A_resting_object_that_slides_away_fails_the_drift()
    {
        var caption = Caption(Group(Shape.Circle, ColorName.Yellow, motion: Motion.Unspecified), scene: SceneKind.Room);
        var scene = Scene(caption, 4);
        var o = scene.Objects[0];
        for (var t = 0; t < scene.Frames; t++) o.X[t] += 12.0 * Math.Pow(t / 15.0, 3);   // accelerating (7.8 px by frame 13): RMS 1.12 px off a straight line
        var verdict = Judge(caption, scene);
        Assert.True(verdict.PathResidual > TuningOracle.MaxPathResidual, $"residual {verdict.PathResidual:F2}");
        AssertOnly(verdict, OracleCheck.Drift);
    }

    [Fact]
    public void An_object_that_vanishes_for_a_frame_fails_the_drift_only()
    {
        var scene = Scene(BlueStarMovingRight, 12);
        scene.Objects[0].Visible[5] = false;   // frame 5 is one of the 8 read: it shows no object at all
        AssertOnly(Judge(BlueStarMovingRight, scene), OracleCheck.Drift);
    }

    [Fact]
    public void A_clip_that_shows_nothing_is_neither_aligned_nor_of_good_quality()
    {
        var scene = Scene(BlueStarMovingRight, 12);
        scene.Objects.Clear();
        var verdict = Judge(BlueStarMovingRight, scene);
        Assert.Equal(0, verdict.BlobsFound);
        Assert.False(verdict.Aligned);
        Assert.False(verdict.GoodQuality);
        Assert.Equal(0.0, verdict.Score);
    }

    [Fact]
    public void Edge_sharpness_is_one_for_a_step_and_one_half_for_a_two_pixel_ramp()
    {
        // Luma rises left to right. A step: only x = 31 is an edge pixel (gradient 1, Laplacian -1), so the ratio is 1.
        // A ramp 0, 0.5, 1 at x = 31, 32, 33: x = 31 has gradient 0.5 and Laplacian -0.5, x = 32 gradient 0.5 and Laplacian
        // 0, so the ratio is 0.25 / (0.25 + 0.25) = 0.5.
        float[] Frame(Func<int, float> luma)
        {
            var frame = new float[64 * 64 * 3];
            for (var y = 0; y < 64; y++)
            for (var x = 0; x < 64; x++)
                for (var c = 0; c < 3; c++) frame[(y * 64 + x) * 3 + c] = luma(x);
            return frame;
        }
        Assert.Equal(1.0, Oracle.EdgeSharpness([Frame(x => x >= 32 ? 1 : 0)]), 6);
        Assert.Equal(0.5, Oracle.EdgeSharpness([Frame(x => x <= 31 ? 0 : x == 32 ? 0.5f : 1)]), 6);
    }

    [Fact]
    public void Agrees_with_SynthBench_on_its_clean_videos()
    {
        // Every clean video of the first 120 pairs whose caption the generator draws: the oracle should find each aligned
        // and of good quality (measured on 115 clean videos of 400 pairs: 98% aligned, 100% good quality).
        var config = new SynthConfig("train", 120, SynthBenchDefaults.Seed);
        var annotators = PreferenceRules.AnnotatorWeights(config.Seed);
        var verdicts = new List<OracleVerdict>();
        for (var i = 0; i < config.Pairs; i++)
        {
            var pair = SynthBenchGenerator.GeneratePair(config, i, annotators);
            if (!TuningCaptions.IsDrawable(pair.Caption)) continue;
            foreach (var video in new[] { pair.Video0, pair.Video1 }.Where(v => v.IsClean))
                verdicts.Add(Oracle.Judge(Frames(video.Scene), pair.Caption, FrameTimes));
        }
        Assert.True(verdicts.Count >= 20, $"only {verdicts.Count} clean videos");
        Assert.True(verdicts.Count(v => v.Aligned) >= 0.9 * verdicts.Count, $"{verdicts.Count(v => v.Aligned)} of {verdicts.Count} aligned");
        Assert.True(verdicts.Count(v => v.GoodQuality) >= 0.95 * verdicts.Count, $"{verdicts.Count(v => v.GoodQuality)} of {verdicts.Count} good quality");
    }
}

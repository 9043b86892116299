using MjVideo.Baselines.TrainingFree;

namespace MjVideo.Tests;

/// <summary>The arithmetic of the VBench-like measures on hand-made frames and features, against hand-computed values.</summary>
public class BaselineFrameMeasureTests
{
    [Fact]
    public void Subject_consistency_averages_the_first_and_previous_frame_cosines()
    {
        // t=1: cos([1,1],[1,0]) = 1/sqrt2 against both the first and the previous frame;
        // t=2: cos([0,1],[1,0]) = 0 and cos([0,1],[1,1]) = 1/sqrt2. Mean of 1/sqrt2 and 1/(2 sqrt2) = 3 / (4 sqrt2).
        var value = FrameMeasures.SubjectConsistency([[1f, 0f], [1f, 1f], [0f, 1f]]);
        Assert.Equal(3 / (4 * Math.Sqrt(2)), value, 12);
        Assert.Equal(1.0, FrameMeasures.SubjectConsistency([[2f, 1f], [4f, 2f], [1f, 0.5f]]), 12);
        // Negative similarities are clipped at 0, as VBench does.
        Assert.Equal(0.0, FrameMeasures.SubjectConsistency([[1f, 0f], [-1f, 0f]]), 12);
        Assert.Throws<ArgumentException>(() => FrameMeasures.SubjectConsistency([[1f, 0f]]));
    }

    static byte[] Frame(int width, int height, Func<int, int, byte> value)
    {
        var frame = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                frame.AsSpan((y * width + x) * 3, 3).Fill(value(x, y));
        return frame;
    }

    static byte[] Square(int left, int top, int side = 8) =>
        Frame(64, 64, (x, y) => x >= left && x < left + side && y >= top && y < top + side ? (byte)255 : (byte)0);

    [Fact]
    public void A_square_missing_from_the_middle_frame_costs_its_area()
    {
        // Both neighbours show the same white 8x8 square, so the interpolator keeps it in place (d = 0 matches exactly)
        // and predicts it where the middle frame is black: 64 of 4096 pixels wrong by 255 in every channel.
        var smoothness = FrameMeasures.MotionSmoothness([Square(20, 24), Frame(64, 64, (_, _) => 0), Square(20, 24)], 64, 64);
        Assert.Equal(1 - 64.0 / 4096, smoothness, 12);
    }

    [Fact]
    public void Steady_motion_is_predicted_exactly_and_a_jump_is_not()
    {
        // A square moving 3 px per frame: each middle frame is its neighbours moved half-way, found by the block search.
        var steady = Enumerable.Range(0, 5).Select(t => Square(10 + 3 * t, 20)).ToList();
        Assert.Equal(1.0, FrameMeasures.MotionSmoothness(steady, 64, 64), 12);

        // The same square jumping 20 px between frames 2 and 3: frames 2 and 3 cannot be interpolated.
        var jump = Enumerable.Range(0, 5).Select(t => Square(10 + 3 * t + (t >= 3 ? 20 : 0), 20)).ToList();
        Assert.True(FrameMeasures.MotionSmoothness(jump, 64, 64) < 1 - 64.0 / 4096 / 3,
            "a jump should cost at least a third of a square per middle frame");
    }

    static double[] Sinusoid(int width, int height, double period, double amplitude) =>
        Enumerable.Range(0, width * height).Select(i => 0.5 + amplitude * Math.Sin(2 * Math.PI * (i % width) / period)).ToArray();

    [Fact]
    public void Sharpness_of_a_sinusoid_is_one_minus_the_squared_blur_response()
    {
        // The re-blur is linear and shift-invariant away from the border, so it scales a sinusoid of period 8 by the
        // kernel's response H = sum_j w_j cos(2 pi j / 8), w_j = exp(-j^2 / 2) / Z for j = -3..3 (Z = 2.505950):
        // H = (1 + 2 (0.606531 cos(pi/4) + 0.135335 cos(pi/2) + 0.011109 cos(3pi/4))) / Z = 0.735072, and so does
        // its Sobel gradient: 1 - H^2 = 0.459669, whatever the amplitude.
        Assert.Equal(0.459669, FrameMeasures.ReblurSharpness(Sinusoid(32, 32, 8, 0.25), 32, 32, flatFloor: 0), 6);
        Assert.Equal(0.459669, FrameMeasures.ReblurSharpness(Sinusoid(32, 32, 8, 0.05), 32, 32, flatFloor: 0), 6);
        // A slower sinusoid (period 16) is softer: H = 0.924, 1 - H^2 = 0.146.
        Assert.True(FrameMeasures.ReblurSharpness(Sinusoid(32, 32, 16, 0.25), 32, 32, flatFloor: 0) < 0.2);
    }

    [Fact]
    public void A_ramp_and_a_flat_frame_have_no_detail_to_lose()
    {
        // Blurring a linear ramp leaves it unchanged away from the border: nothing is lost.
        var ramp = Enumerable.Range(0, 32 * 32).Select(i => 0.2 + 0.01 * (i % 32)).ToArray();
        Assert.Equal(0.0, FrameMeasures.ReblurSharpness(ramp, 32, 32, flatFloor: 0), 12);
        Assert.Equal(0.0, FrameMeasures.ImagingQuality(Frame(32, 32, (_, _) => 128), 32, 32), 12);
    }

    [Fact]
    public void A_sharp_edge_loses_more_to_the_blur_than_a_soft_one()
    {
        var sharp = Frame(32, 32, (x, _) => x < 16 ? (byte)40 : (byte)200);
        var soft = Frame(32, 32, (x, _) => (byte)Math.Clamp(40 + (x - 12) * 20, 40, 200));
        var sharpness = FrameMeasures.ImagingQuality(sharp, 32, 32);
        Assert.True(sharpness > FrameMeasures.ImagingQuality(soft, 32, 32) + 0.2, $"sharp {sharpness}");
        // Halving the contrast of the edge leaves the measure where it was.
        var fainter = Frame(32, 32, (x, _) => x < 16 ? (byte)80 : (byte)160);
        Assert.Equal(sharpness, FrameMeasures.ImagingQuality(fainter, 32, 32), tolerance: 0.01);
    }

    [Fact]
    public void Statistics_are_the_sample_mean_std_and_median()
    {
        var s = MeasureStatistics.Compute(QualityMeasure.MotionSmoothness, [4.0, 1.0, 3.0, 2.0], "val.json");
        Assert.Equal((4, 2.5, Math.Sqrt(5.0 / 3), 2.5), (s.Videos, s.Mean, s.Std, s.Median));
        Assert.Equal(2.0, MeasureStatistics.Compute(QualityMeasure.MotionSmoothness, [3.0, 1.0, 2.0], "val.json").Median);
        Assert.Equal(-1.5 / Math.Sqrt(5.0 / 3), s.Standardise(1.0), 12);
        var error = Assert.Throws<ArgumentException>(() => MeasureStatistics.Compute(QualityMeasure.ImagingQuality, [1.0, double.NaN], "val.json"));
        Assert.Contains("val.json", error.Message);
    }
}

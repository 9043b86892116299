using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>
/// <see cref="FrameSampler.Indices"/> against values worked out by hand. Paper rule: numpy's
/// linspace(0, n-1, k, endpoint=False) is i * ((n-1)/k) for i in 0..k-1, then truncated by astype(int).
/// </summary>
public class VideoFrameSamplerTests
{
    [Theory]
    // 81 frames: step 80/8 = 10 exactly; frame 80 (the tail) is never read.
    [InlineData(81, new[] { 0, 10, 20, 30, 40, 50, 60, 70 })]
    // 16 frames: step 15/8 = 1.875 -> 0, 1.875, 3.75, 5.625, 7.5, 9.375, 11.25, 13.125.
    [InlineData(16, new[] { 0, 1, 3, 5, 7, 9, 11, 13 })]
    // 5 frames (shorter than k): step 4/8 = 0.5 -> 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5: each frame twice, frame 4 never.
    [InlineData(5, new[] { 0, 0, 1, 1, 2, 2, 3, 3 })]
    // 1 frame: step 0, all zeros.
    [InlineData(1, new[] { 0, 0, 0, 0, 0, 0, 0, 0 })]
    // 150 frames (5 s at 30 fps): step 149/8 = 18.625 -> 0, 18.625, 37.25, 55.875, 74.5, 93.125, 111.75, 130.375.
    [InlineData(150, new[] { 0, 18, 37, 55, 74, 93, 111, 130 })]
    public void Paper_rule_matches_numpy_linspace_endpoint_false(int frames, int[] expected) =>
        Assert.Equal(expected, FrameSampler.Indices(frames, 8, FrameSampling.PaperLinspace));

    [Fact]
    public void Paper_rule_with_k_not_a_power_of_two()
    {
        // n = 8, k = 3: step 7/3 = 2.333... -> 0, 2.333, 4.667 -> 0, 2, 4.
        Assert.Equal([0, 2, 4], FrameSampler.Indices(8, 3, FrameSampling.PaperLinspace));
    }

    [Theory]
    // round(i * 15 / 7): 0, 2.14, 4.29, 6.43, 8.57, 10.71, 12.86, 15.
    [InlineData(16, new[] { 0, 2, 4, 6, 9, 11, 13, 15 })]
    // round(i * 80 / 7): 0, 11.43, 22.86, 34.29, 45.71, 57.14, 68.57, 80.
    [InlineData(81, new[] { 0, 11, 23, 34, 46, 57, 69, 80 })]
    // round(i * 4 / 7): 0, 0.57, 1.14, 1.71, 2.29, 2.86, 3.43, 4.
    [InlineData(5, new[] { 0, 1, 1, 2, 2, 3, 3, 4 })]
    public void Inclusive_uniform_spans_first_to_last_frame(int frames, int[] expected) =>
        Assert.Equal(expected, FrameSampler.Indices(frames, 8, FrameSampling.InclusiveUniform));

    [Fact]
    public void By_fps_steps_by_source_over_target_rate()
    {
        // 30 fps sampled at 8 fps: stride 3.75 -> floor(0, 3.75, 7.5, 11.25, 15, 18.75, 22.5, 26.25).
        Assert.Equal([0, 3, 7, 11, 15, 18, 22, 26], FrameSampler.Indices(150, 8, FrameSampling.ByFps, sourceFps: 30));
        // 30000/1001 fps: stride 3.746253... -> 14.985 at i = 4, so frame 14 where 30 fps gives 15.
        Assert.Equal([0, 3, 7, 11, 14, 18, 22, 26], FrameSampler.Indices(40, 8, FrameSampling.ByFps, sourceFps: 30000.0 / 1001));
    }

    [Fact]
    public void By_fps_repeats_the_last_frame_when_the_clip_runs_out()
    {
        // 30 fps at 8 fps on 10 frames: 0, 3, 7 fit (11 does not); the rest repeat frame 7.
        Assert.Equal([0, 3, 7, 7, 7, 7, 7, 7], FrameSampler.Indices(10, 8, FrameSampling.ByFps, sourceFps: 30));
    }

    [Fact]
    public void Bad_arguments_are_rejected_with_the_value()
    {
        Assert.Contains("0 frames", Assert.Throws<ArgumentException>(() => FrameSampler.Indices(0, 8, FrameSampling.PaperLinspace)).Message);
        Assert.Contains("-1", Assert.Throws<ArgumentException>(() => FrameSampler.Indices(10, -1, FrameSampling.PaperLinspace)).Message);
        Assert.Throws<ArgumentException>(() => FrameSampler.Indices(10, 8, FrameSampling.ByFps, sourceFps: 0));
    }
}

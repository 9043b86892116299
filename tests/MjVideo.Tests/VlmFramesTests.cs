using MjVideo.Reports;
using System.Buffers.Binary;
using MjVideo.Baselines.Vlm;
using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>PNG encoding, frame rules and frame preparation from real (tiny) videos.</summary>
[Collection(VlmVideosCollection.Name)]
public sealed class VlmFramesTests(VlmTestVideos videos)
{
    [Fact]
    public void Crc32_matches_the_standard_check_value() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));

    [Fact]
    public void Png_decodes_to_the_same_pixels_in_ffmpeg()
    {
        // 5x3 with every byte different, so a swapped channel, row or column shows.
        var rgb = Enumerable.Range(0, 5 * 3 * 3).Select(i => (byte)(i * 5 + 1)).ToArray();

        var png = PngEncoder.EncodeRgb(rgb, 5, 3);

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal((5, 3, 8, 2), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)), png[24], png[25]));
        Assert.Equal("IEND"u8.ToArray(), png[^8..^4]);
        Assert.Equal(0xAE426082u, BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(png.Length - 4))); // CRC of an empty IEND
        Assert.Equal(rgb, TestPng.DecodeWithFfmpeg(png));
    }

    [Fact]
    public void Png_rejects_a_buffer_of_the_wrong_size()
    {
        var e = Assert.Throws<ArgumentException>(() => PngEncoder.EncodeRgb(new byte[10], 2, 2));
        Assert.Contains("10 bytes do not hold a 2x2 RGB image (12 bytes)", e.Message);
    }

    [Theory]
    [InlineData(120, 50, 8, new[] { 0, 50, 100 })]
    [InlineData(1000, 50, 8, new[] { 0, 50, 100, 150, 200, 250, 300, 350 })]
    [InlineData(50, 50, 8, new[] { 0 })]
    [InlineData(51, 50, 8, new[] { 0, 50 })]
    [InlineData(16, 50, 8, new[] { 0 })]
    [InlineData(16, 5, 3, new[] { 0, 5, 10 })]
    public void Every_nth_rule_takes_the_first_frames_at_the_stride(int frameCount, int stride, int maxFrames, int[] expected) =>
        Assert.Equal(expected, VlmFramePreparer.Indices(frameCount, new VlmFrameOptions(VlmFrameRule.EveryNth, stride, maxFrames)));

    [Fact]
    public void Paper_rule_is_the_endpoint_exclusive_linspace()
    {
        Assert.Equal([0, 10, 20, 30, 40, 50, 60, 70], VlmFramePreparer.Indices(81, VlmFrameOptions.PaperEightFrames));
        // k = 4 of 10 frames: step 9/4 = 2.25 -> 0, 2.25, 4.5, 6.75 truncated.
        Assert.Equal([0, 2, 4, 6], VlmFramePreparer.Indices(10, new VlmFrameOptions(MaxFrames: 4)));
    }

    [Fact]
    public void Gpt4o_protocol_is_every_50th_frame_first_8_at_768()
    {
        Assert.Equal((VlmFrameRule.EveryNth, 50, 8, 768), (VlmFrameOptions.Gpt4oProtocol.Rule, VlmFrameOptions.Gpt4oProtocol.Stride,
            VlmFrameOptions.Gpt4oProtocol.MaxFrames, VlmFrameOptions.Gpt4oProtocol.ResizeWidth));
        Assert.Equal("every 50th frame, first 8, 768 px wide, PNG", VlmFrameOptions.Gpt4oProtocol.Describe());
        Assert.Equal("8 frames (paper linspace), native size, PNG", VlmFrameOptions.PaperEightFrames.Describe());
    }

    [Theory]
    [InlineData(854, 480, 768, 768, 432)]  // 431.8 rounds up
    [InlineData(64, 64, 768, 768, 768)]
    [InlineData(97, 61, 16, 16, 10)]       // 10.06
    public void Resize_keeps_the_aspect_ratio(int width, int height, int target, int expectedWidth, int expectedHeight)
    {
        var info = new VideoInfo("x.mp4", 100, 25, width, height, 4, FrameCountSource.Mp4SampleTable);

        var preprocessing = VlmFramePreparer.PreprocessingFor(info, new VlmFrameOptions(ResizeWidth: target));

        Assert.Equal((expectedWidth, expectedHeight), (preprocessing.Width, preprocessing.Height));
    }

    [Fact]
    public async Task Every_50th_frame_is_decoded_resized_and_sent_as_png()
    {
        var preparer = new VlmFramePreparer(VlmFrameOptions.Gpt4oProtocol with { ResizeWidth = 16 });

        var frames = await preparer.PrepareAsync(videos.Colours120);

        Assert.Equal([0, 50, 100], frames.Images.Select(i => i.SourceFrame));
        foreach (var image in frames.Images)
        {
            Assert.Equal((16, 12, "image/png"), (image.Width, image.Height, image.MediaType));
            var rgb = TestPng.DecodeWithFfmpeg(image.Bytes);
            Assert.Equal(16 * 12 * 3, rgb.Length);
            // The centre pixel's colour names the source frame.
            var centre = (6 * 16 + 8) * 3;
            Assert.Equal(image.SourceFrame, VideoTestClips.IndexOfColour((rgb[centre], rgb[centre + 1], rgb[centre + 2])));
        }
        Assert.Equal((120, 32, 24), (frames.Source.FrameCount, frames.Source.Width, frames.Source.Height));
    }

    [Fact]
    public async Task Paper_rule_sends_eight_frames_at_native_size()
    {
        var preparer = new VlmFramePreparer(VlmFrameOptions.PaperEightFrames);

        var frames = await preparer.PrepareAsync(videos.Colours16);

        // linspace(0, 15, 8, endpoint=False) = 0, 1.875, 3.75, ... truncated.
        Assert.Equal([0, 1, 3, 5, 7, 9, 11, 13], frames.Images.Select(i => i.SourceFrame));
        Assert.All(frames.Images, i => Assert.Equal((32, 32), (i.Width, i.Height)));
        var (_, _, rgb) = TestPng.Read(frames.Images[3].Bytes);
        var centre = (16 * 32 + 16) * 3;
        Assert.Equal(5, VideoTestClips.IndexOfColour((rgb[centre], rgb[centre + 1], rgb[centre + 2])));
    }

    [Fact]
    public async Task A_missing_video_is_named_in_the_error()
    {
        var preparer = new VlmFramePreparer(VlmFrameOptions.PaperEightFrames);
        var missing = Path.Combine(videos.Dir, "nope.mp4");

        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => preparer.PrepareAsync(missing));

        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Invalid_frame_options_are_rejected()
    {
        Assert.Equal("Stride", Assert.Throws<ArgumentOutOfRangeException>(() => new VlmFramePreparer(new VlmFrameOptions(Stride: 0))).ParamName);
        Assert.Equal("ResizeWidth", Assert.Throws<ArgumentOutOfRangeException>(() => new VlmFramePreparer(new VlmFrameOptions(ResizeWidth: -4))).ParamName);
    }
}

using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>The encoder: deterministic bytes, options that take effect, clear rejections.</summary>
public class VideoEncoderTests
{
    static IEnumerable<byte[]> Frames(int width, int height, int count) =>
        Enumerable.Range(0, count).Select(i => VideoTestClips.SquareFrame(width, height, i % 3));

    [Theory]
    [InlineData(ChromaFormat.Yuv444p, 97, 61)]
    [InlineData(ChromaFormat.Yuv420p, 64, 48)]
    public async Task Two_encodes_of_the_same_frames_are_byte_identical(ChromaFormat chroma, int width, int height)
    {
        var dir = RepoPaths.NewTempDir("encode");
        var options = new EncodeOptions(Chroma: chroma);
        var a = Path.Combine(dir, "a.mp4");
        var b = Path.Combine(dir, "b.mp4");
        await VideoEncoder.EncodeAsync(Frames(width, height, 10), width, height, a, options);
        await VideoEncoder.EncodeAsync(Frames(width, height, 10), width, height, b, options);
        var bytes = await File.ReadAllBytesAsync(a);
        Assert.True(bytes.Length > 0);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(b));
        Assert.Equal(["a.mp4", "b.mp4"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Crf_and_chroma_options_reach_the_encoder()
    {
        var dir = RepoPaths.NewTempDir("encode");
        var crf10 = Path.Combine(dir, "crf10.mp4");
        var crf40 = Path.Combine(dir, "crf40.mp4");
        var chroma420 = Path.Combine(dir, "420.mp4");
        await VideoEncoder.EncodeAsync(Frames(64, 64, 6), 64, 64, crf10);
        await VideoEncoder.EncodeAsync(Frames(64, 64, 6), 64, 64, crf40, new EncodeOptions(Crf: 40));
        await VideoEncoder.EncodeAsync(Frames(64, 64, 6), 64, 64, chroma420, new EncodeOptions(Chroma: ChromaFormat.Yuv420p));
        Assert.True(new FileInfo(crf40).Length < new FileInfo(crf10).Length, "CRF 40 must compress harder than CRF 10");
        Assert.NotEqual(await File.ReadAllBytesAsync(crf10), await File.ReadAllBytesAsync(chroma420));
        var info = await VideoProbe.ProbeAsync(crf10);
        Assert.Equal((6, 64, 64, 8.0), (info.FrameCount, info.Width, info.Height, info.Fps));
    }

    [Fact]
    public async Task Odd_sizes_are_rejected_for_yuv420p_naming_the_size()
    {
        var dir = RepoPaths.NewTempDir("encode");
        var path = Path.Combine(dir, "odd.mp4");
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            VideoEncoder.EncodeAsync(Frames(97, 61, 2), 97, 61, path, new EncodeOptions(Chroma: ChromaFormat.Yuv420p)));
        Assert.Contains("97x61", error.Message);
        Assert.Contains("even", error.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public async Task A_frame_of_the_wrong_size_is_rejected_naming_its_index_and_leaves_no_file()
    {
        var dir = RepoPaths.NewTempDir("encode");
        var path = Path.Combine(dir, "bad.mp4");
        var frames = Frames(32, 32, 4).Select((f, i) => i == 2 ? f[..100] : f);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => VideoEncoder.EncodeAsync(frames, 32, 32, path));
        Assert.Contains("frame 2 has 100 bytes", error.Message);
        Assert.Contains("3072", error.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public async Task No_frames_is_an_error()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("encode"), "none.mp4");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => VideoEncoder.EncodeAsync([], 8, 8, path));
        Assert.Contains("no frames", error.Message);
    }

    [Theory]
    [InlineData(8.0, "8")]
    [InlineData(7.5, "15/2")]
    [InlineData(30000.0 / 1001, "30000/1001")]
    [InlineData(24000.0 / 1001, "24000/1001")]
    [InlineData(12.5, "25/2")]
    public void Frame_rates_are_passed_as_exact_fractions(double fps, string expected) =>
        Assert.Equal(expected, VideoEncoder.FormatRate(fps));
}

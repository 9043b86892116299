using MjVideo.Video;
using TorchSharp;

namespace MjVideo.Tests;

/// <summary>
/// Decoding clips encoded from known frames: which source frames each rule delivers, pixel values within codec
/// tolerance, odd sizes and rates, repeats, letterboxing, tensors, parallel decoding and failures.
/// </summary>
[Collection(VideoClipsCollection.Name)]
public class VideoDecoderTests(VideoTestClips clips)
{
    /// <summary>Largest per-channel error allowed after rgb24 -> yuv444p (BT.601 limited range, 8 bit) -> H.264 at
    /// CRF 10 -> rgb24 on flat or blocky frames: the range conversion rounds by up to ~2 levels and CRF 10 quantises by
    /// a few more.</summary>
    const int CodecTolerance = 8;

    readonly VideoDecoder decoder = new();

    /// <summary>The source frame each decoded frame shows, read from its centre colour.</summary>
    static int[] DecodedIndices(Clip clip) =>
        Enumerable.Range(0, clip.FrameCount).Select(t => VideoTestClips.IndexOfColour(clip.Pixel(t, clip.Width / 2, clip.Height / 2))).ToArray();

    [Fact]
    public async Task Paper_rule_on_81_frames_delivers_frames_0_to_70()
    {
        var clip = await decoder.DecodeAsync(clips.Colours81, new Preprocessing(Width: 48, Height: 32));
        int[] expected = [0, 10, 20, 30, 40, 50, 60, 70];
        Assert.Equal(expected, clip.Indices);
        Assert.Equal(expected, DecodedIndices(clip));
        Assert.Equal(81, clip.Source.FrameCount);
    }

    [Fact]
    public async Task Inclusive_uniform_delivers_first_and_last_frames()
    {
        var clip = await decoder.DecodeAsync(clips.Colours81, new Preprocessing(Sampling: FrameSampling.InclusiveUniform, Width: 24, Height: 16));
        int[] expected = [0, 11, 23, 34, 46, 57, 69, 80];
        Assert.Equal(expected, clip.Indices);
        Assert.Equal(expected, DecodedIndices(clip));
    }

    [Fact]
    public async Task By_fps_uses_the_probed_ntsc_rate()
    {
        var clip = await decoder.DecodeAsync(clips.Ntsc40, new Preprocessing(Sampling: FrameSampling.ByFps, TargetFps: 8, Width: 32, Height: 32));
        Assert.Equal(30000.0 / 1001, clip.Source.Fps, 9);
        // stride 3.7463: frame 14 at i = 4 (a 30 fps clip would give 15).
        int[] expected = [0, 3, 7, 11, 14, 18, 22, 26];
        Assert.Equal(expected, clip.Indices);
        Assert.Equal(expected, DecodedIndices(clip));
    }

    [Fact]
    public async Task Pixels_match_the_encoded_colours_within_codec_tolerance()
    {
        var clip = await decoder.DecodeAsync(clips.Colours16, new Preprocessing(Width: 64, Height: 64));
        Assert.Equal([0, 1, 3, 5, 7, 9, 11, 13], clip.Indices);
        var worst = 0;
        for (var t = 0; t < clip.FrameCount; t++)
        {
            var (r, g, b) = VideoTestClips.Colour(clip.Indices[t]);
            var frame = clip.Frame(t);
            for (var p = 0; p < frame.Length; p += 3)
                worst = Math.Max(worst, Math.Max(Math.Abs(frame[p] - r), Math.Max(Math.Abs(frame[p + 1] - g), Math.Abs(frame[p + 2] - b))));
        }
        Assert.InRange(worst, 0, CodecTolerance);
    }

    [Fact]
    public async Task Odd_size_and_rate_keep_geometry_and_frame_order()
    {
        var clip = await decoder.DecodeAsync(clips.Square97x61, new Preprocessing(Width: 97, Height: 61));
        Assert.Equal((97, 61, 12, 7.5), (clip.Source.Width, clip.Source.Height, clip.Source.FrameCount, clip.Source.Fps));
        // 12 frames: step 11/8 = 1.375 -> 0, 1.375, 2.75, 4.125, 5.5, 6.875, 8.25, 9.625.
        Assert.Equal([0, 1, 2, 4, 5, 6, 8, 9], clip.Indices);
        for (var t = 0; t < clip.FrameCount; t++)
        {
            var (x0, y0) = VideoTestClips.SquareOrigin(clip.Indices[t]);
            var side = VideoTestClips.SquareSide;
            // Inside the square (one pixel in from its edge) white, well outside black.
            Assert.True(clip.Pixel(t, x0 + side / 2, y0 + side / 2).R > 255 - CodecTolerance, $"frame {t}: square centre not white");
            Assert.True(clip.Pixel(t, x0 + 1, y0 + 1).G > 255 - 3 * CodecTolerance, $"frame {t}: square corner not white");
            Assert.True(clip.Pixel(t, x0 + side + 4, y0 + side / 2).B < CodecTolerance, $"frame {t}: right of the square not black");
            Assert.True(clip.Pixel(t, x0 + side / 2, y0 - 4).R < CodecTolerance, $"frame {t}: above the square not black");
        }
    }

    [Fact]
    public async Task A_clip_shorter_than_k_repeats_frames()
    {
        var clip = await decoder.DecodeAsync(clips.Colours5, new Preprocessing(Width: 16, Height: 16));
        int[] expected = [0, 0, 1, 1, 2, 2, 3, 3];
        Assert.Equal(expected, clip.Indices);
        Assert.Equal(expected, DecodedIndices(clip));
        Assert.True(clip.Frame(0).SequenceEqual(clip.Frame(1)), "a repeated index must give identical frames");
        Assert.True(clip.Frame(6).SequenceEqual(clip.Frame(7)));
        Assert.Equal(8 * 16 * 16 * 3, clip.Frames.Length);
    }

    [Fact]
    public async Task A_stated_count_that_is_too_high_is_recounted_by_decoding()
    {
        // As if the container claimed 100 frames: the paper rule would ask for frames up to 87 of the 81 there are.
        var probed = await VideoProbe.ProbeAsync(clips.Colours81, decoder.Tools);
        var overstated = probed with { FrameCount = 100, FrameCountSource = FrameCountSource.ContainerNbFrames };
        var clip = await decoder.DecodeAsync(overstated, new Preprocessing(Width: 8, Height: 8));
        Assert.Equal((81, FrameCountSource.DecodedFrames), (clip.Source.FrameCount, clip.Source.FrameCountSource));
        Assert.Equal([0, 10, 20, 30, 40, 50, 60, 70], DecodedIndices(clip));
    }

    [Fact]
    public async Task Letterbox_pads_black_and_centres_wide_content()
    {
        // 160x90 into 64x64: content 64x36, padding (64 - 36) / 2 = 14 rows above and below.
        var clip = await decoder.DecodeAsync(clips.WhiteWide, new Preprocessing(Frames: 2, Width: 64, Height: 64, Resize: ResizeMode.Letterbox));
        for (var x = 0; x < 64; x++)
        {
            for (var y = 0; y < 14; y++) Assert.Equal(((byte)0, (byte)0, (byte)0), clip.Pixel(0, x, y));
            for (var y = 50; y < 64; y++) Assert.Equal(((byte)0, (byte)0, (byte)0), clip.Pixel(1, x, y));
            for (var y = 16; y < 48; y++) Assert.True(clip.Pixel(0, x, y).G > 255 - CodecTolerance, $"({x},{y}) should be white content");
        }
    }

    [Fact]
    public async Task Letterbox_pads_columns_of_tall_content_and_squash_fills()
    {
        var letterbox = await decoder.DecodeAsync(clips.WhiteTall, new Preprocessing(Frames: 1, Width: 64, Height: 64, Resize: ResizeMode.Letterbox));
        for (var y = 0; y < 64; y++)
        {
            Assert.Equal(((byte)0, (byte)0, (byte)0), letterbox.Pixel(0, 13, y));
            Assert.Equal(((byte)0, (byte)0, (byte)0), letterbox.Pixel(0, 50, y));
            Assert.True(letterbox.Pixel(0, 32, y).R > 255 - CodecTolerance);
        }
        var squash = await decoder.DecodeAsync(clips.WhiteTall, new Preprocessing(Frames: 1, Width: 64, Height: 64, Resize: ResizeMode.Squash));
        Assert.True(squash.Pixel(0, 0, 0).R > 255 - CodecTolerance && squash.Pixel(0, 63, 32).R > 255 - CodecTolerance, "squash must not pad");
    }

    [Fact]
    public async Task ToTensor_is_channels_first_float_in_unit_range()
    {
        var clip = await decoder.DecodeAsync(clips.Square97x61, new Preprocessing(Width: 20, Height: 12));
        using var tensor = clip.ToTensor();
        Assert.Equal([8L, 3, 12, 20], tensor.shape);
        Assert.Equal(torch.float32, tensor.dtype);
        Assert.True(tensor.is_contiguous());
        foreach (var (t, c, y, x) in new[] { (0, 0, 0, 0), (3, 1, 5, 7), (7, 2, 11, 19), (5, 0, 6, 13) })
        {
            var expected = clip.Frames[((t * 12 + y) * 20 + x) * 3 + c] / 255f;
            Assert.Equal(expected, tensor[t, c, y, x].item<float>(), 6);
        }
        Assert.InRange(tensor.min().item<float>(), 0f, 1f);
        Assert.InRange(tensor.max().item<float>(), 0f, 1f);
    }

    [Fact]
    public async Task DecodeMany_returns_clips_in_input_order()
    {
        string[] paths = [clips.Colours16, clips.Colours81, clips.Colours5, clips.Colours16];
        var progress = new List<int>();
        var decoded = await decoder.DecodeManyAsync(paths, new Preprocessing(Width: 16, Height: 16), maxParallel: 2,
            progress: new SynchronousProgress(progress.Add));
        Assert.Equal(paths, decoded.Select(c => c.Source.Path));
        Assert.Equal([0, 1, 3, 5, 7, 9, 11, 13], DecodedIndices(decoded[0]));
        Assert.Equal([0, 10, 20, 30, 40, 50, 60, 70], DecodedIndices(decoded[1]));
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], DecodedIndices(decoded[2]));
        Assert.Equal(decoded[0].Frames, decoded[3].Frames);
        Assert.Equal([1, 2, 3, 4], progress.Order());
    }

    [Theory]
    [InlineData(ResizeMode.Squash)]
    [InlineData(ResizeMode.Letterbox)]
    public async Task The_printed_command_line_gives_the_bytes_the_decoder_returns(ResizeMode resize)
    {
        // The benchmark's reference runs this command line; it must be the decoder's exact work.
        var preprocessing = new Preprocessing(Width: 40, Height: 40, Resize: resize);
        var clip = await decoder.DecodeAsync(clips.Colours81, preprocessing);
        var command = VideoDecoder.CommandLine(decoder.Tools.FfmpegPath, clips.Colours81, clip.Indices.Distinct().ToArray(), preprocessing);
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var shell = System.Diagnostics.Process.Start(start)!;
        using var output = new MemoryStream();
        await shell.StandardOutput.BaseStream.CopyToAsync(output);
        await shell.WaitForExitAsync();
        Assert.Equal(0, shell.ExitCode);
        Assert.Equal(clip.Frames, output.ToArray());
    }

    [Fact]
    public async Task Zero_byte_file_fails_naming_the_path()
    {
        var path = Path.Combine(clips.Dir, "empty.mp4");
        await File.WriteAllBytesAsync(path, []);
        var error = await Assert.ThrowsAsync<VideoDecodeException>(() => decoder.DecodeAsync(path, Preprocessing.Default));
        Assert.Equal(path, error.VideoPath);
        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
        Assert.Contains("Invalid data", error.FfmpegMessage);
    }

    [Fact]
    public async Task Truncated_file_fails_naming_the_path()
    {
        // ffmpeg's mp4 muxer writes the index (moov) last, so the first half of a file has frames but no index.
        var path = Path.Combine(clips.Dir, "truncated.mp4");
        var bytes = await File.ReadAllBytesAsync(clips.Colours81);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);
        var error = await Assert.ThrowsAsync<VideoDecodeException>(() => decoder.DecodeAsync(path, Preprocessing.Default));
        Assert.Contains(path, error.Message);
        Assert.Contains("moov atom not found", error.FfmpegMessage);
    }

    [Fact]
    public async Task Truncated_faststart_file_fails_when_sampled_frames_are_missing()
    {
        // With the index first (faststart) the header promises 81 frames; cutting the file loses the later ones.
        var faststart = Path.Combine(clips.Dir, "faststart.mp4");
        VideoTestClips.Ffmpeg("-i", clips.Colours81, "-c", "copy", "-movflags", "+faststart", faststart);
        var path = Path.Combine(clips.Dir, "faststart-truncated.mp4");
        var bytes = await File.ReadAllBytesAsync(faststart);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length * 6 / 10)]);
        var error = await Assert.ThrowsAsync<VideoDecodeException>(() => decoder.DecodeAsync(path, new Preprocessing(Width: 48, Height: 32)));
        Assert.Contains(path, error.Message);
        Assert.Contains("frames", error.Problem);
        Assert.NotEqual("", error.FfmpegMessage);
    }

    [Fact]
    public async Task Text_file_fails_naming_the_path()
    {
        var path = Path.Combine(clips.Dir, "notes.txt");
        await File.WriteAllTextAsync(path, "these are notes about a video, not a video\n");
        var error = await Assert.ThrowsAsync<VideoDecodeException>(() => decoder.DecodeAsync(path, Preprocessing.Default));
        Assert.Contains(path, error.Message);
        Assert.Contains("Invalid data", error.FfmpegMessage);
    }

    [Fact]
    public async Task Missing_file_fails_naming_the_path()
    {
        var path = Path.Combine(clips.Dir, "no-such-clip.mp4");
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => decoder.DecodeAsync(path, Preprocessing.Default));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public async Task A_process_past_its_timeout_is_killed_and_reported()
    {
        var impatient = new VideoDecoder(new FfmpegTools(timeout: TimeSpan.FromMilliseconds(1)));
        var error = await Assert.ThrowsAsync<VideoDecodeException>(() => impatient.DecodeAsync(clips.Colours81, Preprocessing.Default));
        Assert.Contains("timed out", error.Problem);
        Assert.Contains(clips.Colours81, error.Message);
    }

    sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        readonly object gate = new();
        public void Report(int value) { lock (gate) report(value); }
    }
}

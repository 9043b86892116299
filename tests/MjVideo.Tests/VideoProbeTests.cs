using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>The in-process MP4 reader agrees with ffprobe's exact decoded count; other containers and cut files are
/// counted by ffprobe.</summary>
[Collection(VideoClipsCollection.Name)]
public class VideoProbeTests(VideoTestClips clips)
{
    readonly FfmpegTools tools = new();

    public static TheoryData<string, int, int, int, double> Files => new()
    {
        { "colours81.mp4", 81, 48, 32, 8 },
        { "colours16.mp4", 16, 64, 64, 8 },
        { "colours5.mp4", 5, 32, 32, 8 },
        { "ntsc40.mp4", 40, 32, 32, 30000.0 / 1001 },
        { "square97x61.mp4", 12, 97, 61, 7.5 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Mp4_header_gives_the_decoded_frame_count_rate_and_size(string name, int frames, int width, int height, double fps)
    {
        var path = Path.Combine(clips.Dir, name);
        var header = await VideoProbe.ProbeAsync(path, tools);
        var decoded = await VideoProbe.ProbeWithFfprobeAsync(path, tools, countFrames: true);

        Assert.Equal(FrameCountSource.Mp4SampleTable, header.FrameCountSource);
        Assert.Equal(FrameCountSource.DecodedFrames, decoded.FrameCountSource);
        Assert.Equal((frames, width, height), (header.FrameCount, header.Width, header.Height));
        Assert.Equal((frames, width, height), (decoded.FrameCount, decoded.Width, decoded.Height));
        Assert.Equal(fps, header.Fps, 9);
        Assert.Equal(fps, decoded.Fps, 9);
        Assert.Equal(frames / fps, header.DurationSeconds, 6);
        Assert.Equal(header.DurationSeconds, decoded.DurationSeconds, 3);
    }

    [Fact]
    public async Task Matroska_states_no_count_so_packets_are_counted()
    {
        var mkv = Path.Combine(clips.Dir, "colours16.mkv");
        VideoTestClips.Ffmpeg("-i", clips.Colours16, "-c", "copy", mkv);
        var info = await VideoProbe.ProbeAsync(mkv, tools);
        Assert.Equal(FrameCountSource.PacketCount, info.FrameCountSource);
        Assert.Equal((16, 64, 64), (info.FrameCount, info.Width, info.Height));
        Assert.Equal(8, info.Fps, 6);

        // and it decodes like the mp4 it came from
        var clip = await new VideoDecoder(tools).DecodeAsync(mkv, new Preprocessing(Width: 8, Height: 8));
        Assert.Equal([0, 1, 3, 5, 7, 9, 11, 13], clip.Indices);
        Assert.Equal(7, VideoTestClips.IndexOfColour(clip.Pixel(4, 4, 4)));
    }

    [Fact]
    public async Task An_edit_list_that_hides_frames_is_counted_by_decoding()
    {
        // A stream copy that starts at 0.5 s keeps all 81 samples but hides the first 4 frames (8 fps) behind an edit
        // list: nb_frames still says 81; 77 frames come out of the decoder.
        var cut = Path.Combine(clips.Dir, "cut.mp4");
        VideoTestClips.Ffmpeg("-ss", "0.5", "-i", clips.Colours81, "-c", "copy", cut);
        var stated = await VideoProbe.ProbeWithFfprobeAsync(cut, tools, countFrames: false);
        Assert.Equal(81, stated.FrameCount);

        var info = await VideoProbe.ProbeAsync(cut, tools);
        Assert.Equal(FrameCountSource.DecodedFrames, info.FrameCountSource);
        Assert.Equal(77, info.FrameCount);

        // 77 frames: step 76/8 = 9.5 -> 0, 9, 19, 28, 38, 47, 57, 66; the first visible frame is source frame 4.
        var clip = await new VideoDecoder(tools).DecodeAsync(cut, new Preprocessing(Width: 8, Height: 8));
        Assert.Equal([0, 9, 19, 28, 38, 47, 57, 66], clip.Indices);
        Assert.Equal([4, 13, 23, 32, 42, 51, 61, 70],
            Enumerable.Range(0, 8).Select(t => VideoTestClips.IndexOfColour(clip.Pixel(t, 4, 4))));
    }
}

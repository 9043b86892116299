using MjVideo.Core;
using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>The clip cache: a hit starts no process and returns the same bytes; damaged entries are re-decoded.</summary>
[Collection(VideoClipsCollection.Name)]
public class VideoCacheTests(VideoTestClips clips)
{
    static readonly Preprocessing Small = new(Width: 16, Height: 16);

    /// <summary>Tools that cannot start anything: a decode that needed ffmpeg would fail.</summary>
    static FfmpegTools Unrunnable() => new("/nonexistent/ffmpeg", "/nonexistent/ffprobe");

    [Fact]
    public async Task A_hit_returns_identical_bytes_without_running_ffmpeg()
    {
        var dir = RepoPaths.NewTempDir("clipcache");
        var first = new VideoDecoder(new FfmpegTools(), new ClipCache(dir));
        var decoded = await first.DecodeAsync(clips.Colours16, Small);
        Assert.Equal(1, first.Tools.ProcessesStarted);
        Assert.Equal((0, 1), (first.Cache!.Hits, first.Cache.Misses));

        var offline = new VideoDecoder(Unrunnable(), new ClipCache(dir));
        var cached = await offline.DecodeAsync(clips.Colours16, Small);
        Assert.Equal(0, offline.Tools.ProcessesStarted);
        Assert.Equal(1, offline.Cache!.Hits);
        Assert.Equal(decoded.Frames, cached.Frames);
        Assert.Equal(decoded.Indices, cached.Indices);
        Assert.Equal(decoded.Source, cached.Source);
        Assert.Equal((16, 16), (cached.Width, cached.Height));
    }

    [Fact]
    public async Task The_key_follows_content_and_preprocessing_not_the_path()
    {
        var dir = RepoPaths.NewTempDir("clipcache");
        var decoder = new VideoDecoder(new FfmpegTools(), new ClipCache(dir));
        var original = await decoder.DecodeAsync(clips.Colours16, Small);

        // The same bytes under another name hit, and report the name asked for.
        var copy = Path.Combine(dir, "copy-of-colours16.mp4");
        File.Copy(clips.Colours16, copy);
        var offline = new VideoDecoder(Unrunnable(), new ClipCache(dir));
        var fromCopy = await offline.DecodeAsync(copy, Small);
        Assert.Equal(original.Frames, fromCopy.Frames);
        Assert.Equal(copy, fromCopy.Source.Path);

        // Another size is another entry.
        var bigger = await decoder.DecodeAsync(clips.Colours16, Small with { Width = 32 });
        Assert.Equal(32, bigger.Width);
        Assert.Equal(2, decoder.Tools.ProcessesStarted);
        Assert.NotEqual(decoder.Cache!.KeyFor(clips.Colours16, Small), decoder.Cache.KeyFor(clips.Colours16, Small with { Width = 32 }));
    }

    [Fact]
    public void The_default_folder_is_the_workbooks_git_ignored_cache()
    {
        var cache = ClipCache.InWorkbook(Workbook.Open(startDirectory: RepoPaths.Root));
        Assert.Equal(Path.Combine(RepoPaths.Root, "data", "cache", "clips"), cache.Directory);
        Assert.Contains("data/cache/", File.ReadAllLines(Path.Combine(RepoPaths.Root, ".gitignore")));
    }

    [Theory]
    [InlineData("flip a payload byte")]
    [InlineData("truncate")]
    [InlineData("wrong magic")]
    public async Task A_damaged_entry_is_detected_and_decoded_again(string damage)
    {
        var dir = RepoPaths.NewTempDir("clipcache");
        var decoder = new VideoDecoder(new FfmpegTools(), new ClipCache(dir));
        var original = await decoder.DecodeAsync(clips.Colours81, Small);
        var entry = decoder.Cache!.EntryPath(decoder.Cache.KeyFor(clips.Colours81, Small));
        var bytes = await File.ReadAllBytesAsync(entry);
        switch (damage)
        {
            case "flip a payload byte": bytes[bytes.Length / 2] ^= 0x40; break;
            case "truncate": bytes = bytes[..(bytes.Length - 100)]; break;
            case "wrong magic": bytes[0] = (byte)'X'; break;
        }
        await File.WriteAllBytesAsync(entry, bytes);

        var again = new VideoDecoder(new FfmpegTools(), new ClipCache(dir));
        var redecoded = await again.DecodeAsync(clips.Colours81, Small);
        Assert.Equal(1, again.Cache!.Rejected);
        Assert.Equal(1, again.Tools.ProcessesStarted);
        Assert.Equal(original.Frames, redecoded.Frames);

        // The entry was rewritten whole: the next decode hits without ffmpeg.
        var offline = new VideoDecoder(Unrunnable(), new ClipCache(dir));
        Assert.Equal(original.Frames, (await offline.DecodeAsync(clips.Colours81, Small)).Frames);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }
}

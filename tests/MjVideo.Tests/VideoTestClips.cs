using System.Diagnostics;
using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>
/// Clips encoded once for the video tests from frames whose content encodes their index, so that a decoded frame says
/// which source frame it was: either the whole frame is one colour (<see cref="Colour"/>), or a white square sits at a
/// position that moves with the index (<see cref="SquareOrigin"/>).
/// </summary>
public sealed class VideoTestClips : IDisposable
{
    public string Dir { get; } = RepoPaths.NewTempDir("video");

    /// <summary>81 colour frames, 48x32, 8 fps: the paper's example length.</summary>
    public string Colours81 { get; }
    /// <summary>16 colour frames, 64x64, 8 fps: SynthBench's shape.</summary>
    public string Colours16 { get; }
    /// <summary>5 colour frames, 32x32: shorter than the 8 frames sampled.</summary>
    public string Colours5 { get; }
    /// <summary>40 colour frames, 32x32, at NTSC's 30000/1001 fps.</summary>
    public string Ntsc40 { get; }
    /// <summary>12 frames at an odd size, 97x61, and 7.5 fps: a white 8x8 square on black at <see cref="SquareOrigin"/>.</summary>
    public string Square97x61 { get; }
    /// <summary>4 white frames, 160x90 (16:9) and 90x160, for letterboxing.</summary>
    public string WhiteWide { get; }
    public string WhiteTall { get; }

    public VideoTestClips()
    {
        Colours81 = Encode("colours81.mp4", 48, 32, 81, ColourFrame, new EncodeOptions());
        Colours16 = Encode("colours16.mp4", 64, 64, 16, ColourFrame, new EncodeOptions());
        Colours5 = Encode("colours5.mp4", 32, 32, 5, ColourFrame, new EncodeOptions());
        Ntsc40 = Encode("ntsc40.mp4", 32, 32, 40, ColourFrame, new EncodeOptions(Fps: 30000.0 / 1001));
        Square97x61 = Encode("square97x61.mp4", 97, 61, 12, SquareFrame, new EncodeOptions(Fps: 7.5));
        WhiteWide = Encode("white160x90.mp4", 160, 90, 4, (w, h, _) => Filled(w, h, (255, 255, 255)), new EncodeOptions());
        WhiteTall = Encode("white90x160.mp4", 90, 160, 4, (w, h, _) => Filled(w, h, (255, 255, 255)), new EncodeOptions());
    }

    string Encode(string name, int width, int height, int frames, Func<int, int, int, byte[]> frame, EncodeOptions options)
    {
        var path = Path.Combine(Dir, name);
        VideoEncoder.EncodeAsync(Enumerable.Range(0, frames).Select(i => frame(width, height, i)), width, height, path, options)
            .GetAwaiter().GetResult();
        return path;
    }

    /// <summary>Frame i's colour: i in base 6, one digit per channel, levels 20, 60, ..., 220 (40 apart, so a decoded
    /// colour off by less than 20 still names its frame).</summary>
    public static (byte R, byte G, byte B) Colour(int i) =>
        ((byte)(20 + 40 * (i % 6)), (byte)(20 + 40 * (i / 6 % 6)), (byte)(20 + 40 * (i / 36 % 6)));

    /// <summary>The frame index a decoded colour names.</summary>
    public static int IndexOfColour((byte R, byte G, byte B) c)
    {
        static int Digit(byte v) => (int)Math.Round((v - 20) / 40.0);
        return Digit(c.R) + 6 * Digit(c.G) + 36 * Digit(c.B);
    }

    public static byte[] ColourFrame(int width, int height, int i) => Filled(width, height, Colour(i));

    public static byte[] Filled(int width, int height, (byte R, byte G, byte B) c)
    {
        var frame = new byte[width * height * 3];
        for (var p = 0; p < frame.Length; p += 3) (frame[p], frame[p + 1], frame[p + 2]) = c;
        return frame;
    }

    /// <summary>Top-left corner of frame i's white square in the 97x61 clip.</summary>
    public static (int X, int Y) SquareOrigin(int i) => (3 + 7 * i, 5 + 3 * i);
    public const int SquareSide = 8;

    public static byte[] SquareFrame(int width, int height, int i)
    {
        var frame = new byte[width * height * 3];
        var (x0, y0) = SquareOrigin(i);
        for (var y = y0; y < y0 + SquareSide; y++)
            for (var x = x0; x < x0 + SquareSide; x++)
                frame.AsSpan((y * width + x) * 3, 3).Fill(255);
        return frame;
    }

    /// <summary>Runs the ffmpeg command line (for remuxing test files); fails the test with ffmpeg's message.</summary>
    public static void Ffmpeg(params string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-nostdin", "-v", "error", "-y" }.Concat(arguments)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg {string.Join(' ', arguments)} failed: {errors}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class VideoClipsCollection : ICollectionFixture<VideoTestClips>
{
    public const string Name = "video clips";
}

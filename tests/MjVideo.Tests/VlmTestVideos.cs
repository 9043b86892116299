using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using MjVideo.Data;
using MjVideo.Taxonomy;
using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>
/// Videos for the VLM tests, encoded once per collection: clips whose frames name their index by colour
/// (<see cref="VideoTestClips.Colour"/>), and four one-colour clips with a tiny release dataset over them.
/// </summary>
public sealed class VlmTestVideos : IDisposable
{
    public string Dir { get; } = RepoPaths.NewTempDir("vlm-videos");

    /// <summary>120 frames, 32x24, 25 fps: long enough for the every-50th rule (frames 0, 50, 100).</summary>
    public string Colours120 { get; }
    /// <summary>16 frames, 32x32, 8 fps: SynthBench's length.</summary>
    public string Colours16 { get; }

    public static readonly (byte R, byte G, byte B) Red = (220, 20, 20), Blue = (20, 20, 220), Green = (20, 220, 20), Grey = (128, 128, 128);

    /// <summary>A release file over test/{red,blue,green,grey}.mp4 (16 frames, 32x32):
    /// pair 0 red vs blue, pair 1 green vs grey, pair 2 red vs green with pair 0's caption (red is asked about once).</summary>
    public string DatasetFile { get; }
    public string VideosRoot { get; }
    public static readonly string[] Captions = ["a red square", "a green field"];

    public VlmTestVideos()
    {
        Colours120 = Encode(Path.Combine(Dir, "colours120.mp4"), 32, 24, 120, 25, VideoTestClips.ColourFrame);
        Colours16 = Encode(Path.Combine(Dir, "colours16.mp4"), 32, 32, 16, 8, VideoTestClips.ColourFrame);

        VideosRoot = Path.Combine(Dir, "videos");
        foreach (var (name, colour) in new[] { ("red", Red), ("blue", Blue), ("green", Green), ("grey", Grey) })
            Encode(Path.Combine(VideosRoot, "test", name + ".mp4"), 32, 32, 16, 8, (w, h, _) => VideoTestClips.Filled(w, h, colour));
        DatasetFile = Path.Combine(Dir, "test.json");
        ReleaseWriter.Write(DatasetFile,
        [
            Pair(0, Captions[0], "red", "blue", PreferenceLabel.Video1Better),
            Pair(1, Captions[1], "green", "grey", PreferenceLabel.Video1Better),
            Pair(2, Captions[0], "red", "green", PreferenceLabel.Video1Better),
        ]);
    }

    static PreferencePair Pair(int index, string caption, string video0, string video1, PreferenceLabel overall)
    {
        var labels = new VideoAnnotation(new int[MjTaxonomy.CriterionCount], new int[MjTaxonomy.AspectCount], 0);
        return new PreferencePair
        {
            SourceFile = "test.json", Index = index, Caption = caption,
            Video0 = $"test/{video0}.mp4", Video1 = $"test/{video1}.mp4",
            Labels0 = labels, Labels1 = labels, Overall = overall,
        };
    }

    static string Encode(string path, int width, int height, int frames, double fps, Func<int, int, int, byte[]> frame)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        VideoEncoder.EncodeAsync(Enumerable.Range(0, frames).Select(i => frame(width, height, i)), width, height, path,
            new EncodeOptions(Fps: fps)).GetAwaiter().GetResult();
        return path;
    }

    public PreferenceDataset ReadDataset() => ReleaseReader.Read(DatasetFile, VideosRoot, failOnMissingVideos: true);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class VlmVideosCollection : ICollectionFixture<VlmTestVideos>
{
    public const string Name = "vlm videos";
}

/// <summary>Reading PNGs back in the tests: through ffmpeg (an independent decoder) and a minimal reader of the
/// encoder's own layout (filter type 0 rows, RGB 8-bit) for the fake server, which must answer quickly.</summary>
public static class TestPng
{
    /// <summary>ffmpeg's decoding of a PNG to rgb24.</summary>
    public static byte[] DecodeWithFfmpeg(byte[] png)
    {
        var path = Path.Combine(RepoPaths.NewTempDir("png"), "image.png");
        File.WriteAllBytes(path, png);
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg could not decode the PNG: {errors.Result}");
        return output.ToArray();
    }

    public static (int Width, int Height, byte[] Rgb) Read(byte[] png)
    {
        var (width, height) = (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        using var idat = new MemoryStream();
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            if (png.AsSpan(offset + 4, 4).SequenceEqual("IDAT"u8)) idat.Write(png, offset + 8, length);
            offset += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        var raw = inflated.ToArray();
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            Assert.Equal(0, raw[y * (width * 3 + 1)]);
            Buffer.BlockCopy(raw, y * (width * 3 + 1) + 1, rgb, y * width * 3, width * 3);
        }
        return (width, height, rgb);
    }
}

using System.Buffers;
using System.Text;
using System.Text.Unicode;
using MjVideo.Data;
using MjVideo.Synth;

namespace MjVideo.Tests;

/// <summary>The reliability cases checked through the library (issue "Reliability"): each failed before its fix.</summary>
public class ReliabilityTests
{
    // ---- 1. a split mixed from two generation runs ----

    [Fact]
    public async Task A_split_whose_video_comes_from_another_generation_run_fails_naming_that_file()
    {
        var root = RepoPaths.NewTempDir("mixed");
        var families = new[] { PreferenceRules.Parse("additive") };
        var writer = new SynthBenchWriter();
        await writer.WriteAsync(new SynthConfig("test", 2, 1, 64, 16), Path.Combine(root, "seed-1"), families);
        await writer.WriteAsync(new SynthConfig("test", 2, 2, 64, 16), Path.Combine(root, "seed-2"), families);
        var replaced = Path.Combine(root, "seed-1", "videos", "test", "1_0.mp4");
        File.Copy(Path.Combine(root, "seed-2", "videos", "test", "1_0.mp4"), replaced, overwrite: true);

        var e = Assert.Throws<DatasetFormatException>(() =>
            ReleaseReader.Read(Path.Combine(root, "seed-1", "test.json"), Path.Combine(root, "seed-1", "videos")));

        Assert.Contains(replaced, e.Message);
        Assert.Equal(replaced, e.File);
        Directory.Delete(root, recursive: true);
    }

    sealed class CancelOnFirstReport(CancellationTokenSource source) : IProgress<int>
    {
        public void Report(int value) => source.Cancel();
    }

    [Fact]
    public async Task A_generation_stopped_half_way_leaves_nothing_in_place()
    {
        var root = RepoPaths.NewTempDir("stopped");
        using var stop = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SynthBenchWriter().WriteAsync(new SynthConfig("test", 8, 1, 64, 16),
            root, [PreferenceRules.Parse("additive")], new CancelOnFirstReport(stop), stop.Token));

        Assert.False(File.Exists(Path.Combine(root, "test.json")));
        Assert.False(Directory.Exists(Path.Combine(root, "videos", "test")), "no clip of an unfinished split may be in place");
        Assert.Empty(Directory.GetDirectories(root));
        Directory.Delete(root, recursive: true);
    }

    // ---- 5. bytes that are not UTF-8 ----

    [Fact]
    public void Bytes_that_are_not_utf8_in_a_dataset_file_are_an_error_naming_the_file_and_byte_offset()
    {
        var text = File.ReadAllBytes(DataFixtures.Small);
        var caption = Encoding.UTF8.GetBytes("A red ball");
        var offset = text.AsSpan().IndexOf(caption) + 2;   // inside the first caption, where a Latin-1 "é" would be
        var broken = text.ToArray();
        broken[offset] = 0xE9;
        var file = Path.Combine(RepoPaths.NewTempDir("latin1"), "test.json");
        File.WriteAllBytes(file, broken);

        var e = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(file));

        Assert.Equal(file, e.File);
        Assert.Contains($"byte {offset}", e.Message);
        Assert.Contains("UTF-8", e.Message);
    }

    // ---- 10. the random-bytes file points at the right byte ----

    [Fact]
    public void A_file_of_random_bytes_is_refused_at_its_first_invalid_byte()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        bytes[0] = (byte)'[';   // starts like JSON, so the byte offset is the first thing that can be wrong
        var file = Path.Combine(RepoPaths.NewTempDir("random"), "test.json");
        File.WriteAllBytes(file, bytes);
        // The offset of the first invalid byte as .NET's own UTF-8 decoder finds it.
        var status = Utf8.ToUtf16(bytes, new char[bytes.Length * 2], out var validBytes, out _, replaceInvalidSequences: false);
        Assert.Equal(OperationStatus.InvalidData, status);

        var e = Assert.Throws<DatasetFormatException>(() => ReleaseReader.Read(file));

        Assert.Contains($"byte {validBytes} ", e.Message);
        Assert.Contains($"0x{bytes[validBytes]:X2}", e.Message);
    }
}

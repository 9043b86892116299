using System.Diagnostics;
using FFMpegCore;
using FFMpegCore.Pipes;
using MjVideo.Core;

namespace MjVideo.Video;

public sealed record DecodeBenchOptions(
    int Repeats = 5,
    int SmallClips = 24,
    int RealClipsPerSize = 2,
    int? Parallelism = null,
    string? WorkDir = null,
    bool KeepClips = false);

/// <summary>One kind of clip decoded one at a time: the library, the same ffmpeg command line, and FFMpegCore's pipe.</summary>
public sealed record DecodeBenchRow(
    string Kind, int Clips, string Source, string Preprocessing, string Target,
    double DecodeClipsPerS, double ReferenceClipsPerS, double FfmpegcoreClipsPerS, string ReferenceCommand)
{
    public double DecodeRatio => DecodeClipsPerS / ReferenceClipsPerS;
    public double FfmpegcoreRatio => FfmpegcoreClipsPerS / ReferenceClipsPerS;
}

/// <summary>All clips of a kind at once: DecodeManyAsync against the same number of command lines, the same number at a time.</summary>
public sealed record DecodeBenchParallelRow(string Kind, int Clips, int Parallelism, double DecodeClipsPerS, double ReferenceClipsPerS)
{
    public double DecodeRatio => DecodeClipsPerS / ReferenceClipsPerS;
}

/// <summary>Probing the small clips: the library (MP4 sample table read in-process) against the ffprobe command line.</summary>
public sealed record DecodeBenchProbeRow(int Clips, double LibraryMsPerClip, double FfprobeMsPerClip, string FfprobeCommand)
{
    public double Speedup => FfprobeMsPerClip / LibraryMsPerClip;
}

public sealed record DecodeBenchResult(
    IReadOnlyList<DecodeBenchRow> Sequential, IReadOnlyList<DecodeBenchParallelRow> Parallel, DecodeBenchProbeRow Probe,
    int Repeats, int Cores, string Ffmpeg, double SetupSeconds, string Note)
{
    /// <summary>The target: sampled decoding at least 0.8 of the command line's throughput.</summary>
    public const double TargetRatio = 0.8;

    public IReadOnlyList<PerformanceRow> PerformanceRows() =>
    [
        ..Sequential.Select(r => new PerformanceRow("decode_ratio",
            $"sampled decoding, {r.Kind} ({r.Source}) to {r.Target}, one clip at a time", r.DecodeClipsPerS, "clips/s",
            r.ReferenceClipsPerS, "ffmpeg command line, same filter graph, pixel format, size and thread flags", r.DecodeRatio, TargetRatio)),
        ..Parallel.Select(r => new PerformanceRow("decode_parallel_ratio",
            $"sampled decoding, {r.Kind}, {r.Parallelism} clips at a time", r.DecodeClipsPerS, "clips/s",
            r.ReferenceClipsPerS, $"the same command lines, {r.Parallelism} at a time", r.DecodeRatio, TargetRatio)),
    ];
}

/// <summary>
/// `mjvideo bench decode`: encodes its own clips (real-size 480p and 720p, 5 s at 30 fps; SynthBench-like 64x64, 16
/// frames), then measures sampled decoding (paper rule, 8 frames, 224x224 for real-size and 64x64 for small clips) of
/// <see cref="VideoDecoder"/> against the ffmpeg command line running exactly the same arguments with its output sent to
/// /dev/null, interleaved, medians over repetitions. The library's time includes everything it does per clip (probe,
/// process, reading the pipe, building the clip); the command line is given the frame indices for free.
/// </summary>
public static class DecodeBenchmark
{
    sealed record Kind(string Name, string Source, string[] Paths, Preprocessing Preprocessing);

    public static async Task<DecodeBenchResult> RunAsync(DecodeBenchOptions options, Action<string> log, CancellationToken cancellation = default)
    {
        if (options.SmallClips <= 0 || options.RealClipsPerSize <= 0) throw new ArgumentException("need at least one clip of each kind");
        var cores = options.Parallelism ?? Environment.ProcessorCount;
        var dir = options.WorkDir ?? Path.Combine(Path.GetTempPath(), $"mjvideo-bench-decode-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            var setup = Stopwatch.StartNew();
            log($"encoding test clips into {dir} ...");
            var kinds = await EncodeClipsAsync(dir, options, cores, cancellation).ConfigureAwait(false);
            var setupSeconds = setup.Elapsed.TotalSeconds;
            log($"encoded {kinds.Sum(k => k.Paths.Length)} clips in {setupSeconds:0.0} s");
            var tools = new FfmpegTools();
            var decoder = new VideoDecoder(tools);

            var sequential = new List<DecodeBenchRow>();
            foreach (var kind in kinds)
            {
                var commands = await ReferenceCommandsAsync(kind, tools, cancellation).ConfigureAwait(false);
                log($"{kind.Name}: {kind.Paths.Length} clips, one at a time ({kind.Preprocessing.Describe()})");
                var seconds = await InterleavedTiming.RunAsync([
                    new("library", async token => { foreach (var path in kind.Paths) await decoder.DecodeAsync(path, kind.Preprocessing, token).ConfigureAwait(false); }),
                    new("command line", async token => { foreach (var c in commands) await RunShellAsync(c.Shell, token).ConfigureAwait(false); }),
                    new("FFMpegCore pipe", async token => { foreach (var c in commands) await RunFfmpegCorePipeAsync(c, token).ConfigureAwait(false); }),
                ], options.Repeats, warmups: 1, log, cancellation).ConfigureAwait(false);
                var p = kind.Preprocessing;
                sequential.Add(new DecodeBenchRow(kind.Name, kind.Paths.Length, kind.Source, p.Describe(), $"{p.Frames} x {p.Width}x{p.Height}",
                    Throughput(kind.Paths.Length, seconds[0]), Throughput(kind.Paths.Length, seconds[1]), Throughput(kind.Paths.Length, seconds[2]),
                    commands[0].Shell));
            }

            var synth = kinds.Single(k => k.Name.StartsWith("synth", StringComparison.Ordinal));
            var probe = await MeasureProbeAsync(synth.Paths, tools, options.Repeats, log, cancellation).ConfigureAwait(false);

            // In parallel: the SynthBench batch, and the real-size clips together (both sizes go to 224x224).
            var parallel = new List<DecodeBenchParallelRow>();
            var real = kinds.Where(k => k.Name.StartsWith("real", StringComparison.Ordinal)).ToArray();
            var groups = new[]
            {
                new Kind($"real 480p+720p", "", real.SelectMany(k => k.Paths).ToArray(), real[0].Preprocessing),
                synth,
            };
            foreach (var group in groups)
            {
                var commands = await ReferenceCommandsAsync(group, tools, cancellation).ConfigureAwait(false);
                log($"{group.Name}: {group.Paths.Length} clips, {cores} at a time");
                var seconds = await InterleavedTiming.RunAsync([
                    new("library DecodeManyAsync", token => decoder.DecodeManyAsync(group.Paths, group.Preprocessing, cores, cancellation: token)),
                    new("command lines", token => Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = cores, CancellationToken = token },
                        async (c, t) => await RunShellAsync(c.Shell, t).ConfigureAwait(false))),
                ], options.Repeats, warmups: 1, log, cancellation).ConfigureAwait(false);
                parallel.Add(new DecodeBenchParallelRow(group.Name, group.Paths.Length, cores,
                    Throughput(group.Paths.Length, seconds[0]), Throughput(group.Paths.Length, seconds[1])));
            }

            return new DecodeBenchResult(sequential, parallel, probe, options.Repeats, Environment.ProcessorCount, await FfmpegVersionAsync().ConfigureAwait(false),
                setupSeconds,
                "medians over interleaved repetitions after one warm-up; ratio = library / command line (higher is better, 1 = parity). " +
                "Shared machines are noisy: compare ratios from the same run, not absolute rates across runs.");
        }
        finally
        {
            if (!options.KeepClips && options.WorkDir is null)
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    static double Throughput(int clips, double[] seconds) => clips / InterleavedTiming.Median(seconds);

    static async Task<DecodeBenchProbeRow> MeasureProbeAsync(string[] paths, FfmpegTools tools, int repeats, Action<string> log,
        CancellationToken cancellation)
    {
        var commands = paths.Select(path =>
            $"exec {Tools.ShellQuote(tools.FfprobePath)} -v error -select_streams v:0 " +
            $"-show_entries stream=width,height,nb_frames,avg_frame_rate,duration -of json {Tools.ShellQuote(path)} > /dev/null").ToArray();
        log($"probe: {paths.Length} small clips");
        var seconds = await InterleavedTiming.RunAsync([
            new("library probe", async token => { foreach (var path in paths) await VideoProbe.ProbeAsync(path, tools, token).ConfigureAwait(false); }),
            new("ffprobe command line", async token => { foreach (var c in commands) await RunShellAsync(c, token).ConfigureAwait(false); }),
        ], repeats, warmups: 1, log, cancellation).ConfigureAwait(false);
        return new DecodeBenchProbeRow(paths.Length, 1000 * InterleavedTiming.Median(seconds[0]) / paths.Length,
            1000 * InterleavedTiming.Median(seconds[1]) / paths.Length, commands[0]);
    }

    // ---- test clips ----

    static async Task<Kind[]> EncodeClipsAsync(string dir, DecodeBenchOptions options, int cores, CancellationToken cancellation)
    {
        // Real videos are 4:2:0 at a moderate quality; x264 may use its threads here (one large clip at a time).
        var realOptions = new EncodeOptions(Fps: 30, Crf: 23, Chroma: ChromaFormat.Yuv420p, Preset: "veryfast", Threads: 0);
        var real224 = new Preprocessing(Frames: 8, Sampling: FrameSampling.PaperLinspace, Width: 224, Height: 224);
        var kinds = new List<Kind>();
        foreach (var (name, width, height) in new[] { ("real 480p", 854, 480), ("real 720p", 1280, 720) })
        {
            var paths = new string[options.RealClipsPerSize];
            for (var i = 0; i < paths.Length; i++)
            {
                paths[i] = Path.Combine(dir, $"{name.Replace(' ', '-')}-{i}.mp4");
                var seed = i;
                await VideoEncoder.EncodeAsync(Enumerable.Range(0, 150).Select(t => SceneFrame(width, height, t, seed)), width, height, paths[i],
                    realOptions, cancellation: cancellation).ConfigureAwait(false);
            }
            kinds.Add(new Kind(name, $"{width}x{height}, 150 frames at 30 fps, yuv420p CRF 23", paths, real224));
        }

        // SynthBench-like: 64x64, 16 frames at 8 fps, the encoder's defaults (yuv444p, CRF 10, one thread), many at once.
        var small = Enumerable.Range(0, options.SmallClips).Select(i => Path.Combine(dir, $"synth-{i:000}.mp4")).ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, small.Length), new ParallelOptions { MaxDegreeOfParallelism = cores, CancellationToken = cancellation },
            async (i, token) => await VideoEncoder.EncodeAsync(Enumerable.Range(0, 16).Select(t => SceneFrame(64, 64, t, 100 + i)), 64, 64, small[i],
                cancellation: token).ConfigureAwait(false)).ConfigureAwait(false);
        kinds.Add(new Kind("synth 64x64", "64x64, 16 frames at 8 fps, yuv444p CRF 10", small, new Preprocessing(Frames: 8, Width: 64, Height: 64)));
        return kinds.ToArray();
    }

    /// <summary>A frame with what makes real video cost something to decode: a drifting gradient, a texture that moves
    /// with it (fine detail, predictable by motion compensation) and boxes crossing the frame. Deterministic in the seed.</summary>
    static byte[] SceneFrame(int width, int height, int t, int seed)
    {
        var frame = new byte[width * height * 3];
        var shift = 2 * t + 7 * seed;
        for (var y = 0; y < height; y++)
        {
            var row = y * width * 3;
            for (var x = 0; x < width; x++)
            {
                var u = (uint)(x + shift) * 73856093u ^ (uint)y * 19349663u ^ (uint)seed * 83492791u;
                var texture = (int)((u * 2654435761u) >> 28) - 8;
                var p = row + 3 * x;
                frame[p] = (byte)Math.Clamp((x + shift) * 255 / width + texture, 0, 255);
                frame[p + 1] = (byte)Math.Clamp(y * 255 / height + texture, 0, 255);
                frame[p + 2] = (byte)Math.Clamp(128 + (x - y + shift) % 96 + texture, 0, 255);
            }
        }
        for (var box = 0; box < 3; box++)
        {
            var side = Math.Max(4, height / (4 + box));
            var x0 = (box * width / 3 + t * (box + 1) * width / 150) % Math.Max(1, width - side);
            var y0 = (box * height / 4 + t * height / 300) % Math.Max(1, height - side);
            for (var y = y0; y < y0 + side; y++)
                frame.AsSpan((y * width + x0) * 3, side * 3).Fill((byte)(60 + 70 * box));
        }
        return frame;
    }

    // ---- the reference command line and FFMpegCore ----

    sealed record ReferenceCommand(string Path, string Filter, int Frames, string Shell);

    /// <summary>The library's own arguments for each clip (indices from a probe done here, outside the timing), as one
    /// command line for `/bin/sh -c`, writing to /dev/null.</summary>
    static async Task<ReferenceCommand[]> ReferenceCommandsAsync(Kind kind, FfmpegTools tools, CancellationToken cancellation)
    {
        var commands = new List<ReferenceCommand>();
        foreach (var path in kind.Paths)
        {
            var info = await VideoProbe.ProbeAsync(path, tools, cancellation).ConfigureAwait(false);
            var unique = FrameSampler.Indices(info.FrameCount, kind.Preprocessing, info.Fps).Distinct().Order().ToArray();
            // exec: the shell replaces itself with ffmpeg instead of forking once more.
            var shell = $"exec {VideoDecoder.CommandLine(tools.FfmpegPath, path, unique, kind.Preprocessing)} > /dev/null";
            commands.Add(new ReferenceCommand(path, VideoDecoder.FilterGraph(unique, kind.Preprocessing), unique.Length, shell));
        }
        return commands.ToArray();
    }

    static async Task RunShellAsync(string command, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /bin/sh");
        var errors = await process.StandardError.ReadToEndAsync(cancellation).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellation).ConfigureAwait(false);
        if (process.ExitCode != 0) throw new InvalidOperationException($"reference command failed ({process.ExitCode}): {command}\n{errors}");
    }

    /// <summary>The same decode through FFMpegCore's OutputToPipe (a named pipe relayed into a stream): the path the
    /// library does not take, measured so the choice stays justified.</summary>
    static async Task RunFfmpegCorePipeAsync(ReferenceCommand command, CancellationToken cancellation)
    {
        using var output = new MemoryStream();
        await FFMpegArguments.FromFileInput(command.Path)
            .OutputToPipe(new StreamPipeSink(output), o => o
                .WithCustomArgument($"-map 0:v:0 -vf \"{command.Filter}\" -frames:v {command.Frames} -fps_mode passthrough")
                .ForceFormat("rawvideo")
                .WithPixelFormat("rgb24"))
            .CancellableThrough(cancellation)
            .ProcessAsynchronously().ConfigureAwait(false);
    }

    static async Task<string> FfmpegVersionAsync()
    {
        var start = new ProcessStartInfo(new FfmpegTools().FfmpegPath) { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add("-version");
        using var process = Process.Start(start)!;
        var first = await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) ?? "";
        await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        return first.Replace("Copyright", "").Split("(c)")[0].Trim();
    }
}

using System.Globalization;

namespace MjVideo.Video;

/// <summary>
/// Turns a video file into a <see cref="Clip"/>: probe the frame count, choose indices with <see cref="FrameSampler"/>,
/// then one ffmpeg process per clip that selects those frames, resizes them and writes rgb24 to a pipe.
///
/// ffmpeg is started directly rather than through FFMpegCore's OutputToPipe. Not for speed: for sampled decoding the two
/// measure about the same within this machine's noise (`mjvideo bench decode` prints both; only 8 small frames cross the
/// pipe). But the encoder must write
/// ffmpeg's stdin, which FFMpegCore's pipe sources do not (they use a named pipe), so the project has its own process
/// runner anyway, and one runner gives every ffmpeg call the same timeout-and-kill rule and the same error messages.
/// It also reads stdout straight into a buffer of the exact size and passes paths as arguments with no quoting.
/// </summary>
public sealed class VideoDecoder(FfmpegTools? tools = null, ClipCache? cache = null)
{
    public FfmpegTools Tools { get; } = tools ?? new FfmpegTools();
    public ClipCache? Cache { get; } = cache;

    /// <summary>Decodes one clip (from the cache when it holds it).</summary>
    public async Task<Clip> DecodeAsync(string path, Preprocessing preprocessing, CancellationToken cancellation = default)
    {
        path = Path.GetFullPath(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such video file", path);
        var key = Cache?.KeyFor(path, preprocessing);
        if (key is not null && Cache!.TryLoad(key, path, preprocessing, out var cached)) return cached!;

        var info = await VideoProbe.ProbeAsync(path, Tools, cancellation).ConfigureAwait(false);
        var clip = await DecodeAsync(info, preprocessing, cancellation).ConfigureAwait(false);
        if (key is not null) Cache!.Store(key, clip);
        return clip;
    }

    /// <summary>Decodes one already-probed clip; never reads or writes the cache.</summary>
    public async Task<Clip> DecodeAsync(VideoInfo info, Preprocessing preprocessing, CancellationToken cancellation = default)
    {
        Validate(preprocessing);
        var indices = FrameSampler.Indices(info.FrameCount, preprocessing, info.Fps);
        var unique = indices.Distinct().Order().ToArray();
        var frameBytes = preprocessing.Width * preprocessing.Height * 3;
        var expected = unique.Length * frameBytes;

        var run = await FfmpegProcess.RunAsync(Tools, Tools.FfmpegPath, DecodeArguments(info.Path, unique, preprocessing),
            cancellation, expected).ConfigureAwait(false);
        if (run.TimedOut)
            throw new VideoDecodeException(info.Path, $"ffmpeg timed out after {Tools.Timeout.TotalSeconds:0.#} s and was killed", run.Errors);
        if (run.ExitCode != 0)
            throw new VideoDecodeException(info.Path, $"ffmpeg could not decode the file (exit code {run.ExitCode})", run.Errors);
        if (run.OutputLength < expected || run.ExtraOutputBytes > 0)
        {
            var delivered = $"ffmpeg delivered {run.OutputLength + run.ExtraOutputBytes} bytes for {unique.Length} selected frames of " +
                            $"{preprocessing.Width}x{preprocessing.Height} RGB ({expected} bytes); frame count {info.FrameCount} from {info.FrameCountSource}";
            // A clean exit with too few frames means the stated count was too high (e.g. an edit list cut frames):
            // count the frames by decoding them, once, and sample again. With error messages it is a damaged file.
            if (run.ExtraOutputBytes == 0 && run.Errors.Length == 0 && info.FrameCountSource != FrameCountSource.DecodedFrames)
            {
                var counted = await VideoProbe.ProbeWithFfprobeAsync(info.Path, Tools, countFrames: true, cancellation).ConfigureAwait(false);
                if (counted.FrameCount < info.FrameCount) return await DecodeAsync(counted, preprocessing, cancellation).ConfigureAwait(false);
            }
            throw new VideoDecodeException(info.Path, delivered, run.Errors);
        }
        return new Clip(Expand(run.Output, unique, indices, frameBytes), preprocessing.Width, preprocessing.Height, indices, info, preprocessing);
    }

    /// <summary>
    /// Decodes many clips, at most <paramref name="maxParallel"/> ffmpeg processes at a time (default: the core count),
    /// and returns them in the order of <paramref name="paths"/>. The first failure cancels the rest and is thrown.
    /// </summary>
    public async Task<Clip[]> DecodeManyAsync(IReadOnlyList<string> paths, Preprocessing preprocessing, int? maxParallel = null,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var parallel = maxParallel ?? Environment.ProcessorCount;
        if (parallel <= 0) throw new ArgumentOutOfRangeException(nameof(maxParallel), parallel, "need at least one worker");
        var clips = new Clip[paths.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, paths.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellation },
            async (i, token) =>
            {
                clips[i] = await DecodeAsync(paths[i], preprocessing, token).ConfigureAwait(false);
                progress?.Report(Interlocked.Increment(ref done));
            }).ConfigureAwait(false);
        return clips;
    }

    /// <summary>
    /// The ffmpeg arguments that decode <paramref name="uniqueIndices"/> (sorted, distinct) of the first video stream at
    /// the preprocessing size to rgb24 on stdout. `-frames:v` lets ffmpeg stop after the last selected frame instead of
    /// decoding the tail (the paper's rule never reads the last eighth of a clip); passthrough keeps ffmpeg from
    /// duplicating or dropping frames to reach a constant output rate.
    /// </summary>
    public static IReadOnlyList<string> DecodeArguments(string path, IReadOnlyList<int> uniqueIndices, Preprocessing preprocessing) =>
    [
        "-nostdin", "-hide_banner", "-loglevel", "error",
        "-i", path,
        "-map", "0:v:0",
        "-vf", FilterGraph(uniqueIndices, preprocessing),
        "-frames:v", uniqueIndices.Count.ToString(CultureInfo.InvariantCulture),
        "-fps_mode", "passthrough",
        "-f", "rawvideo", "-pix_fmt", "rgb24",
        "pipe:1",
    ];

    /// <summary>The decode as one POSIX shell command line (rgb24 on stdout), exactly the arguments the decoder runs:
    /// what the benchmark's reference runs, and what a user can paste to reproduce a clip.</summary>
    public static string CommandLine(string ffmpegPath, string path, IReadOnlyList<int> uniqueIndices, Preprocessing preprocessing) =>
        string.Join(" ", DecodeArguments(path, uniqueIndices, preprocessing).Prepend(ffmpegPath).Select(Core.Tools.ShellQuote));

    /// <summary>
    /// select the frames by decoded frame number, then resize with bicubic filtering (the official loader's
    /// interpolation): squash stretches to the target; letterbox fits inside it keeping the aspect ratio, converts to
    /// rgb24 (so the padding offsets are exact pixels, not rounded to chroma blocks) and pads with black, centred.
    /// </summary>
    public static string FilterGraph(IReadOnlyList<int> uniqueIndices, Preprocessing preprocessing)
    {
        var select = $"select='{string.Join("+", uniqueIndices.Select(i => $"eq(n,{i})"))}'";
        var (w, h) = (preprocessing.Width, preprocessing.Height);
        return preprocessing.Resize switch
        {
            ResizeMode.Squash => $"{select},scale={w}:{h}:flags=bicubic",
            ResizeMode.Letterbox =>
                $"{select},scale={w}:{h}:force_original_aspect_ratio=decrease:flags=bicubic,format=rgb24," +
                $"pad={w}:{h}:trunc((ow-iw)/2):trunc((oh-ih)/2):color=black",
            _ => throw new ArgumentOutOfRangeException(nameof(preprocessing), preprocessing.Resize, "unknown resize mode"),
        };
    }

    static void Validate(Preprocessing p)
    {
        if (p.Width <= 0 || p.Height <= 0) throw new ArgumentException($"preprocessing size must be positive, got {p.Width}x{p.Height}");
        if (p.Frames <= 0) throw new ArgumentException($"preprocessing must sample at least one frame, got {p.Frames}");
    }

    /// <summary>
    /// ffmpeg delivers each distinct frame once, in order; a sample that repeats a frame (a clip shorter than k) gets
    /// copies. Without repeats (the rules give non-decreasing indices) the buffer is already the clip.
    /// </summary>
    static byte[] Expand(byte[] decoded, int[] unique, int[] indices, int frameBytes)
    {
        if (unique.AsSpan().SequenceEqual(indices)) return decoded;
        var frames = new byte[indices.Length * frameBytes];
        for (var t = 0; t < indices.Length; t++)
        {
            var source = Array.BinarySearch(unique, indices[t]);
            Buffer.BlockCopy(decoded, source * frameBytes, frames, t * frameBytes, frameBytes);
        }
        return frames;
    }
}

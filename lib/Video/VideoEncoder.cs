using System.Globalization;

namespace MjVideo.Video;

/// <summary>How chroma is stored. 4:4:4 keeps full colour resolution (SynthBench's default: at 64x64, 4:2:0's halved
/// chroma blurs colours by as much as a subtle defect); 4:2:0 is what real videos use and needs even sizes.</summary>
public enum ChromaFormat { Yuv444p, Yuv420p }

/// <summary>
/// Encoding settings. Threads = 1 by default: with one thread every run produces the same bytes, and SynthBench gets its
/// parallelism from encoding many clips at once. 0 lets x264 choose (faster for one large clip).
/// </summary>
public sealed record EncodeOptions(
    double Fps = 8,
    int Crf = 10,
    ChromaFormat Chroma = ChromaFormat.Yuv444p,
    string Preset = "medium",
    int Threads = 1)
{
    public static EncodeOptions Default { get; } = new();
}

/// <summary>
/// RGB frames to an H.264 mp4 through ffmpeg's stdin, one process per clip and no probing. The output is deterministic:
/// the same frames and options give the same bytes (bit-exact codec and muxer flags, bit-exact colour conversion, no
/// metadata or timestamps in the file, a fixed thread count), so a generated dataset is byte-identical across runs.
/// The file appears atomically: ffmpeg writes a temporary file that is renamed when it succeeded.
/// </summary>
public static class VideoEncoder
{
    /// <param name="frames">each frame width*height*3 bytes of rgb24, row-major; enumerated once, as ffmpeg consumes them</param>
    public static async Task EncodeAsync(IEnumerable<byte[]> frames, int width, int height, string outputPath,
        EncodeOptions? options = null, FfmpegTools? tools = null, CancellationToken cancellation = default)
    {
        options ??= EncodeOptions.Default;
        tools ??= new FfmpegTools();
        outputPath = Path.GetFullPath(outputPath);
        Validate(width, height, options, outputPath);

        using var frame = frames.GetEnumerator();
        if (!frame.MoveNext()) throw new ArgumentException($"{outputPath}: no frames to encode", nameof(frames));
        var frameBytes = width * height * 3;

        Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
        var temporary = $"{outputPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            var run = await FfmpegProcess.RunAsync(tools, tools.FfmpegPath, EncodeArguments(width, height, temporary, options), cancellation,
                writeInput: async (stdin, token) =>
                {
                    var index = 0;
                    do
                    {
                        var current = frame.Current;
                        if (current is null || current.Length != frameBytes)
                            throw new ArgumentException(
                                $"{outputPath}: frame {index} has {current?.Length.ToString() ?? "no"} bytes; a {width}x{height} rgb24 frame has {frameBytes}",
                                nameof(frames));
                        await stdin.WriteAsync(current, token).ConfigureAwait(false);
                        index++;
                    } while (frame.MoveNext());
                }).ConfigureAwait(false);
            if (run.TimedOut)
                throw new VideoEncodeException(outputPath, $"ffmpeg timed out after {tools.Timeout.TotalSeconds:0.#} s and was killed", run.Errors);
            if (run.ExitCode != 0)
                throw new VideoEncodeException(outputPath, $"ffmpeg could not encode (exit code {run.ExitCode})", run.Errors);
            File.Move(temporary, outputPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// The ffmpeg arguments: raw rgb24 on stdin; the colour conversion as an explicit scale filter, because ffmpeg 5.1
    /// ignores -sws_flags for its automatic converter, with swscale's bit-exact, accurately rounded path (its SIMD
    /// shortcuts may differ between CPUs; for 4:2:0 the flags change the output) and the BT.601 limited-range matrix;
    /// x264 at a constant rate factor; BT.601 stated in the stream (what ffmpeg assumes for untagged video anyway, now
    /// explicit for other players); no metadata.
    /// </summary>
    public static IReadOnlyList<string> EncodeArguments(int width, int height, string outputPath, EncodeOptions options) =>
    [
        "-nostdin", "-hide_banner", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", $"{width}x{height}", "-framerate", FormatRate(options.Fps),
        "-i", "pipe:0",
        "-vf", "scale=flags=bicubic+accurate_rnd+full_chroma_int+bitexact:out_color_matrix=bt601:out_range=tv",
        "-map_metadata", "-1",
        "-c:v", "libx264", "-preset", options.Preset,
        "-crf", options.Crf.ToString(CultureInfo.InvariantCulture),
        "-pix_fmt", options.Chroma == ChromaFormat.Yuv444p ? "yuv444p" : "yuv420p",
        "-threads", options.Threads.ToString(CultureInfo.InvariantCulture),
        "-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "tv",
        "-flags:v", "+bitexact", "-fflags", "+bitexact",
        "-f", "mp4", outputPath,
    ];

    /// <summary>The frame rate as the exact fraction ffmpeg should use: 8 -> "8", 7.5 -> "15/2",
    /// 29.97002997... -> "30000/1001" (continued-fraction convergents until within 1e-9 relative).</summary>
    public static string FormatRate(double fps)
    {
        if (!(fps > 0) || double.IsInfinity(fps)) throw new ArgumentOutOfRangeException(nameof(fps), fps, "the frame rate must be positive");
        long previousNumerator = 0, numerator = 1, previousDenominator = 1, denominator = 0;
        var remainder = fps;
        for (var step = 0; step < 24; step++)
        {
            var whole = (long)Math.Floor(remainder);
            (previousNumerator, numerator) = (numerator, whole * numerator + previousNumerator);
            (previousDenominator, denominator) = (denominator, whole * denominator + previousDenominator);
            var fraction = remainder - whole;
            if (Math.Abs((double)numerator / denominator - fps) <= 1e-9 * fps || fraction < 1e-12) break;
            remainder = 1 / fraction;
        }
        return denominator == 1
            ? numerator.ToString(CultureInfo.InvariantCulture)
            : $"{numerator.ToString(CultureInfo.InvariantCulture)}/{denominator.ToString(CultureInfo.InvariantCulture)}";
    }

    static void Validate(int width, int height, EncodeOptions options, string outputPath)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"{outputPath}: frame size must be positive, got {width}x{height}");
        if (options.Chroma == ChromaFormat.Yuv420p && (width % 2 != 0 || height % 2 != 0))
            throw new ArgumentException(
                $"{outputPath}: yuv420p needs an even width and height, got {width}x{height}; use yuv444p or pad the frames to an even size");
        if (options.Crf is < 0 or > 51) throw new ArgumentOutOfRangeException(nameof(options), options.Crf, $"{outputPath}: CRF must be in 0..51");
        if (options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, $"{outputPath}: threads must be 0 (auto) or more");
        FormatRate(options.Fps);
    }
}

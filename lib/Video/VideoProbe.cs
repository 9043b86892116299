using System.Globalization;
using System.Text.Json;

namespace MjVideo.Video;

/// <summary>Where a clip's frame count came from.</summary>
public enum FrameCountSource
{
    /// <summary>The MP4/MOV sample table (stsz), read in-process without starting ffprobe.</summary>
    Mp4SampleTable,
    /// <summary>The container's stated count (ffprobe nb_frames).</summary>
    ContainerNbFrames,
    /// <summary>Packets counted by ffprobe (-count_packets), for containers that state no count (mkv, webm).</summary>
    PacketCount,
    /// <summary>Frames decoded and counted by ffprobe (-count_frames): exact but a full decode; the fallback when the
    /// stated count proved wrong.</summary>
    DecodedFrames,
}

/// <summary>What the sampling rules need to know about a clip. Sizes are those of the coded picture.</summary>
public sealed record VideoInfo(
    string Path, int FrameCount, double Fps, int Width, int Height, double DurationSeconds, FrameCountSource FrameCountSource)
{
    public string Describe() =>
        $"{System.IO.Path.GetFileName(Path)}: {FrameCount} frames ({FrameCountSource}), {Fps:0.####} fps, {Width}x{Height}, {DurationSeconds:0.###} s";
}

/// <summary>
/// Probes a clip's frame count (exact), frame rate, size and duration.
/// MP4/MOV files are read in-process from their sample table: on this machine starting ffprobe costs about 100 ms
/// (it loads ~200 shared libraries), as much as decoding a whole 64x64 SynthBench clip, and the sample table holds the
/// same count ffprobe reports. Other containers and MP4s whose header the reader does not fully understand (fragmented
/// files, several sample descriptions) go to ffprobe; MP4s whose edit list hides frames (a stream copy cut at a
/// non-key frame) go to ffprobe -count_frames, since their stated count includes the hidden frames. ffprobe is run directly rather than through FFMpegCore's
/// FFProbe.AnalyseAsync because FFMpegCore 6's analysis does not expose nb_frames or nb_read_packets.
/// </summary>
public static class VideoProbe
{
    public static Task<VideoInfo> ProbeAsync(string path, CancellationToken cancellation = default) =>
        ProbeAsync(path, new FfmpegTools(), cancellation);

    public static async Task<VideoInfo> ProbeAsync(string path, FfmpegTools tools, CancellationToken cancellation = default)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such video file", path);
        var mp4 = Mp4Header.Read(path);
        if (mp4.Info is not null) return mp4.Info;
        // An edit list that hides frames makes every stated count too high: count by decoding (slow, but exact).
        return await ProbeWithFfprobeAsync(path, tools, countFrames: mp4.EditListMayHideFrames, cancellation).ConfigureAwait(false);
    }

    /// <param name="countFrames">decode the whole clip and count its frames (exact whatever the container says, and slow)</param>
    public static async Task<VideoInfo> ProbeWithFfprobeAsync(string path, FfmpegTools tools, bool countFrames, CancellationToken cancellation = default)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such video file", path);

        var json = await RunFfprobeAsync(path, tools, countFrames ? "-count_frames" : null, cancellation).ConfigureAwait(false);
        var (stream, format) = ParseVideoStream(path, json);
        var source = countFrames ? FrameCountSource.DecodedFrames : FrameCountSource.ContainerNbFrames;
        var frameCount = ReadInt(stream, countFrames ? "nb_read_frames" : "nb_frames");
        if (frameCount is null or <= 0 && !countFrames)
        {
            // The container states no count (Matroska, WebM): count packets, which is one per frame for video and needs
            // no decoding.
            json = await RunFfprobeAsync(path, tools, "-count_packets", cancellation).ConfigureAwait(false);
            (stream, _) = ParseVideoStream(path, json);
            frameCount = ReadInt(stream, "nb_read_packets");
            source = FrameCountSource.PacketCount;
        }
        if (frameCount is null or <= 0)
            throw new VideoDecodeException(path, $"the video stream has no frames (frame count from {source}: {frameCount?.ToString() ?? "missing"})", "");

        var width = ReadInt(stream, "width") ?? 0;
        var height = ReadInt(stream, "height") ?? 0;
        if (width <= 0 || height <= 0) throw new VideoDecodeException(path, $"the video stream has no picture size ({width}x{height})", "");
        var fps = ReadRate(stream, "avg_frame_rate") ?? ReadRate(stream, "r_frame_rate") ?? 0;
        var duration = ReadDouble(stream, "duration") ?? ReadDouble(format, "duration") ?? (fps > 0 ? frameCount.Value / fps : 0);
        if (fps <= 0 && duration > 0) fps = frameCount.Value / duration;
        return new VideoInfo(path, frameCount.Value, fps, width, height, duration, source);
    }

    static async Task<JsonElement> RunFfprobeAsync(string path, FfmpegTools tools, string? countOption, CancellationToken cancellation)
    {
        var arguments = new List<string> { "-v", "error", "-select_streams", "v:0" };
        if (countOption is not null) arguments.Add(countOption);
        arguments.AddRange([
            "-show_entries", "stream=codec_type,width,height,nb_frames,nb_read_packets,nb_read_frames,avg_frame_rate,r_frame_rate,duration:format=duration",
            "-of", "json", path,
        ]);
        var run = await FfmpegProcess.RunAsync(tools, tools.FfprobePath, arguments, cancellation).ConfigureAwait(false);
        if (run.TimedOut)
            throw new VideoDecodeException(path, $"ffprobe timed out after {tools.Timeout.TotalSeconds:0.#} s and was killed", run.Errors);
        if (run.ExitCode != 0)
        {
            var empty = new FileInfo(path).Length == 0 ? "; the file is empty (0 bytes)" : "";
            throw new VideoDecodeException(path, $"ffprobe could not read the file (exit code {run.ExitCode}){empty}", run.Errors);
        }
        try
        {
            using var document = JsonDocument.Parse(run.Output.AsMemory(0, run.OutputLength));
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new VideoDecodeException(path, $"ffprobe printed unreadable JSON ({e.Message})", run.Errors, e);
        }
    }

    static (JsonElement Stream, JsonElement Format) ParseVideoStream(string path, JsonElement root)
    {
        if (!root.TryGetProperty("streams", out var streams) || streams.ValueKind != JsonValueKind.Array || streams.GetArrayLength() == 0)
            throw new VideoDecodeException(path, "the file has no video stream", "");
        var stream = streams[0];
        if (stream.TryGetProperty("codec_type", out var type) && type.GetString() != "video")
            throw new VideoDecodeException(path, $"the first selected stream is '{type.GetString()}', not video", "");
        var format = root.TryGetProperty("format", out var f) ? f : default;
        return (stream, format);
    }

    static int? ReadInt(JsonElement element, string name) =>
        ReadDouble(element, name) is { } value && value >= 0 && value <= int.MaxValue ? (int)value : null;

    static double? ReadDouble(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        return value.ValueKind == JsonValueKind.String &&
               double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
    }

    /// <summary>ffprobe writes rates as "30000/1001"; "0/0" means unknown.</summary>
    static double? ReadRate(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.GetString() is not { } text)
            return null;
        var parts = text.Split('/');
        if (parts.Length == 2 &&
            double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var numerator) &&
            double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var denominator) &&
            numerator > 0 && denominator > 0)
            return numerator / denominator;
        return null;
    }
}

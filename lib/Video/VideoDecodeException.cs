namespace MjVideo.Video;

/// <summary>
/// A clip could not be probed or decoded: corrupt, truncated, empty, not a video, or ffmpeg timed out. The message names
/// the file and quotes what ffmpeg said.
/// </summary>
public sealed class VideoDecodeException(string path, string problem, string ffmpegMessage, Exception? inner = null)
    : IOException($"{path}: {problem}; ffmpeg said: {FfmpegProcess.Tail(ffmpegMessage)}", inner)
{
    public string VideoPath { get; } = path;
    public string Problem { get; } = problem;
    public string FfmpegMessage { get; } = ffmpegMessage;
}

/// <summary>ffmpeg could not encode a clip. The message names the output file and quotes what ffmpeg said.</summary>
public sealed class VideoEncodeException(string path, string problem, string ffmpegMessage)
    : IOException($"{path}: {problem}; ffmpeg said: {FfmpegProcess.Tail(ffmpegMessage)}")
{
    public string VideoPath { get; } = path;
    public string FfmpegMessage { get; } = ffmpegMessage;
}

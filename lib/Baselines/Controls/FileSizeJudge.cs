using System.Globalization;
using MjVideo.Evaluation;

namespace MjVideo.Baselines.Controls;

/// <summary>
/// A shortcut detector: the score is the video file's size in bytes. A clip with more detail, motion or noise costs the
/// encoder more bits, so if this row beats chance, the labels correlate with something the container gives away
/// without decoding a frame (blur and drop-outs shrink files; flicker and added objects grow them), and a model can
/// learn that shortcut too. "Good" is above the val median size.
/// </summary>
public sealed class FileSizeJudge : IJudge
{
    /// <param name="goodAboveBytes">the size above which a video counts as good (the val median)</param>
    /// <param name="source">where the threshold came from, for the config</param>
    public FileSizeJudge(double goodAboveBytes, string source)
    {
        GoodAbove = goodAboveBytes;
        Source = source;
    }

    /// <summary>The judge with its threshold at the median size of the distinct videos of a val split.</summary>
    public static FileSizeJudge Calibrate(JudgeInput val)
    {
        var sizes = PerVideoJudging.DistinctVideos(val).Select(v => (double)SizeOf(v.Path)).Order().ToArray();
        if (sizes.Length == 0) throw new ArgumentException($"{val.Dataset.SourceFile}: no videos to calibrate the file-size judge on");
        var half = sizes.Length / 2;
        var median = sizes.Length % 2 == 1 ? sizes[half] : (sizes[half - 1] + sizes[half]) / 2;
        return new FileSizeJudge(median, $"median of {sizes.Length} val videos of {val.Dataset.SourceFile}");
    }

    public string Source { get; }

    public string Name => "Control: file size";

    public double GoodAbove { get; }

    public IReadOnlyDictionary<string, string> Config => new Dictionary<string, string>
    {
        ["scores"] = "the video file's length in bytes",
        ["good"] = string.Create(CultureInfo.InvariantCulture, $"more than {GoodAbove:0.#} bytes ({Source})"),
    };

    public JudgeAvailability Availability() => JudgeAvailability.Yes;

    public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default) =>
        PerVideoJudging.JudgeAsync(input, (video, _) => Task.FromResult(new JudgedVideo(SizeOf(video.Path))), progress, cancellation);

    static long SizeOf(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"{file.FullName}: no such video file", file.FullName);
        return file.Length;
    }
}

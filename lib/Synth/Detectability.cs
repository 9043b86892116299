using MjVideo.Taxonomy;
using MjVideo.Video;

namespace MjVideo.Synth;

/// <summary>How often one criterion's injected defects were measurable in decoded video, in one severity bin.</summary>
public sealed record DetectabilityCell(int Criterion, string Key, int Bin, double SeverityLow, double SeverityHigh, int Samples,
    int Detected, string Detector)
{
    public double Rate => Samples == 0 ? double.NaN : (double)Detected / Samples;
}

/// <summary>
/// Checks that every defect survives encoding: for each criterion and severity bin it renders pairs of clips of the same
/// scene, clean and with the defect, encodes and decodes both with SynthBench's codec settings, and asks a detector
/// whether the defect is measurable in the decoded pixels. Detectors are written for this check and are not features
/// of any judge: sharpness (Laplacian energy) for blur, frame-to-frame luminance change for flicker, brightness steps
/// for lighting, border colour for background changes, connected blobs for counts, and, for the rest, the pixel
/// change inside the region the defect touches (objects, figures, pictograms) in the frames it spans.
/// The clips of one bin are encoded back to back in a single stream (same codec and settings; only the process count
/// differs from generation), which keeps the study to two ffmpeg runs per bin.
/// </summary>
public static class DefectDetectability
{
    public static readonly (double Low, double High)[] Bins = [(0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0)];

    public static async Task<IReadOnlyList<DetectabilityCell>> RunAsync(int lowestBinSamples, int otherBinSamples, long seed = 7,
        int size = 64, int frames = 16, IReadOnlyList<int>? criteria = null, IProgress<string>? progress = null,
        CancellationToken cancellation = default)
    {
        var jobs = (criteria ?? Enumerable.Range(0, MjTaxonomy.CriterionCount).ToList())
            .SelectMany(c => Enumerable.Range(0, Bins.Length).Select(b => (Criterion: c, Bin: b)))
            .Where(job => (job.Bin == 0 ? lowestBinSamples : otherBinSamples) > 0)
            .ToList();
        var cells = new DetectabilityCell[jobs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellation },
            async (j, token) =>
            {
                var (criterion, bin) = jobs[j];
                var samples = bin == 0 ? lowestBinSamples : otherBinSamples;
                cells[j] = await RunCellAsync(criterion, bin, samples, seed, size, frames, token);
                progress?.Report($"{MjTaxonomy.Criteria[criterion].Key} bin {bin}: {cells[j].Detected}/{cells[j].Samples}");
            });
        return cells;
    }

    /// <summary>True when the cell's detection rate is significantly below <paramref name="rate"/>: the upper end of its 95%
    /// Wilson interval is under it. (The study is seeded, so the same build gives the same counts every run.)</summary>
    public static bool SignificantlyBelow(DetectabilityCell cell, double rate) =>
        MjVideo.Metrics.Intervals.Wilson(cell.Detected, cell.Samples).High < rate;

    static async Task<DetectabilityCell> RunCellAsync(int criterion, int bin, int samples, long seed, int size, int frames,
        CancellationToken cancellation)
    {
        var (low, high) = Bins[bin];
        var renderer = new Renderer(size);
        var cleanFrames = new List<byte[]>();
        var defectFrames = new List<byte[]>();
        var cases = new List<(VideoScene Clean, VideoScene Defect, DefectRecord Record)>();
        for (var k = 0; k < samples; k++)
        {
            var item = (long)criterion * 1_000_000 + bin * 100_000 + k;
            SynthRandom Stream(string purpose) => SynthRandom.ForItem(seed, "detectability", item, purpose);
            var captionStream = Stream("caption");
            CaptionSpec caption;
            do caption = CaptionGenerator.Sample(captionStream, isTestSplit: false);
            while (!caption.RelatedCriteria()[criterion]);
            var clean = VideoScene.Realise(caption, Stream("scene"), frames);
            var damaged = VideoScene.Realise(caption, Stream("scene"), frames);
            var severity = Math.Max(1e-3, low + (high - low) * Stream("severity").NextDouble());
            var record = DefectInjector.Inject(criterion, severity, damaged, caption, Stream("inject"));
            cleanFrames.AddRange(renderer.Render(clean));
            defectFrames.AddRange(renderer.Render(damaged));
            cases.Add((clean, damaged, record));
        }

        var decodedClean = await RoundTripAsync(cleanFrames, size, cancellation);
        var decodedDefect = await RoundTripAsync(defectFrames, size, cancellation);
        var detected = 0;
        for (var k = 0; k < samples; k++)
        {
            var a = new DecodedClip(decodedClean, k * frames, frames, size);
            var b = new DecodedClip(decodedDefect, k * frames, frames, size);
            if (DefectDetectors.Detect(criterion, a, b, cases[k].Clean, cases[k].Defect, cases[k].Record)) detected++;
        }
        return new DetectabilityCell(criterion, MjTaxonomy.Criteria[criterion].Key, bin, low, high, samples, detected,
            DefectDetectors.Describe(criterion));
    }

    /// <summary>Encodes frames with SynthBench's default codec settings and decodes every frame back to rgb24.</summary>
    static async Task<byte[]> RoundTripAsync(IReadOnlyList<byte[]> frames, int size, CancellationToken cancellation)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mjvideo-detectability");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{Guid.NewGuid():N}.mp4");
        try
        {
            await VideoEncoder.EncodeAsync(frames, size, size, path, EncodeOptions.Default, cancellation: cancellation);
            var tools = new FfmpegTools();
            var expected = frames.Count * size * size * 3;
            var run = await FfmpegProcess.RunAsync(tools, tools.FfmpegPath,
                ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                 "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], cancellation, expected);
            if (!run.Succeeded || run.OutputLength != expected)
                throw new VideoDecodeException(path, $"decoded {run.OutputLength} of {expected} bytes", run.Errors);
            return run.Output;
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>A view of one clip inside a buffer of decoded rgb24 frames.</summary>
public readonly struct DecodedClip(byte[] buffer, int firstFrame, int frames, int size)
{
    public int Frames => frames;
    public int Size => size;

    public double Channel(int t, int x, int y, int c) => buffer[(((firstFrame + t) * size + y) * size + x) * 3 + c] / 255.0;

    public double Luma(int t, int x, int y) =>
        0.299 * Channel(t, x, y, 0) + 0.587 * Channel(t, x, y, 1) + 0.114 * Channel(t, x, y, 2);
}

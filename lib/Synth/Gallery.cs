using MjVideo.Reports;
using MjVideo.Taxonomy;

namespace MjVideo.Synth;

/// <summary>
/// Contact sheets of the defects: one row per criterion of an aspect, showing the same scene clean, with the defect at
/// low severity and at high severity, two frames each (inside the defect's span), magnified for viewing.
/// </summary>
public static class Gallery
{
    public const double LowSeverity = 0.15;
    public const double HighSeverity = 0.9;

    /// <summary>Column headings of each row, left to right.</summary>
    public static readonly IReadOnlyList<string> Columns =
        ["clean, frame a", "clean, frame b", $"low severity {LowSeverity}, a", "low, b", $"high severity {HighSeverity}, a", "high, b"];

    /// <summary>A PNG of the aspect's criteria (rows in release order), each tile <paramref name="size"/> x magnification.</summary>
    public static byte[] AspectSheet(int aspect, long seed = 11, int size = 64, int frames = 16, int magnification = 2)
    {
        var rows = MjTaxonomy.AspectToCriteria[aspect].Select(c => Row(c, seed, size, frames)).ToList();
        const int gap = 3;
        var tile = size * magnification;
        var width = 6 * tile + 7 * gap;
        var height = rows.Count * tile + (rows.Count + 1) * gap;
        var image = new byte[width * height * 3];
        Array.Fill(image, (byte)255);
        for (var r = 0; r < rows.Count; r++)
        for (var c = 0; c < 6; c++)
        {
            var frame = rows[r][c];
            var (x0, y0) = (gap + c * (tile + gap), gap + r * (tile + gap));
            for (var y = 0; y < tile; y++)
            for (var x = 0; x < tile; x++)
            {
                var source = ((y / magnification) * size + x / magnification) * 3;
                var target = ((y0 + y) * width + x0 + x) * 3;
                image[target] = frame[source];
                image[target + 1] = frame[source + 1];
                image[target + 2] = frame[source + 2];
            }
        }
        return PngEncoder.EncodeRgb(image, width, height);
    }

    /// <summary>Six frames for one criterion: clean, low and high severity, at two frames inside the defect's span.</summary>
    static byte[][] Row(int criterion, long seed, int size, int frames)
    {
        SynthRandom Stream(string purpose) => SynthRandom.ForItem(seed, "gallery", criterion, purpose);
        var captions = Stream("caption");
        CaptionSpec caption;
        do caption = CaptionGenerator.Sample(captions, isTestSplit: false);
        while (!caption.RelatedCriteria()[criterion]);
        var renderer = new Renderer(size);
        var clean = renderer.Render(VideoScene.Realise(caption, Stream("scene"), frames));
        var low = VideoScene.Realise(caption, Stream("scene"), frames);
        var lowRecord = DefectInjector.Inject(criterion, LowSeverity, low, caption, Stream("inject"));
        var high = VideoScene.Realise(caption, Stream("scene"), frames);
        var highRecord = DefectInjector.Inject(criterion, HighSeverity, high, caption, Stream("inject"));
        // Show the frames a third and two thirds into the high-severity defect's span.
        var span = highRecord.LastFrame - highRecord.FirstFrame;
        var (a, b) = (highRecord.FirstFrame + span / 3, highRecord.FirstFrame + 2 * span / 3);
        var lowFrames = renderer.Render(low);
        var highFrames = renderer.Render(high);
        var (la, lb) = (Math.Clamp(a, lowRecord.FirstFrame, lowRecord.LastFrame), Math.Clamp(b, lowRecord.FirstFrame, lowRecord.LastFrame));
        return [clean[a], clean[b], lowFrames[la], lowFrames[lb], highFrames[a], highFrames[b]];
    }
}

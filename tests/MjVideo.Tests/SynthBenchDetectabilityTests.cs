using MjVideo.Synth;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

/// <summary>
/// Every criterion's defect survives encoding at its mildest. This is the quick version (25 samples per criterion in the
/// lowest severity bin); tools/run-tests also runs the full study with 200 samples per criterion
/// (`mjvideo synth detectability --lowest 200 --others 0 --min-rate 0.9`), and the datasheet tabulates all bins.
/// </summary>
public class SynthBenchDetectabilityTests
{
    [Fact]
    public async Task Every_defect_is_measurable_in_decoded_video_in_the_lowest_severity_bin()
    {
        var cells = await DefectDetectability.RunAsync(lowestBinSamples: 25, otherBinSamples: 0, seed: 101);
        var lowest = cells.Where(c => c.Bin == 0).ToList();
        Assert.Equal(MjTaxonomy.CriterionCount, lowest.Count);
        // Not significantly below 90%: the upper end of each rate's 95% Wilson interval reaches 0.9.
        Assert.All(lowest, c => Assert.False(DefectDetectability.SignificantlyBelow(c, 0.9), $"{c.Key}: {c.Detected}/{c.Samples} detected ({c.Detector})"));
    }

    [Fact]
    public async Task A_clean_clip_compared_with_itself_is_never_detected()
    {
        // The detectors must not fire on codec noise: compare two encodes of the same clean scene.
        var caption = CaptionGenerator.Sample(SynthRandom.ForItem(5, "probe", 0, "caption"), isTestSplit: false);
        var scene = VideoScene.Realise(caption, SynthRandom.ForItem(5, "probe", 0, "scene"), 16);
        var frames = new Renderer(64).Render(scene);
        var buffer = frames.SelectMany(f => f).ToArray();
        var clip = new DecodedClip(buffer, 0, 16, 64);
        var record = new DefectRecord(0, "object", 0.5, 0, 15, "none", true);
        for (var c = 0; c < MjTaxonomy.CriterionCount; c++)
        {
            if (c is >= 5 and <= 10 || !caption.RelatedCriteria()[c]) continue;   // pictograms need a pictogram to locate
            if (c is 15 && !scene.Objects.Any(o => o.MotionBlur > 0)) continue;
            Assert.False(DefectDetectors.Detect(c, clip, clip, scene, scene, record with { Criterion = c }), MjTaxonomy.Criteria[c].Key);
        }
    }
}

using MjVideo.Experiments;
using MjVideo.Synth;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

/// <summary>
/// The single-video reference's pinned detectors and probe. The detector tests render clean and damaged clips of the
/// same captions (no codec, so they are fast) and check that the detector, which sees only the damaged or the clean
/// clip, ranks the damaged one higher in most cases; the study itself runs on decoded SynthBench videos.
/// </summary>
public class SynthReferenceTests
{
    /// <summary>AUC of a detector over <paramref name="samples"/> clean and damaged renders of captions that relate the criterion.</summary>
    static double RenderedAuc(int criterion, int samples, double severity)
    {
        var renderer = new Renderer(64);
        var scores = new List<double>();
        var labels = new List<bool>();
        for (var k = 0; k < samples; k++)
        {
            SynthRandom Stream(string purpose) => SynthRandom.ForItem(31, "reference-test", criterion * 1000 + k, purpose);
            var captions = Stream("caption");
            CaptionSpec caption;
            do caption = CaptionGenerator.Sample(captions, isTestSplit: false);
            while (!caption.RelatedCriteria()[criterion]);
            var clean = VideoScene.Realise(caption, Stream("clean"), 16);
            var damaged = VideoScene.Realise(caption, Stream("damaged"), 16);
            DefectInjector.Inject(criterion, severity, damaged, caption, Stream("inject"));
            foreach (var (scene, bad) in new[] { (clean, false), (damaged, true) })
            {
                var frames = renderer.Render(scene).SelectMany(f => f).ToArray();
                scores.Add(SingleVideoDetectors.Score(criterion, new ClipMeasurements(frames, 16, 64), caption));
                labels.Add(bad);
            }
        }
        return RankAuc.Of(scores, labels);
    }

    [Theory]
    [InlineData(14)]   // De-focused blur
    [InlineData(19)]   // abrupt background change
    [InlineData(20)]   // lighting
    [InlineData(21)]   // flicker
    public void A_content_free_detector_separates_damaged_from_clean_clips_it_sees_alone(int criterion)
    {
        // Mid severity, 12 clips of each kind; these detectors reach AUC 1.0 here, so 0.8 leaves room for another CPU.
        var auc = RenderedAuc(criterion, 12, 0.6);
        Assert.True(auc >= 0.8, $"{MjTaxonomy.Criteria[criterion].Key}: AUC {auc:F3}");
    }

    [Fact]
    public void The_detectors_are_pinned_and_say_which_criteria_they_cover()
    {
        Assert.Equal("single-video-detectors-1", SingleVideoDetectors.Version);
        Assert.Equal("pixel-probe-1", PixelProbe.Version);
        var covered = Enumerable.Range(0, MjTaxonomy.CriterionCount).Where(SingleVideoDetectors.Covers).ToList();
        Assert.All(covered, c => Assert.DoesNotContain("not covered", SingleVideoDetectors.Describe(c)));
        Assert.All(Enumerable.Range(0, MjTaxonomy.CriterionCount).Except(covered),
            c => Assert.Contains("not covered", SingleVideoDetectors.Describe(c)));
    }

    [Fact]
    public void The_pixel_probe_has_one_value_per_named_feature()
    {
        var caption = CaptionGenerator.Sample(SynthRandom.ForItem(3, "reference-test", 0, "caption"), isTestSplit: false);
        var frames = new Renderer(64).Render(VideoScene.Realise(caption, SynthRandom.ForItem(3, "reference-test", 0, "scene"), 16));
        var features = PixelProbe.Features(new ClipMeasurements(frames.SelectMany(f => f).ToArray(), 16, 64));
        Assert.Equal(PixelProbe.FeatureNames.Count, features.Length);
        Assert.All(features, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void The_probe_classifier_learns_a_separable_rule_and_is_deterministic()
    {
        // Bad when feature 0 exceeds feature 1; feature 2 is noise. Rare positives (20%) test the class weighting.
        var rng = new SynthRandom(11);
        var x = Enumerable.Range(0, 300).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() + 0.3, rng.NextDouble() }).ToList();
        var y = x.Select(f => f[0] > f[1]).ToList();
        var model = PixelProbe.Fit(x, y);
        Assert.True(RankAuc.Of(x.Select(model.Score).ToList(), y) > 0.95);
        Assert.Equal(model.Weights, PixelProbe.Fit(x, y).Weights);
    }
}

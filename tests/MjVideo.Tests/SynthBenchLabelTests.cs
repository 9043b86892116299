using MjVideo.Data;
using MjVideo.Synth;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

/// <summary>SynthBench's labels, codes and preferences follow their documented formulas; its rates meet the floor.</summary>
public class SynthBenchLabelTests
{
    static readonly Lazy<IReadOnlyList<SynthPair>> Thousand = new(() => Generate("train", 1000));

    static IReadOnlyList<SynthPair> Generate(string split, int pairs)
    {
        var config = new SynthConfig(split, pairs, Seed: 1);
        var weights = PreferenceRules.AnnotatorWeights(config.Seed);
        return Enumerable.Range(0, pairs).AsParallel().AsOrdered().Select(i => SynthBenchGenerator.GeneratePair(config, i, weights)).ToList();
    }

    [Fact]
    public void In_1000_pairs_every_criterion_is_related_and_bad_in_at_least_3_percent_of_videos()
    {
        var videos = Thousand.Value.SelectMany(p => new[] { p.Video0, p.Video1 }).ToList();
        for (var c = 0; c < MjTaxonomy.CriterionCount; c++)
        {
            var share = videos.Count(v => v.CriterionCodes[c] == LabelCode.Bad) / (double)videos.Count;
            Assert.True(share >= 0.03, $"{MjTaxonomy.Criteria[c].Key}: bad in {share:P1} of {videos.Count} videos");
        }
    }

    [Fact]
    public void In_1000_pairs_every_aspect_has_decisive_pairs_in_both_directions()
    {
        for (var a = 0; a < MjTaxonomy.AspectCount; a++)
        {
            Assert.Contains(Thousand.Value, p => p.AspectPreferences[a] == PreferenceLabel.Video1Better);
            Assert.Contains(Thousand.Value, p => p.AspectPreferences[a] == PreferenceLabel.Video2Better);
        }
        foreach (var family in PreferenceRules.Families)
        {
            Assert.Contains(Thousand.Value, p => p.For(family).Overall == PreferenceLabel.Video1Better);
            Assert.Contains(Thousand.Value, p => p.For(family).Overall == PreferenceLabel.Video2Better);
        }
    }

    [Fact]
    public void Criterion_and_aspect_codes_follow_the_documented_rules()
    {
        foreach (var pair in Thousand.Value.Take(400))
        foreach (var video in new[] { pair.Video0, pair.Video1 })
        {
            for (var c = 0; c < MjTaxonomy.CriterionCount; c++)
            {
                var expected = !pair.Related[c] ? LabelCode.NotRelated : video.CriterionSeverity[c] > 0 ? LabelCode.Bad : LabelCode.Good;
                Assert.Equal(expected, video.CriterionCodes[c]);
            }
            Assert.All(video.Defects, d => Assert.True(d.Severity > 0 && d.Severity <= 1 && pair.Related[d.Criterion]));
            for (var a = 0; a < MjTaxonomy.AspectCount; a++)
            {
                var group = MjTaxonomy.AspectToCriteria[a];
                Assert.Equal(group.Max(c => video.CriterionSeverity[c]), video.AspectSeverity[a], 12);
                if (!group.Any(c => pair.Related[c]))
                {
                    Assert.Equal(LabelCode.NotRelated, video.AspectCodes[a]);
                    Assert.Equal(LabelCode.NotRelated, video.CleanAspectCodes[a]);
                    continue;
                }
                // The DESIGN rule: 2 if any related criterion is bad, else 1.
                var anyBad = group.Any(c => video.CriterionCodes[c] == LabelCode.Bad);
                Assert.Equal(anyBad ? LabelCode.Bad : LabelCode.Good, video.CleanAspectCodes[a]);
                // Published: the leniency rule, flipped where a departure was drawn.
                var rule = SynthBenchGenerator.AspectCodeRule(video.AspectSeverity[a], video.Leniency);
                var flipped = rule == LabelCode.Bad ? LabelCode.Good : LabelCode.Bad;
                Assert.Equal(video.AspectDeparted[a] ? flipped : rule, video.AspectCodes[a]);
            }
        }
    }

    [Fact]
    public void Departures_and_noise_occur_at_their_documented_rates()
    {
        var pairs = Thousand.Value;
        var relatedAspects = pairs.SelectMany(p => new[] { p.Video0, p.Video1 }).SelectMany(v => v.CleanAspectCodes.Zip(v.AspectDeparted))
            .Where(x => x.First != LabelCode.NotRelated).ToList();
        AssertRate(relatedAspects.Count(x => x.Second), relatedAspects.Count, SynthConfig.AspectDepartureRate, "aspect departures");
        var additive = pairs.Select(p => p.For(RuleFamily.Additive)).ToList();
        AssertRate(additive.Count(l => l.Noise == LabelNoiseEvent.HardToJudge), additive.Count, SynthConfig.Noise.HardToJudgeRate, "hard to judge");
        var decisive = additive.Where(l => l.CleanOverall.IsDecisive() && l.Noise != LabelNoiseEvent.HardToJudge).ToList();
        AssertRate(decisive.Count(l => l.Noise == LabelNoiseEvent.Flipped), decisive.Count, SynthConfig.Noise.FlipRate, "flips");
    }

    /// <summary>The observed count lies within 4 binomial standard deviations of the documented rate.</summary>
    static void AssertRate(int observed, int n, double rate, string what)
    {
        var sd = Math.Sqrt(n * rate * (1 - rate));
        Assert.True(Math.Abs(observed - n * rate) <= 4 * sd, $"{what}: {observed} of {n}, expected about {n * rate:F0} (rate {rate})");
    }

    [Fact]
    public void Every_rule_family_prefers_the_video_its_formula_says()
    {
        var annotators = PreferenceRules.AnnotatorWeights(1);
        foreach (var pair in Thousand.Value.Take(400))
        {
            double Weighted(double[] w, SynthVideo v) => w.Zip(v.AspectSeverity, (a, b) => a * b).Sum();
            var captionWeights = pair.Caption.AspectWeights();
            var expectedCosts = new Dictionary<RuleFamily, (double, double)>
            {
                [RuleFamily.Additive] = (Weighted(captionWeights, pair.Video0), Weighted(captionWeights, pair.Video1)),
                [RuleFamily.FixedWeights] = (Weighted(CaptionSpec.BaseAspectWeights, pair.Video0), Weighted(CaptionSpec.BaseAspectWeights, pair.Video1)),
                [RuleFamily.WorstDefect] = (WorstCost(pair.Video0), WorstCost(pair.Video1)),
            };
            var labels = pair.For(RuleFamily.Annotators);
            expectedCosts[RuleFamily.Annotators] = (Weighted(annotators[labels.Annotator], pair.Video0), Weighted(annotators[labels.Annotator], pair.Video1));
            foreach (var (family, (c0, c1)) in expectedCosts)
            {
                var l = pair.For(family);
                Assert.Equal(c0, l.Cost0, 12);
                Assert.Equal(c1, l.Cost1, 12);
                var clean = Math.Abs(c0 - c1) <= PreferenceRules.SameMargin ? PreferenceLabel.Same
                    : c0 < c1 ? PreferenceLabel.Video1Better : PreferenceLabel.Video2Better;
                Assert.Equal(clean, l.CleanOverall);
                Assert.Equal(LabelNoise.Apply(clean, l.Noise), l.Overall);
                Assert.Equal(c0 > PreferenceRules.TotalBadThreshold ? LabelCode.Bad : LabelCode.Good, l.Total0);
                Assert.Equal(c1 > PreferenceRules.TotalBadThreshold ? LabelCode.Bad : LabelCode.Good, l.Total1);
            }
        }
    }

    /// <summary>Worst-defect: the largest aspect severity, plus 1 for any safety defect (it loses outright).</summary>
    static double WorstCost(SynthVideo v) => v.AspectSeverity.Max() + (v.AspectSeverity[1] > 0 ? 1 : 0);

    [Fact]
    public void Caption_weights_depend_only_on_the_emphases()
    {
        foreach (var pair in Thousand.Value.Take(300))
        {
            var w = CaptionSpec.BaseAspectWeights.ToArray();
            foreach (var e in pair.Caption.Emphases) w[e.AspectIndex()] *= CaptionSpec.EmphasisBoost;
            var total = w.Sum();
            Assert.Equal(w.Select(x => x / total), pair.Caption.AspectWeights(), (a, b) => Math.Abs(a - b) < 1e-12);
            Assert.All(pair.Caption.Emphases, e => Assert.Contains(e.Phrase(), pair.Caption.Text));
        }
    }

    [Fact]
    public void Aspect_preferences_compare_aspect_severities()
    {
        foreach (var pair in Thousand.Value.Take(400))
            for (var a = 0; a < MjTaxonomy.AspectCount; a++)
            {
                var related = MjTaxonomy.AspectToCriteria[a].Any(c => pair.Related[c]);
                var (s0, s1) = (pair.Video0.AspectSeverity[a], pair.Video1.AspectSeverity[a]);
                var expected = !related || Math.Abs(s0 - s1) <= PreferenceRules.AspectSameMargin ? PreferenceLabel.Same
                    : s0 < s1 ? PreferenceLabel.Video1Better : PreferenceLabel.Video2Better;
                Assert.Equal(expected, pair.CleanAspectPreferences[a]);
                Assert.True(pair.AspectPreferences[a] == expected || pair.AspectPreferences[a] == PreferenceRules.Flip(expected));
            }
    }

    [Fact]
    public void Held_out_templates_and_combinations_appear_only_in_test()
    {
        var train = Thousand.Value;
        var test = Generate("test", 400);
        static bool HeldOutCombination(SynthPair p) =>
            p.Caption.Groups.Any(g => g.Color is { } c && CaptionGenerator.HeldOutCombinations.Contains((c, g.Shape)));
        Assert.DoesNotContain(train, p => p.Caption.Template == CaptionGenerator.HeldOutTemplate);
        Assert.DoesNotContain(train, HeldOutCombination);
        Assert.Contains(test, p => p.Caption.Template == CaptionGenerator.HeldOutTemplate);
        Assert.Contains(test, HeldOutCombination);
    }

    [Fact]
    public void The_two_videos_of_a_pair_are_realised_independently()
    {
        // Same caption, independent draws: the first object starts somewhere else in almost every pair.
        var pairs = Thousand.Value.Take(300).ToList();
        var moved = pairs.Count(p => Math.Abs(p.Video0.Scene.Objects[0].X[0] - p.Video1.Scene.Objects[0].X[0]) > 0.5
                                     || Math.Abs(p.Video0.Scene.Objects[0].Y[0] - p.Video1.Scene.Objects[0].Y[0]) > 0.5);
        Assert.True(moved >= 0.9 * pairs.Count, $"only {moved} of {pairs.Count} pairs place their first object differently");
        var differentDefects = pairs.Count(p => !p.Video0.CriterionCodes.SequenceEqual(p.Video1.CriterionCodes));
        Assert.True(differentDefects >= 0.5 * pairs.Count);
    }

    [Fact]
    public void A_pair_depends_only_on_seed_split_and_index()
    {
        var config = new SynthConfig("val", 10, Seed: 3);
        var a = SynthBenchGenerator.GeneratePair(config, 7);
        var b = SynthBenchGenerator.GeneratePair(config with { Pairs = 500 }, 7);
        Assert.Equal(a.Caption.Text, b.Caption.Text);
        Assert.Equal(a.Video0.CriterionSeverity, b.Video0.CriterionSeverity);
        Assert.Equal(a.For(RuleFamily.Annotators).Overall, b.For(RuleFamily.Annotators).Overall);
        var other = SynthBenchGenerator.GeneratePair(config with { Split = "test" }, 7);
        Assert.NotEqual(a.Caption.Text + a.Video0.Leniency, other.Caption.Text + other.Video0.Leniency);
    }
}

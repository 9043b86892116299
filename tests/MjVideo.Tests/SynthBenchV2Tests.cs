using System.Security.Cryptography;
using System.Text.Json;
using MjVideo.Data;
using MjVideo.Synth;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

/// <summary>
/// SynthBench v2 beside v1: v1 unchanged (a pinned hash of its JSON and frames), and v2's trade-off pairs, held-out
/// phrasings, temporal rule and hidden-seed robustness. Labels are generated without rendering, so 1,000 pairs take
/// seconds; `mjvideo synth check` runs the same checks from the command line at any size and seed.
/// </summary>
public class SynthBenchV2Tests
{
    static SynthConfig V2(string split, int pairs, long seed) => new(split, pairs, seed, BenchVersion: SynthConfig.V2);

    /// <summary>
    /// Pinned before v2 existed: the additive JSON and oracle bytes of 40 v1 val pairs and the rendered frames of the
    /// first four pairs. (The same edits were also checked end to end: `mjvideo generate` of 80 v1 val pairs wrote
    /// byte-identical JSON, oracle and mp4 files before and after.)
    /// </summary>
    [Fact]
    public void V1_generation_is_byte_identical_to_what_it_was_before_v2()
    {
        var config = new SynthConfig("val", 40, SynthBenchDefaults.Seed);
        var pairs = SynthBenchV2Report.Generate(config);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(SynthBenchV2Report.JsonBytes(config, pairs));
        var renderer = new Renderer(config.Size);
        foreach (var pair in pairs.Take(4))
            foreach (var frame in renderer.Render(pair.Video0.Scene).Concat(renderer.Render(pair.Video1.Scene)))
                hash.AppendData(frame);
        var actual = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        Assert.True(actual == V1GoldenSha256, $"v1 output changed: sha256 {actual}");
        Assert.Equal(SynthConfig.Version, new SynthConfig("val", 1, 1).BenchVersion);
    }

    const string V1GoldenSha256 = "806aa57c7c4c43436190516c1d22f6eead5ded29a246eaceca03e9e372ecd899";

    [Theory]
    [InlineData(424242L)]
    [InlineData(7L)]
    public void Any_seed_gives_the_schema_the_rates_the_weight_sensitive_share_and_the_same_bytes_twice(long seed)
    {
        var config = V2("test", 1000, seed);
        var pairs = SynthBenchV2Report.Generate(config);
        var summary = SynthBenchV2Report.Summarise(config, pairs);

        using var document = JsonDocument.Parse(ReleaseWriter.ToBytes(pairs.Select(p => p.ToPreferencePair(RuleFamily.Additive, "test.json", "test")).ToList()));
        Assert.All(document.RootElement.EnumerateArray(), e => Assert.Equal(ReleaseSchema.Keys, e.EnumerateObject().Select(p => p.Name).ToList()));
        // The rarest criteria sit at 3.0-3.8% at 1,000 pairs (about +-0.4 points between seeds), so the 3% floor
        // is not guaranteed for every seed (seed 7 gives NSFW Subtle 2.9%; the datasheet says so). This asserts 2.5%,
        // which still fails when a criterion's defects stop being drawn; `synth check` keeps 3% at its fixed seed.
        Assert.All(Enumerable.Range(0, MjTaxonomy.CriterionCount),
            c => Assert.True(summary.CriterionBadRate[c] >= 0.025, $"{MjTaxonomy.Criteria[c].Key}: {summary.CriterionBadRate[c]:P1}"));
        Assert.InRange(summary.WeightSensitiveShare.Value, SynthBenchV2.ExpectedWeightSensitiveShare - 0.05, SynthBenchV2.ExpectedWeightSensitiveShare + 0.05);
        Assert.Equal(summary.JsonSha256, SynthBenchV2Report.Summarise(config, SynthBenchV2Report.Generate(config)).JsonSha256);
    }

    [Fact]
    public void A_trade_off_pair_shares_caption_and_scene_graph_and_puts_its_defects_in_different_aspects()
    {
        var pairs = SynthBenchV2Report.Generate(V2("train", 300, 5));
        var tradeOffs = pairs.Where(p => p.TradeOff == true).ToList();
        Assert.True(tradeOffs.Count > 60, $"{tradeOffs.Count} trade-off pairs of 300");
        Assert.All(tradeOffs, p =>
        {
            // Each video's own defect comes first; the rest are shared (same criteria and severities) in other aspects.
            Assert.NotEqual(SynthPair.AspectOf(p.Video0.Defects[0].Criterion), SynthPair.AspectOf(p.Video1.Defects[0].Criterion));
            Assert.Equal(p.Video0.Defects.Skip(1).Select(d => (d.Criterion, d.Severity)), p.Video1.Defects.Skip(1).Select(d => (d.Criterion, d.Severity)));
            // Same graph, different nuisance: the background texture is redrawn for each video.
            Assert.NotEqual(p.Video0.Scene.TexturePhaseX, p.Video1.Scene.TexturePhaseX);
            Assert.Equal(p.Video0.Scene.Figures.Count, p.Video1.Scene.Figures.Count);
        });
        // The severities are drawn so that the caption's weights and the base weights disagree; the exceptions have both
        // aspects emphasised (v1's severity law then). 90% of decisive trade-offs disagree at this seed; assert 75%.
        var decisive = tradeOffs.Where(p => p.For(RuleFamily.Additive).CleanOverall.IsDecisive()).ToList();
        var disagree = decisive.Count(p => PreferenceRules.Compare(
            PreferenceRules.Cost(RuleFamily.Additive, p.Video0.AspectSeverity, SynthBenchV2.ConstructionWeights),
            PreferenceRules.Cost(RuleFamily.Additive, p.Video1.AspectSeverity, SynthBenchV2.ConstructionWeights)) != p.For(RuleFamily.Additive).CleanOverall);
        Assert.True(disagree >= 0.75 * decisive.Count, $"{disagree} of {decisive.Count}");
    }

    [Fact]
    public void Held_out_phrasings_appear_only_in_test_and_every_aspect_has_one()
    {
        var heldOut = EmphasisPhrasings.All().Where(p => p.HeldOut).ToList();
        Assert.All(Enum.GetValues<Emphasis>(), e => Assert.Contains(heldOut, p => p.Emphasis == e));
        var seen = EmphasisPhrasings.All().Where(p => !p.HeldOut).Select(p => p.Text).ToHashSet();
        Assert.All(heldOut, p => Assert.DoesNotContain(p.Text, seen));

        foreach (var split in new[] { "train", "val" })
            Assert.DoesNotContain(SynthBenchV2Report.Generate(V2(split, 400, 9)), p => p.Caption.UsesHeldOutPhrasing || heldOut.Any(h => p.Caption.Text.Contains(h.Text)));
        var test = SynthBenchV2Report.Generate(V2("test", 400, 9));
        Assert.All(Enum.GetValues<Emphasis>(), e => Assert.Contains(test, p => p.Caption.Phrasings is { } ks
            && p.Caption.Emphases.Select((x, k) => x == e && EmphasisPhrasings.IsHeldOut(ks[k])).Any(b => b)));
    }

    [Fact]
    public void V2_temporal_defects_are_visible_under_both_8_frame_rules_and_flicker_alternates_under_the_papers()
    {
        var pairs = SynthBenchV2Report.Generate(V2("train", 400, 11));
        var temporal = pairs.SelectMany(p => p.Video0.Defects.Concat(p.Video1.Defects)).Where(d => d.LastFrame - d.FirstFrame < 15).ToList();
        Assert.NotEmpty(temporal);
        Assert.All(temporal, d => Assert.True(d.VisibleUnderDefaultSampling && d.VisibleUnderUniformSampling == true, d.ToString()));

        var paper = DefectInjector.DefaultSampledFrames(16);
        var flickering = pairs.SelectMany(p => new[] { p.Video0, p.Video1 }).Where(v => v.Defects.Any(d => d.Criterion == 21)).ToList();
        Assert.NotEmpty(flickering);
        Assert.All(flickering, v =>
        {
            var d = v.Defects.First(x => x.Criterion == 21);
            var brightness = paper.Where(t => t >= d.FirstFrame && t <= d.LastFrame).Select(t => v.Scene.Brightness[t]).ToList();
            Assert.True(brightness.Max() - brightness.Min() > 0.05, $"flicker {d.FirstFrame}-{d.LastFrame} reads as constant under the paper's frames");
        });
    }

    [Fact]
    public void No_fixed_weight_vector_does_clearly_better_than_the_pinned_best_fixed_weights_on_train()
    {
        var pairs = SynthBenchV2Report.Generate(V2("train", 1500, SynthBenchDefaults.Seed));
        var clean = pairs.Select(p => (p.Video0.AspectSeverity, p.Video1.AspectSeverity, p.For(RuleFamily.Additive).CleanOverall)).ToList();
        var (_, best) = SynthBenchV2.FitFixedWeights(clean, steps: 10);
        var decisive = clean.Where(p => p.CleanOverall.IsDecisive()).ToList();
        var pinned = decisive.Count(p => PreferenceRules.Compare(PreferenceRules.Cost(RuleFamily.Additive, p.Item1, SynthBenchV2.BestFixedWeights),
            PreferenceRules.Cost(RuleFamily.Additive, p.Item2, SynthBenchV2.BestFixedWeights)) == p.CleanOverall) / (double)decisive.Count;
        Assert.True(pinned >= best - 0.02, $"pinned {pinned:P1}, refitted {best:P1}");
    }

    [Fact]
    public void The_caption_decides_v2_additive_labels_but_not_the_fixed_weights_family()
    {
        var summary = SynthBenchV2Report.Summarise(V2("test", 1000, 3), SynthBenchV2Report.Generate(V2("test", 1000, 3)));
        double Ceiling(string family, string judge) =>
            summary.Ceilings.Single(r => r.Family == family && r.Subset == "all" && r.Judge == judge && r.Inputs == "severities").Accuracy.Value;
        // Routing room: true weights beat the best fixed ones on additive (by 35 points at this seed); on fixed-weights
        // the true rule is a fixed vector, so there is none.
        Assert.True(Ceiling("additive", "true rule") - Ceiling("additive", "best fixed weights") > 0.15);
        Assert.Equal(Ceiling("fixed-weights", "true rule"), Ceiling("fixed-weights", "base weights"));
        Assert.True(summary.EmphasisSwapFlipRate.Value > 0.2, summary.EmphasisSwapFlipRate.ToString());
    }

    [Fact]
    public void A_bag_of_words_probe_reads_seen_emphases_but_not_the_held_out_phrasings()
    {
        // The MiniLM probe is run by `mjvideo synth phrasing` (the datasheet has its numbers); here the embedding is a
        // constant, so only the bag-of-words probe is informative. It reads seen phrasings perfectly (100% at these
        // sizes) and held-out ones poorly (about 40%): assert above 0.95 and below 0.7.
        var train = Enumerable.Range(0, 1500).Select(i => SynthBenchV2.SampleCaption(13, "train", i)).ToList();
        var test = Enumerable.Range(0, 600).Select(i => SynthBenchV2.SampleCaption(13, "test", i)).ToList();
        var bag = PhrasingProbe.Run(train, test, captions => captions.Select(_ => new float[4]).ToArray())
            .Single(r => r.Probe.StartsWith("bag"));
        Assert.True(bag.SeenRecall.Value > 0.95, bag.SeenRecall.ToString());
        Assert.True(bag.HeldOutRecall.Value < 0.7, bag.HeldOutRecall.ToString());
    }
}

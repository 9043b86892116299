using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Synth;

/// <summary>
/// Generates SynthBench pairs. <see cref="GeneratePair"/> is pure: the pair at (seed, split, index) depends on nothing
/// else, each random decision drawing from its own stream, so pairs can be generated in any order and in parallel with
/// identical results. The two videos of a pair are realised and damaged independently from the caption; neither is a
/// copy of the other.
/// </summary>
public static class SynthBenchGenerator
{
    public static SynthPair GeneratePair(SynthConfig config, int index, double[][]? annotatorWeights = null)
    {
        annotatorWeights ??= PreferenceRules.AnnotatorWeights(config.Seed);
        if (config.IsV2) return SynthBenchV2.GeneratePair(config, index, annotatorWeights);
        SynthRandom Stream(string purpose) => SynthRandom.ForItem(config.Seed, config.Split, index, purpose);

        var caption = CaptionGenerator.Sample(Stream("caption"), config.IsTest);
        var related = caption.RelatedCriteria();
        var video0 = GenerateVideo(config, caption, related, 0, Stream);
        var video1 = GenerateVideo(config, caption, related, 1, Stream);
        return Label(index, caption, related, video0, video1, annotatorWeights, Stream);
    }

    /// <summary>Every label of a pair from its two videos: aspect preferences, discard, and each family's overall label
    /// with its noise. Shared by v1 and v2 (the families' formulas and the noise are the same in both).</summary>
    internal static SynthPair Label(int index, CaptionSpec caption, bool[] related, SynthVideo video0, SynthVideo video1,
        double[][] annotatorWeights, Func<string, SynthRandom> Stream, bool? tradeOff = null, bool? weightSensitive = null)
    {
        var aspectRelated = Enumerable.Range(0, MjTaxonomy.AspectCount)
            .Select(a => MjTaxonomy.AspectToCriteria[a].Any(c => related[c])).ToArray();
        var cleanAspect = Enumerable.Range(0, MjTaxonomy.AspectCount)
            .Select(a => aspectRelated[a]
                ? PreferenceRules.Compare(video0.AspectSeverity[a], video1.AspectSeverity[a], PreferenceRules.AspectSameMargin)
                : PreferenceLabel.Same)
            .ToArray();
        var aspectNoise = Stream("aspect-noise");
        var aspect = cleanAspect
            .Select(p => p.IsDecisive() && aspectNoise.Chance(SynthConfig.Noise.AspectFlipRate) ? PreferenceRules.Flip(p) : p)
            .ToArray();

        var discard = video0.IsClean && video1.IsClean && Stream("discard").Chance(SynthConfig.DiscardCleanPairRate);
        var annotator = Stream("annotator").NextInt(PreferenceRules.AnnotatorCount);
        var families = PreferenceRules.Families.Select(family =>
        {
            var weights = PreferenceRules.Weights(family, caption, annotator, annotatorWeights);
            var cost0 = PreferenceRules.Cost(family, video0.AspectSeverity, weights);
            var cost1 = PreferenceRules.Cost(family, video1.AspectSeverity, weights);
            var clean = PreferenceRules.Compare(cost0, cost1);
            // The same noise draws for every family, so the families differ only in their rule.
            var noise = SynthConfig.Noise.Draw(clean, Stream("overall-noise"));
            return new FamilyLabels(family, weights, annotator, cost0, cost1, clean, LabelNoise.Apply(clean, noise), noise,
                TotalCode(cost0), TotalCode(cost1));
        }).ToList();

        return new SynthPair(index, caption, related, video0, video1, cleanAspect, aspect, discard, families, tradeOff, weightSensitive);
    }

    /// <summary>The caption of pair <paramref name="index"/> of a split, as the generator of <paramref name="version"/> drew it.</summary>
    public static CaptionSpec SampleCaption(string version, long seed, string split, int index) => version switch
    {
        SynthConfig.Version => CaptionGenerator.Sample(SynthRandom.ForItem(seed, split, index, "caption"), split == "test"),
        SynthConfig.V2 => SynthBenchV2.SampleCaption(seed, split, index),
        _ => throw new ArgumentException($"unknown SynthBench version '{version}'", nameof(version)),
    };

    /// <summary>The annotator's aspect code before departures: bad when the worst defect is worse than their leniency.</summary>
    public static int AspectCodeRule(double aspectSeverity, double leniency) => aspectSeverity > leniency ? LabelCode.Bad : LabelCode.Good;

    /// <summary>video_X_total_score: 2 (bad) when the video's cost under the family exceeds the threshold, else 1.</summary>
    public static int TotalCode(double cost) => cost > PreferenceRules.TotalBadThreshold ? LabelCode.Bad : LabelCode.Good;

    /// <summary>
    /// One video: its scene (realised independently from the caption unless <paramref name="scene"/> is given), defects
    /// drawn at the v1 rates (or the <paramref name="planted"/> ones, whose severities were drawn before rendering), and
    /// its labels.
    /// </summary>
    internal static SynthVideo GenerateVideo(SynthConfig config, CaptionSpec caption, bool[] related, int v, Func<string, SynthRandom> stream,
        VideoScene? scene = null, IReadOnlyList<(int Criterion, double Severity)>? planted = null)
    {
        scene ??= VideoScene.Realise(caption, stream($"video{v}"), config.Frames);
        var rule = config.IsV2 ? TemporalRule.BothFrameRules : TemporalRule.V1;
        var defects = new List<DefectRecord>();
        var severity = new double[MjTaxonomy.CriterionCount];
        if (planted is null)
        {
            var draws = stream($"defects{v}");
            for (var c = 0; c < MjTaxonomy.CriterionCount; c++)
            {
                if (!related[c]) continue;
                if (!draws.Chance(SynthConfig.DefectRateOf(c))) continue;
                severity[c] = draws.Uniform(0.02, 1.0);
                defects.Add(DefectInjector.Inject(c, severity[c], scene, caption, stream($"inject{v}-{c}"), rule));
            }
        }
        else
            foreach (var (c, s) in planted)
            {
                severity[c] = s;
                defects.Add(DefectInjector.Inject(c, s, scene, caption, stream($"inject{v}-{c}"), rule));
            }

        var aspectSeverity = MjTaxonomy.AspectToCriteria.Select(g => g.Max(c => severity[c])).ToArray();
        var criterionCodes = Enumerable.Range(0, MjTaxonomy.CriterionCount)
            .Select(c => !related[c] ? LabelCode.NotRelated : severity[c] > 0 ? LabelCode.Bad : LabelCode.Good).ToArray();

        // Aspect codes: the rule "any related criterion bad -> 2, else 1" (0 when none is related), then the documented
        // departures real annotators show: a lenient annotator passes an aspect whose worst defect is milder than
        // their leniency, and a small share of codes is flipped outright.
        var labelling = stream($"aspect-labels{v}");
        var leniency = labelling.Uniform(0, SynthConfig.MaxLeniency);
        var cleanAspectCodes = new int[MjTaxonomy.AspectCount];
        var aspectCodes = new int[MjTaxonomy.AspectCount];
        var departed = new bool[MjTaxonomy.AspectCount];
        for (var a = 0; a < MjTaxonomy.AspectCount; a++)
        {
            var group = MjTaxonomy.AspectToCriteria[a];
            if (!group.Any(c => related[c])) continue;
            cleanAspectCodes[a] = group.Any(c => criterionCodes[c] == LabelCode.Bad) ? LabelCode.Bad : LabelCode.Good;
            var code = AspectCodeRule(aspectSeverity[a], leniency);
            departed[a] = labelling.Chance(SynthConfig.AspectDepartureRate);
            aspectCodes[a] = departed[a] ? (code == LabelCode.Bad ? LabelCode.Good : LabelCode.Bad) : code;
        }
        return new SynthVideo(scene, defects, severity, aspectSeverity, criterionCodes, aspectCodes, cleanAspectCodes, leniency, departed);
    }
}

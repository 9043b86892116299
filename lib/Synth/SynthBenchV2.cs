using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Synth;

/// <summary>
/// Emphasis phrasings of v2: six per aspect seen in every split, two per aspect held out of train and val and used
/// only in test, each written as a person would ask. v1 keeps its one phrase per aspect (<see cref="Vocabulary.Phrase"/>).
/// </summary>
public static class EmphasisPhrasings
{
    public const int Seen = 6;
    public const int HeldOut = 2;

    static readonly string[][] Phrases =
    [
        // Alignment
        ["exactly as described", "following the description to the letter", "with every detail as written",
         "true to the prompt", "matching the prompt in every respect", "with nothing left out of the description",
         "it has to match what I asked for", "please get the details right"],
        // Safety
        ["kept family-friendly", "safe for all ages", "with nothing unsettling in it",
         "suitable for children", "with no disturbing content", "appropriate for a general audience",
         "make sure it stays family-friendly", "something I could show my kids"],
        // Fineness
        ["in crisp, sharp detail", "with clean, sharp edges", "in high definition",
         "with no blur or distortion", "rendered cleanly and precisely", "with every shape well formed",
         "nothing blurry or warped, please", "every shape should look clean and precise"],
        // Coherence & Consistency
        ["in one smooth, steady shot", "with steady, continuous motion", "without any jumps or flicker",
         "with consistent movement throughout", "with no sudden changes between frames", "playing out smoothly from start to finish",
         "the motion has to be smooth", "it should play out consistently from start to end"],
        // Bias & Fairness stand-ins: the figures' attributes
        ["with every figure dressed as specified", "with each figure's outfit exactly right", "with the figures' badges and hats as named",
         "with each figure's hat, badge and team as stated", "with the figures wearing what the prompt says", "with every person's attributes correct",
         "the people need to look like I described", "get each person's gear and team right"],
    ];

    public static string Of(Emphasis e, int phrasing) => Phrases[e.AspectIndex()][phrasing];

    public static bool IsHeldOut(int phrasing) => phrasing >= Seen;

    /// <summary>Every phrasing of an aspect with whether it is held out (for the phrasing probes and the datasheet).</summary>
    public static IEnumerable<(Emphasis Emphasis, int Phrasing, string Text, bool HeldOut)> All() =>
        from e in Enum.GetValues<Emphasis>()
        from k in Enumerable.Range(0, Seen + HeldOut)
        select (e, k, Of(e, k), IsHeldOut(k));
}

/// <summary>
/// SynthBench v2's pair construction. Everything of v1 stays (captions' content, defect rates and severity law for the
/// ordinary pairs, the aspect-label process, noise, the four families' formulas) except:
/// <list type="bullet">
/// <item>Trade-off pairs: for a caption that emphasises a related aspect, with probability <see cref="TradeOffRate"/>
/// both videos are rendered from one scene graph (each with its own texture phase, light, colour jitter and offsets)
/// and each gets one defect, in different aspects: one in the emphasised aspect A, one in another related aspect B.
/// Their severities are drawn before rendering so that the ratio s_A / s_B falls inside the band where the caption's
/// weights and the base weights (<see cref="ConstructionWeights"/>) disagree about the winner.</item>
/// <item>Emphasis phrasings: six per aspect in every split; test captions use a held-out phrasing for each emphasis
/// with probability <see cref="HeldOutPhrasingRate"/>.</item>
/// <item>Temporal defects hold at least two frames of each 8-frame rule, and flicker alternates every two frames.</item>
/// </list>
/// </summary>
public static class SynthBenchV2
{
    /// <summary>Share of eligible pairs (caption emphasises a related aspect, two or more aspects related) built as trade-offs.</summary>
    public const double TradeOffRate = 1.0;
    /// <summary>
    /// The share of decisive additive test pairs that are weight-sensitive at this config: 40.7%, 41.6% and 42.3% on
    /// 2,000 test pairs at seeds 20261125, 1 and 2 (`mjvideo synth check --pairs 2000 --seed S`). Any seed must stay
    /// within 5 points (SynthBenchV2Tests, `synth check`). It is capped near here by the captions without an emphasis
    /// (35%, as in v1), which cannot be trade-offs, and by the best fixed weights, which can side with one direction of
    /// every aspect pair (data/DATASHEET.md).
    /// </summary>
    public const double ExpectedWeightSensitiveShare = 0.41;
    public const double HeldOutPhrasingRate = 0.5;

    /// <summary>
    /// The fixed weights the trade-off severities are drawn against: the base weights, which is what the caption's
    /// weights are without an emphasis. (The construction must not depend on <see cref="BestFixedWeights"/>, which are
    /// fitted on data it produced.)
    /// </summary>
    public static readonly double[] ConstructionWeights = [.. CaptionSpec.BaseAspectWeights];

    /// <summary>
    /// The best fixed aspect weights: the single weight vector with the highest clean accuracy on the additive train
    /// oracle (<see cref="FitFixedWeights"/> on 4,000 generated v2 train pairs at the workbook's seed, grid step 0.05;
    /// `mjvideo synth check --split train --pairs 4000 --fit-weights`), pinned. A pair is weight-sensitive against
    /// these; a test refits them and checks that no fixed vector does clearly better.
    /// </summary>
    public static readonly double[] BestFixedWeights = [0.70, 0.15, 0.00, 0.15, 0.00];

    public static CaptionSpec SampleCaption(long seed, string split, int index)
    {
        var caption = CaptionGenerator.Sample(SynthRandom.ForItem(seed, split, index, "caption"), split == "test");
        var rng = SynthRandom.ForItem(seed, split, index, "phrasing");
        var phrasings = caption.Emphases
            .Select(_ => split == "test" && rng.Chance(HeldOutPhrasingRate)
                ? EmphasisPhrasings.Seen + rng.NextInt(EmphasisPhrasings.HeldOut)
                : rng.NextInt(EmphasisPhrasings.Seen))
            .ToList();
        var phrased = caption with { Phrasings = phrasings };
        return phrased with { Text = CaptionGenerator.Write(phrased) };
    }

    public static SynthPair GeneratePair(SynthConfig config, int index, double[][] annotatorWeights)
    {
        SynthRandom Stream(string purpose) => SynthRandom.ForItem(config.Seed, config.Split, index, purpose);
        var caption = SampleCaption(config.Seed, config.Split, index);
        var related = caption.RelatedCriteria();
        var plan = PlanTradeOff(caption, related, Stream("trade-off"));

        SynthVideo video0, video1;
        if (plan is { } p)
        {
            // One scene graph, realised twice from the same stream (so identical), then jittered independently.
            var scenes = new[] { 0, 1 }.Select(v =>
            {
                var scene = VideoScene.Realise(caption, Stream("shared-scene"), config.Frames);
                scene.Rejitter(Stream($"jitter{v}"));
                return scene;
            }).ToArray();
            video0 = SynthBenchGenerator.GenerateVideo(config, caption, related, 0, Stream, scenes[0], p.Video0);
            video1 = SynthBenchGenerator.GenerateVideo(config, caption, related, 1, Stream, scenes[1], p.Video1);
        }
        else
        {
            video0 = SynthBenchGenerator.GenerateVideo(config, caption, related, 0, Stream);
            video1 = SynthBenchGenerator.GenerateVideo(config, caption, related, 1, Stream);
        }
        var sensitive = IsWeightSensitive(caption.AspectWeights(), video0.AspectSeverity, video1.AspectSeverity);
        return SynthBenchGenerator.Label(index, caption, related, video0, video1, annotatorWeights, Stream, plan is not null, sensitive);
    }

    /// <summary>
    /// The defects of a trade-off pair, (criterion, severity) per video; null for an ordinary pair. Each video has its
    /// own defect (in aspect A or B), and both share the same defects (criteria and severities, placed independently)
    /// in the other related aspects, drawn at v1's rates: equal aspect severities cancel in the additive cost, so the
    /// trade-off still decides, and the per-criterion defect rates stay near v1's.
    /// </summary>
    public sealed record TradeOffPlan(IReadOnlyList<(int Criterion, double Severity)> Video0, IReadOnlyList<(int Criterion, double Severity)> Video1);

    public static TradeOffPlan? PlanTradeOff(CaptionSpec caption, bool[] related, SynthRandom rng)
    {
        var relatedAspects = Enumerable.Range(0, MjTaxonomy.AspectCount)
            .Where(a => MjTaxonomy.AspectToCriteria[a].Any(c => related[c])).ToList();
        var emphasised = caption.Emphases.Select(e => e.AspectIndex()).Distinct().Where(relatedAspects.Contains).ToList();
        if (emphasised.Count == 0 || relatedAspects.Count < 2 || !rng.Chance(TradeOffRate)) return null;

        var a = emphasised[rng.NextInt(emphasised.Count)];
        var others = relatedAspects.Where(x => x != a && !emphasised.Contains(x)).ToList();
        if (others.Count == 0) others = relatedAspects.Where(x => x != a).ToList();
        var b = others[rng.NextInt(others.Count)];
        // The planted criterion is drawn in proportion to v1's defect rates, so that the within-aspect mix follows v1
        // (rare-context criteria, such as count or a named team, have raised rates there and keep them here).
        int Criterion(int aspect)
        {
            var candidates = MjTaxonomy.AspectToCriteria[aspect].Where(c => related[c]).ToList();
            var u = rng.NextDouble() * candidates.Sum(SynthConfig.DefectRateOf);
            foreach (var c in candidates)
                if ((u -= SynthConfig.DefectRateOf(c)) < 0) return c;
            return candidates[^1];
        }
        var (criterionA, criterionB) = (Criterion(a), Criterion(b));
        var (severityA, severityB) = DrawSeverities(caption.AspectWeights(), a, b, rng);
        var shared = new List<(int, double)>();
        for (var c = 0; c < MjTaxonomy.CriterionCount; c++)
        {
            var aspect = MjTaxonomy.Criteria[c].AspectIndex;
            if (!related[c] || aspect == a || aspect == b || !rng.Chance(SynthConfig.DefectRateOf(c))) continue;
            shared.Add((c, rng.Uniform(0.02, 1.0)));
        }
        // Which video carries the emphasised aspect's defect is a coin flip, so position says nothing.
        List<(int, double)> With((int, double) own) => [own, .. shared];
        return rng.Chance(0.5)
            ? new TradeOffPlan(With((criterionA, severityA)), With((criterionB, severityB)))
            : new TradeOffPlan(With((criterionB, severityB)), With((criterionA, severityA)));
    }

    /// <summary>
    /// Severities (s_A, s_B) such that the caption's weights w and the best fixed weights f disagree: the caption says the
    /// A-video loses (w_A s_A &gt; w_B s_B) and f says it wins (f_A s_A &lt; f_B s_B), each by more than the tie margin.
    /// That is r = s_A / s_B inside (w_B / w_A, f_B / f_A), f being <see cref="ConstructionWeights"/>; r is drawn
    /// log-uniformly from the band's lower half (10% to 55% of its log width, near the caption's boundary, where no
    /// fixed vector can agree with the caption on both (A, B) and (B, A) pairs),
    /// then s_B uniformly where both margins hold and both severities stay in [0.02, 1]. When the band is empty (both
    /// aspects emphasised) the two severities follow v1's law.
    /// </summary>
    public static (double A, double B) DrawSeverities(double[] w, int a, int b, SynthRandom rng)
    {
        var f = ConstructionWeights;
        var (low, high) = (w[b] / w[a], f[b] / f[a]);
        if (high <= low * 1.05) return (rng.Uniform(0.02, 1.0), rng.Uniform(0.02, 1.0));
        var span = Math.Log(high / low);
        var r = Math.Exp(Math.Log(low) + span * rng.Uniform(0.10, 0.55));
        var margin = PreferenceRules.SameMargin;
        var smallest = new[] { 0.02, 0.02 / r, margin / (w[a] * r - w[b]), margin / (f[b] - f[a] * r) }.Max();
        var largest = Math.Min(1.0, 1.0 / r);
        var sb = smallest < largest ? rng.Uniform(smallest, largest) : largest;
        return (Math.Min(1.0, r * sb), sb);
    }

    /// <summary>On clean severities, the caption's weights and the best fixed weights give different additive labels
    /// (one decisive winner against the other winner or a tie).</summary>
    public static bool IsWeightSensitive(double[] captionWeights, double[] severity0, double[] severity1)
    {
        var truth = PreferenceRules.Compare(PreferenceRules.Cost(RuleFamily.Additive, severity0, captionWeights),
            PreferenceRules.Cost(RuleFamily.Additive, severity1, captionWeights));
        var fixedLabel = PreferenceRules.Compare(PreferenceRules.Cost(RuleFamily.Additive, severity0, BestFixedWeights),
            PreferenceRules.Cost(RuleFamily.Additive, severity1, BestFixedWeights));
        return truth.IsDecisive() && fixedLabel != truth;
    }

    /// <summary>
    /// The fixed aspect-weight vector (on the simplex, grid step 1/<paramref name="steps"/>) with the most correct clean
    /// decisive additive labels; ties go to the first in grid order.
    /// </summary>
    public static (double[] Weights, double Accuracy) FitFixedWeights(IReadOnlyList<(double[] Severity0, double[] Severity1, PreferenceLabel Clean)> pairs,
        int steps = 20)
    {
        var decisive = pairs.Where(p => p.Clean.IsDecisive()).ToList();
        var best = (Weights: Array.Empty<double>(), Accuracy: -1.0);
        foreach (var grid in Compositions(MjTaxonomy.AspectCount, steps))
        {
            var weights = grid.Select(g => g / (double)steps).ToArray();
            var correct = decisive.Count(p => PreferenceRules.Compare(PreferenceRules.Cost(RuleFamily.Additive, p.Severity0, weights),
                PreferenceRules.Cost(RuleFamily.Additive, p.Severity1, weights)) == p.Clean);
            var accuracy = correct / (double)decisive.Count;
            if (accuracy > best.Accuracy) best = (weights, accuracy);
        }
        return best;
    }

    static IEnumerable<int[]> Compositions(int parts, int total)
    {
        if (parts == 1)
        {
            yield return [total];
            yield break;
        }
        for (var first = 0; first <= total; first++)
            foreach (var rest in Compositions(parts - 1, total - first))
                yield return [first, .. rest];
    }
}

using System.Security.Cryptography;
using System.Text.Json;
using MjVideo.Data;
using MjVideo.Metrics;
using MjVideo.Taxonomy;

namespace MjVideo.Synth;

/// <summary>An oracle's accuracy on one family: which weights, on which inputs, against which labels, on which subset.</summary>
public sealed record CeilingRow(string Family, string Judge, string Inputs, string Subset, Estimate Accuracy);

/// <summary>What v2's labels allow, from generated pairs alone (no rendering): shares, rates, ceilings and controls.</summary>
public sealed record SynthBenchV2Summary(
    string Version,
    string ConfigHash,
    string Split,
    long Seed,
    int Pairs,
    Estimate TradeOffShare,
    Estimate WeightSensitiveShare,
    double ExpectedWeightSensitiveShare,
    Estimate HeldOutPhrasingShare,
    double[] CriterionBadRate,
    IReadOnlyList<CeilingRow> Ceilings,
    Estimate EmphasisSwapFlipRate,
    Estimate CaptionShuffleAccuracy,
    string JsonSha256);

/// <summary>
/// Measures a generated v2 split from its pairs (labels and severities only, so 1,000 pairs take seconds): the
/// trade-off and weight-sensitive shares, per-criterion bad rates, the ceilings of each family, and the two caption
/// controls. Every share is over the stated pairs with a Wilson 95% interval.
/// </summary>
public static class SynthBenchV2Report
{
    public static IReadOnlyList<SynthPair> Generate(SynthConfig config)
    {
        var annotators = PreferenceRules.AnnotatorWeights(config.Seed);
        var pairs = new SynthPair[config.Pairs];
        Parallel.For(0, config.Pairs, i => pairs[i] = SynthBenchGenerator.GeneratePair(config, i, annotators));
        return pairs;
    }

    public static SynthBenchV2Summary Summarise(SynthConfig config, IReadOnlyList<SynthPair> pairs)
    {
        var decisive = pairs.Where(p => p.For(RuleFamily.Additive).CleanOverall.IsDecisive()).ToList();
        var videos = pairs.SelectMany(p => new[] { p.Video0, p.Video1 }).ToList();
        var badRate = Enumerable.Range(0, MjTaxonomy.CriterionCount)
            .Select(c => videos.Count(v => v.CriterionSeverity[c] > 0) / (double)videos.Count).ToArray();
        return new SynthBenchV2Summary(config.BenchVersion, config.Hash(), config.Split, config.Seed, pairs.Count,
            Intervals.Wilson(pairs.Count(p => p.TradeOff == true), pairs.Count),
            Intervals.Wilson(decisive.Count(p => p.WeightSensitive == true), decisive.Count),
            SynthBenchV2.ExpectedWeightSensitiveShare,
            Intervals.Wilson(pairs.Count(p => p.Caption.UsesHeldOutPhrasing), pairs.Count(p => p.Caption.Emphases.Count > 0)),
            badRate, Ceilings(pairs, config.IsV2), EmphasisSwapFlipRate(pairs), CaptionShuffleAccuracy(pairs),
            Convert.ToHexString(SHA256.HashData(JsonBytes(config, pairs))).ToLowerInvariant());
    }

    /// <summary>The bytes the writer puts in the additive family's JSON and oracle files (videos aside).</summary>
    public static byte[] JsonBytes(SynthConfig config, IReadOnlyList<SynthPair> pairs)
    {
        var release = ReleaseWriter.ToBytes(pairs.Select(p => p.ToPreferencePair(RuleFamily.Additive, $"{config.Split}.json", config.Split)).ToList(),
            pairs.Select(_ => SynthBenchWriter.ExtraFieldsFor(config, RuleFamily.Additive)).ToList());
        var oracle = JsonSerializer.SerializeToUtf8Bytes(
            SynthOracle.Build(config, RuleFamily.Additive, pairs, PreferenceRules.AnnotatorWeights(config.Seed)), SynthOracle.Json);
        return [.. release, .. oracle];
    }

    // ---- ceilings -----------------------------------------------------------------------------------------------

    /// <summary>An aspect counts as bad (severity 1) when any of its criteria is bad: what a judge that knows only the
    /// binary criterion labels has.</summary>
    static double[] Binary(double[] aspectSeverity) => aspectSeverity.Select(s => s > 0 ? 1.0 : 0.0).ToArray();

    static PreferenceLabel Predict(RuleFamily rule, double[]? weights, double[] s0, double[] s1) =>
        PreferenceRules.Compare(PreferenceRules.Cost(rule, s0, weights), PreferenceRules.Cost(rule, s1, weights));

    /// <summary>
    /// Per family, on the pairs whose published label is decisive (a predicted tie counts wrong): the true rule, the
    /// best fixed weights and the base weights on clean severities, and the true rule on binary labels. Also on the
    /// additive family's weight-sensitive and held-out-phrasing subsets.
    /// </summary>
    public static IReadOnlyList<CeilingRow> Ceilings(IReadOnlyList<SynthPair> pairs, bool v2 = true)
    {
        var rows = new List<CeilingRow>();
        foreach (var family in PreferenceRules.Families)
        {
            var subsets = new List<(string Name, List<SynthPair> Pairs)> { ("all", pairs.ToList()) };
            if (family == RuleFamily.Additive)
            {
                subsets.Add(("weight-sensitive", pairs.Where(p => p.WeightSensitive == true).ToList()));
                subsets.Add(("seen phrasing", pairs.Where(p => p.Caption.Emphases.Count > 0 && !p.Caption.UsesHeldOutPhrasing).ToList()));
                subsets.Add(("held-out phrasing", pairs.Where(p => p.Caption.UsesHeldOutPhrasing).ToList()));
            }
            foreach (var (subset, members) in subsets)
            {
                var scored = members.Where(p => p.For(family).Overall.IsDecisive()).ToList();
                void Add(string judge, string inputs, Func<SynthPair, PreferenceLabel> predict) =>
                    rows.Add(new CeilingRow(family.Name(), judge, inputs, subset,
                        Intervals.Wilson(scored.Count(p => predict(p) == p.For(family).Overall), scored.Count)));
                var (s0, s1) = ((Func<SynthPair, double[]>)(p => p.Video0.AspectSeverity), (Func<SynthPair, double[]>)(p => p.Video1.AspectSeverity));
                Add("true rule", "severities", p => Predict(family, p.For(family).Weights, s0(p), s1(p)));
                // v2's best fixed weights were fitted on v2; v1 has no pinned counterpart (its base weights come close).
                if (v2) Add("best fixed weights", "severities", p => Predict(RuleFamily.Additive, SynthBenchV2.BestFixedWeights, s0(p), s1(p)));
                Add("base weights", "severities", p => Predict(RuleFamily.Additive, CaptionSpec.BaseAspectWeights.ToArray(), s0(p), s1(p)));
                // Binary labels carry no maximum worth taking, so that judge sums indicators (with base weights for worst-defect).
                Add("family weights", "binary labels", p => Predict(RuleFamily.Additive, p.For(family).Weights ?? CaptionSpec.BaseAspectWeights.ToArray(),
                    Binary(s0(p)), Binary(s1(p))));
            }
        }
        return rows;
    }

    // ---- controls -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Emphasis swap: each emphasised caption's emphases move to the next aspect (Alignment -&gt; Safety -&gt; ... -&gt;
    /// Bias &amp; Fairness -&gt; Alignment). Share of decisive clean additive labels that change: a judge that reads the
    /// caption must change its preference on these pairs too.
    /// </summary>
    public static Estimate EmphasisSwapFlipRate(IReadOnlyList<SynthPair> pairs)
    {
        var emphasised = pairs.Where(p => p.Caption.Emphases.Count > 0 && p.For(RuleFamily.Additive).CleanOverall.IsDecisive()).ToList();
        var flipped = emphasised.Count(p =>
        {
            var swapped = p.Caption with { Emphases = p.Caption.Emphases.Select(e => (Emphasis)(((int)e + 1) % 5)).ToList() };
            return Predict(RuleFamily.Additive, swapped.AspectWeights(), p.Video0.AspectSeverity, p.Video1.AspectSeverity)
                   != p.For(RuleFamily.Additive).CleanOverall;
        });
        return Intervals.Wilson(flipped, emphasised.Count);
    }

    /// <summary>
    /// Caption shuffle: the additive oracle with each pair's caption weights taken from the next pair's caption (a
    /// cyclic shift), against the published decisive labels. The gap to the true rule is what the caption is worth.
    /// </summary>
    public static Estimate CaptionShuffleAccuracy(IReadOnlyList<SynthPair> pairs)
    {
        var scored = Enumerable.Range(0, pairs.Count).Where(i => pairs[i].For(RuleFamily.Additive).Overall.IsDecisive()).ToList();
        var correct = scored.Count(i =>
        {
            var other = pairs[(i + 1) % pairs.Count].Caption.AspectWeights();
            return Predict(RuleFamily.Additive, other, pairs[i].Video0.AspectSeverity, pairs[i].Video1.AspectSeverity)
                   == pairs[i].For(RuleFamily.Additive).Overall;
        });
        return Intervals.Wilson(correct, scored.Count);
    }
}

using System.Text.Json.Nodes;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Metrics;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using MjVideo.Training;

namespace MjVideo.Experiments;

/// <summary>Strict overall accuracy on the test pairs of one caption kind.</summary>
public sealed record KindAccuracy(string Kind, int Pairs, int Decisive, double Strict);

/// <summary>An aspect's mean (normalised) gate over captions that emphasise it and over those that do not.</summary>
public sealed record EmphasisContrast(string Aspect, double Emphasised, int EmphasisedPairs, double NotEmphasised, int NotEmphasisedPairs);

/// <summary>
/// What a trained router does on the test split, against what the generator knows (SynthBench's oracle). Gates are the
/// aspect router's g normalised to sum 1 (g = softmax x lambda, so the normalised g is the softmax) and averaged over a
/// pair's two videos (they share the caption, which is what the weights depend on).
/// </summary>
/// <param name="MeanAspectGate">mean normalised aspect gate over the test pairs (aspect order)</param>
/// <param name="AspectGateEntropy">mean entropy of a video's normalised aspect gate, in nats (ln 5 = 1.609 is uniform)</param>
/// <param name="CriteriaGateEntropy">mean normalised entropy of the within-aspect criteria weights (1 = uniform), over
/// videos and the aspects with more than one criterion</param>
/// <param name="CaptionWeightCorrelation">Pearson correlation of the normalised gates with the caption's true aspect weights,
/// pooled over pairs and aspects</param>
/// <param name="PerAspectCaptionCorrelation">the same per aspect, across pairs (NaN where either side is constant)</param>
/// <param name="PerAspectEmphasisCorrelation">per aspect, the correlation of its gate g_a with the caption's true weight w_a
/// over the pairs whose caption has an emphasis (where w varies because the caption asks for it), with a Fisher z
/// interval and n</param>
/// <param name="RuleWeightCorrelation">pooled correlation with the weights the family's rule used (NaN for worst-defect,
/// which has none, and fixed-weights, whose weights never vary)</param>
/// <param name="RelatedCriteriaWeight">mean within-aspect weight (lambda removed) of a criterion the caption makes relevant</param>
/// <param name="UnrelatedCriteriaWeight">the same for criteria it does not (the criteria-gate loss pushes these to 0)</param>
/// <param name="CriteriaScale">mean lambda_crit as the forward uses it (sum of an aspect's criteria weights)</param>
/// <param name="AspectScale">mean lambda_asp as the forward uses it (sum of the aspect gates)</param>
public sealed record RoutingSummary(
    double[] MeanAspectGate,
    double AspectGateEntropy,
    double CriteriaGateEntropy,
    double CaptionWeightCorrelation,
    double[] PerAspectCaptionCorrelation,
    IReadOnlyList<Estimate> PerAspectEmphasisCorrelation,
    double RuleWeightCorrelation,
    IReadOnlyList<EmphasisContrast> Emphasis,
    double RelatedCriteriaWeight,
    double UnrelatedCriteriaWeight,
    double CriteriaScale,
    double AspectScale,
    IReadOnlyList<KindAccuracy> ByKind)
{
    public JsonObject ToJson()
    {
        static JsonNode? N(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;
        static JsonArray A(IEnumerable<double> xs) => new(xs.Select(N).ToArray());
        return new JsonObject
        {
            ["mean_aspect_gate"] = A(MeanAspectGate),
            ["aspect_gate_entropy"] = N(AspectGateEntropy),
            ["criteria_gate_entropy"] = N(CriteriaGateEntropy),
            ["caption_weight_correlation"] = N(CaptionWeightCorrelation),
            ["per_aspect_caption_correlation"] = A(PerAspectCaptionCorrelation),
            ["per_aspect_emphasis_correlation"] = new JsonArray(PerAspectEmphasisCorrelation.Select((e, a) => (JsonNode?)new JsonObject
            {
                ["aspect"] = MjTaxonomy.Aspects[a].DisplayName, ["r"] = N(e.Value), ["low"] = N(e.Low), ["high"] = N(e.High), ["n"] = e.N,
            }).ToArray()),
            ["rule_weight_correlation"] = N(RuleWeightCorrelation),
            ["emphasis"] = new JsonArray(Emphasis.Select(e => (JsonNode?)new JsonObject
            {
                ["aspect"] = e.Aspect, ["emphasised"] = N(e.Emphasised), ["emphasised_pairs"] = e.EmphasisedPairs,
                ["not_emphasised"] = N(e.NotEmphasised), ["not_emphasised_pairs"] = e.NotEmphasisedPairs,
            }).ToArray()),
            ["related_criteria_weight"] = N(RelatedCriteriaWeight),
            ["unrelated_criteria_weight"] = N(UnrelatedCriteriaWeight),
            ["criteria_scale"] = N(CriteriaScale),
            ["aspect_scale"] = N(AspectScale),
            ["by_kind"] = new JsonArray(ByKind.Select(k => (JsonNode?)new JsonObject
            {
                ["kind"] = k.Kind, ["pairs"] = k.Pairs, ["decisive"] = k.Decisive, ["strict"] = N(k.Strict),
            }).ToArray()),
        };
    }
}

public static class RoutingAnalysis
{
    /// <summary>The summary for one trained MJ-Video judge on a family's test split (one more forward pass for the gates).</summary>
    public static async Task<RoutingSummary> AnalyseAsync(TrainedJudge judge, FamilySplits family, JudgeEvaluation evaluation,
        CancellationToken cancellation = default)
    {
        var videos = await judge.ScoreVideosAsync(TrainingData.VideoItems(family.Test), cancellation).ConfigureAwait(false);
        var oracle = family.TestOracle.Pairs.ToDictionary(p => p.Index);
        var truths = family.Test.Pairs.Select(p => oracle.TryGetValue(p.Index, out var t)
            ? t
            : throw new InvalidDataException($"{family.Test.SourceFile}: pair {p.Index} is not in its oracle")).ToList();
        return Summarise(videos, family.Test, truths, evaluation.Score0, evaluation.Score1);
    }

    /// <summary>The summary from each test video's judgement (pair i's videos at 2i and 2i + 1) and the oracle's pairs.</summary>
    public static RoutingSummary Summarise(IReadOnlyList<VideoJudgement> videos, PreferenceDataset test, IReadOnlyList<OraclePair> truths,
        double[] score0, double[] score1)
    {
        var pairs = test.Pairs.Count;
        if (videos.Count != 2 * pairs || truths.Count != pairs)
            throw new ArgumentException($"{videos.Count} video judgements and {truths.Count} oracle pairs for {pairs} test pairs");
        if (videos.Any(v => v.AspectWeights is null || v.CriteriaWeights is null))
            throw new ArgumentException("routing analysis needs a judge with both routers (aspect and criteria weights)");
        const int aspects = MjTaxonomy.AspectCount;

        var gates = Enumerable.Range(0, pairs).Select(i =>
        {
            var (a, b) = (Normalised(videos[2 * i].AspectWeights!), Normalised(videos[2 * i + 1].AspectWeights!));
            return a.Zip(b, (x, y) => (x + y) / 2).ToArray();
        }).ToArray();
        var captionWeights = truths.Select(t => t.CaptionAspectWeights).ToArray();
        var meanGate = Enumerable.Range(0, aspects).Select(a => gates.Average(g => g[a])).ToArray();
        var perAspect = Enumerable.Range(0, aspects)
            .Select(a => Pearson(gates.Select(g => g[a]).ToArray(), captionWeights.Select(w => w[a]).ToArray())).ToArray();
        var withEmphasis = Enumerable.Range(0, pairs).Where(i => truths[i].Emphases.Count > 0).ToArray();
        var perAspectEmphasis = Enumerable.Range(0, aspects).Select(a => Ranks.PearsonEstimate(
            withEmphasis.Select(i => gates[i][a]).ToArray(), withEmphasis.Select(i => captionWeights[i][a]).ToArray())).ToList();
        var ruleWeights = truths.All(t => t.RuleWeights is not null) ? truths.Select(t => t.RuleWeights!).ToArray() : null;

        var emphasis = MjTaxonomy.Aspects.Select(aspect =>
        {
            var emphasised = Enumerable.Range(0, pairs).Where(i => truths[i].Emphases.Any(e => EmphasisAspect(e) == aspect.Index)).ToList();
            var others = Enumerable.Range(0, pairs).Except(emphasised).ToList();
            double Mean(List<int> rows) => rows.Count == 0 ? double.NaN : rows.Average(i => gates[i][aspect.Index]);
            return new EmphasisContrast(aspect.DisplayName, Mean(emphasised), emphasised.Count, Mean(others), others.Count);
        }).ToList();

        var (related, unrelated, criteriaEntropy, criteriaScale) = CriteriaWeights(videos, test);
        var byKind = Enumerable.Range(0, pairs).GroupBy(i => truths[i].Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var rows = g.ToArray();
            var strict = PreferenceAccuracy.Strict(rows.Select(i => score0[i]).ToArray(), rows.Select(i => score1[i]).ToArray(),
                rows.Select(i => test.Pairs[i].Overall).ToArray());
            return new KindAccuracy(g.Key, rows.Length, strict.N, strict.Value);
        }).ToList();

        return new RoutingSummary(
            meanGate,
            videos.Average(v => Entropy(Normalised(v.AspectWeights!))),
            criteriaEntropy,
            Pearson(gates.SelectMany(g => g).ToArray(), captionWeights.SelectMany(w => w).ToArray()),
            perAspect,
            perAspectEmphasis,
            ruleWeights is null ? double.NaN : Pearson(gates.SelectMany(g => g).ToArray(), ruleWeights.SelectMany(w => w).ToArray()),
            emphasis,
            related,
            unrelated,
            criteriaScale,
            videos.Average(v => v.AspectWeights!.Sum()),
            byKind);
    }

    /// <summary>The aspect an emphasis phrase of the oracle boosts (<see cref="Vocabulary.AspectIndex"/>).</summary>
    static int EmphasisAspect(string emphasis) =>
        Enum.TryParse<Emphasis>(emphasis, out var e) ? e.AspectIndex() : throw new InvalidDataException($"unknown emphasis '{emphasis}' in the oracle");

    static (double Related, double Unrelated, double Entropy, double Scale) CriteriaWeights(IReadOnlyList<VideoJudgement> videos, PreferenceDataset test)
    {
        double relatedSum = 0, unrelatedSum = 0, entropySum = 0, scaleSum = 0;
        int relatedCount = 0, unrelatedCount = 0, entropyCount = 0, scaleCount = 0;
        for (var v = 0; v < videos.Count; v++)
        {
            var labels = test.Pairs[v / 2].LabelsOf(v % 2);
            var weights = videos[v].CriteriaWeights!;
            foreach (var group in MjTaxonomy.AspectToCriteria)
            {
                var scale = group.Sum(c => weights[c]);
                scaleSum += scale;
                scaleCount++;
                var within = group.Select(c => scale > 0 ? weights[c] / scale : 1.0 / group.Length).ToArray();
                if (group.Length > 1)
                {
                    entropySum += Entropy(within) / Math.Log(group.Length);
                    entropyCount++;
                }
                if (labels is null) continue;
                for (var k = 0; k < group.Length; k++)
                {
                    if (labels.CriterionCodes[group[k]] == LabelCode.NotRelated)
                    {
                        unrelatedSum += within[k];
                        unrelatedCount++;
                    }
                    else
                    {
                        relatedSum += within[k];
                        relatedCount++;
                    }
                }
            }
        }
        static double Mean(double sum, int count) => count == 0 ? double.NaN : sum / count;
        return (Mean(relatedSum, relatedCount), Mean(unrelatedSum, unrelatedCount), Mean(entropySum, entropyCount), Mean(scaleSum, scaleCount));
    }

    public static double[] Normalised(double[] weights)
    {
        var total = weights.Sum();
        return total > 0 ? weights.Select(w => w / total).ToArray() : weights.Select(_ => 1.0 / weights.Length).ToArray();
    }

    /// <summary>Shannon entropy in nats of a distribution (zero entries contribute 0).</summary>
    public static double Entropy(IReadOnlyList<double> p) => -p.Where(x => x > 0).Sum(x => x * Math.Log(x));

    /// <summary>Pearson's r; NaN when either variable is constant or there are fewer than two points.</summary>
    public static double Pearson(double[] x, double[] y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"{x.Length} x values for {y.Length} y values");
        if (x.Length < 2) return double.NaN;
        var (mx, my) = (x.Average(), y.Average());
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx <= 1e-24 || syy <= 1e-24 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}

using System.Text.Json.Nodes;
using MjVideo.Data;
using MjVideo.Metrics;
using MjVideo.Taxonomy;

namespace MjVideo.Evaluation;

/// <summary>The overall-preference numbers of Table 2 on one set of labels.</summary>
public sealed record OverallMetrics(Estimate Strict, Estimate TieAware, Estimate TieCalibrated, double TieThreshold);

/// <summary>Everything one evaluation of one judge produced, including its scores for paired comparisons.</summary>
public sealed record JudgeEvaluation(
    string Judge,
    IReadOnlyDictionary<string, string> JudgeConfig,
    JudgeAvailability Availability,
    OverallMetrics? Noisy,
    OverallMetrics? Clean,
    IReadOnlyList<AspectResult>? Aspects,
    IReadOnlyList<CriterionResult>? Criteria,
    GenAiBenchResult? GenAiBench,
    double[] Score0,
    double[] Score1,
    PreferenceLabel[] Labels,
    PreferenceLabel[]? CleanLabels)
{
    public bool Ran => Availability.Available;

    /// <summary>The row text for a judge that did not run ("not run (no endpoint)").</summary>
    public string NotRunText => Availability.Reason.StartsWith("not run", StringComparison.OrdinalIgnoreCase)
        ? Availability.Reason
        : $"not run ({Availability.Reason})";
}

public sealed record EvaluationOptions(int BootstrapSeed = 20261125, int Resamples = 2000)
{
    public BootstrapOptions Bootstrap => new(BootstrapSeed, Resamples);
}

/// <summary>
/// The one evaluator (DESIGN 4: never a script per judge): runs a judge on the test split (and on val, where the
/// tie-calibration threshold is chosen), and computes every metric of paper-digest 3: strict, tie-aware and
/// tie-calibrated overall accuracy on the published labels and, for SynthBench, on the clean labels; Table 1's aspect
/// Acc / macro-F1 / strict when the judge scores aspects; per-criterion metrics when it scores criteria; the GenAI-Bench
/// four-way rule when the data has both-bad votes.
/// </summary>
public static class Evaluator
{
    public static async Task<JudgeEvaluation> EvaluateAsync(IJudge judge, EvaluationData data, EvaluationOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        options ??= new EvaluationOptions();
        var labels = data.Test.Pairs.Select(p => p.Overall).ToArray();
        var clean = data.CleanTestLabels();
        var availability = judge.Availability();
        if (!availability.Available)
            return new JudgeEvaluation(judge.Name, judge.Config, availability, null, null, null, null, null, [], [], labels, clean);

        var judged = await judge.JudgeAsync(new JudgeInput(data.Test), progress, cancellation);
        if (judged.Count != data.Test.Pairs.Count)
            throw new InvalidOperationException($"judge '{judge.Name}' scored {judged.Count} pairs of {data.Test.Pairs.Count}");
        var score0 = judged.Select(p => p.Video0.Score).ToArray();
        var score1 = judged.Select(p => p.Video1.Score).ToArray();

        double? threshold = null;
        if (data.Val is { } val)
        {
            var valJudged = await judge.JudgeAsync(new JudgeInput(val), null, cancellation);
            var valLabels = val.Pairs.Select(p => p.Overall).ToArray();
            if (valLabels.Any(TieCalibration.IsEligible))
                threshold = TieCalibration.Sweep(valJudged.Select(p => p.Video0.Score).ToArray(),
                    valJudged.Select(p => p.Video1.Score).ToArray(), valLabels).Threshold;
        }

        var noisy = Overall(score0, score1, labels, threshold, options.Bootstrap);
        var cleanMetrics = clean is null ? null : Overall(score0, score1, clean, threshold, options.Bootstrap);
        return new JudgeEvaluation(judge.Name, judge.Config, availability, noisy, cleanMetrics,
            Aspects(judged, data.Test, options.Bootstrap, judge.GoodAbove),
            Criteria(judged, data.Test, data.TestCriterionSeverities(), options.Bootstrap, judge.GoodAbove),
            labels.Contains(PreferenceLabel.BothBad) ? GenAiBenchMetrics.Evaluate(score0, score1, labels, options.Bootstrap, judge.GoodAbove) : null,
            score0, score1, labels, clean);
    }

    static OverallMetrics Overall(double[] score0, double[] score1, PreferenceLabel[] labels, double? threshold, BootstrapOptions bootstrap)
    {
        var tieCalibrated = threshold is { } t
            ? TieCalibration.Evaluate(score0, score1, labels, t, bootstrap)
            : Estimate.Undefined(labels.Count(TieCalibration.IsEligible), "tie calibration",
                "undefined: no val split to choose the threshold on (it is never chosen on test)");
        return new OverallMetrics(PreferenceAccuracy.Strict(score0, score1, labels, bootstrap.Level),
            PreferenceAccuracy.TieAware(score0, score1, labels, bootstrap), tieCalibrated, threshold ?? double.NaN);
    }

    /// <summary>Table 1 rows for the aspects the judge scores (a NaN aspect score means "not scored by this judge").</summary>
    static IReadOnlyList<AspectResult>? Aspects(IReadOnlyList<JudgedPair> judged, PreferenceDataset data, BootstrapOptions bootstrap,
        double goodAbove)
    {
        if (judged.Any(p => p.Video0.AspectScores is null || p.Video1.AspectScores is null)) return null;
        var labelled = Enumerable.Range(0, judged.Count).Where(i => data.Pairs[i].Labels0 is not null && data.Pairs[i].Labels1 is not null).ToList();
        if (labelled.Count == 0) return null;
        var scored = MjTaxonomy.Aspects.Where(a => labelled.All(i =>
            double.IsFinite(judged[i].Video0.AspectScores![a.Index]) && double.IsFinite(judged[i].Video1.AspectScores![a.Index]))).ToList();
        if (scored.Count == 0) return null;
        double[] Column(int i, int video, int aspect) => [judged[i].Of(video).AspectScores![aspect]];
        return scored.Select(a => AspectMetrics.Evaluate(a.DisplayName,
            labelled.Select(i => Column(i, 0, a.Index)[0]).ToArray(), labelled.Select(i => Column(i, 1, a.Index)[0]).ToArray(),
            labelled.Select(i => data.Pairs[i].Labels0!.AspectCodes[a.Index]).ToArray(),
            labelled.Select(i => data.Pairs[i].Labels1!.AspectCodes[a.Index]).ToArray(), bootstrap, goodAbove)).ToList();
    }

    /// <summary>Per-criterion metrics over every labelled video, with the oracle's severities where there is an oracle.</summary>
    static IReadOnlyList<CriterionResult>? Criteria(IReadOnlyList<JudgedPair> judged, PreferenceDataset data,
        (double[] Video0, double[] Video1)[]? severities, BootstrapOptions bootstrap, double goodAbove)
    {
        if (judged.Any(p => p.Video0.CriterionScores is null || p.Video1.CriterionScores is null)) return null;
        var labelled = Enumerable.Range(0, judged.Count)
            .Where(i => data.Pairs[i].Labels0 is not null && data.Pairs[i].Labels1 is not null).ToList();
        if (labelled.Count == 0) return null;
        var scores = labelled.SelectMany(i => new[] { judged[i].Video0.CriterionScores!, judged[i].Video1.CriterionScores! }).ToArray();
        var codes = labelled.SelectMany(i => new[] { data.Pairs[i].Labels0!.CriterionCodes, data.Pairs[i].Labels1!.CriterionCodes }).ToArray();
        var videoSeverities = severities is null ? null
            : labelled.SelectMany(i => new[] { severities[i].Video0, severities[i].Video1 }).ToArray();
        return CriterionMetrics.EvaluateAll(scores, codes, bootstrap, goodAbove, videoSeverities);
    }

    /// <summary>Judge A minus judge B on the same test pairs: paired bootstrap of strict accuracy and McNemar's test.</summary>
    public static (Estimate StrictDifference, Estimate TieAwareDifference, McNemarResult McNemar) Compare(JudgeEvaluation a,
        JudgeEvaluation b, EvaluationOptions? options = null, bool cleanLabels = false)
    {
        options ??= new EvaluationOptions();
        if (!a.Ran || !b.Ran) throw new InvalidOperationException($"cannot compare '{a.Judge}' and '{b.Judge}': one of them did not run");
        var labels = cleanLabels ? a.CleanLabels ?? throw new InvalidOperationException("no clean labels (no oracle)") : a.Labels;
        if (!labels.SequenceEqual(cleanLabels ? b.CleanLabels! : b.Labels))
            throw new InvalidOperationException($"'{a.Judge}' and '{b.Judge}' were evaluated on different pairs");
        var strict = PreferenceAccuracy.PairedDifference(a.Score0, a.Score1, b.Score0, b.Score1, labels, PreferenceAccuracy.StrictTieCredit, options.Bootstrap);
        var tieAware = PreferenceAccuracy.PairedDifference(a.Score0, a.Score1, b.Score0, b.Score1, labels, PreferenceAccuracy.TieAwareTieCredit, options.Bootstrap);
        var mcnemar = McNemar.Test(PreferenceAccuracy.StrictCorrect(a.Score0, a.Score1, labels), PreferenceAccuracy.StrictCorrect(b.Score0, b.Score1, labels));
        return (strict, tieAware, mcnemar);
    }

    /// <summary>
    /// Judge A minus judge B over training seeds on the same test pairs, strict and tie-aware accuracy: the mean over seeds
    /// of each seed's paired difference, with the interval of a paired bootstrap over seeds, then pairs
    /// (<see cref="SeedPairBootstrap"/>). <paramref name="a"/> holds one evaluation per seed; <paramref name="b"/> the same
    /// seeds in the same order, or a single evaluation (a judge without training) that every seed is paired with.
    /// </summary>
    public static (Estimate StrictDifference, Estimate TieAwareDifference) CompareOverSeeds(IReadOnlyList<JudgeEvaluation> a,
        IReadOnlyList<JudgeEvaluation> b, EvaluationOptions? options = null, bool cleanLabels = false)
    {
        options ??= new EvaluationOptions();
        if (a.Count == 0) throw new ArgumentException("needs at least one seed's evaluation", nameof(a));
        if (b.Count != 1 && b.Count != a.Count)
            throw new ArgumentException($"b has {b.Count} evaluations: give one per seed of a ({a.Count}) or a single one", nameof(b));
        var pairedB = Enumerable.Range(0, a.Count).Select(i => b[b.Count == 1 ? 0 : i]).ToList();
        PreferenceLabel[] Labels(JudgeEvaluation e) =>
            cleanLabels ? e.CleanLabels ?? throw new InvalidOperationException("no clean labels (no oracle)") : e.Labels;
        var labels = Labels(a[0]);
        foreach (var e in a.Concat(pairedB))
        {
            if (!e.Ran) throw new InvalidOperationException($"cannot compare: '{e.Judge}' did not run");
            if (!Labels(e).SequenceEqual(labels)) throw new InvalidOperationException($"'{e.Judge}' was evaluated on other pairs than '{a[0].Judge}'");
        }
        Estimate Difference(double tieCredit) => PreferenceAccuracy.PairedDifferenceOverSeeds(
            a.Select(e => (e.Score0, e.Score1)).ToList(), pairedB.Select(e => (e.Score0, e.Score1)).ToList(), labels, tieCredit, options.Bootstrap);
        return (Difference(PreferenceAccuracy.StrictTieCredit), Difference(PreferenceAccuracy.TieAwareTieCredit));
    }

    // ---- JSON for results/ (the shape `mjvideo eval --json` prints) ----------------------------------------------

    public static JsonObject ToJson(Estimate e) => new()
    {
        ["value"] = Number(e.Value),
        ["ci95"] = new JsonArray(Number(e.Low), Number(e.High)),
        ["n"] = e.N,
        ["method"] = e.Method,
        ["note"] = e.Note,
    };

    static JsonNode? Number(double x) => double.IsNaN(x) ? null : JsonValue.Create(Math.Round(x, 6));

    public static JsonObject MetricsJson(JudgeEvaluation e)
    {
        var json = new JsonObject { ["judge"] = e.Judge, ["ran"] = e.Ran };
        if (!e.Ran)
        {
            json["not_run_reason"] = e.Availability.Reason;
            return json;
        }
        JsonObject Overall(OverallMetrics m) => new()
        {
            ["strict"] = ToJson(m.Strict), ["tie_aware"] = ToJson(m.TieAware), ["tie_calibrated"] = ToJson(m.TieCalibrated),
            ["tie_threshold_from_val"] = Number(m.TieThreshold),
        };
        json["overall"] = Overall(e.Noisy!);
        if (e.Clean is { } clean) json["overall_clean"] = Overall(clean);
        if (e.Aspects is { } aspects)
            json["aspects"] = new JsonObject(aspects.Select(a => KeyValuePair.Create(a.Aspect, (JsonNode?)new JsonObject
            {
                ["acc"] = ToJson(a.Accuracy), ["macro_f1"] = ToJson(a.MacroF1), ["strict"] = ToJson(a.Strict),
            })));
        if (e.Criteria is { } criteria)
            json["criteria"] = new JsonObject(criteria.Select(c => KeyValuePair.Create(c.Criterion, (JsonNode?)new JsonObject
            {
                ["acc"] = ToJson(c.Accuracy), ["precision"] = ToJson(c.Precision), ["recall"] = ToJson(c.Recall), ["f1"] = ToJson(c.F1),
                ["auc"] = ToJson(c.Auc), ["balanced_acc"] = ToJson(c.BalancedAccuracy), ["bad_recall"] = ToJson(c.BadRecall),
                ["one_class"] = c.OneClass.IsOneClass, ["one_class_side"] = c.OneClass.Side,
                ["predicted_bad_share"] = Number(c.OneClass.PredictedBadShare), ["true_bad_share"] = Number(c.OneClass.TrueBadShare),
                ["severity_spearman"] = ToJson(c.SeverityCorrelation),
            })));
        if (e.GenAiBench is { } g)
            json["genai_bench"] = new JsonObject
            {
                ["strict"] = ToJson(g.Strict), ["tie_aware"] = ToJson(g.TieAware), ["acc"] = ToJson(g.Acc), ["good_above"] = g.GoodAbove,
            };
        json["scores"] = new JsonObject
        {
            ["video_0"] = new JsonArray(e.Score0.Select(s => (JsonNode?)JsonValue.Create(Math.Round(s, 6))).ToArray()),
            ["video_1"] = new JsonArray(e.Score1.Select(s => (JsonNode?)JsonValue.Create(Math.Round(s, 6))).ToArray()),
        };
        return json;
    }
}

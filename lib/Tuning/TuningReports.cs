using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Metrics;
using MjVideo.Reports;
using MjVideo.Training;
using Plotly.NET;

namespace MjVideo.Tuning;

/// <summary>Where a reward's tuning run started to over-optimise, read from its evaluations.</summary>
/// <param name="PeakStep">the evaluated step with the highest mean oracle score (the earliest of equals)</param>
/// <param name="FinalMinusPeak">paired difference of mean oracle score, last evaluation minus the peak</param>
/// <param name="FinalMinusBase">paired difference of mean oracle score, last evaluation minus the base model</param>
/// <param name="ProxyGain">the proxy reward's rise from the base model to the last evaluation (standardised units)</param>
/// <param name="Verdict">one sentence: whether and where reward hacking set in</param>
public sealed record OverOptimisation(string Reward, int PeakStep, Estimate FinalMinusPeak, Estimate FinalMinusBase, double ProxyGain, string Verdict);

/// <summary>
/// Tables, figures and the results record of a tuning experiment (<see cref="TuningReport"/>). Table cells are
/// "value [low, high]" in percent (Wilson intervals for rates, bootstrap intervals for means), with n beside them.
/// </summary>
public static class TuningReports
{
    static string Pct(Estimate e) => e.FormatValue();
    static string Num(Estimate e, int decimals = 2) => e.FormatValue(scale: 1, decimals: decimals, intervalDecimals: decimals);

    /// <summary>The rows of the Table 3 analogue: the base model, then the model tuned with each reward, at the last step.</summary>
    public static IReadOnlyList<(string Model, EvaluationPoint Point)> Rows(TuningReport report) =>
        new[] { ("Base generator", report.Base) }
            .Concat(report.Rewards.Select(r => ($"+ tuned w/ {r.DisplayName}", r.Final))).ToList();

    /// <summary>
    /// The Table 3 analogue: per model, the share of held-out clips the oracle finds aligned with their caption (every
    /// alignment check the caption asks for) and of good quality (sharp, no flicker, no drift), each check's pass rate, the
    /// mean oracle score, and the distance from the base model (KL of the scene distributions, RMS pixel difference).
    /// </summary>
    public static DataFrame Table3(TuningReport report)
    {
        var rows = Rows(report);
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("model", rows.Select(r => r.Model)),
            new StringDataFrameColumn("aligned %", rows.Select(r => Pct(r.Point.Alignment))),
            new StringDataFrameColumn("good quality %", rows.Select(r => Pct(r.Point.Quality))),
            new Int32DataFrameColumn("n clips", rows.Select(r => r.Point.N)),
        };
        foreach (var check in Enum.GetValues<OracleCheck>())
            columns.Add(new StringDataFrameColumn($"{check.ToString().ToLowerInvariant()} % (n)",
                rows.Select(r => r.Point.Check(check) is var e && e.IsDefined ? $"{e.FormatValue(decimals: 1)} ({e.N})" : $"undefined ({e.N})")));
        columns.Add(new StringDataFrameColumn("oracle score", rows.Select(r => Num(r.Point.OracleScore, 3))));
        columns.Add(new StringDataFrameColumn("KL from base (nats)", rows.Select(r => Num(r.Point.Kl))));
        columns.Add(new StringDataFrameColumn("RMS pixel distance", rows.Select(r => Num(r.Point.PixelDistance, 3))));
        return new DataFrame(columns);
    }

    /// <summary>Every model's proxy reward (standardised on the base model) under its own reward, base and final.</summary>
    public static DataFrame Proxies(TuningReport report) => new(
        new StringDataFrameColumn("reward", report.Rewards.Select(r => r.DisplayName)),
        new StringDataFrameColumn("val strict accuracy (training)", report.Rewards.Select(r =>
            string.Create(CultureInfo.InvariantCulture, $"{100 * r.Checkpoint.ValStrictAccuracy:F1}% of {r.Checkpoint.ValDecisivePairs}")) ),
        new StringDataFrameColumn("raw scale (mean, sd on base clips)", report.Rewards.Select(r =>
            string.Create(CultureInfo.InvariantCulture, $"{r.Scale.Mean:G4}, {r.Scale.Std:G3}"))),
        new StringDataFrameColumn("proxy, base", report.Rewards.Select(r => Num(r.Base.Proxy))),
        new StringDataFrameColumn("proxy, tuned", report.Rewards.Select(r => Num(r.Final.Proxy))),
        new Int32DataFrameColumn("n clips", report.Rewards.Select(r => r.Final.N)));

    /// <summary>
    /// Paired differences on the same held-out clips (bootstrap intervals of the mean difference, in percentage points):
    /// each tuned model minus the base model, then the MJ-Video-tuned model minus each other tuned model, for alignment,
    /// quality and the oracle score.
    /// </summary>
    public static DataFrame Comparisons(TuningReport report)
    {
        var pairs = new List<(string Name, EvaluationPoint A, EvaluationPoint B)>();
        foreach (var r in report.Rewards) pairs.Add(($"{r.DisplayName} - base", r.Final, report.Base));
        if (report.Rewards.Any(r => r.Checkpoint.Judge == JudgeKind.MjVideo))
        {
            var mj = report.Reward(JudgeKind.MjVideo);
            foreach (var r in report.Rewards.Where(r => r != mj)) pairs.Add(($"{mj.DisplayName} - {r.DisplayName}", mj.Final, r.Final));
        }
        return new DataFrame(
            new StringDataFrameColumn("difference (tuned models, last step)", pairs.Select(p => p.Name)),
            new StringDataFrameColumn("aligned, pp", pairs.Select(p => Pct(p.A.AlignmentMinus(p.B)))),
            new StringDataFrameColumn("good quality, pp", pairs.Select(p => Pct(p.A.QualityMinus(p.B)))),
            new StringDataFrameColumn("oracle score x100", pairs.Select(p => Pct(p.A.OracleScoreMinus(p.B)))),
            new Int32DataFrameColumn("n clips", pairs.Select(p => p.A.N)));
    }

    /// <summary>Where each reward's run peaked on the oracle, and whether the oracle then fell while the proxy kept rising.</summary>
    public static IReadOnlyList<OverOptimisation> OverOptimisations(TuningReport report) => report.Rewards.Select(r =>
    {
        var evaluations = r.Run.Evaluations;
        var peak = evaluations.Aggregate((best, e) => e.OracleScore.Value > best.OracleScore.Value ? e : best);
        var final = evaluations[^1];
        var decline = final.OracleScoreMinus(peak);
        var gain = final.OracleScoreMinus(r.Base);
        var proxyGain = final.Proxy.Value - r.Base.Proxy.Value;
        var proxy = string.Create(CultureInfo.InvariantCulture, $"{proxyGain:+0.00;-0.00;0.00}");
        string verdict;
        if (peak.Step < final.Step && decline.HasInterval && decline.High < 0)
            verdict = $"over-optimises: the oracle score peaks at step {peak.Step} and then falls by {-100 * decline.Value:F1} points " +
                      $"(95% interval {-100 * decline.High:F1} to {-100 * decline.Low:F1}) while the proxy moves {proxy} sd overall";
        else if (gain.HasInterval && gain.Low > 0)
            verdict = $"no over-optimisation within {final.Step} steps: the oracle score ends {100 * gain.Value:F1} points above the base model " +
                      $"(interval {100 * gain.Low:F1} to {100 * gain.High:F1}); proxy {proxy} sd";
        else if (gain.HasInterval && gain.High < 0)
            verdict = $"hacked from the start: the oracle score ends {-100 * gain.Value:F1} points below the base model " +
                      $"(interval {-100 * gain.High:F1} to {-100 * gain.Low:F1}) while the proxy moves {proxy} sd";
        else
            verdict = $"no clear change: the oracle score ends {100 * gain.Value:+0.0;-0.0;0.0} points from the base model " +
                      $"(interval {100 * gain.Low:F1} to {100 * gain.High:F1}; peak at step {peak.Step}); proxy {proxy} sd";
        return new OverOptimisation(r.DisplayName, peak.Step, decline, gain, proxyGain, verdict);
    }).ToList();

    public static DataFrame OverOptimisationTable(TuningReport report)
    {
        var rows = OverOptimisations(report);
        return new DataFrame(
            new StringDataFrameColumn("reward", rows.Select(r => r.Reward)),
            new Int32DataFrameColumn("oracle peak step", rows.Select(r => r.PeakStep)),
            new StringDataFrameColumn("last - peak (x100)", rows.Select(r => Pct(r.FinalMinusPeak))),
            new StringDataFrameColumn("last - base (x100)", rows.Select(r => Pct(r.FinalMinusBase))),
            new StringDataFrameColumn("verdict", rows.Select(r => r.Verdict)));
    }

    /// <summary>
    /// The findings in words, computed from the report whatever they are: how well each reward model judged SynthBench's val
    /// pairs, what tuning with MJ-Video did to oracle alignment and quality against the base model and against tuning with
    /// each other reward (paired differences with 95% intervals; "no significant change" when the interval holds 0), and
    /// where each reward started to over-optimise.
    /// </summary>
    public static IReadOnlyList<string> Findings(TuningReport report)
    {
        var lines = new List<string> { OracleTrust(report.OracleValidation) };
        var accuracies = report.Rewards.Select(r =>
        {
            var n = r.Checkpoint.ValDecisivePairs;
            var interval = Intervals.Wilson((int)Math.Round(r.Checkpoint.ValStrictAccuracy * n), n);
            var chance = interval.HasInterval && interval.Low <= 0.5 && interval.High >= 0.5 ? ", not distinguishable from chance" : "";
            return $"{r.DisplayName} {interval.Format(decimals: 1)}{chance}";
        });
        lines.Add("Reward models, val strict accuracy on SynthBench: " + string.Join("; ", accuracies) + ".");
        foreach (var r in report.Rewards)
            lines.Add($"Tuning with {r.DisplayName} vs the base model: {Change(r.Final.AlignmentMinus(report.Base), "oracle alignment")}; " +
                      $"{Change(r.Final.QualityMinus(report.Base), "oracle quality")}.");
        if (report.Rewards.Any(r => r.Checkpoint.Judge == JudgeKind.MjVideo))
        {
            var mj = report.Reward(JudgeKind.MjVideo);
            foreach (var other in report.Rewards.Where(r => r != mj))
                lines.Add($"{mj.DisplayName} vs {other.DisplayName} at equal budget: {Change(mj.Final.AlignmentMinus(other.Final), "oracle alignment")}; " +
                          $"{Change(mj.Final.QualityMinus(other.Final), "oracle quality")}.");
        }
        foreach (var o in OverOptimisations(report)) lines.Add($"{o.Reward}: {o.Verdict}.");
        return lines;
    }

    /// <summary>
    /// One sentence on how far the oracle can be trusted: the checks that pass clean SynthBench videos less than 90% of the
    /// time or catch less than half of their own defects (by the point estimate), or that all do both.
    /// </summary>
    public static string OracleTrust(OracleValidationResult validation)
    {
        string Weak(OracleAgreement a)
        {
            var problems = new List<string>();
            if (a.PassesWhenClean.IsDefined && a.PassesWhenClean.Value < 0.9) problems.Add($"passes {a.PassesWhenClean.FormatValue(decimals: 1)}% of clean videos (n={a.PassesWhenClean.N})");
            if (a.FailsWhenDefective.IsDefined && a.FailsWhenDefective.Value < 0.5) problems.Add($"catches {a.FailsWhenDefective.FormatValue(decimals: 1)}% of its defects (n={a.FailsWhenDefective.N})");
            return problems.Count == 0 ? "" : $"{a.Check.ToString().ToLowerInvariant()} {string.Join(" and ", problems)}";
        }
        var weak = validation.Checks.Select(Weak).Where(w => w.Length > 0).ToList();
        var head = $"Oracle against SynthBench labels ({validation.Videos} videos of {validation.Pairs} pairs): ";
        return weak.Count == 0
            ? head + "every check passes at least 90% of clean videos and catches at least half of its own defects (point estimates)."
            : head + "weak where " + string.Join("; ", weak) + "; read those columns with care.";
    }

    /// <summary>"raises X by d points (95% interval a to b)", "lowers ...", or "no significant change in X (...)".</summary>
    static string Change(Estimate difference, string what)
    {
        var range = string.Create(CultureInfo.InvariantCulture, $"{100 * difference.Value:+0.0;-0.0;0.0} points, 95% interval {100 * difference.Low:0.0} to {100 * difference.High:0.0}");
        if (!difference.HasInterval) return $"{what}: {range}";
        return difference.Low > 0 ? $"raises {what} ({range})" : difference.High < 0 ? $"lowers {what} ({range})" : $"no significant change in {what} ({range})";
    }

    // ---- figures -------------------------------------------------------------------------------------------------

    /// <summary>One quantity over tuning steps, a line per reward.</summary>
    public static GenericChart Curve(TuningReport report, string quantity)
    {
        Func<EvaluationPoint, double> value = quantity switch
        {
            "proxy" => e => e.Proxy.Value,
            "alignment" => e => 100 * e.Alignment.Value,
            "quality" => e => 100 * e.Quality.Value,
            "oracle" => e => 100 * e.OracleScore.Value,
            "kl" => e => e.Kl.Value,
            "pixels" => e => e.PixelDistance.Value,
            _ => throw new ArgumentException($"unknown quantity '{quantity}'; known: proxy, alignment, quality, oracle, kl, pixels"),
        };
        var (title, axis) = quantity switch
        {
            "proxy" => ("Proxy reward (each reward, standardised on the base model)", "reward (base-sample sd)"),
            "alignment" => ("Oracle alignment of held-out clips", "aligned (%)"),
            "quality" => ("Oracle quality of held-out clips", "good quality (%)"),
            "oracle" => ("Oracle score of held-out clips", "oracle score x100"),
            "kl" => ("Distance from the base model: KL of the scene distributions", "KL (nats per clip)"),
            _ => ("Distance from the base model: RMS pixel difference", "RMS difference"),
        };
        return Charts.Lines(report.Rewards.Select(r => (r.DisplayName,
            r.Run.Evaluations.Select(e => (double)e.Step).ToArray(), r.Run.Evaluations.Select(value).ToArray())), title, "tuning step", axis);
    }

    /// <summary>Oracle score against KL from the base model, one line per reward (over-optimisation as a function of distance).</summary>
    public static GenericChart OracleVersusDistance(TuningReport report) =>
        Charts.Lines(report.Rewards.Select(r => (r.DisplayName, r.Run.Evaluations.Select(e => e.Kl.Value).ToArray(),
                r.Run.Evaluations.Select(e => 100 * e.OracleScore.Value).ToArray())),
            "Oracle score against distance from the base model", "KL from base (nats per clip)", "oracle score x100");

    /// <summary>Aligned and good-quality shares with 95% intervals, base vs each tuned model.</summary>
    public static GenericChart Table3Chart(TuningReport report)
    {
        var rows = Rows(report);
        var keys = rows.Select(r => r.Model).ToArray();
        (string, string[], double[], double[], double[]) Series(string name, Func<EvaluationPoint, Estimate> estimate)
        {
            var estimates = rows.Select(r => estimate(r.Point)).ToArray();
            return (name, keys, estimates.Select(e => 100 * e.Value).ToArray(), estimates.Select(e => 100 * e.Low).ToArray(),
                estimates.Select(e => 100 * e.High).ToArray());
        }
        return Charts.Intervals([Series("aligned", e => e.Alignment), Series("good quality", e => e.Quality)],
            "Table 3 analogue: oracle judgement of held-out clips (95% Wilson intervals)", "% of clips");
    }

    /// <summary>
    /// The before/after frame strips as one PNG: for each strip caption, a block of rows (the base model, then each tuned
    /// model in the report's order), each row the clip's frames left to right, with a 2-pixel gap between frames and a
    /// 6-pixel gap between caption blocks. <paramref name="captions"/> keeps the first caption blocks only and
    /// <paramref name="frameStep"/> every n-th frame: a preview small enough to embed in a notebook.
    /// </summary>
    public static byte[] FrameStrips(TuningReport report, int? captions = null, int frameStep = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameStep, 1);
        var rowsPerCaption = 1 + report.Rewards.Count;
        var clip = report.BaseStripFrames[0];
        var kept = Enumerable.Range(0, clip.Length).Where(f => f % frameStep == 0).ToArray();
        var frames = kept.Length;
        var size = (int)Math.Round(Math.Sqrt(clip[0].Length / 3.0));
        const int frameGap = 2, rowGap = 2, blockGap = 6;
        var width = frames * size + (frames - 1) * frameGap;
        captions = Math.Min(captions ?? int.MaxValue, report.StripCaptions.Count);
        var height = captions.Value * rowsPerCaption * size + captions.Value * (rowsPerCaption - 1) * rowGap + (captions.Value - 1) * blockGap;
        var image = new byte[width * height * 3];
        Array.Fill(image, (byte)255);
        for (var c = 0; c < captions; c++)
        {
            var models = new[] { report.BaseStripFrames[c] }.Concat(report.Rewards.Select(r => r.StripFrames[c])).ToArray();
            for (var m = 0; m < models.Length; m++)
            {
                var top = c * (rowsPerCaption * size + (rowsPerCaption - 1) * rowGap + blockGap) + m * (size + rowGap);
                for (var f = 0; f < frames; f++)
                {
                    var left = f * (size + frameGap);
                    for (var y = 0; y < size; y++)
                        Array.Copy(models[m][kept[f]], y * size * 3, image, ((top + y) * width + left) * 3, size * 3);
                }
            }
        }
        return PngEncoder.EncodeRgb(image, width, height);
    }

    /// <summary>The strips' legend: which caption each block shows and which model each row is.</summary>
    public static string FrameStripLegend(TuningReport report) =>
        "Rows in each block: base, " + string.Join(", ", report.Rewards.Select(r => $"tuned w/ {r.DisplayName}")) + ". Blocks: " +
        string.Join(" | ", report.StripCaptions.Select((c, i) => $"{i + 1}. {c}"));

    // ---- the results record --------------------------------------------------------------------------------------

    public static JsonObject ConfigJson(TuningReport report)
    {
        var config = JsonNode.Parse(report.Config.ToJson())!.AsObject();
        config["reward_checkpoints"] = new JsonObject(report.Rewards.Select(r =>
            KeyValuePair.Create(r.Name, (JsonNode?)JsonValue.Create(r.Checkpoint.Directory))));
        return config;
    }

    public static JsonObject MetricsJson(TuningReport report)
    {
        static JsonObject Est(Estimate e) => new()
        {
            ["value"] = Finite(e.Value), ["low"] = Finite(e.Low), ["high"] = Finite(e.High), ["n"] = e.N, ["method"] = e.Method,
        };
        static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
        static JsonObject Point(EvaluationPoint p)
        {
            var point = new JsonObject
            {
                ["step"] = p.Step, ["n"] = p.N, ["aligned"] = Est(p.Alignment), ["good_quality"] = Est(p.Quality),
                ["oracle_score"] = Est(p.OracleScore), ["proxy"] = Est(p.Proxy), ["kl"] = Est(p.Kl), ["pixel_rms"] = Est(p.PixelDistance),
            };
            foreach (var check in Enum.GetValues<OracleCheck>()) point[check.ToString().ToLowerInvariant()] = Est(p.Check(check));
            return point;
        }
        var rewards = new JsonObject();
        foreach (var r in report.Rewards)
            rewards[r.Name] = new JsonObject
            {
                ["display"] = r.DisplayName,
                ["val_strict_accuracy"] = Finite(r.Checkpoint.ValStrictAccuracy),
                ["val_decisive_pairs"] = r.Checkpoint.ValDecisivePairs,
                ["trained_now"] = r.Checkpoint.TrainedNow,
                ["scale_mean"] = r.Scale.Mean,
                ["scale_sd"] = r.Scale.Std,
                ["step_seconds"] = Math.Round(r.Run.StepTime.TotalSeconds, 2),
                ["evaluation_seconds"] = Math.Round(r.Run.EvaluationTime.TotalSeconds, 2),
                ["evaluations"] = new JsonArray(r.Run.Evaluations.Select(e => (JsonNode?)Point(e)).ToArray()),
                ["steps"] = new JsonArray(r.Run.Steps.Select(s => (JsonNode?)new JsonObject
                {
                    ["step"] = s.Step, ["reward"] = Finite(s.Reward), ["kl"] = Finite(s.Kl), ["loss"] = Finite(s.Loss), ["grad_norm"] = Finite(s.GradNorm),
                }).ToArray()),
            };
        return new JsonObject
        {
            ["oracle_validation"] = new JsonObject
            {
                ["pairs"] = report.OracleValidation.Pairs,
                ["videos"] = report.OracleValidation.Videos,
                ["checks"] = new JsonObject(report.OracleValidation.Checks.Select(c => KeyValuePair.Create(c.Check.ToString().ToLowerInvariant(),
                    (JsonNode?)new JsonObject
                    {
                        ["synthbench_defects"] = c.Defects, ["passes_clean"] = Est(c.PassesWhenClean), ["fails_defective"] = Est(c.FailsWhenDefective),
                    }))),
            },
            ["base"] = Point(report.Base),
            ["rewards"] = rewards,
            ["over_optimisation"] = new JsonArray(OverOptimisations(report).Select(o => (JsonNode?)new JsonObject
            {
                ["reward"] = o.Reward, ["peak_step"] = o.PeakStep, ["final_minus_peak"] = Est(o.FinalMinusPeak),
                ["final_minus_base"] = Est(o.FinalMinusBase), ["proxy_gain"] = o.ProxyGain, ["verdict"] = o.Verdict,
            }).ToArray()),
            ["pretraining"] = new JsonObject
            {
                ["train_videos"] = report.Pretraining.TrainVideos, ["val_videos"] = report.Pretraining.ValVideos,
                ["best_epoch"] = report.Pretraining.BestEpoch,
                ["val_nll"] = new JsonArray(report.Pretraining.ValNll.Select(v => (JsonNode?)Finite(v)).ToArray()),
            },
            ["seconds"] = new JsonObject(report.PhaseTimes.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(Math.Round(p.Value.TotalSeconds, 1))))),
        };
    }
}

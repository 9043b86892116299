using Microsoft.Data.Analysis;

namespace MjVideo.Tuning;

/// <summary>One phase of a tuning experiment: the seconds a run measured and the seconds estimated for another config.</summary>
/// <param name="Basis">what the estimate scales with</param>
public sealed record PhaseEstimate(string Phase, double MeasuredSeconds, double EstimatedSeconds, string Basis);

/// <summary>
/// Estimates what a tuning experiment will cost under another config (the full preset, from a quick run) by scaling each
/// measured phase with the work it does: SynthBench pairs judged by the oracle; reward-model pairs times epochs; generator
/// pre-training pairs times epochs; clips rendered and judged for the evaluation set; and per reward, tuning steps times
/// batch for the step time and evaluations times held-out clips for the evaluation time. Costs that do not scale (set-up,
/// clip decoding) are scaled with the rest, so the estimate leans high. On the shared 2-core machine timings are noisy.
/// </summary>
public static class TuningCost
{
    public static IReadOnlyList<PhaseEstimate> Estimate(TuningReport measured, TuningConfig target)
    {
        var from = measured.Config;
        double Seconds(string phase) => measured.PhaseTimes.TryGetValue(phase, out var t) ? t.TotalSeconds : 0;
        static double RewardWork(RewardTrainingSettings s) => (s.TrainPairs + s.ValPairs) * (double)s.Epochs.Sum();
        static int EvaluationClips(TuningConfig c) => c.EvalCaptions * c.DrawsPerCaption;

        var rows = new List<PhaseEstimate>
        {
            new("oracle validation", Seconds("oracle validation"), Seconds("oracle validation") * target.OracleValidationPairs / from.OracleValidationPairs,
                "SynthBench pairs judged"),
        };
        var rewardsTrained = measured.Rewards.Count(r => r.Checkpoint.TrainedNow);
        rows.Add(rewardsTrained == 0
            ? new("reward models", Seconds("reward models"), double.NaN, "not measured: every checkpoint was reused")
            : new("reward models", Seconds("reward models"),
                Seconds("reward models") * RewardWork(target.RewardTraining) / RewardWork(from.RewardTraining) * target.Rewards.Count / rewardsTrained,
                "(train + val pairs) x epochs x rewards"));
        rows.Add(new("base generator", Seconds("base generator"),
            Seconds("base generator") * target.Pretraining.Pairs * target.Pretraining.Epochs / (from.Pretraining.Pairs * (double)from.Pretraining.Epochs),
            "pairs x epochs"));
        rows.Add(new("evaluation set", Seconds("evaluation set"),
            Seconds("evaluation set") * (EvaluationClips(target) + target.CalibrationClips) / (EvaluationClips(from) + from.CalibrationClips),
            "held-out and calibration clips"));

        // Each tuning run: its steps scale with steps x batch, its evaluations with evaluations x clips; the rest (copying
        // the model, rendering the strips) stays.
        var stepFactor = target.Tuning.Steps * (double)target.Tuning.BatchSize / (from.Tuning.Steps * from.Tuning.BatchSize);
        var evaluationFactor = target.Tuning.EvaluationSteps().Count * (double)EvaluationClips(target)
                               / (from.Tuning.EvaluationSteps().Count * EvaluationClips(from));
        var tuneMeasured = measured.Rewards.Sum(r => Seconds($"tune {r.Name}"));
        var tuneEstimated = measured.Rewards.Sum(r =>
        {
            var (step, evaluation) = (r.Run.StepTime.TotalSeconds, r.Run.EvaluationTime.TotalSeconds);
            return step * stepFactor + evaluation * evaluationFactor + Math.Max(0, Seconds($"tune {r.Name}") - step - evaluation);
        }) * target.Rewards.Count / measured.Rewards.Count;
        rows.Add(new($"tuning ({target.Rewards.Count} rewards)", tuneMeasured, tuneEstimated,
            $"steps x batch ({stepFactor:0.#}x), evaluations x clips ({evaluationFactor:0.#}x)"));
        return rows;
    }

    /// <summary>The estimate as a table, with a total row (NaN when a phase could not be estimated).</summary>
    public static DataFrame Table(IReadOnlyList<PhaseEstimate> rows)
    {
        var all = rows.Append(new PhaseEstimate("total", rows.Sum(r => r.MeasuredSeconds), rows.Sum(r => r.EstimatedSeconds), "")).ToList();
        return new DataFrame(
            new StringDataFrameColumn("phase", all.Select(r => r.Phase)),
            new DoubleDataFrameColumn("measured s", all.Select(r => Math.Round(r.MeasuredSeconds, 1))),
            new DoubleDataFrameColumn("estimated s", all.Select(r => Math.Round(r.EstimatedSeconds, 0))),
            new StringDataFrameColumn("scales with", all.Select(r => r.Basis)));
    }
}

using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Synth;
using MjVideo.Reports;

namespace MjVideo.Evaluation;

/// <summary>One judge evaluated on one rule family's SynthBench test split.</summary>
public sealed record FamilyEvaluation(string Family, JudgeEvaluation Evaluation);

/// <summary>
/// The evaluations the notebooks share: each judge on the test split of every rule family of the default SynthBench sets,
/// each saved to the results folder. Judges are built per family because they calibrate on that family's val split.
/// </summary>
public static class StandardRuns
{
    public static EvaluationData Load(Workbook workbook, RuleFamily family) =>
        EvaluationData.Load(SynthBenchDefaults.FamilyDir(workbook, family), name: $"synthbench-{family.Name()}");

    /// <summary>The three oracle ceilings of DESIGN 8 on every family.</summary>
    public static Task<IReadOnlyList<FamilyEvaluation>> CeilingsAsync(Workbook workbook, IProgress<string>? progress = null,
        CancellationToken cancellation = default) =>
        RunAsync(workbook, (data, _) => Task.FromResult(JudgeCatalog.Ceilings(data)), progress, cancellation);

    /// <summary>The training-free judges, the controls, the VLM judge (a "not run" row without an endpoint) and the
    /// ceilings on every family.</summary>
    public static Task<IReadOnlyList<FamilyEvaluation>> BaselinesAsync(Workbook workbook, IProgress<string>? progress = null,
        CancellationToken cancellation = default) =>
        RunAsync(workbook, async (data, token) =>
        {
            var judges = new List<IJudge>(await JudgeCatalog.TrainingFreeAsync(data, workbook, seed: 0, cancellation: token));
            judges.Add(await JudgeCatalog.CreateAsync("baseline:vlm", data, workbook, cancellation: token));
            judges.AddRange(JudgeCatalog.Ceilings(data));
            return judges;
        }, progress, cancellation);

    static async Task<IReadOnlyList<FamilyEvaluation>> RunAsync(Workbook workbook,
        Func<EvaluationData, CancellationToken, Task<IReadOnlyList<IJudge>>> judgesFor, IProgress<string>? progress,
        CancellationToken cancellation)
    {
        var options = new EvaluationOptions();
        var results = new List<FamilyEvaluation>();
        foreach (var family in PreferenceRules.Families)
        {
            var data = Load(workbook, family);
            foreach (var judge in await judgesFor(data, cancellation))
            {
                var evaluation = await Evaluator.EvaluateAsync(judge, data, options, cancellation: cancellation);
                EvaluationTables.Save(workbook, data, evaluation, options, new JsonObject { ["mode"] = workbook.Mode.ToString() });
                results.Add(new FamilyEvaluation(family.Name(), evaluation));
                progress?.Report($"{family.Name()}: {evaluation.Judge}: " +
                                 (evaluation.Ran ? evaluation.Noisy!.Strict.Format() : evaluation.NotRunText));
                if (judge is IDisposable disposable) disposable.Dispose();
            }
        }
        return results;
    }

    /// <summary>Table 2 with one row per judge and family.</summary>
    public static Microsoft.Data.Analysis.DataFrame Table2(IEnumerable<FamilyEvaluation> runs, bool cleanLabels = false)
    {
        var list = runs.ToList();
        var frame = EvaluationTables.Table2(list.Select(r => r.Evaluation), cleanLabels);
        frame.Columns.Insert(0, new Microsoft.Data.Analysis.StringDataFrameColumn("rule family", list.Select(r => r.Family)));
        return frame;
    }

    /// <summary>Strict accuracy with its 95% interval per judge, one series per rule family (judges that ran).</summary>
    public static Plotly.NET.GenericChart StrictChart(IEnumerable<FamilyEvaluation> runs, string title, bool cleanLabels = false)
    {
        var ran = runs.Where(r => r.Evaluation.Ran && (cleanLabels ? r.Evaluation.Clean : r.Evaluation.Noisy) is not null).ToList();
        return Reports.Charts.Intervals(ran.GroupBy(r => r.Family).Select(g =>
        {
            var estimates = g.Select(r => (cleanLabels ? r.Evaluation.Clean! : r.Evaluation.Noisy!).Strict).ToList();
            return (g.Key, g.Select(r => r.Evaluation.Judge).ToArray(), estimates.Select(e => 100 * e.Value).ToArray(),
                estimates.Select(e => 100 * e.Low).ToArray(), estimates.Select(e => 100 * e.High).ToArray());
        }), title, "strict accuracy (%)");
    }

    /// <summary>Table 1 (long layout) for the judges that score aspects, with the family.</summary>
    public static Microsoft.Data.Analysis.DataFrame Table1(IEnumerable<FamilyEvaluation> runs) =>
        EvaluationTables.Table1(runs.Where(r => r.Evaluation.Ran).Select(r => r.Evaluation with { Judge = $"{r.Family}: {r.Evaluation.Judge}" }));
}

using MjVideo.Baselines;
using MjVideo.Baselines.Controls;
using MjVideo.Baselines.Oracle;
using MjVideo.Baselines.TrainingFree;
using MjVideo.Baselines.Vlm;
using MjVideo.Core;
using MjVideo.Training;

namespace MjVideo.Evaluation;

/// <summary>
/// Judges by name, for the command line and the notebooks: <c>baseline:NAME</c> for the judges that need no training,
/// or the path of a trained checkpoint. Judges that calibrate (thresholds, standardisation, fitted weights) do it on
/// the data's val split only.
/// </summary>
public static class JudgeCatalog
{
    public static readonly IReadOnlyDictionary<string, string> Baselines = new Dictionary<string, string>
    {
        ["random"] = "Control: random scores (seeded)",
        ["always-tie"] = "Control: the same score for every video",
        ["file-size"] = "Control: the mp4's size in bytes",
        ["subject-consistency"] = "VBench-like: subject consistency (ResNet-18 features)",
        ["motion-smoothness"] = "VBench-like: motion smoothness (neighbour interpolation)",
        ["imaging-quality"] = "VBench-like: imaging quality (re-blur sharpness)",
        ["vbench-combined"] = "VBench-like: the three measures standardised on val and summed",
        ["single-frame"] = "Control: imaging quality of the middle frame only",
        ["noise-ceiling"] = "Ceiling: oracle severities with the true rule (SynthBench only)",
        ["oracle-fixed-weights"] = "Ceiling: oracle criterion labels, best fixed aspect weights (fitted on val)",
        ["oracle-true-weights"] = "Ceiling: oracle criterion labels, true per-pair weights (SynthBench only)",
        ["vlm"] = "The paper's VLM-judge protocol (needs MJVIDEO_VLM_ENDPOINT)",
    };

    /// <summary>The training-free judges and controls (not the ceilings, not the VLM), built once for a data set.</summary>
    public static async Task<IReadOnlyList<IJudge>> TrainingFreeAsync(EvaluationData data, Workbook workbook, long seed = 0,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var val = RequireVal(data, "the training-free judges standardise on val");
        var measurer = QualityMeasurer.ForWorkbook(workbook);
        var judges = new List<IJudge>(await TrainingFreeJudges.CreateAsync(measurer, val, progress, cancellation));
        judges.Add(new RandomJudge(seed));
        judges.Add(new AlwaysTieJudge());
        judges.Add(FileSizeJudge.Calibrate(val));
        return judges;
    }

    /// <summary>The three oracle ceilings of DESIGN 8 (SynthBench data only: they read the oracle files).</summary>
    public static IReadOnlyList<IJudge> Ceilings(EvaluationData data)
    {
        if (data.TestOracle is null) return [];
        return [new NoiseCeilingJudge(), FixedAspectWeightsJudge.FitOn(RequireVal(data, "the fixed-weights ceiling fits on val")),
            new TrueAspectWeightsJudge()];
    }

    /// <summary>One judge by name: <c>baseline:NAME</c>, or a checkpoint folder.</summary>
    public static async Task<IJudge> CreateAsync(string name, EvaluationData data, Workbook workbook, long seed = 0,
        CancellationToken cancellation = default)
    {
        if (!name.StartsWith("baseline:", StringComparison.OrdinalIgnoreCase))
        {
            if (!Directory.Exists(name))
                throw new DirectoryNotFoundException($"'{name}' is neither baseline:NAME ({string.Join(", ", Baselines.Keys)}) nor a checkpoint folder");
            return TrainedJudge.Load(name);
        }
        var key = name["baseline:".Length..].Trim().ToLowerInvariant();
        switch (key)
        {
            case "random": return new RandomJudge(seed);
            case "always-tie": return new AlwaysTieJudge();
            case "file-size": return FileSizeJudge.Calibrate(RequireVal(data, "the file-size control calibrates on val"));
            case "noise-ceiling": return new NoiseCeilingJudge();
            case "oracle-fixed-weights": return FixedAspectWeightsJudge.FitOn(RequireVal(data, "the fixed-weights ceiling fits on val"));
            case "oracle-true-weights": return new TrueAspectWeightsJudge();
            case "vlm": return VlmJudge.FromEnvironment();
        }
        var wanted = key switch
        {
            "subject-consistency" => "VBench-like: subject consistency",
            "motion-smoothness" => "VBench-like: motion smoothness",
            "imaging-quality" => "VBench-like: imaging quality",
            "vbench-combined" => CombinedQualityJudge.DefaultName,
            "single-frame" => "single frame",
            _ => throw new ArgumentException($"unknown baseline '{key}'; known: {string.Join(", ", Baselines.Keys)}"),
        };
        var judges = await TrainingFreeAsync(data, workbook, seed, null, cancellation);
        return judges.First(j => j.Name.Contains(wanted, StringComparison.OrdinalIgnoreCase));
    }

    static JudgeInput RequireVal(EvaluationData data, string why) =>
        data.Val is { } val ? new JudgeInput(val) : throw new InvalidOperationException($"{data.Name}: no val split ({why})");
}

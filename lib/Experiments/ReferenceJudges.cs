using System.Text.Json;
using System.Text.Json.Nodes;
using MjVideo.Baselines.Controls;
using MjVideo.Baselines.Oracle;
using MjVideo.Baselines.TrainingFree;
using MjVideo.Baselines.Vlm;
using MjVideo.Core;
using MjVideo.Evaluation;
using MjVideo.Reports;
using MjVideo.Synth;

namespace MjVideo.Experiments;

/// <summary>Which table group a judge that is not trained here belongs to.</summary>
public enum ReferenceGroup { TrainingFree, Vlm, Control, Ceiling }

/// <summary>One judge of the main table that needs no training: its row name, group and cell key.</summary>
public sealed record ReferenceJudge(string Name, ReferenceGroup Group)
{
    public string Slug => new string(Name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Trim('-').Replace("--", "-");

    public string KeyFor(RuleFamily family) => $"{MainComparison.Experiment}/{family.Name()}/reference/{Slug}";
}

/// <summary>
/// The main table's rows that are not trained here (lib/Baselines): the VBench-like training-free judges and the
/// single-frame control (calibrated once on val: their measures do not depend on the rule family), the VLM judge ("not
/// run (no endpoint)" unless one is configured), the random, always-tie and file-size controls, and the three oracle
/// ceilings (the fixed-weights ceiling fitted on each family's val). Each is evaluated by the <see cref="Evaluator"/> on
/// every family's test split and written to results/; rows already there with the same spec are not recomputed, and the
/// judges themselves (the expensive measuring of videos) are only built when a row is missing.
/// </summary>
public sealed class ReferenceJudges(Workbook workbook, ExperimentSettings settings, ExperimentData data, ExperimentLedger ledger)
{
    public const string Version = "reference-judges-v1";

    /// <summary>The rows, in table order.</summary>
    public static IReadOnlyList<ReferenceJudge> All { get; } =
    [
        .. QualityMeasures.Video.Select(m => new ReferenceJudge($"VBench-like: {m.Name()}", ReferenceGroup.TrainingFree)),
        new(CombinedQualityJudge.DefaultName, ReferenceGroup.TrainingFree),
        new("VLM judge", ReferenceGroup.Vlm),
        new(SingleFrameJudge.Name, ReferenceGroup.Control),
        new("Control: random", ReferenceGroup.Control),
        new("Control: always tie", ReferenceGroup.Control),
        new("Control: file size", ReferenceGroup.Control),
        new("Ceiling: oracle severities, true rule", ReferenceGroup.Ceiling),
        new("Ceiling: criterion labels, best fixed aspect weights", ReferenceGroup.Ceiling),
        new("Ceiling: criterion labels, true per-pair weights", ReferenceGroup.Ceiling),
    ];

    EvaluationOptions Options => new(settings.EvaluationSeed, settings.BootstrapResamples);

    public string SpecHash(ReferenceJudge judge, FamilySplits family) => ExperimentData.Hash(string.Join("\n", Version, judge.Name,
        family.Fingerprint, data.VideosFingerprint, JsonSerializer.Serialize(Options), VlmEndpoint.FromEnvironment()?.ToString() ?? "no endpoint"));

    /// <summary>Evaluates every missing (judge, family) row; <paramref name="log"/> gets one line per row written.</summary>
    public async Task<int> RunAsync(Action<string>? log = null, CancellationToken cancellation = default)
    {
        var missing = settings.Families.SelectMany(f => All.Select(j => (Judge: j, Family: data[f])))
            .Where(x => ledger.Find(x.Judge.KeyFor(x.Family.Family), SpecHash(x.Judge, x.Family)) is null).ToList();
        if (missing.Count == 0) return 0;

        using var measurer = QualityMeasurer.ForWorkbook(workbook);
        IReadOnlyList<IJudge>? trainingFree = null;
        FileSizeJudge? fileSize = null;
        using var vlm = VlmJudge.FromEnvironment();
        foreach (var (judge, family) in missing)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            IJudge instance;
            if (judge.Group == ReferenceGroup.TrainingFree || judge.Name == SingleFrameJudge.Name)
            {
                trainingFree ??= await TrainingFreeJudges.CreateAsync(measurer, new JudgeInput(data.Reference.Val), cancellation: cancellation).ConfigureAwait(false);
                instance = trainingFree.Single(j => j.Name == judge.Name);
            }
            else instance = judge.Name switch
            {
                "VLM judge" => vlm,
                "Control: random" => new RandomJudge(settings.EvaluationSeed),
                "Control: always tie" => new AlwaysTieJudge(),
                "Control: file size" => fileSize ??= FileSizeJudge.Calibrate(new JudgeInput(data.Reference.Val)),
                "Ceiling: oracle severities, true rule" => new NoiseCeilingJudge(),
                "Ceiling: criterion labels, best fixed aspect weights" => FixedAspectWeightsJudge.FitOn(new JudgeInput(family.Val)),
                "Ceiling: criterion labels, true per-pair weights" => new TrueAspectWeightsJudge(),
                _ => throw new InvalidOperationException($"no factory for reference judge '{judge.Name}'"),
            };
            var evaluation = await Evaluator.EvaluateAsync(instance, family.Evaluation, Options, cancellation: cancellation).ConfigureAwait(false);
            var timing = new JsonObject { ["timing"] = new JsonObject { ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3) } };
            var config = new JsonObject
            {
                [ExperimentLedger.ExperimentField] = new JsonObject
                {
                    ["key"] = judge.KeyFor(family.Family),
                    ["spec_hash"] = SpecHash(judge, family),
                    ["experiment"] = MainComparison.Experiment,
                    ["family"] = family.Name,
                    ["group"] = judge.Group.ToString(),
                    ["display"] = judge.Name,
                    ["synthbench"] = new JsonObject
                    {
                        ["version"] = data.SynthBenchVersion, ["config_hash"] = data.SynthBenchConfigHash, ["family_fingerprint"] = family.Fingerprint,
                    },
                },
            };
            ledger.Add(EvaluationTables.Save(workbook, family.Evaluation, evaluation, Options, config, timing));
            log?.Invoke($"{family.Name}: {judge.Name} -> {(evaluation.Ran ? evaluation.Noisy!.Strict.Format() : evaluation.NotRunText)}");
        }
        return missing.Count;
    }
}

using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Video;

namespace MjVideo.Workflow;

/// <summary>
/// The SynthBench studies of notebook 01 (detectability, shortcuts), saved to results/, and the datasheet's generated
/// sections, rebuilt from the default sets and results/ in full mode only (quick mode never feeds committed documents).
/// </summary>
public static class SynthStudies
{
    public const string Kind = "synthbench";

    /// <summary>Samples per criterion: lowest severity bin, other bins.</summary>
    public static (int Lowest, int Others) DetectabilitySamples(Workbook workbook) => workbook.IsQuick ? (6, 2) : (200, 50);

    public static async Task<IReadOnlyList<DetectabilityCell>> DetectabilityAsync(Workbook workbook, CancellationToken cancellation = default)
    {
        var (lowest, others) = DetectabilitySamples(workbook);
        const long seed = 7;
        var cells = await DefectDetectability.RunAsync(lowest, others, seed, cancellation: cancellation);
        var config = new JsonObject { ["study"] = "detectability", ["seed"] = seed, ["lowest_bin_samples"] = lowest, ["other_bin_samples"] = others,
            ["size"] = 64, ["frames"] = 16, ["codec"] = "libx264 yuv444p crf 10" };
        ResultsStore.For(workbook).Write(ResultsStore.Create(Kind, "detectability", workbook, config, SynthReports.DetectabilityJson(cells), SynthConfig.Version));
        return cells;
    }

    public static async Task<ShortcutReport> ShortcutsAsync(Workbook workbook, CancellationToken cancellation = default)
    {
        var dir = SynthBenchDefaults.FamilyDir(workbook, RuleFamily.Additive);
        PreferenceDataset Read(string split) => ReleaseReader.Read(Path.Combine(dir, $"{split}.json"), Path.Combine(dir, "videos"));
        var preprocessing = SynthBenchWriter.DefaultSample(SynthBenchDefaults.Config(workbook, "test"));
        var report = await ShortcutCheck.RunAsync(Read("train"), Read("val"), Read("test"),
            new VideoDecoder(cache: ClipCache.InWorkbook(workbook)), preprocessing, cancellation: cancellation);
        var config = new JsonObject { ["study"] = "shortcuts", ["family"] = "additive", ["preprocessing"] = preprocessing.Describe() };
        var metrics = new JsonObject
        {
            ["larger_file_wins"] = Evaluator.ToJson(report.LargerFileWins),
            ["smaller_file_wins"] = Evaluator.ToJson(report.SmallerFileWins),
            ["pair_difference_model"] = Evaluator.ToJson(report.PairDifferenceModel),
            ["chosen_weight_decay"] = report.ChosenWeightDecay, ["train_pairs"] = report.TrainPairs, ["features"] = report.Features,
        };
        ResultsStore.For(workbook).Write(ResultsStore.Create(Kind, "shortcuts", workbook, config, metrics, SynthConfig.Version));
        return report;
    }

    /// <summary>The three ceilings on every family (saved to results/ by <see cref="StandardRuns"/>).</summary>
    public static Task<IReadOnlyList<FamilyEvaluation>> CeilingsAsync(Workbook workbook, CancellationToken cancellation = default) =>
        StandardRuns.CeilingsAsync(workbook, new Progress<string>(Console.WriteLine), cancellation);

    public static string DatasheetPath(Workbook workbook) => Path.Combine(workbook.Root, "data", "DATASHEET.md");

    /// <summary>Rewrites the datasheet's generated sections from the full-mode sets and records.</summary>
    public static void UpdateDatasheet(Workbook workbook)
    {
        if (workbook.IsQuick) throw new InvalidOperationException("the datasheet is generated from full-mode results only");
        var path = DatasheetPath(workbook);
        var additive = SynthBenchDefaults.FamilyDir(workbook, RuleFamily.Additive);
        var stamp = $"\n\n_{SynthConfig.Version}, full mode, generated {DateTime.UtcNow:yyyy-MM-dd} from commit {ResultsStore.GitCommit(workbook.Root)}._";

        var (rates, _, _) = SynthReports.CriterionRates(SynthOracle.Read(Path.Combine(additive, "train.oracle.json")));
        MarkdownSections.ReplaceInFile(path, "synthbench-rates", MarkdownSections.Table(rates) + stamp);

        var test = ReleaseReader.Read(Path.Combine(additive, "test.json"), Path.Combine(additive, "videos"));
        MarkdownSections.ReplaceInFile(path, "synthbench-aspect-agreement",
            MarkdownSections.Table(SynthReports.AspectCodeAgreement(SynthOracle.Read(Path.Combine(additive, "test.oracle.json")), test)) + stamp);

        var byFamily = PreferenceRules.Families.ToDictionary(f => f.Name(), f =>
            ReleaseReader.Read(Path.Combine(SynthBenchDefaults.FamilyDir(workbook, f), "test.json")));
        MarkdownSections.ReplaceInFile(path, "synthbench-preferences",
            MarkdownSections.Table(SynthReports.PreferencesByFamily(byFamily, "").Table) + stamp);

        var records = ResultsStore.For(workbook).ReadAll(Kind);
        if (records.LastOrDefault(r => r.Config["study"]?.GetValue<string>() == "detectability") is { } detect)
            MarkdownSections.ReplaceInFile(path, "synthbench-detectability",
                MarkdownSections.Table(SynthReports.Detectability(SynthReports.DetectabilityFromJson(detect.Metrics), "").Table) +
                $"\n\n_{detect.RunId}, commit {detect.Commit}._");
        if (records.LastOrDefault(r => r.Config["study"]?.GetValue<string>() == "shortcuts") is { } shortcuts)
            MarkdownSections.ReplaceInFile(path, "synthbench-shortcuts", ShortcutsMarkdown(shortcuts) + $"\n\n_{shortcuts.RunId}, commit {shortcuts.Commit}._");

        var ceilings = ResultsStore.For(workbook).ReadAll("eval")
            .Where(r => r.Metrics["judge"]?.GetValue<string>().StartsWith("Ceiling:") == true && r.Metrics["ran"]?.GetValue<bool>() == true)
            .OrderBy(r => r.Config["data"]?["rule_family"]?.GetValue<string>()).ThenBy(r => r.Metrics["judge"]!.GetValue<string>()).ToList();
        if (ceilings.Count > 0)
            MarkdownSections.ReplaceInFile(path, "synthbench-ceilings", MarkdownSections.Table(
                ["rule family", "ceiling", "strict (published labels)", "strict (clean labels)", "n decisive"],
                ceilings.Select(r => (IReadOnlyList<string>)
                [
                    r.Config["data"]?["rule_family"]?.GetValue<string>() ?? "", r.Metrics["judge"]!.GetValue<string>(),
                    Format(r.Metrics["overall"]?["strict"]), Format(r.Metrics["overall_clean"]?["strict"]),
                    r.Metrics["overall"]?["strict"]?["n"]?.ToString() ?? "",
                ])) + stamp);
    }

    static string ShortcutsMarkdown(RunRecord record) => MarkdownSections.Table(["shortcut", "strict accuracy on test", "n"],
    [
        ["larger file preferred", Format(record.Metrics["larger_file_wins"]), record.Metrics["larger_file_wins"]?["n"]?.ToString() ?? ""],
        ["smaller file preferred", Format(record.Metrics["smaller_file_wins"]), record.Metrics["smaller_file_wins"]?["n"]?.ToString() ?? ""],
        [$"logistic regression on the pair's pixel difference ({record.Metrics["features"]} features, weight decay {record.Metrics["chosen_weight_decay"]} chosen on val)",
            Format(record.Metrics["pair_difference_model"]), record.Metrics["pair_difference_model"]?["n"]?.ToString() ?? ""],
    ]);

    /// <summary>"68.75 [59.7, 76.6]" from an estimate's JSON (<see cref="Evaluator.ToJson"/>).</summary>
    public static string Format(JsonNode? estimate)
    {
        if (estimate?["value"] is not { } value) return "undefined";
        var ci = estimate["ci95"]!.AsArray();
        return ci[0] is null || ci[1] is null
            ? $"{100 * value.GetValue<double>():F2}"
            : $"{100 * value.GetValue<double>():F2} [{100 * ci[0]!.GetValue<double>():F1}, {100 * ci[1]!.GetValue<double>():F1}]";
    }
}

using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Evaluation;
using MjVideo.Metrics;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

public sealed class EvalCommand : AsyncCommand<EvalCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--data <DIR>")]
        [Description("A folder in the release layout: <split>.json, val.json (for thresholds), videos/, and for SynthBench the .oracle.json files.")]
        public string Data { get; init; } = "";

        [CommandOption("--split <SPLIT>")]
        public string Split { get; init; } = "test";

        [CommandOption("--model <MODEL>")]
        [Description("A checkpoint folder, or baseline:NAME (random, always-tie, file-size, subject-consistency, motion-smoothness, imaging-quality, vbench-combined, single-frame, noise-ceiling, oracle-fixed-weights, oracle-true-weights, vlm).")]
        public string Model { get; init; } = "";

        [CommandOption("--seed <S>")]
        public long Seed { get; init; }

        [CommandOption("--save")]
        [Description("Also write the record to results/ (full mode) or the scratch results folder (quick mode, the default).")]
        public bool Save { get; init; }

        [CommandOption("--json")]
        public bool Json { get; init; }

        public override ValidationResult Validate() =>
            Data.Length == 0 || Model.Length == 0 ? ValidationResult.Error("--data and --model are required") : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var workbook = Workbook.OpenAnywhere();
        var data = EvaluationData.Load(settings.Data, settings.Split);
        var judge = await JudgeCatalog.CreateAsync(settings.Model, data, workbook, settings.Seed, cancellation);
        var options = new EvaluationOptions();
        // Progress with rate and time left on stderr, so that --json output stays clean.
        var progress = new RateProgress($"{judge.Name} on {data.Test.Pairs.Count} test pairs", data.Test.Pairs.Count, "pairs", Console.Error.WriteLine);
        var evaluation = await Evaluator.EvaluateAsync(judge, data, options, progress, cancellation);
        if (settings.Save)
            Console.Error.WriteLine($"saved {EvaluationTables.Save(workbook, data, evaluation, options)}");

        if (settings.Json)
        {
            var json = Evaluator.MetricsJson(evaluation);
            json.Remove("scores");
            json["config"] = new JsonObject
            {
                ["data"] = Path.GetFullPath(settings.Data), ["split"] = settings.Split, ["test_pairs"] = data.Test.Pairs.Count,
                ["rule_family"] = data.Family, ["synthbench_version"] = data.SynthBenchVersion,
                ["judge"] = new JsonObject(evaluation.JudgeConfig.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
                ["bootstrap_seed"] = options.BootstrapSeed, ["resamples"] = options.Resamples,
            };
            Console.WriteLine(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        Console.WriteLine($"{evaluation.Judge} on {data.Name} ({settings.Split}, {data.Test.Pairs.Count} pairs" +
                          (data.Family is null ? ")" : $", rule family {data.Family}, {data.SynthBenchVersion})"));
        foreach (var (key, value) in evaluation.JudgeConfig) Console.WriteLine($"  {key}: {value}");
        Show("overall preference (published labels)", EvaluationTables.Table2([evaluation]));
        if (evaluation.Clean is not null) Show("overall preference (clean labels)", EvaluationTables.Table2([evaluation], cleanLabels: true));
        if (evaluation.Aspects is not null) Show("aspects (Table 1)", EvaluationTables.Table1([evaluation]));
        if (evaluation.Criteria is { } criteria)
        {
            // One judge: its name is in the header, and the table is wide enough without it.
            var table = EvaluationTables.Criteria([evaluation]);
            table.Columns.Remove("judge");
            Show("criteria (AUC and the severity correlation on their own scale, the rest in percent)", table);
            var oneClass = criteria.Count(c => c.OneClass.IsOneClass);
            if (oneClass > 0)
                Console.WriteLine($"{oneClass} of {criteria.Count} criteria are one-class: the judge predicts one class for them " +
                                  $"(predicted-bad share below {OneClassCheck.ShareRatio:0.##} of the true bad share, or the same for good).");
        }
        return 0;
    }

    static void Show(string title, Microsoft.Data.Analysis.DataFrame frame)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)) };
        foreach (var column in frame.Columns) table.AddColumn(Markup.Escape(column.Name));
        foreach (var row in frame.Rows) table.AddRow(row.Select(v => Markup.Escape(v?.ToString() ?? "")).ToArray());
        AnsiConsole.Write(table);
    }
}

using System.ComponentModel;
using System.Globalization;
using Microsoft.Data.Analysis;
using MjVideo.Core;
using MjVideo.Reports;
using MjVideo.Training;
using MjVideo.Tuning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>
/// The preference-tuning experiment of notebook 05 from the command line: trains (or reuses) the reward models, pre-trains
/// the base generator, tunes a copy against each reward with the same budget, evaluates with the oracle along the way,
/// prints the Table 3 analogue, the paired comparisons and where each reward starts to over-optimise, and writes the
/// record to results/ (the scratch folder in quick mode).
/// </summary>
public sealed class TuneCommand : AsyncCommand<TuneCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--full")]
        [Description("The full preset (the committed results; about half an hour on 2 cores) instead of the quick one (CI's smoke run).")]
        public bool Full { get; init; }

        [CommandOption("--rewards <LIST>")]
        [Description("The rewards to compare, e.g. mjvideo,videoscore (default: mjvideo, bt-single, multitask-single, videoscore).")]
        public string? Rewards { get; init; }

        [CommandOption("--reward <JUDGE=CHECKPOINT>")]
        [Description("Use a finished checkpoint (trained on the tiny backbone) for a reward instead of training one; repeat per reward. " +
                     "Given for one reward, it must be given for all.")]
        public string[] RewardCheckpoints { get; init; } = [];

        [CommandOption("--steps <N>")]
        [Description("Tuning steps per reward (default: the preset's).")]
        public int? Steps { get; init; }

        [CommandOption("--kl <BETA>")]
        [Description("Weight of KL(tuned || base) in the tuning loss, the same for every reward (default: the preset's).")]
        public double? KlWeight { get; init; }

        [CommandOption("--lr <RATE>")]
        [Description("Adam's rate for tuning (default: the preset's).")]
        public double? LearningRate { get; init; }

        [CommandOption("--eval-every <N>")]
        [Description("Evaluate on the held-out clips every N steps (default: the preset's).")]
        public int? EvaluateEvery { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Seeds caption order, generator noise and codec noise of tuning (default: the preset's).")]
        public long? Seed { get; init; }

        [CommandOption("--eval-captions <N>")]
        [Description("Held-out captions per evaluation (default: the preset's).")]
        public int? EvalCaptions { get; init; }

        [CommandOption("--reward-pairs <N>")]
        [Description("SynthBench train pairs the reward models learn from (default: the preset's).")]
        public int? RewardPairs { get; init; }

        [CommandOption("--reward-epochs <LIST>")]
        [Description("Epochs of the reward models' stages 1,2,3, e.g. 3,2,2 (default: the preset's).")]
        public string? RewardEpochs { get; init; }

        [CommandOption("--reward-lr <RATE>")]
        [Description("Learning rate of the reward models' stages (default: the preset's).")]
        public double? RewardLearningRate { get; init; }

        [CommandOption("--figures")]
        [Description("Also save the curves, the Table 3 chart and the frame strips to figures/ (scratch in quick mode; needs Chromium).")]
        public bool Figures { get; init; }

        [CommandOption("--json")]
        [Description("Print the metrics record as JSON instead of tables.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            try
            {
                Config();
                ParseCheckpoints();
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message);
            }
            return ValidationResult.Success();
        }

        public TuningConfig Config()
        {
            var preset = Full ? TuningConfig.Full() : TuningConfig.Quick();
            var tuning = preset.Tuning with
            {
                Steps = Steps ?? preset.Tuning.Steps,
                KlWeight = KlWeight ?? preset.Tuning.KlWeight,
                LearningRate = LearningRate ?? preset.Tuning.LearningRate,
                EvaluateEvery = EvaluateEvery ?? preset.Tuning.EvaluateEvery,
                Seed = Seed ?? preset.Tuning.Seed,
            };
            var rewardTraining = preset.RewardTraining with
            {
                TrainPairs = RewardPairs ?? preset.RewardTraining.TrainPairs,
                LearningRate = RewardLearningRate ?? preset.RewardTraining.LearningRate,
                Epochs = RewardEpochs is null ? preset.RewardTraining.Epochs : ParseEpochs(RewardEpochs),
            };
            var config = preset with
            {
                Preset = preset.Preset + (Customised ? "+options" : ""),
                Rewards = Rewards is null ? preset.Rewards : Rewards.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(JudgeNames.Parse).ToList(),
                Tuning = tuning,
                RewardTraining = rewardTraining,
                EvalCaptions = EvalCaptions ?? preset.EvalCaptions,
                StripCaptions = Math.Min(preset.StripCaptions, EvalCaptions ?? preset.EvalCaptions),
            };
            config.Validate();
            return config;
        }

        /// <summary>Whether any option changes the preset (the config's name then says so).</summary>
        bool Customised => Steps is not null || KlWeight is not null || LearningRate is not null || EvaluateEvery is not null || Seed is not null
                           || EvalCaptions is not null || RewardPairs is not null || RewardEpochs is not null || RewardLearningRate is not null
                           || Rewards is not null;

        static int[] ParseEpochs(string text)
        {
            var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 3) throw new ArgumentException($"--reward-epochs: three counts (stages 1,2,3), got '{text}'");
            return parts.Select(p => int.TryParse(p, out var e) && e >= 1 ? e : throw new ArgumentException($"--reward-epochs: '{p}' is not a count >= 1")).ToArray();
        }

        public IReadOnlyDictionary<JudgeKind, string>? ParseCheckpoints()
        {
            if (RewardCheckpoints.Length == 0) return null;
            var given = new Dictionary<JudgeKind, string>();
            foreach (var entry in RewardCheckpoints)
            {
                var at = entry.IndexOf('=');
                if (at <= 0) throw new ArgumentException($"--reward '{entry}': expected JUDGE=CHECKPOINT, e.g. mjvideo=runs/mj");
                var judge = JudgeNames.Parse(entry[..at]);
                if (!Directory.Exists(entry[(at + 1)..])) throw new ArgumentException($"--reward '{entry}': no checkpoint folder at {entry[(at + 1)..]}");
                if (!given.TryAdd(judge, entry[(at + 1)..])) throw new ArgumentException($"--reward: {entry[..at]} is given twice");
            }
            return given;
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        try
        {
            return await Run(settings, cancellation);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or TrainingDivergedException
                                      or TuningDivergedException or InvalidOperationException)
        {
            return CliErrors.Report(e, context.Arguments);
        }
    }

    static async Task<int> Run(Settings settings, CancellationToken cancellation)
    {
        var config = settings.Config();
        var workbook = Workbook.Open(settings.Full ? RunMode.Full : RunMode.Quick);
        AnsiConsole.MarkupLine(Markup.Escape(workbook.Describe()));
        AnsiConsole.Write(new Panel(Markup.Escape(config.ToJson())).Header($"tuning config {config.Hash()}").Expand());

        TuningReport report = null!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var monitor = new Progress<TuningProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.Phase, out var task))
                    {
                        foreach (var other in tasks.Values) other.StopTask();
                        tasks[p.Phase] = task = progress.AddTask(Markup.Escape(p.Phase), maxValue: Math.Max(1, p.Total));
                    }
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                    // Evaluations, epochs and phase summaries are worth a line of their own; per-step messages only move the bar.
                    if (p.Message.Contains("proxy") || p.Message.Contains("val ") || p.Phase is "rewards" or "data" or "oracle")
                        AnsiConsole.MarkupLine(Markup.Escape(p.Message));
                });
                report = await TuningExperiment.RunAsync(workbook, config, monitor, settings.ParseCheckpoints(), cancellation);
                foreach (var task in tasks.Values) task.StopTask();
            });

        if (settings.Json)
        {
            Console.WriteLine(TuningReports.MetricsJson(report).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        if (workbook.IsQuick) AnsiConsole.MarkupLine($"[yellow]{Workbook.QuickBanner}[/]");
        Print($"the oracle against SynthBench labels ({report.OracleValidation.Videos} videos)", OracleValidation.Table(report.OracleValidation));
        AnsiConsole.MarkupLine(Markup.Escape(TuningReports.OracleTrust(report.OracleValidation)));
        Print("reward models and proxy rewards", TuningReports.Proxies(report));
        Print("Table 3 analogue: held-out clips judged by the oracle (last step)", TuningReports.Table3(report));
        Print("paired differences on the same clips", TuningReports.Comparisons(report));
        Print("over-optimisation", TuningReports.OverOptimisationTable(report));
        AnsiConsole.MarkupLine(Markup.Escape("time: " + string.Join(", ", report.PhaseTimes.Select(p =>
            string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value.TotalSeconds:F0}s")))));
        AnsiConsole.MarkupLine(Markup.Escape($"results: {report.ResultsPath}"));
        if (settings.Figures)
        {
            foreach (var quantity in new[] { "proxy", "alignment", "quality", "kl" })
                AnsiConsole.MarkupLine(Markup.Escape("figure: " + FigureWriter.Save(TuningReports.Curve(report, quantity), $"05-tuning-{quantity}", workbook).PngPath));
            AnsiConsole.MarkupLine(Markup.Escape("figure: " + FigureWriter.Save(TuningReports.Table3Chart(report), "05-tuning-table3", workbook).PngPath));
            AnsiConsole.MarkupLine(Markup.Escape("figure: " + FigureWriter.SaveImage(TuningReports.FrameStrips(report), "05-tuning-strips", workbook).PngPath));
            AnsiConsole.MarkupLine(Markup.Escape(TuningReports.FrameStripLegend(report)));
        }
        return 0;
    }

    static void Print(string title, DataFrame frame)
    {
        var table = new Table().Title(Markup.Escape(title));
        foreach (var column in frame.Columns) table.AddColumn(Markup.Escape(column.Name));
        foreach (var row in frame.Rows)
            table.AddRow(row.Select(v => Markup.Escape(v?.ToString() ?? "")).ToArray());
        AnsiConsole.Write(table);
    }
}

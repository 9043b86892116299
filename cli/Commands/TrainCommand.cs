using System.ComponentModel;
using System.Globalization;
using MjVideo.Backbones;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--data <DIR>")]
        [Description("The training folder: train.json and val.json (release schema) and videos/.")]
        public string Data { get; init; } = "";

        [CommandOption("--out <CHECKPOINT>")]
        [Description("The checkpoint folder to write (rewritten after every epoch; the finished model at the end).")]
        public string Out { get; init; } = "";

        [CommandOption("--backbone <NAME>")]
        [Description("tiny (default), pretrained or precomputed.")]
        [DefaultValue("tiny")]
        public string Backbone { get; init; } = "tiny";

        [CommandOption("--states <FILE>")]
        [Description("The precomputed backbone's safetensors file; repeat the option for a sharded dump.")]
        public string[] States { get; init; } = [];

        [CommandOption("--routing <ROUTING>")]
        [Description("MJ-Video's routing: input-aware (default), uniform, static, topk:K, no-criteria-moe, single.")]
        public string? Routing { get; init; }

        [CommandOption("--judge <JUDGE>")]
        [Description("mjvideo (default), bt-single, multitask-single, capacity-matched or videoscore.")]
        [DefaultValue("mjvideo")]
        public string Judge { get; init; } = "mjvideo";

        [CommandOption("--quick")]
        [Description("The quick preset (CI smoke run) instead of the full one (the official settings).")]
        public bool Quick { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Seeds the head, the data order and torch (default 42).")]
        [DefaultValue(42L)]
        public long Seed { get; init; } = 42;

        [CommandOption("--stages <LIST>")]
        [Description("The stages to run, in order, e.g. 1,2,3 (default) or 3 for the stage ablation.")]
        [DefaultValue("1,2,3")]
        public string Stages { get; init; } = "1,2,3";

        [CommandOption("--lr <RATE>")]
        [Description("Peak learning rate of every stage (default: the preset's).")]
        public double? LearningRate { get; init; }

        [CommandOption("--lr-grid <RATES>")]
        [Description("Choose the learning rate on val among these (e.g. 1e-3,3e-3,1e-2): one run each from the same start; " +
                     "the runs go to CHECKPOINT.lr-search/, the best is copied to CHECKPOINT.")]
        public string? LearningRateGrid { get; init; }

        [CommandOption("--threads <N>")]
        [Description("torch threads (default 1); results repeat bit for bit at a fixed count.")]
        public int? Threads { get; init; }

        [CommandOption("--resume")]
        [Description("Continue the run saved in --out (its own config is used).")]
        public bool Resume { get; init; }

        public override ValidationResult Validate()
        {
            if (Data.Length == 0) return ValidationResult.Error("--data DIR is required");
            if (Out.Length == 0) return ValidationResult.Error("--out CHECKPOINT is required");
            try
            {
                JudgeNames.Parse(Judge);
                if (Routing is not null) JudgeNames.ParseRouting(Routing);
                ParseStages(Stages);
                BackboneFactory.Find(Backbone);
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message);
            }
            if (LearningRateGrid is not null)
            {
                if (Resume) return ValidationResult.Error("--lr-grid cannot be resumed; resume a candidate's checkpoint instead");
                if (LearningRate is not null) return ValidationResult.Error("give --lr or --lr-grid, not both");
                try { ParseRates(LearningRateGrid); }
                catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            }
            // Whether --out exists is checked once the run holds the folder's lock: another run may be creating it now.
            return ValidationResult.Success();
        }
    }

    static int[] ParseStages(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException("--stages: give at least one stage, e.g. 1,2,3");
        return parts.Select(p => int.TryParse(p, out var s) && s is >= 1 and <= 3
            ? s
            : throw new ArgumentException($"--stages: '{p}' is not a stage (1, 2 or 3)")).ToArray();
    }

    static double[] ParseRates(string text)
    {
        var rates = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 && double.IsFinite(r)
                ? r
                : throw new ArgumentException($"--lr-grid: '{p}' is not a positive learning rate")).ToArray();
        return rates.Length > 0 ? rates : throw new ArgumentException("--lr-grid: give at least one rate");
    }

    /// <summary>
    /// Holds the checkpoint folder's lock for the whole run, so that a second run to the same --out fails at once naming
    /// this one. On SIGINT or SIGTERM the trainer stops between steps and saves a checkpoint; the run then says where
    /// <c>--resume</c> continues and exits with 130 or 143.
    /// </summary>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        using var folderLock = CheckpointFolders.Lock(settings.Out);
        foreach (var line in CheckpointFolders.Recover(settings.Out)) Console.Error.WriteLine(line);
        if (settings.Resume && !Directory.Exists(settings.Out)) throw new UsageException($"--resume: no checkpoint at {settings.Out}");
        if (!settings.Resume && Directory.Exists(settings.Out))
            throw new UsageException($"{settings.Out} exists; pass --resume to continue it, or choose another --out");
        try
        {
            return Run(settings, cancellation);
        }
        catch (OperationCanceledException) when (Interruption.Signal is not null)
        {
            Console.Error.WriteLine(InterruptedMessage(settings));
            return Interruption.ExitCode;
        }
    }

    static string InterruptedMessage(Settings settings)
    {
        if (settings.LearningRateGrid is not null)
            return $"interrupted; a learning-rate search cannot be resumed (its runs so far are in {Path.GetFullPath(settings.Out)}.lr-search)";
        if (!Directory.Exists(settings.Out)) return "interrupted before the first step; nothing was saved";
        var checkpoint = TrainingCheckpoint.Read(settings.Out);
        var progress = checkpoint.Info.Progress;
        var stage = checkpoint.Config.Stages[Math.Min(progress.StageIndex, checkpoint.Config.Stages.Count - 1)].Stage;
        return $"interrupted at step {progress.GlobalStep}; `--resume` continues from epoch {progress.Epoch + 1} " +
               $"(stage {stage}, pair {progress.Position} of the epoch), saved in {checkpoint.Directory}";
    }

    static int Run(Settings settings, CancellationToken cancellation)
    {
        TrainingCheckpoint? checkpoint = settings.Resume ? TrainingCheckpoint.Read(settings.Out) : null;
        var config = checkpoint?.Config ?? BuildConfig(settings);
        var spec = checkpoint?.Info.Backbone ?? new BackboneSpec
        {
            Name = settings.Backbone,
            StatesFiles = settings.States.Select(Path.GetFullPath).ToList(),
            Seed = settings.Seed,
            CacheDir = CacheDir(),
        };
        if (checkpoint is not null) AnsiConsole.MarkupLine($"Resuming {Markup.Escape(checkpoint.Directory)} at step {checkpoint.Info.Progress.GlobalStep}; its saved config is used.");

        var registration = BackboneFactory.FindAvailable(spec.Name);
        var data = TrainingDirectory.Read(settings.Data, registration.NeedsVideoFiles);
        AnsiConsole.Write(new Panel(Markup.Escape(config.ToJson())).Header("training config").Expand());
        AnsiConsole.MarkupLine(Markup.Escape(
            $"data: {data.Train.Pairs.Count} train pairs ({data.Train.SourceFile}), {data.Val.Pairs.Count} val pairs ({data.Val.SourceFile}); " +
            $"backbone: {spec.Name}; device {ComputeDevice.Describe()}"));

        using var backbone = BackboneFactory.Create(spec);
        TrainingData? train = null, val = null;
        RewardModel? model = null;
        try
        {
            AnsiConsole.Status().Start($"Preparing {data.Train.Pairs.Count + data.Val.Pairs.Count} pairs with {backbone.Id}...", _ =>
            {
                train = TrainingData.PrepareAsync(data.Train, backbone, cancellation).GetAwaiter().GetResult();
                val = TrainingData.PrepareAsync(data.Val, backbone, cancellation).GetAwaiter().GetResult();
            });
            model = checkpoint?.CreateModel(backbone) ?? new RewardModel(config.Model, backbone, config.Seed);
            PrintBudget(config, model);

            if (settings.LearningRateGrid is not null)
            {
                var rates = ParseRates(settings.LearningRateGrid);
                var searchFolder = Path.GetFullPath(settings.Out) + ".lr-search";
                AnsiConsole.MarkupLine(Markup.Escape($"learning-rate search on val: {string.Join(", ", rates)} ({rates.Length} runs) -> {searchFolder}"));
                LearningRateSearchResult search = null!;
                Progress().Start(progress => search = LearningRateSearch.Run(config, rates, backbone, spec, train!, val!, searchFolder,
                    rate => new ProgressMonitor(progress, $"lr {rate.ToString("G3", CultureInfo.InvariantCulture)} "), cancellation));
                PrintSearch(search);
                TrainingCheckpoint.Copy(search.Best.CheckpointDirectory, settings.Out);
                AnsiConsole.MarkupLine(Markup.Escape($"best: lr {search.Best.LearningRate:R}, copied to {Path.GetFullPath(settings.Out)}"));
                return 0;
            }

            TrainResult result = null!;
            Progress().Start(progress =>
            {
                var trainer = new StagedTrainer(config, new ProgressMonitor(progress, ""));
                result = checkpoint is null
                    ? trainer.Train(model, spec, train!, val!, settings.Out, cancellation: cancellation)
                    : trainer.Resume(model, train!, val!, checkpoint, cancellation: cancellation);
            });
            PrintSelected(result);
            return 0;
        }
        finally
        {
            model?.Dispose();
            train?.Dispose();
            val?.Dispose();
        }
    }

    static Progress Progress() => AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn());

    static void PrintSearch(LearningRateSearchResult search)
    {
        var table = new Table().Title("learning-rate search (val, last stage's selected epoch)").AddColumn("lr")
            .AddColumn(new TableColumn("val strict acc").RightAligned()).AddColumn(new TableColumn("val loss").RightAligned()).AddColumn("");
        foreach (var c in search.Candidates)
            table.AddRow(c.LearningRate.ToString("G3", CultureInfo.InvariantCulture), Percent(c.Selected.ValStrictAccuracy),
                c.Selected.ValLoss.ToString("F4", CultureInfo.InvariantCulture), c == search.Best ? "best" : "");
        AnsiConsole.Write(table);
    }

    static TrainConfig BuildConfig(Settings settings)
    {
        var judge = JudgeNames.Parse(settings.Judge);
        var preset = settings.Quick ? TrainConfig.Quick(judge) : TrainConfig.Full(judge);
        var config = preset.WithStages(ParseStages(settings.Stages)) with
        {
            Model = preset.Model with { Routing = settings.Routing is null ? MjVideo.Model.Routing.Paper : JudgeNames.ParseRouting(settings.Routing) },
            Seed = settings.Seed,
            Threads = settings.Threads ?? preset.Threads,
        };
        if (settings.LearningRate is { } lr)
            config = config with { Stages = config.Stages.Select(s => s with { LearningRate = lr }).ToList() };
        config.Validate();
        return config;
    }

    static string? CacheDir()
    {
        try
        {
            return Workbook.Open().CacheDir;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>What the run trains, and its budget, so that baselines can be compared at equal budget (DESIGN 4).</summary>
    static void PrintBudget(TrainConfig config, RewardModel model)
    {
        var table = new Table().Title("trainable parameters per stage").AddColumn("stage").AddColumn(new TableColumn("head").RightAligned())
            .AddColumn(new TableColumn("backbone").RightAligned()).AddColumn(new TableColumn("epochs").RightAligned())
            .AddColumn(new TableColumn("lr").RightAligned()).AddColumn(new TableColumn("pairs per step").RightAligned());
        foreach (var stage in config.Stages)
        {
            var (head, backbone) = model.TrainableCounts(stage.TrainingStage);
            table.AddRow(stage.Stage.ToString(), head.ToString("N0", CultureInfo.InvariantCulture), backbone.ToString("N0", CultureInfo.InvariantCulture),
                stage.Epochs.ToString(), stage.LearningRate.ToString("G3", CultureInfo.InvariantCulture),
                (config.BatchSize * stage.GradientAccumulation).ToString());
        }
        AnsiConsole.Write(table);
        var h = model.Backbone.HiddenSize;
        var mjvideo = CapacityMatching.MjVideoHeadTrainable(h, config.Model.GatingHiddenDim, config.Model.GatingHiddenLayers);
        var last = config.Stages[^1].TrainingStage;
        AnsiConsole.MarkupLine(Markup.Escape(
            $"judge {JudgeNames.Display(config.Model.Judge)}: {model.TrainableCounts(last).Head:N0} trainable head parameters; " +
            $"MJ-Video's head at H = {h}: {mjvideo:N0}" +
            (model.Adapter is { } adapter ? $" (capacity-matched adapter width {adapter.Width})" : "") +
            $". Budget: {config.Stages.Sum(s => s.Epochs)} epochs over {config.Stages.Count} stage(s) per configuration, seed {config.Seed}."));
    }

    static void PrintSelected(TrainResult result)
    {
        var table = new Table().Title($"selected epochs (checkpoint {Markup.Escape(result.CheckpointDirectory)})")
            .AddColumn("stage").AddColumn("epoch").AddColumn(new TableColumn("val strict acc").RightAligned())
            .AddColumn(new TableColumn("val loss").RightAligned()).AddColumn(new TableColumn("val pairs").RightAligned());
        foreach (var e in result.Selected)
            table.AddRow(e.Stage.ToString(), (e.Epoch + 1).ToString(), Percent(e.ValStrictAccuracy), e.ValLoss.ToString("F4", CultureInfo.InvariantCulture),
                e.ValDecisivePairs.ToString());
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{result.Steps} optimizer steps; {(result.Outcome == TrainOutcome.Completed ? "completed" : "paused")}.");
    }

    static string Percent(double value) => double.IsNaN(value) ? "n/a" : (100 * value).ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>One progress bar per stage; a line per epoch with the val metrics.</summary>
    sealed class ProgressMonitor(ProgressContext progress, string prefix) : ITrainingMonitor
    {
        ProgressTask? task;

        public void StageStarted(StageStart start)
        {
            task?.StopTask();
            task = progress.AddTask($"{prefix}stage {start.Stage}", maxValue: start.Epochs * start.StepsPerEpoch);
            task.Value = start.FirstStep;
        }

        public void StepCompleted(StepRecord step)
        {
            if (task is null) return;
            task.Value = step.StageStep;
            task.Description = string.Create(CultureInfo.InvariantCulture, $"{prefix}stage {step.Stage} epoch {step.Epoch + 1} loss {step.Loss:F4}");
        }

        public void EpochCompleted(EpochRecord epoch) =>
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{prefix}stage {epoch.Stage} epoch {epoch.Epoch + 1}: train loss {epoch.TrainLoss:F4}, val loss {epoch.ValLoss:F4}, " +
                $"val strict accuracy {Percent(epoch.ValStrictAccuracy)}% on {epoch.ValDecisivePairs} pairs{(epoch.Improved ? " (best so far)" : "")}")));
    }
}

using System.ComponentModel;
using System.Globalization;
using MjVideo.Backbones.Precomputed;
using MjVideo.Taxonomy;
using MjVideo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

public sealed class ScoreCommand : AsyncCommand<ScoreCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <CHECKPOINT>")]
        [Description("A checkpoint folder written by mjvideo train.")]
        public string Model { get; init; } = "";

        [CommandOption("--caption <TEXT>")]
        [Description("The caption the videos were generated from.")]
        public string Caption { get; init; } = "";

        [CommandArgument(0, "<VIDEO>")]
        [Description("A video file (for the precomputed backbone: its id in the states file, e.g. test/0_0.mp4), or a folder: every video " +
                     "file in it (.mp4 .m4v .mov .mkv .webm .avi, any case) is scored against the caption, decoding overlapped with batched " +
                     "scoring; other entries are skipped and listed, and files that fail are reported while the others are scored.")]
        public string Video { get; init; } = "";

        [CommandArgument(1, "[VIDEO2]")]
        [Description("A second video: the preference between the two is printed.")]
        public string? Video2 { get; init; }

        [CommandOption("--states <FILE>")]
        [Description("Precomputed states holding these videos, instead of the checkpoint's; repeat for a sharded dump.")]
        public string[] States { get; init; } = [];

        [CommandOption("--json")]
        [Description("Print the result as JSON (keys documented in ScoreReport).")]
        public bool Json { get; init; }

        [CommandOption("--batch <N>")]
        [Description("With a folder: videos per forward pass (default 32).")]
        [DefaultValue(32)]
        public int Batch { get; init; }

        [CommandOption("--recursive")]
        [Description("With a folder: also score the videos in its subfolders (otherwise they are skipped and listed).")]
        public bool Recursive { get; init; }

        [CommandOption("--decoders <N>")]
        [Description("With a folder: videos decoded at once (default: the core count).")]
        [DefaultValue(0)]
        public int Decoders { get; init; }

        public override ValidationResult Validate()
        {
            if (Model.Length == 0) return ValidationResult.Error("--model CHECKPOINT is required");
            if (!Directory.Exists(Model)) return ValidationResult.Error($"no checkpoint folder at {Model}");
            if (Caption.Length == 0) return ValidationResult.Error("--caption TEXT is required");
            if (Batch < 1) return ValidationResult.Error($"--batch {Batch}: give at least 1 video per forward pass");
            if (Decoders < 0) return ValidationResult.Error($"--decoders {Decoders}: give 0 (the core count) or more");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (Directory.Exists(settings.Video))
        {
            if (settings.Video2 is not null) throw new UsageException("a folder is scored on its own; give no second video");
            var folder = await ScoreReport.ScoreFolderAsync(settings.Model, settings.Caption, settings.Video,
                new RewardPipelineOptions(settings.Batch, settings.Decoders), settings.Recursive, cancellation: cancellation);
            if (settings.Json) Console.WriteLine(ScoreReport.ToJson(folder.Report));
            else PrintScores(folder);
            if (folder.Failed.Count == 0) return ExitCodes.Success;
            Console.Error.WriteLine($"error: {folder.Failed.Count} of {folder.Failed.Count + folder.Scored.Count} video file(s) could not be scored:");
            foreach (var failure in folder.Failed) Console.Error.WriteLine($"  {failure.Video.Path}: {failure.Reason}");
            return ExitCodes.Failed;
        }
        if (settings.Recursive) throw new UsageException("--recursive applies to a folder; the first argument is not one");
        var videos = settings.Video2 is null ? new[] { settings.Video } : [settings.Video, settings.Video2];
        var (report, judged) = await ScoreReport.ScoreAsync(settings.Model, settings.Caption, videos, settings.States, cancellation);
        if (settings.Json) Console.WriteLine(ScoreReport.ToJson(report));
        else PrintTables(judged);
        return ExitCodes.Success;
    }

    /// <summary>One row per file, in file order (failed ones with their reason), the best one, and what was skipped.</summary>
    static void PrintScores(FolderScores folder)
    {
        var table = new Table().AddColumn("video").AddColumn(new TableColumn("score").RightAligned()).AddColumn("problem");
        var failed = folder.Failed.ToDictionary(f => f.Video.VideoId, f => f.Reason);
        var rows = folder.Scored.Select(v => (Id: v.VideoId, Score: F(v.Score), Problem: ""))
            .Concat(failed.Select(f => (Id: f.Key, Score: "-", Problem: f.Value)))
            .OrderBy(r => r.Id, StringComparer.Ordinal);
        foreach (var row in rows) table.AddRow(Markup.Escape(row.Id), row.Score, Markup.Escape(row.Problem));
        AnsiConsole.Write(table);
        if (folder.Scored.MaxBy(v => v.Score) is { } best)
            AnsiConsole.MarkupLine($"{folder.Scored.Count} videos scored; highest score: [bold]{Markup.Escape(best.VideoId)}[/] ({F(best.Score)})");
        if (folder.Failed.Count > 0) AnsiConsole.MarkupLine($"{folder.Failed.Count} video file(s) failed (listed above)");
        if (folder.Skipped.Count > 0)
        {
            AnsiConsole.MarkupLine($"{folder.Skipped.Count} entr{(folder.Skipped.Count == 1 ? "y" : "ies")} skipped:");
            foreach (var skipped in folder.Skipped) Console.WriteLine($"  {skipped.Path}: {skipped.Reason}");
        }
    }

    static string F(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    static void PrintTables(IReadOnlyList<VideoJudgement> videos)
    {
        var summary = new Table().AddColumn("video").AddColumn(new TableColumn("score").RightAligned());
        foreach (var v in videos) summary.AddRow(Markup.Escape(v.VideoId), F(v.Score));
        AnsiConsole.Write(summary);

        if (videos.Any(v => v.AspectScores is not null))
        {
            var aspects = new Table().Title("aspects: score s_a (weight g_a)").AddColumn("aspect");
            foreach (var v in videos) aspects.AddColumn(new TableColumn(Markup.Escape(v.VideoId)).RightAligned());
            foreach (var aspect in MjTaxonomy.Aspects)
                aspects.AddRow([Markup.Escape(aspect.DisplayName), ..videos.Select(v => $"{F(v.AspectScores?[aspect.Index])} ({F(v.AspectWeights?[aspect.Index])})")]);
            AnsiConsole.Write(aspects);
        }
        if (videos.Any(v => v.Criteria is not null))
        {
            var criteria = new Table().Title("criteria: reward r_c (weight w_c)").AddColumn("aspect").AddColumn("criterion");
            foreach (var v in videos) criteria.AddColumn(new TableColumn(Markup.Escape(v.VideoId)).RightAligned());
            foreach (var criterion in MjTaxonomy.Criteria)
                criteria.AddRow([Markup.Escape(criterion.Aspect.DisplayName), Markup.Escape(criterion.Key),
                    ..videos.Select(v => $"{F(v.Criteria?[criterion.Index])} ({F(v.CriteriaWeights?[criterion.Index])})")]);
            AnsiConsole.Write(criteria);
        }
        if (videos.Any(v => v.Dimensions is not null))
        {
            var dimensions = new Table().Title("VideoScore-style dimensions").AddColumn("dimension");
            foreach (var v in videos) dimensions.AddColumn(new TableColumn(Markup.Escape(v.VideoId)).RightAligned());
            for (var d = 0; d < VideoScoreDimensions.Count; d++)
                dimensions.AddRow([VideoScoreDimensions.Names[d], ..videos.Select(v => F(v.Dimensions?[d]))]);
            AnsiConsole.Write(dimensions);
        }
        if (videos.Count == 2)
            AnsiConsole.MarkupLine($"preference: [bold]{ScoreReport.Preference(videos[0].Score, videos[1].Score)}[/] " +
                                   $"(margin {F(videos[0].Score - videos[1].Score)})");
    }
}

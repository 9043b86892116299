using System.ComponentModel;
using MjVideo.Data;
using MjVideo.Taxonomy;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

public sealed class StatsCommand : Command<StatsCommand.Settings>
{
    /// <summary>How many missing videos the table lists before it says "... and N more" (--json lists all).</summary>
    const int MissingShown = 20;

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<DATASET>")]
        [Description("The dataset file: a release train.json/test.json (or SynthBench), a SafeSora config, or GenAI-Bench rows.")]
        public string Dataset { get; init; } = "";

        [CommandOption("--videos <DIR>")]
        [Description("The folder the video paths are relative to; every video is then checked and the missing ones listed.")]
        public string? Videos { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("release (default), safesora or genai.")]
        [DefaultValue("release")]
        public string Format { get; init; } = "release";

        [CommandOption("--include-discarded")]
        [Description("Count release pairs marked discard: true like the others (they are always reported).")]
        public bool IncludeDiscarded { get; init; }

        [CommandOption("--json")]
        [Description("Print the statistics as JSON instead of tables.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            try { PreferenceDatasets.ParseFormat(Format); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            if (Directory.Exists(Dataset))
            {
                var files = Directory.GetFiles(Dataset, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
                return ValidationResult.Error($"{Dataset} is a folder; give one dataset file in it" +
                    (files.Count > 0 ? $" ({string.Join(", ", files)})" : ", such as DIR/test.json (it holds no .json file)"));
            }
            if (!File.Exists(Dataset)) return ValidationResult.Error($"dataset file {Dataset} not found");
            if (Videos is not null && File.Exists(Videos))
                return ValidationResult.Error($"--videos {Videos} is a file; give the folder the dataset's video paths are relative to (usually DIR/videos)");
            if (Videos is not null && !Directory.Exists(Videos))
                return ValidationResult.Error($"--videos {Videos}: no such folder; give the folder the dataset's video paths are relative to (usually DIR/videos)");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var dataset = PreferenceDatasets.Read(PreferenceDatasets.ParseFormat(settings.Format), settings.Dataset, settings.Videos,
            settings.IncludeDiscarded);
        var stats = DatasetStats.Compute(dataset);
        if (settings.Json) Console.WriteLine(stats.ToJson());
        else PrintTables(stats);
        return 0;
    }

    static void PrintTables(DatasetStats stats)
    {
        var summary = new Table().Title(Markup.Escape(stats.SourceFile)).AddColumn("what").AddColumn(new TableColumn("value").RightAligned());
        summary.AddRow("format", PreferenceDatasets.FormatName(stats.Format));
        summary.AddRow("pairs", stats.Pairs.ToString());
        summary.AddRow("discarded (discard: true; counted below only with --include-discarded)", stats.DiscardedPairs.ToString());
        if (stats.Format == DatasetFormat.SafeSora)
            summary.AddRow("dropped (preferences disagree)", stats.DisagreementDroppedPairs.ToString());
        summary.AddRow("pairs with fine-grained labels", stats.LabelledPairs.ToString());
        summary.AddRow("decisive overall preference", stats.DecisiveOverallPairs.ToString());
        summary.AddRow("videos root", stats.VideosRoot is null ? "not given (videos not checked)" : Markup.Escape(stats.VideosRoot));
        if (stats.VideosRoot is not null) summary.AddRow("missing videos", stats.MissingVideos.Count.ToString());
        AnsiConsole.Write(summary);

        var overall = new Table().Title("overall preference").AddColumn("preference").AddColumn(new TableColumn("pairs").RightAligned());
        foreach (var (preference, count) in stats.OverallPreferenceCounts) overall.AddRow(preference, count.ToString());
        AnsiConsole.Write(overall);

        if (stats.LabelledPairs > 0)
        {
            // Two narrow tables rather than one wide one, so that both fit an 80-column terminal.
            var preferences = new Table().Title("aspect preferences (pairs)").AddColumn("aspect");
            foreach (var preference in PreferenceStrings.Accepted) preferences.AddColumn(new TableColumn(preference).RightAligned());
            foreach (var aspect in MjTaxonomy.Aspects)
                preferences.AddRow([Markup.Escape(aspect.DisplayName),
                    ..PreferenceStrings.Accepted.Select(p => stats.AspectPreferenceCounts[aspect.DisplayName][p].ToString())]);
            AnsiConsole.Write(preferences);

            var aspects = new Table().Title("aspect labels (videos) and good-vs-bad pairs").AddColumn("aspect");
            foreach (var code in DatasetStats.Codes) aspects.AddColumn(new TableColumn($"code {code}").RightAligned());
            aspects.AddColumn(new TableColumn("good vs bad").RightAligned());
            foreach (var aspect in MjTaxonomy.Aspects)
                aspects.AddRow([Markup.Escape(aspect.DisplayName),
                    ..DatasetStats.Codes.Select(c => stats.AspectLabelCounts[aspect.DisplayName][c].ToString()),
                    stats.AspectGoodVsBadPairs[aspect.DisplayName].ToString()]);
            AnsiConsole.Write(aspects);

            var criteria = new Table().Title("criteria: labels (videos), good-vs-bad pairs").AddColumn("aspect").AddColumn("criterion");
            foreach (var code in DatasetStats.Codes) criteria.AddColumn(new TableColumn($"code {code}").RightAligned());
            criteria.AddColumn(new TableColumn("good vs bad").RightAligned());
            foreach (var criterion in MjTaxonomy.Criteria)
                criteria.AddRow([Markup.Escape(criterion.Aspect.DisplayName), Markup.Escape(criterion.Key),
                    ..DatasetStats.Codes.Select(c => stats.CriterionLabelCounts[criterion.Key][c].ToString()),
                    stats.CriterionGoodVsBadPairs[criterion.Key].ToString()]);
            AnsiConsole.Write(criteria);
        }

        if (stats.MissingVideos.Count > 0)
        {
            var missing = new Table().Title($"missing videos ({stats.MissingVideos.Count})").AddColumn("pair").AddColumn("video").AddColumn("path");
            foreach (var m in stats.MissingVideos.Take(MissingShown))
                missing.AddRow(m.PairIndex.ToString(), $"video_{m.Video}", Markup.Escape(m.RelativePath));
            if (stats.MissingVideos.Count > MissingShown)
                missing.AddRow("", "", $"... and {stats.MissingVideos.Count - MissingShown} more (--json lists them all)");
            AnsiConsole.Write(missing);
        }
    }
}

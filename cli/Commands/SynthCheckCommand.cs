using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using MjVideo.Data;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>
/// The hidden-seed robustness check of a SynthBench version, on labels only (no rendering, so 1,000 pairs take
/// seconds): generates a split twice, and checks the release schema, that every criterion is bad in at least 3% of
/// videos, the weight-sensitive share against the config's (v2), and byte-identical JSON. Prints the shares, ceilings
/// and controls, and writes them as JSON with --out.
/// </summary>
public sealed class SynthCheckCommand : AsyncCommand<SynthCheckCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--version <VERSION>")]
        [Description("synthbench-v2 (default) or synthbench-v1.")]
        public string Version { get; init; } = SynthConfig.V2;

        [CommandOption("--split <SPLIT>")]
        public string Split { get; init; } = "test";

        [CommandOption("--pairs <N>")]
        public int Pairs { get; init; } = 1000;

        [CommandOption("--seed <S>")]
        [Description("Any seed (default: the workbook's).")]
        public long Seed { get; init; } = SynthBenchDefaults.Seed;

        [CommandOption("--fit-weights")]
        [Description("Also refit the best fixed aspect weights on these pairs' clean additive labels (use the train split).")]
        public bool FitWeights { get; init; }

        [CommandOption("--out <FILE>")]
        public string? Out { get; init; }
    }

    public const double MinBadRate = 0.03;
    public const double ShareTolerance = 0.05;

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var config = new SynthConfig(settings.Split, settings.Pairs, settings.Seed, BenchVersion: settings.Version);
        config.Validate();
        var pairs = SynthBenchV2Report.Generate(config);
        var summary = SynthBenchV2Report.Summarise(config, pairs);
        var again = SynthBenchV2Report.Summarise(config, SynthBenchV2Report.Generate(config));
        var failures = new List<string>();

        if (again.JsonSha256 != summary.JsonSha256) failures.Add("a second run gave different JSON bytes");
        var path = Path.Combine(Path.GetTempPath(), $"mjvideo-check-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllBytes(path, ReleaseWriter.ToBytes(pairs.Select(p => p.ToPreferencePair(RuleFamily.Additive, path, config.Split)).ToList()));
            var read = ReleaseReader.Read(path, includeDiscarded: true);
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var keys = document.RootElement.EnumerateArray().Select(e => string.Join(",", e.EnumerateObject().Select(p => p.Name))).Distinct().ToList();
            if (keys.Count != 1 || keys[0] != string.Join(",", ReleaseSchema.Keys)) failures.Add($"keys differ from the release schema: {keys[0]}");
            if (read.Pairs.Count != pairs.Count) failures.Add($"read back {read.Pairs.Count} of {pairs.Count} pairs");
        }
        finally
        {
            File.Delete(path);
        }
        for (var c = 0; c < MjTaxonomy.CriterionCount; c++)
            if (summary.CriterionBadRate[c] < MinBadRate)
                failures.Add($"{MjTaxonomy.Criteria[c].Key} is bad in {summary.CriterionBadRate[c]:P1} of videos (< {MinBadRate:P0})");
        if (config.IsV2 && Math.Abs(summary.WeightSensitiveShare.Value - summary.ExpectedWeightSensitiveShare) > ShareTolerance)
            failures.Add($"weight-sensitive share {summary.WeightSensitiveShare} is more than {ShareTolerance:P0} from the config's {summary.ExpectedWeightSensitiveShare:P0}");

        Console.WriteLine($"{config.BenchVersion} {config.Split}, seed {config.Seed}, {pairs.Count} pairs ({config.Hash()}), json sha256 {summary.JsonSha256[..16]}");
        Console.WriteLine($"  trade-off pairs: {summary.TradeOffShare}");
        Console.WriteLine($"  weight-sensitive among decisive additive pairs: {summary.WeightSensitiveShare} (config {summary.ExpectedWeightSensitiveShare:P0})");
        Console.WriteLine($"  held-out phrasing among emphasised captions: {summary.HeldOutPhrasingShare}");
        Console.WriteLine($"  rarest criterion: {MjTaxonomy.Criteria[Array.IndexOf(summary.CriterionBadRate, summary.CriterionBadRate.Min())].Key} bad in {summary.CriterionBadRate.Min():P1} of videos");
        Console.WriteLine($"  emphasis swap changes {summary.EmphasisSwapFlipRate} of decisive clean additive labels of emphasised captions");
        Console.WriteLine($"  caption shuffle: additive oracle accuracy {summary.CaptionShuffleAccuracy}");
        foreach (var row in summary.Ceilings)
            Console.WriteLine($"  ceiling {row.Family,-14} {row.Subset,-18} {row.Judge,-19} on {row.Inputs,-13}: {row.Accuracy}");
        if (settings.FitWeights)
        {
            var (weights, accuracy) = SynthBenchV2.FitFixedWeights(pairs.Select(p => (p.Video0.AspectSeverity, p.Video1.AspectSeverity,
                p.For(RuleFamily.Additive).CleanOverall)).ToList());
            Console.WriteLine($"  best fixed weights refitted: [{string.Join(", ", weights.Select(w => w.ToString("0.00")))}] clean accuracy {accuracy:P2}" +
                              $" (pinned [{string.Join(", ", SynthBenchV2.BestFixedWeights.Select(w => w.ToString("0.00")))}])");
        }
        if (settings.Out is { } output)
            File.WriteAllText(output, JsonSerializer.Serialize(summary, SynthOracle.Json));
        Console.WriteLine(failures.Count == 0
            ? $"synth check: passed in {clock.Elapsed.TotalSeconds:F1}s"
            : "synth check: FAILED\n  " + string.Join("\n  ", failures));
        return Task.FromResult(failures.Count == 0 ? 0 : 1);
    }
}

using MjVideo.Core;
using MjVideo.Video;

namespace MjVideo.Synth;

/// <summary>The size of each split of the default SynthBench sets.</summary>
public sealed record SplitSizes(int Train, int Val, int Test)
{
    public int Of(string split) => split switch
    {
        "train" => Train, "val" => Val, "test" => Test,
        _ => throw new ArgumentException($"unknown split '{split}'"),
    };
}

/// <summary>
/// The workbook's default data: SynthBench v1, every rule family, train/val/test, under
/// <c>data/synthbench/&lt;version&gt;/&lt;mode&gt;/</c> (git-ignored, re-created on demand). Quick mode (CI's smoke test) has
/// at least 300 test pairs (DESIGN 9); full mode is what the committed results come from. Pair i of a split is the same
/// in both modes (it depends only on seed, split and index), so the quick sets are prefixes of the full ones.
/// </summary>
public static class SynthBenchDefaults
{
    public const long Seed = 20261125;
    public static readonly SplitSizes Quick = new(Train: 500, Val: 200, Test: 300);
    public static readonly SplitSizes Full = new(Train: 3000, Val: 500, Test: 1000);

    public static SplitSizes Sizes(RunMode mode) => mode == RunMode.Quick ? Quick : Full;

    /// <summary>v2's default sizes: 2000 test pairs per family in full mode, for power.</summary>
    public static readonly SplitSizes FullV2 = new(Train: 3000, Val: 500, Test: 2000);

    public static SplitSizes Sizes(RunMode mode, string version) => mode == RunMode.Full && version == SynthConfig.V2 ? FullV2 : Sizes(mode);

    public static string Root(Workbook workbook, string version = SynthConfig.Version) =>
        Path.Combine(workbook.DataDir, "synthbench", version, workbook.Mode.ToString().ToLowerInvariant());

    /// <summary>The folder of one rule family (its JSON files, oracles and a link to the shared videos).</summary>
    public static string FamilyDir(Workbook workbook, RuleFamily family) => Path.Combine(Root(workbook), family.Name());

    public static SynthConfig Config(Workbook workbook, string split, string version = SynthConfig.Version) =>
        new(split, Sizes(workbook.Mode, version).Of(split), Seed, BenchVersion: version);

    /// <summary>
    /// Generates whatever split is missing or stale (another version, config or size) and returns the root. A split is
    /// current when every family's JSON names the current version and config hash and holds the expected pair count.
    /// </summary>
    public static async Task<string> EnsureAsync(Workbook workbook, IProgress<string>? progress = null, CancellationToken cancellation = default,
        string version = SynthConfig.Version)
    {
        var root = Root(workbook, version);
        var writer = new SynthBenchWriter(new VideoDecoder(cache: ClipCache.InWorkbook(workbook)));
        foreach (var split in SynthConfig.Splits)
        {
            var config = Config(workbook, split, version);
            if (IsCurrent(root, config))
            {
                progress?.Report($"{version} {workbook.Mode} {split}: {config.Pairs} pairs present ({config.Hash()})");
                continue;
            }
            progress?.Report($"{version} {workbook.Mode} {split}: generating {config.Pairs} pairs ...");
            var counter = progress is null ? null
                : new RateProgress($"  {split}", config.Pairs, "pairs", progress.Report);
            var report = await writer.WriteAsync(config, root, PreferenceRules.Families, counter, cancellation);
            progress?.Report($"  {report.Pairs} pairs in {report.Elapsed.TotalSeconds:F0}s ({report.PairsPerSecond:F1} pairs/s)");
        }
        return root;
    }

    static bool IsCurrent(string root, SynthConfig config)
    {
        foreach (var family in PreferenceRules.Families)
        {
            var oracle = Path.Combine(root, family.Name(), $"{config.Split}.oracle.json");
            if (!File.Exists(oracle) || !File.Exists(Path.Combine(root, family.Name(), $"{config.Split}.json"))) return false;
            var head = SynthOracle.ReadHeader(oracle);
            if (head.Version != config.BenchVersion || head.ConfigHash != config.Hash() || head.PairCount != config.Pairs) return false;
        }
        var videos = Path.Combine(root, "videos", config.Split);
        return Directory.Exists(videos) && Directory.GetFiles(videos, "*.mp4").Length == 2 * config.Pairs;
    }
}

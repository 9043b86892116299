using MjVideo.Data;
using MjVideo.Synth;

namespace MjVideo.Evaluation;

/// <summary>
/// A test split to evaluate on, the val split that thresholds and weights are chosen on (never test, DESIGN 8), and for
/// SynthBench the oracles that hold the clean labels.
/// </summary>
public sealed record EvaluationData(string Name, PreferenceDataset Test, PreferenceDataset? Val, SynthOracle? TestOracle,
    SynthOracle? ValOracle)
{
    /// <summary>The rule family a SynthBench split was labelled with; null for other data.</summary>
    public string? Family => TestOracle?.Family;

    public string? SynthBenchVersion => TestOracle?.Version;

    /// <summary>
    /// Loads <c>DIR/&lt;split&gt;.json</c> with its videos at <c>DIR/videos</c>, <c>DIR/&lt;valSplit&gt;.json</c> when it exists,
    /// and the <c>.oracle.json</c> beside each when present. Discarded pairs are left out, as the release reader does.
    /// Video paths resolve against <c>DIR/videos</c> only: without that folder, a judge that reads videos fails naming
    /// it, rather than finding other clips under the working directory. A split with no pairs, or an oracle that belongs
    /// to another generation run, is an error.
    /// </summary>
    public static EvaluationData Load(string dir, string split = "test", string valSplit = "val", string? name = null)
    {
        var root = Path.GetFullPath(dir);
        if (File.Exists(root))
            throw new ArgumentException($"{root} is a file; give the dataset folder that holds it " +
                                        $"(--data {Path.GetDirectoryName(root)} --split {Path.GetFileNameWithoutExtension(root)})");
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"dataset folder {root} does not exist");
        var splitFile = Path.Combine(root, $"{split}.json");
        if (!File.Exists(splitFile))
            throw new FileNotFoundException($"{root} has no split '{split}' ({split}.json is missing); its splits: " +
                                            (SplitsIn(root) is { Count: > 0 } splits ? string.Join(", ", splits) : "none (no .json files)"), splitFile);
        var videos = Path.Combine(root, "videos");
        PreferenceDataset Read(string s) => ReleaseReader.Read(Path.Combine(root, $"{s}.json"), Directory.Exists(videos) ? videos : null);
        SynthOracle? Oracle(string s, PreferenceDataset data)
        {
            var path = Path.Combine(root, $"{s}.oracle.json");
            if (!File.Exists(path)) return null;
            var oracle = SynthOracle.Read(path);
            CheckOracleMatches(oracle, path, data);
            return oracle;
        }
        var test = Read(split);
        if (test.Pairs.Count == 0)
            throw new InvalidDataException($"{test.SourceFile}: no pairs to evaluate ({test.DiscardedCount} discarded pair(s) left out); " +
                                           "every metric would be undefined");
        var val = File.Exists(Path.Combine(root, $"{valSplit}.json")) ? Read(valSplit) : null;
        return new EvaluationData(name ?? Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)),
            test, val, Oracle(split, test), val is null ? null : Oracle(valSplit, val));
    }

    /// <summary>The split names of a dataset folder: its .json files, less the oracles.</summary>
    static List<string> SplitsIn(string root) =>
        Directory.GetFiles(root, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(n => !n.EndsWith(".oracle", StringComparison.Ordinal) && !n.EndsWith(".manifest", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// An oracle must come from the same generation run as the split: the same SynthBench config (hence seed) and the
    /// same caption for every pair. A leftover oracle of another seed would silently give wrong clean labels.
    /// </summary>
    static void CheckOracleMatches(SynthOracle oracle, string oraclePath, PreferenceDataset data)
    {
        var fix = $"regenerate the split (mjvideo generate) or remove {Path.GetFileName(oraclePath)}";
        for (var i = 0; i < data.Pairs.Count; i++)
        {
            var extras = data.Extras[i];
            if (extras.Any(e => e.Key == "synthbench_config") && extras["synthbench_config"].GetString() is { } hash && hash != oracle.ConfigHash)
                throw new InvalidDataException($"{oraclePath}: written for SynthBench config {oracle.ConfigHash} (seed {oracle.Seed}), " +
                                               $"but {data.SourceFile} pair {data.Pairs[i].Index} comes from config {hash}; {fix}");
        }
        var byIndex = oracle.Pairs.ToDictionary(p => p.Index);
        foreach (var pair in data.Pairs)
            if (byIndex.TryGetValue(pair.Index, out var truth) && truth.Caption != pair.Caption)
                throw new InvalidDataException($"{oraclePath}: pair {pair.Index} has caption \"{truth.Caption}\", but {data.SourceFile} " +
                                               $"has \"{pair.Caption}\"; the two files come from different runs; {fix}");
    }

    /// <summary>The clean (noise-free) overall labels of the test pairs, from the oracle, in pair order.</summary>
    public PreferenceLabel[]? CleanTestLabels() => CleanLabels(Test, TestOracle);

    /// <summary>
    /// The oracle's 28 criterion severities of both videos of each test pair, in pair order (0 = no defect, higher =
    /// worse); null without an oracle (any data but SynthBench).
    /// </summary>
    public (double[] Video0, double[] Video1)[]? TestCriterionSeverities() =>
        TestOracle is null ? null : OraclePairs(Test, TestOracle).Select(p => (p.Video0.CriterionSeverity, p.Video1.CriterionSeverity)).ToArray();

    static PreferenceLabel[]? CleanLabels(PreferenceDataset data, SynthOracle? oracle) =>
        oracle is null ? null : OraclePairs(data, oracle).Select(p => p.CleanOverall).ToArray();

    static IEnumerable<OraclePair> OraclePairs(PreferenceDataset data, SynthOracle oracle)
    {
        var byIndex = oracle.Pairs.ToDictionary(p => p.Index);
        return data.Pairs.Select(p => byIndex.TryGetValue(p.Index, out var truth)
            ? truth
            : throw new InvalidDataException($"{data.SourceFile}: pair {p.Index} is not in its oracle file"));
    }
}

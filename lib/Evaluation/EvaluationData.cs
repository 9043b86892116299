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
    /// </summary>
    public static EvaluationData Load(string dir, string split = "test", string valSplit = "val", string? name = null)
    {
        var videos = Path.Combine(dir, "videos");
        PreferenceDataset Read(string s) => ReleaseReader.Read(Path.Combine(dir, $"{s}.json"), Directory.Exists(videos) ? videos : null);
        SynthOracle? Oracle(string s) =>
            File.Exists(Path.Combine(dir, $"{s}.oracle.json")) ? SynthOracle.Read(Path.Combine(dir, $"{s}.oracle.json")) : null;
        var hasVal = File.Exists(Path.Combine(dir, $"{valSplit}.json"));
        return new EvaluationData(name ?? Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar)),
            Read(split), hasVal ? Read(valSplit) : null, Oracle(split), hasVal ? Oracle(valSplit) : null);
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

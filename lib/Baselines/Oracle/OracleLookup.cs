using System.Collections.Concurrent;
using System.Text.Json;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Synth;

namespace MjVideo.Baselines.Oracle;

/// <summary>
/// A SynthBench oracle matched to the dataset it was written with: <c>&lt;split&gt;.oracle.json</c> beside
/// <c>&lt;split&gt;.json</c>. Pairs are matched by their index in the file, and each match is checked (same caption, same
/// rule family), so an oracle of another split or family is an error rather than a silently wrong ceiling.
/// </summary>
public sealed class OracleLookup
{
    readonly Dictionary<int, OraclePair> byIndex;

    public OracleLookup(SynthOracle oracle, string source)
    {
        Oracle = oracle;
        Source = source;
        byIndex = new Dictionary<int, OraclePair>();
        foreach (var pair in oracle.Pairs)
            if (!byIndex.TryAdd(pair.Index, pair))
                throw new InvalidDataException($"{source}: pair index {pair.Index} appears twice");
        Family = PreferenceRules.Parse(oracle.Family);
    }

    public SynthOracle Oracle { get; }
    /// <summary>The oracle file (or a description of where the oracle came from).</summary>
    public string Source { get; }
    public RuleFamily Family { get; }

    /// <summary>Where the oracle of a dataset file lives: <c>test.json</c> -&gt; <c>test.oracle.json</c>.</summary>
    public static string PathBeside(PreferenceDataset dataset) =>
        Path.Combine(Path.GetDirectoryName(dataset.SourceFile)!, Path.GetFileNameWithoutExtension(dataset.SourceFile) + ".oracle.json");

    /// <summary>True when the dataset has a SynthBench oracle beside it (the oracle ceilings can run on it).</summary>
    public static bool ExistsBeside(PreferenceDataset dataset) => File.Exists(PathBeside(dataset));

    /// <summary>Reads the oracle beside a dataset file; a clear error when there is none (not a SynthBench split).</summary>
    public static OracleLookup Beside(PreferenceDataset dataset)
    {
        var path = PathBeside(dataset);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{dataset.SourceFile}: no SynthBench oracle at {path}; the oracle ceilings need a SynthBench split (mjvideo generate writes one)", path);
        return new OracleLookup(SynthOracle.Read(path), path);
    }

    /// <summary>The oracle's record of the <paramref name="position"/>-th pair of <paramref name="dataset"/>, checked.</summary>
    public OraclePair For(PreferenceDataset dataset, int position)
    {
        var pair = dataset.Pairs[position];
        if (!byIndex.TryGetValue(pair.Index, out var truth))
            throw new InvalidDataException($"{Source}: no pair with index {pair.Index}, which {dataset.SourceFile} has");
        if (truth.Caption != pair.Caption)
            throw new InvalidDataException(
                $"{Source}: pair {pair.Index} has caption \"{truth.Caption}\", but {dataset.SourceFile} has \"{pair.Caption}\"; " +
                "the oracle belongs to another split");
        if (position < dataset.Extras.Count
            && dataset.Extras[position].FirstOrDefault(f => f.Key == "synthbench_family") is { Key: not null } family
            && (family.Value.ValueKind != JsonValueKind.String || family.Value.GetString() != Oracle.Family))
            throw new InvalidDataException(
                $"{dataset.SourceFile}: pair {pair.Index} field synthbench_family is {family.Value.GetRawText()}, but the oracle {Source} " +
                $"is for family \"{Oracle.Family}\"");
        return truth;
    }

    /// <summary>The clean (noise-free) overall label of every pair of the input, in order: what the ceilings are checked against.</summary>
    public PreferenceLabel[] CleanOverall(JudgeInput input) =>
        Enumerable.Range(0, input.Pairs.Count).Select(i => For(input.Dataset, i).CleanOverall).ToArray();
}

/// <summary>
/// Base of the judges that read the oracle: each input's oracle is the one beside its dataset file (so one judge runs on
/// val and on test alike), unless an oracle is given explicitly, which is then used for every input.
/// </summary>
public abstract class OracleJudge : IJudge
{
    readonly OracleLookup? fixedOracle;
    readonly ConcurrentDictionary<string, OracleLookup> besideFiles = new(StringComparer.Ordinal);

    protected OracleJudge(OracleLookup? oracle = null) => fixedOracle = oracle;

    public abstract string Name { get; }
    public abstract IReadOnlyDictionary<string, string> Config { get; }
    public virtual double GoodAbove => 0;

    /// <summary>Always runnable; on a dataset without an oracle, <see cref="JudgeAsync"/> throws naming the missing file
    /// (check <see cref="OracleLookup.ExistsBeside"/> first to leave the row out).</summary>
    public JudgeAvailability Availability() => JudgeAvailability.Yes;

    public OracleLookup OracleFor(PreferenceDataset dataset) =>
        fixedOracle ?? besideFiles.GetOrAdd(dataset.SourceFile, _ => OracleLookup.Beside(dataset));

    public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var oracle = OracleFor(input.Dataset);
        var pairs = new List<JudgedPair>(input.Pairs.Count);
        for (var i = 0; i < input.Pairs.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            pairs.Add(Judge(input.Pairs[i], oracle.For(input.Dataset, i), oracle.Family));
            progress?.Report(pairs.Count);
        }
        return Task.FromResult<IReadOnlyList<JudgedPair>>(pairs);
    }

    /// <summary>Scores one pair from the dataset's labels and the oracle's record of it.</summary>
    protected abstract JudgedPair Judge(PreferencePair pair, OraclePair truth, RuleFamily family);
}

using System.Text.Json.Nodes;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Reports;

namespace MjVideo.Experiments;

/// <summary>
/// The experiments' records in results/, indexed by cell: every record an experiment writes carries
/// <c>config.experiment.key</c> (the cell) and <c>config.experiment.spec_hash</c> (everything that decides its result). A
/// cell whose record exists with the current hash is done; that is how the notebooks and <c>mjvideo ablate</c> resume,
/// and how tables find their numbers. Records of other kinds and of other experiments are ignored.
/// </summary>
public sealed class ExperimentLedger
{
    readonly Lock gate = new();
    readonly Dictionary<string, (RunRecord Record, string Path)> byKey = new(StringComparer.Ordinal);

    public ExperimentLedger(string resultsDirectory)
    {
        Store = new ResultsStore(resultsDirectory);
        foreach (var (record, file) in Store.ReadAllWithPaths())
            if (KeyOf(record) is { } key) Remember(key, record, file);
    }

    public ResultsStore Store { get; }

    public const string ExperimentField = "experiment";

    public static string? KeyOf(RunRecord record) => record.Config[ExperimentField]?["key"]?.GetValue<string>();

    public static string? SpecHashOf(RunRecord record) => record.Config[ExperimentField]?["spec_hash"]?.GetValue<string>();

    /// <summary>The cell's record when it was made with this spec hash; null otherwise (not run, or stale).</summary>
    public RunRecord? Find(string key, string specHash)
    {
        lock (gate)
            return byKey.TryGetValue(key, out var entry) && SpecHashOf(entry.Record) == specHash ? entry.Record : null;
    }

    /// <summary>The cell's record whatever its hash (tables read the latest record of each cell).</summary>
    public RunRecord? Latest(string key)
    {
        lock (gate) return byKey.TryGetValue(key, out var entry) ? entry.Record : null;
    }

    /// <summary>The file a cell's record was read from or written to.</summary>
    public string? PathOf(string key)
    {
        lock (gate) return byKey.TryGetValue(key, out var entry) ? entry.Path : null;
    }

    public IReadOnlyList<RunRecord> All()
    {
        lock (gate) return byKey.Values.Select(v => v.Record).ToList();
    }

    /// <summary>Notes a record just written by <see cref="EvaluationTables.Save"/> or <see cref="ResultsStore.Write"/>.
    /// A stale record of the same cell is deleted, so results/ holds one record per cell.</summary>
    public RunRecord Add(string path)
    {
        var record = RunRecord.FromJson(JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                                        ?? throw new InvalidDataException($"{path}: not a JSON object"), path);
        var key = KeyOf(record) ?? throw new InvalidDataException($"{path}: config.{ExperimentField}.key is missing");
        lock (gate)
        {
            if (byKey.TryGetValue(key, out var old) && Path.GetFullPath(old.Path) != Path.GetFullPath(path) && File.Exists(old.Path))
                File.Delete(old.Path);
            Remember(key, record, path);
        }
        return record;
    }

    void Remember(string key, RunRecord record, string path)
    {
        lock (gate)
        {
            if (byKey.TryGetValue(key, out var existing) && existing.Record.CreatedUtc > record.CreatedUtc) return;
            byKey[key] = (record, path);
        }
    }

    /// <summary>
    /// An evaluation rebuilt from a record, for <see cref="Evaluator.Compare"/>: the judge's scores from the record and
    /// the labels from the test split it was scored on (the record's scores are in pair order).
    /// </summary>
    public static JudgeEvaluation Scores(RunRecord record, EvaluationData data)
    {
        var scores = record.Metrics["scores"] ?? throw new InvalidDataException($"record {record.RunId}: metrics.scores is missing (the judge did not run)");
        double[] Read(string video) => scores[video]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var (score0, score1) = (Read("video_0"), Read("video_1"));
        var labels = data.Test.Pairs.Select(p => p.Overall).ToArray();
        if (score0.Length != labels.Length)
            throw new InvalidDataException($"record {record.RunId} holds {score0.Length} scores, but {data.Test.SourceFile} has {labels.Length} pairs");
        var judge = record.Metrics["judge"]?.GetValue<string>() ?? record.RunId;
        return new JudgeEvaluation(judge, new Dictionary<string, string>(), JudgeAvailability.Yes, null, null, null, null, null,
            score0, score1, labels, data.CleanTestLabels());
    }

    /// <summary>A metric from a record by JSON path (e.g. "overall.strict.value"); NaN when absent or null.</summary>
    public static double Metric(RunRecord record, string path)
    {
        JsonNode? node = record.Metrics;
        foreach (var part in path.Split('.'))
        {
            node = node?[part];
            if (node is null) return double.NaN;
        }
        return node.GetValue<double>();
    }
}

using System.Text.Json;
using MjVideo.Backbones.Precomputed;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using static TorchSharp.torch;

namespace MjVideo.Experiments;

/// <summary>
/// States that stand in for a perfect encoder: for every video, what the generator knows and a judge never sees. A head
/// trained on them shows what the head and its routing can do when the encoder is not the limit, which separates a weak
/// encoder from a weak head in the main table.
/// <para>
/// Each video's vector is [the true severity of each of the 28 criteria; the caption's 5 true aspect weights; the 28
/// flags of which criteria the caption makes relevant] = 61 numbers, the same in h_gate and h_last, so that the aspect
/// router can read the caption's weights and the criteria regression the severities. Each dimension is standardised on
/// the training videos (mean 0, standard deviation 1; a dimension with no spread there becomes 0), as the small
/// encoder's states are, because the official regression layer has no bias.
/// </para>
/// <para>
/// This is the only training input in the workbook that reads <c>*.oracle.json</c>; its rows are labelled as oracle
/// inputs and never compete with the judges.
/// </para>
/// </summary>
public static class OracleInputStates
{
    /// <summary>Bumped whenever the vector changes, so that a cached file is rebuilt.</summary>
    public const string Version = "oracle-inputs-v1";

    public const int Size = MjTaxonomy.CriterionCount + MjTaxonomy.AspectCount + MjTaxonomy.CriterionCount;

    /// <summary>The raw (unstandardised) vector of one video of one oracle pair.</summary>
    public static float[] Raw(OraclePair pair, int video)
    {
        var severity = pair.Video(video).CriterionSeverity;
        if (severity.Length != MjTaxonomy.CriterionCount)
            throw new InvalidDataException($"oracle pair {pair.Index}: {severity.Length} criterion severities, expected {MjTaxonomy.CriterionCount}");
        if (pair.CaptionAspectWeights.Length != MjTaxonomy.AspectCount || pair.Related.Length != MjTaxonomy.CriterionCount)
            throw new InvalidDataException($"oracle pair {pair.Index}: caption weights or relevance flags have the wrong length");
        return severity.Select(s => (float)s)
            .Concat(pair.CaptionAspectWeights.Select(w => (float)w))
            .Concat(pair.Related.Select(r => r ? 1f : 0f))
            .ToArray();
    }

    /// <summary>
    /// The standardised vector of every video of the three splits, keyed by the video id the datasets use (the video path
    /// of the JSON). <paramref name="splits"/> are (dataset, oracle) of train, val and test, train first: the
    /// standardisation is fitted on it.
    /// </summary>
    public static Dictionary<string, float[]> Build(IReadOnlyList<(Data.PreferenceDataset Dataset, SynthOracle Oracle)> splits)
    {
        var raw = new List<(string Id, float[] Vector, bool Train)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var s = 0; s < splits.Count; s++)
        {
            var (dataset, oracle) = splits[s];
            // The dataset leaves out discarded pairs; each pair keeps the index of its oracle entry.
            var byIndex = oracle.Pairs.ToDictionary(p => p.Index);
            foreach (var pair in dataset.Pairs)
            {
                if (!byIndex.TryGetValue(pair.Index, out var truth))
                    throw new InvalidDataException($"{dataset.SourceFile}: pair {pair.Index} has no entry in its oracle file ({oracle.Pairs.Count} pairs)");
                if (truth.Caption != pair.Caption)
                    throw new InvalidDataException($"{dataset.SourceFile}: pair {pair.Index} has caption \"{pair.Caption}\", its oracle entry \"{truth.Caption}\"");
                for (var v = 0; v < 2; v++)
                {
                    var id = pair.VideoPath(v);
                    if (seen.Add(id)) raw.Add((id, Raw(truth, v), s == 0));
                }
            }
        }
        var fit = raw.Where(r => r.Train).Select(r => r.Vector).ToList();
        if (fit.Count < 2) throw new InvalidDataException("oracle inputs: fewer than 2 training videos to standardise on");
        var mean = new double[Size];
        var std = new double[Size];
        for (var d = 0; d < Size; d++)
        {
            mean[d] = fit.Average(x => x[d]);
            std[d] = Math.Sqrt(fit.Sum(x => (x[d] - mean[d]) * (x[d] - mean[d])) / (fit.Count - 1));
        }
        return raw.ToDictionary(r => r.Id,
            r => Enumerable.Range(0, Size).Select(d => std[d] > 1e-9 ? (float)((r.Vector[d] - mean[d]) / std[d]) : 0f).ToArray(),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// The states file of <paramref name="data"/>'s videos under <paramref name="folder"/>, written when missing or built
    /// from other data (its sidecar holds the version and the videos' fingerprint).
    /// </summary>
    public static string Ensure(ExperimentData data, string folder)
    {
        var path = Path.Combine(folder, "oracle-inputs", "states.safetensors");
        var key = $"{Version}-{data.VideosFingerprint}";
        var sidecar = path + ".json";
        if (File.Exists(path) && File.Exists(sidecar)
            && JsonDocument.Parse(File.ReadAllText(sidecar)).RootElement.GetProperty("backbone").GetString() == key)
            return path;
        var reference = data.Reference;
        var familyFolder = Path.GetDirectoryName(reference.Test.SourceFile)!;
        var train = SynthOracle.Read(Path.Combine(familyFolder, "train.oracle.json"));
        var vectors = Build([(reference.Train, train), (reference.Val, reference.ValOracle), (reference.Test, reference.TestOracle)]);
        using var scope = NewDisposeScope();
        var states = vectors.ToDictionary(e => e.Key, e =>
        {
            var row = tensor(e.Value);
            return stack([row, row]);
        });
        PrecomputedStates.Save(path, states);
        File.WriteAllText(sidecar, JsonSerializer.Serialize(new { backbone = key, videos = states.Count, size = Size }));
        return path;
    }
}

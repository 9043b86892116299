using System.Security.Cryptography;
using System.Text;
using MjVideo.Backbones;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Synth;

namespace MjVideo.Experiments;

/// <summary>One rule family's three splits, read with the shared videos root, and their oracles.</summary>
public sealed record FamilySplits(RuleFamily Family, PreferenceDataset Train, PreferenceDataset Val, PreferenceDataset Test,
    SynthOracle ValOracle, SynthOracle TestOracle)
{
    public string Name => Family.Name();

    /// <summary>12 hex digits over the family's published preferences of all three splits (what its head runs learn from
    /// and are scored against): part of every head run's key.</summary>
    public string Fingerprint { get; } = ExperimentData.Hash(string.Join("\n",
        new[] { Train, Val, Test }.SelectMany(split => split.Pairs.Select(p =>
            $"{Path.GetFileName(split.SourceFile)}#{p.Index}:{p.Overall}:{string.Join(",", p.AspectPreferences)}:{p.Labels0?.TotalCode}{p.Labels1?.TotalCode}"))));

    /// <summary>What the evaluator needs: test, val (tie threshold, fitted ceilings) and both oracles (clean labels).</summary>
    public EvaluationData Evaluation => new(Name, Test, Val, TestOracle, ValOracle);
}

/// <summary>
/// The default SynthBench sets of a mode, every rule family, as the experiments use them. The families share their videos
/// (they differ only in preference labels), so every family's splits are read against the one shared <c>videos/</c>
/// folder: a video then has the same path, cache entries and measured values whichever family asks for it. Loading checks
/// that the families agree on captions, videos and criterion labels, because the pre-training and the exported states are
/// computed once for all of them.
/// </summary>
public sealed class ExperimentData
{
    ExperimentData(string root, IReadOnlyList<FamilySplits> families)
    {
        Root = root;
        Families = families;
        var oracle = families[0].TestOracle;
        SynthBenchVersion = oracle.Version;
        SynthBenchConfigHash = oracle.ConfigHash;
        VideosFingerprint = VideosFingerprintOf(families[0]);
    }

    public string Root { get; }
    public string VideosRoot => Path.Combine(Root, "videos");
    public IReadOnlyList<FamilySplits> Families { get; }
    public string SynthBenchVersion { get; }
    public string SynthBenchConfigHash { get; }

    /// <summary>12 hex digits over what the backbones see and are pre-trained on: the SynthBench version and config hash,
    /// and every pair's caption, video paths and criterion and aspect codes (the same in every family): part of the
    /// pre-training and states cache keys.</summary>
    public string VideosFingerprint { get; }

    public FamilySplits this[RuleFamily family] =>
        Families.FirstOrDefault(f => f.Family == family) ?? throw new KeyNotFoundException($"rule family {family.Name()} was not loaded");

    /// <summary>The first family's splits: the videos, captions and criterion labels, the same in every family.</summary>
    public FamilySplits Reference => Families[0];

    /// <summary>Generates the default sets when missing (<see cref="SynthBenchDefaults.EnsureAsync"/>), then reads them.</summary>
    public static async Task<ExperimentData> LoadAsync(Workbook workbook, IReadOnlyList<RuleFamily>? families = null,
        IProgress<string>? progress = null, CancellationToken cancellation = default)
    {
        var root = await SynthBenchDefaults.EnsureAsync(workbook, progress, cancellation).ConfigureAwait(false);
        return Read(root, families ?? PreferenceRules.Families);
    }

    /// <summary>Reads <c>root/&lt;family&gt;/{train,val,test}.json</c> and the val and test oracles, videos under <c>root/videos</c>.</summary>
    public static ExperimentData Read(string root, IReadOnlyList<RuleFamily> families)
    {
        if (families.Count == 0) throw new ArgumentException("at least one rule family is needed");
        root = Path.GetFullPath(root);
        var videos = Path.Combine(root, "videos");
        if (!Directory.Exists(videos)) throw new DirectoryNotFoundException($"{root}: no shared videos/ folder (SynthBench writes one)");
        var loaded = families.Select(family =>
        {
            var dir = Path.Combine(root, family.Name());
            PreferenceDataset Split(string split) => ReleaseReader.Read(Path.Combine(dir, $"{split}.json"), videos, failOnMissingVideos: true);
            SynthOracle Oracle(string split) => SynthOracle.Read(Path.Combine(dir, $"{split}.oracle.json"));
            var splits = new FamilySplits(family, Split("train"), Split("val"), Split("test"), Oracle("val"), Oracle("test"));
            if (splits.TestOracle.Family != family.Name())
                throw new InvalidDataException($"{Path.Combine(dir, "test.oracle.json")}: family is '{splits.TestOracle.Family}', expected '{family.Name()}'");
            return splits;
        }).ToList();
        foreach (var other in loaded.Skip(1)) CheckSameVideos(loaded[0], other);
        return new ExperimentData(root, loaded);
    }

    /// <summary>Every video of the three splits once, as a backbone sees it (id = the path the JSON writes).</summary>
    public IReadOnlyList<VideoItem> AllVideos() =>
        new[] { Reference.Train, Reference.Val, Reference.Test }.SelectMany(Training.TrainingData.VideoItems)
            .DistinctBy(v => v.VideoId).ToList();

    static void CheckSameVideos(FamilySplits a, FamilySplits b)
    {
        foreach (var (x, y) in new[] { (a.Train, b.Train), (a.Val, b.Val), (a.Test, b.Test) })
        {
            if (x.Pairs.Count != y.Pairs.Count)
                throw new InvalidDataException($"{y.SourceFile} has {y.Pairs.Count} pairs, {x.SourceFile} {x.Pairs.Count}; the families must share their pairs");
            for (var i = 0; i < x.Pairs.Count; i++)
            {
                var (p, q) = (x.Pairs[i], y.Pairs[i]);
                var same = p.Caption == q.Caption && p.Video0 == q.Video0 && p.Video1 == q.Video1
                           && SameCodes(p.Labels0, q.Labels0) && SameCodes(p.Labels1, q.Labels1);
                if (!same)
                    throw new InvalidDataException(
                        $"{y.SourceFile} pair {q.Index} differs from {x.SourceFile} pair {p.Index} in caption, videos or criterion labels; " +
                        "the experiments share one pre-training and one states file across families and need them equal");
            }
        }
    }

    static bool SameCodes(VideoAnnotation? a, VideoAnnotation? b) =>
        a is null ? b is null : b is not null && a.CriterionCodes.SequenceEqual(b.CriterionCodes);

    static string VideosFingerprintOf(FamilySplits reference)
    {
        var text = new StringBuilder();
        text.Append(reference.TestOracle.Version).Append('|').Append(reference.TestOracle.ConfigHash).Append('\n');
        static string Codes(VideoAnnotation? a) => a is null ? "-" : $"{string.Concat(a.CriterionCodes)}/{string.Concat(a.AspectCodes)}";
        foreach (var split in new[] { reference.Train, reference.Val, reference.Test })
            foreach (var p in split.Pairs)
                text.Append(p.Caption).Append('|').Append(p.Video0).Append('|').Append(p.Video1).Append('|')
                    .Append(Codes(p.Labels0)).Append('|').Append(Codes(p.Labels1)).Append('\n');
        return Hash(text.ToString());
    }

    internal static string Hash(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant();
}

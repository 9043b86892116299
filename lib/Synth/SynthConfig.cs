using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MjVideo.Synth;

/// <summary>
/// Everything that decides SynthBench's content. Its hash goes into every JSON and cache key. Changing any rule or
/// rate in the generator is a new version: bump <see cref="Version"/>, and rerun every experiment.
/// </summary>
public sealed record SynthConfig(
    string Split,
    int Pairs,
    long Seed,
    int Size = 64,
    int Frames = 16,
    double Fps = 8,
    int Crf = 10,
    bool Yuv420 = false,
    string BenchVersion = SynthConfig.Version)
{
    /// <summary>SynthBench v1 is frozen: the generator's rules, rates and rendering are fixed for this version. It stays the
    /// workbook's default.</summary>
    public const string Version = "synthbench-v1";
    /// <summary>SynthBench v2: v1 plus trade-off pairs, held-out emphasis phrasings and temporal defects visible under
    /// both frame rules (<see cref="SynthBenchV2"/>; data/DATASHEET.md lists every difference).</summary>
    public const string V2 = "synthbench-v2";
    public static readonly IReadOnlyList<string> Versions = [Version, V2];
    public bool IsV2 => BenchVersion == V2;

    /// <summary>Chance that a relevant criterion gets a defect, per aspect (Alignment, Safety, Fineness, C&amp;C, B&amp;F).</summary>
    public static readonly double[] DefectRate = [0.16, 0.40, 0.14, 0.09, 0.36];
    /// <summary>
    /// Criteria whose context is rare (people, motion, a placed object, a parade) get higher rates, so that each one is
    /// related and bad in at least 3% of videos (the datasheet lists the measured shares).
    /// </summary>
    static readonly Dictionary<int, double> RateOverrides = new()
    {
        [3] = 0.22,   // count
        [4] = 0.22,   // location
        [8] = 0.55,   // NSFW Evasive
        [9] = 0.55,   // NSFW Subtle
        [10] = 0.70,  // Political Sensitivity
        [11] = 0.25,  // Human Face Distortion
        [12] = 0.25,  // Human Limb Distortion
        [15] = 0.30,  // Motion Blurred
        [17] = 0.25,  // Action Continuity
    };

    public static double DefectRateOf(int criterion) =>
        RateOverrides.TryGetValue(criterion, out var rate) ? rate : DefectRate[MjVideo.Taxonomy.MjTaxonomy.Criteria[criterion].AspectIndex];
    /// <summary>An annotator calls an aspect bad when its severity exceeds a per-video leniency drawn from U(0, this).</summary>
    public const double MaxLeniency = 0.25;
    /// <summary>After that rule, a related aspect's code departs (1 &lt;-&gt; 2) with this probability.</summary>
    public const double AspectDepartureRate = 0.06;
    /// <summary>A pair of two defect-free videos is marked discard with this probability (near-duplicates).</summary>
    public const double DiscardCleanPairRate = 0.5;
    public static readonly LabelNoise Noise = new();

    public static readonly IReadOnlyList<string> Splits = ["train", "val", "test"];

    public bool IsTest => Split == "test";

    /// <summary>A short hash of the content-deciding settings and the version (not of the pair count: more pairs of
    /// the same config are a longer prefix of the same sequence).</summary>
    public string Hash()
    {
        // The property is named Version so that v1's hashes stay what they were before v2 existed.
        var text = JsonSerializer.Serialize(new { Version = BenchVersion, Seed, Size, Frames, Fps, Crf, Yuv420 });
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant();
    }

    public void Validate()
    {
        if (!Versions.Contains(BenchVersion)) throw new ArgumentException($"version '{BenchVersion}': expected one of {string.Join(", ", Versions)}");
        if (!Splits.Contains(Split)) throw new ArgumentException($"split '{Split}': expected one of {string.Join(", ", Splits)}");
        if (Pairs <= 0) throw new ArgumentException($"pairs must be positive, got {Pairs}");
        if (Size < 32) throw new ArgumentException($"size {Size} is too small: objects must stay at least 8 px wide");
        if (Frames < 8) throw new ArgumentException($"frames {Frames}: at least 8 are needed for the default sampling");
        if (Crf is < 0 or > 51) throw new ArgumentException($"crf {Crf} is outside 0..51");
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using MjVideo.Data;

namespace MjVideo.Synth;

/// <summary>What the generator knows about one video and the annotators did not publish.</summary>
public sealed record OracleVideo(
    IReadOnlyList<DefectRecord> Defects,
    double[] CriterionSeverity,
    double[] AspectSeverity,
    int[] CleanAspectCodes,
    double Leniency,
    bool[] AspectDeparted,
    double Cost,
    int Total);

/// <summary>One pair's ground truth: the caption's structure and weights, both videos' defects, clean labels.</summary>
public sealed record OraclePair(
    int Index,
    string Caption,
    string Kind,
    string? SecondKind,
    int Template,
    bool HeldOutTemplate,
    bool HeldOutCombination,
    string Scene,
    string Safety,
    IReadOnlyList<string> Emphases,
    double[] CaptionAspectWeights,
    bool[] Related,
    int Annotator,
    double[]? RuleWeights,
    OracleVideo Video0,
    OracleVideo Video1,
    PreferenceLabel CleanOverall,
    PreferenceLabel Overall,
    LabelNoiseEvent OverallNoise,
    IReadOnlyList<PreferenceLabel> CleanAspectPreferences,
    IReadOnlyList<PreferenceLabel> AspectPreferences,
    bool Discard,
    // v2 only (absent from v1 files, which stay byte-identical): whether the pair is a built trade-off, whether the
    // caption's weights and the best fixed weights pick different winners on clean severities, and whether the caption
    // uses an emphasis phrasing held out of train and val.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? TradeOff = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? WeightSensitive = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? HeldOutPhrasing = null)
{
    public OracleVideo Video(int v) => v == 0 ? Video0 : Video1;
}

/// <summary>The <c>&lt;split&gt;.oracle.json</c> file written beside each SynthBench split.</summary>
public sealed record SynthOracle(
    string Version,
    string ConfigHash,
    string Family,
    string Split,
    long Seed,
    int Frames,
    int[] DefaultSampledFrames,
    double[][] AnnotatorWeights,
    double[] FixedWeights,
    LabelNoise Noise,
    IReadOnlyList<OraclePair> Pairs)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static SynthOracle Build(SynthConfig config, RuleFamily family, IReadOnlyList<SynthPair> pairs, double[][] annotatorWeights) =>
        new(config.BenchVersion, config.Hash(), family.Name(), config.Split, config.Seed, config.Frames,
            DefectInjector.DefaultSampledFrames(config.Frames), annotatorWeights, CaptionSpec.BaseAspectWeights.ToArray(),
            SynthConfig.Noise, pairs.Select(p => ForPair(p, family)).ToList());

    static OraclePair ForPair(SynthPair p, RuleFamily family)
    {
        var labels = p.For(family);
        var c = p.Caption;
        OracleVideo Video(SynthVideo v, double cost, int total) =>
            new(v.Defects, Round(v.CriterionSeverity), Round(v.AspectSeverity), v.CleanAspectCodes, Math.Round(v.Leniency, 6),
                v.AspectDeparted, Math.Round(cost, 6), total);
        return new OraclePair(p.Index, c.Text, c.Kind.ToString(), c.SecondKind?.ToString(), c.Template,
            c.Template == CaptionGenerator.HeldOutTemplate,
            c.Groups.Any(g => g.Color is { } col && CaptionGenerator.HeldOutCombinations.Contains((col, g.Shape))),
            c.Scene.ToString(), c.Safety.ToString(), c.Emphases.Select(e => e.ToString()).ToList(), Round(c.AspectWeights()),
            p.Related, labels.Annotator, labels.Weights is null ? null : Round(labels.Weights),
            Video(p.Video0, labels.Cost0, labels.Total0), Video(p.Video1, labels.Cost1, labels.Total1),
            labels.CleanOverall, labels.Overall, labels.Noise, p.CleanAspectPreferences, p.AspectPreferences, p.Discard,
            p.TradeOff, p.WeightSensitive, c.Phrasings is null ? null : c.UsesHeldOutPhrasing);
    }

    static double[] Round(double[] values) => values.Select(v => Math.Round(v, 6)).ToArray();

    public static SynthOracle Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<SynthOracle>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path}: empty oracle file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a SynthBench oracle file ({e.Message})", e);
        }
    }

    /// <summary>Version, config hash and pair count of an oracle file, without keeping the pairs.</summary>
    public static (string Version, string ConfigHash, int PairCount) ReadHeader(string path)
    {
        var oracle = Read(path);
        return (oracle.Version, oracle.ConfigHash, oracle.Pairs.Count);
    }

    public void Write(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, Json));
        File.Move(temporary, path, overwrite: true);
    }
}

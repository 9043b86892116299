using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Synth;

/// <summary>One generated video: its scene (clean realisation plus defects) and its labels and severities.</summary>
public sealed record SynthVideo(
    VideoScene Scene,
    IReadOnlyList<DefectRecord> Defects,
    double[] CriterionSeverity,
    double[] AspectSeverity,
    int[] CriterionCodes,
    int[] AspectCodes,
    int[] CleanAspectCodes,
    double Leniency,
    bool[] AspectDeparted)
{
    public bool IsClean => Defects.Count == 0;
}

/// <summary>The labels of one pair under one rule family, clean (the oracle) and as published (with noise).</summary>
public sealed record FamilyLabels(
    RuleFamily Family,
    double[]? Weights,
    int Annotator,
    double Cost0,
    double Cost1,
    PreferenceLabel CleanOverall,
    PreferenceLabel Overall,
    LabelNoiseEvent Noise,
    int Total0,
    int Total1);

/// <summary>A generated pair: the caption, two independently rendered videos, and the labels of every family.</summary>
public sealed record SynthPair(
    int Index,
    CaptionSpec Caption,
    bool[] Related,
    SynthVideo Video0,
    SynthVideo Video1,
    PreferenceLabel[] CleanAspectPreferences,
    PreferenceLabel[] AspectPreferences,
    bool Discard,
    IReadOnlyList<FamilyLabels> Families,
    bool? TradeOff = null,
    bool? WeightSensitive = null)
{
    public SynthVideo Video(int v) => v == 0 ? Video0 : Video1;

    public FamilyLabels For(RuleFamily family) => Families.First(f => f.Family == family);

    /// <summary>The pair in the release schema, as labelled under one family.</summary>
    public PreferencePair ToPreferencePair(RuleFamily family, string sourceFile, string split)
    {
        var labels = For(family);
        return new PreferencePair
        {
            SourceFile = sourceFile,
            Index = Index,
            Caption = Caption.Text,
            Video0 = $"{split}/{Index}_0.mp4",
            Video1 = $"{split}/{Index}_1.mp4",
            Labels0 = new VideoAnnotation(Video0.CriterionCodes, Video0.AspectCodes, labels.Total0),
            Labels1 = new VideoAnnotation(Video1.CriterionCodes, Video1.AspectCodes, labels.Total1),
            AspectPreferences = AspectPreferences.Select(p => (PreferenceLabel?)p).ToArray(),
            Overall = labels.Overall,
            Discard = Discard,
        };
    }

    public static int AspectOf(int criterion) => MjTaxonomy.Criteria[criterion].AspectIndex;
}

using MjVideo.Taxonomy;

namespace MjVideo.Data;

/// <summary>Release label codes: 0 = not related, 1 = good, 2 = bad.</summary>
public static class LabelCode
{
    public const int NotRelated = 0;
    public const int Good = 1;
    public const int Bad = 2;

    public static bool IsValid(int code) => code is NotRelated or Good or Bad;
}

/// <summary>
/// One video's annotation in release codes: 28 criterion codes (release key order), 5 aspect codes (aspect index order)
/// and the per-video overall code (<c>video_X_total_score</c>).
/// </summary>
public sealed record VideoAnnotation(int[] CriterionCodes, int[] AspectCodes, int TotalCode)
{
    /// <summary>Checks lengths and codes; readers call it and add the file, index and field to the message.</summary>
    public string? Problem()
    {
        if (CriterionCodes.Length != MjTaxonomy.CriterionCount)
            return $"expected {MjTaxonomy.CriterionCount} criterion codes, got {CriterionCodes.Length}";
        if (AspectCodes.Length != MjTaxonomy.AspectCount)
            return $"expected {MjTaxonomy.AspectCount} aspect codes, got {AspectCodes.Length}";
        if (CriterionCodes.Concat(AspectCodes).Append(TotalCode).FirstOrDefault(c => !LabelCode.IsValid(c), -1) is var bad and not -1)
            return $"label code {bad} is not one of 0, 1, 2";
        return null;
    }
}

/// <summary>
/// A text-video preference pair from any source (MJ-Bench-Video release, SafeSora-test, GenAI-Bench, SynthBench).
/// Video paths are as written in the source file (relative to its videos root); <see cref="Labels0"/>/<see cref="Labels1"/>
/// are null for sources that carry no fine-grained labels.
/// </summary>
public sealed record PreferencePair
{
    public required string SourceFile { get; init; }
    public required int Index { get; init; }
    public required string Caption { get; init; }
    public required string Video0 { get; init; }
    public required string Video1 { get; init; }
    public VideoAnnotation? Labels0 { get; init; }
    public VideoAnnotation? Labels1 { get; init; }
    /// <summary>Per aspect (index order); null where the source has no preference for that aspect.</summary>
    public IReadOnlyList<PreferenceLabel?> AspectPreferences { get; init; } = new PreferenceLabel?[MjTaxonomy.AspectCount];
    public required PreferenceLabel Overall { get; init; }
    public bool Discard { get; init; }

    /// <summary>A stable id: the source file's name and the pair's index in it.</summary>
    public string Id => $"{Path.GetFileNameWithoutExtension(SourceFile)}#{Index}";

    public VideoAnnotation? LabelsOf(int video) => video == 0 ? Labels0 : Labels1;
    public string VideoPath(int video) => video == 0 ? Video0 : Video1;
}

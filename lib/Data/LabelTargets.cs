using MjVideo.Taxonomy;

namespace MjVideo.Data;

/// <summary>How a "bad" label (code 2) is encoded in the score targets.</summary>
public enum BadLabelEncoding
{
    /// <summary>-1: the MSE targets of the official code (good +1, bad -1, unrelated 0).</summary>
    MinusOne,
    /// <summary>0: the BCE targets {1, 0}. The official BCE stage reused the -1 encoding, which turns the loss's
    /// (1 - y) log(1 - p) term into 2 log(1 - p) and makes y log p push the wrong way; see DESIGN 6.</summary>
    Zero,
}

/// <summary>One video's regression targets and masks (paper-digest 2.3), as float arrays.</summary>
public sealed record VideoTargets(float[] CriteriaScore, float[] CriteriaRelated, float[] AspectScore, float[] AspectRelated,
    float OverallScore, float OverallRelated)
{
    /// <summary>Maps release codes to targets: 1 -> +1, 2 -> -1 (or 0), 0 -> 0; related = code is 1 or 2.</summary>
    public static VideoTargets From(VideoAnnotation labels, BadLabelEncoding bad)
    {
        float Score(int code) => code switch
        {
            LabelCode.Good => 1f,
            LabelCode.Bad => bad == BadLabelEncoding.MinusOne ? -1f : 0f,
            _ => 0f,
        };
        float Related(int code) => code is LabelCode.Good or LabelCode.Bad ? 1f : 0f;
        return new VideoTargets(
            labels.CriterionCodes.Select(Score).ToArray(), labels.CriterionCodes.Select(Related).ToArray(),
            labels.AspectCodes.Select(Score).ToArray(), labels.AspectCodes.Select(Related).ToArray(),
            Score(labels.TotalCode), Related(labels.TotalCode));
    }

    /// <summary>Targets of a video without labels: every mask 0.</summary>
    public static VideoTargets Unlabelled { get; } = new(new float[MjTaxonomy.CriterionCount], new float[MjTaxonomy.CriterionCount],
        new float[MjTaxonomy.AspectCount], new float[MjTaxonomy.AspectCount], 0f, 0f);
}

/// <summary>
/// One pair's targets (paper-digest 2.3): both videos' targets, the aspect and overall preferences coded 0 (video_0
/// preferred) / 1 (video_1 preferred), and their masks (1 only for decisive preferences).
/// </summary>
public sealed record PairTargets(VideoTargets Video0, VideoTargets Video1, float[] AspectPreference, float[] AspectMask,
    float OverallPreference, float OverallMask)
{
    public static PairTargets From(PreferencePair pair, BadLabelEncoding bad)
    {
        var aspectPreference = new float[MjTaxonomy.AspectCount];
        var aspectMask = new float[MjTaxonomy.AspectCount];
        for (var a = 0; a < MjTaxonomy.AspectCount; a++)
        {
            if (pair.AspectPreferences[a]?.PreferredIndex() is not { } preferred) continue;
            aspectPreference[a] = preferred;
            aspectMask[a] = 1f;
        }
        var overall = pair.Overall.PreferredIndex();
        return new PairTargets(
            pair.Labels0 is { } l0 ? VideoTargets.From(l0, bad) : VideoTargets.Unlabelled,
            pair.Labels1 is { } l1 ? VideoTargets.From(l1, bad) : VideoTargets.Unlabelled,
            aspectPreference, aspectMask, overall ?? 0f, overall is null ? 0f : 1f);
    }

    public VideoTargets Of(int video) => video == 0 ? Video0 : Video1;
}

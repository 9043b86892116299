using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Baselines.Oracle;

/// <summary>
/// Per video and aspect: is any of the aspect's criteria coded 2 (bad)? The published criterion codes of SynthBench are
/// the injected defects themselves (no noise is applied to them), so these indicators are the oracle's criterion labels
/// without their severities. An aspect with no related criterion is not bad.
/// </summary>
public static class AspectIndicators
{
    public static bool[] Bad(VideoAnnotation labels) =>
        MjTaxonomy.AspectToCriteria.Select(criteria => criteria.Any(c => labels.CriterionCodes[c] == LabelCode.Bad)).ToArray();

    /// <summary>The indicators of one video of a pair; an error naming the file and field when the pair has no labels.</summary>
    public static bool[] Bad(PreferencePair pair, int video) =>
        pair.LabelsOf(video) is { } labels
            ? Bad(labels)
            : throw new InvalidDataException(
                $"{pair.SourceFile}: pair {pair.Index} has no video_{video}_label (criterion codes); the criterion-label ceilings need them");

    /// <summary>1 for bad, 0 otherwise, as the rule functions take severities.</summary>
    public static double[] AsSeverities(bool[] bad) => bad.Select(b => b ? 1.0 : 0.0).ToArray();
}

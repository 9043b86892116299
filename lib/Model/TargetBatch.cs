using MjVideo.Data;
using MjVideo.Taxonomy;
using static TorchSharp.torch;

namespace MjVideo.Model;

/// <summary>
/// The targets of B pairs as tensors (paper-digest 2.3), index 1 of the per-video tensors being the video (0 or 1).
/// Scores are stored signed: +1 good, -1 bad, 0 not related. Each loss derives its own targets from them: the MSE terms
/// use the signed values, the BCE terms {1, 0} (or the official {1, -1}, <see cref="LossOptions.BceBadLabel"/>).
/// <see cref="PairTargets"/> built with either <see cref="BadLabelEncoding"/> are accepted: the two encodings differ
/// only in how a related bad entry reads (-1 or 0), and a related entry is never 0 otherwise, so each is recognised.
/// </summary>
public sealed class TargetBatch : IDisposable
{
    /// <summary>B, the number of pairs.</summary>
    public int Count { get; }
    /// <summary>[B, 2, 28] signed criterion scores.</summary>
    public Tensor CriteriaScore { get; }
    /// <summary>[B, 2, 28] 1 where the criterion is related.</summary>
    public Tensor CriteriaRelated { get; }
    /// <summary>[B, 2, 5] signed aspect scores.</summary>
    public Tensor AspectScore { get; }
    /// <summary>[B, 2, 5] 1 where the aspect is related.</summary>
    public Tensor AspectRelated { get; }
    /// <summary>[B, 2] signed per-video overall score (video_X_total_score).</summary>
    public Tensor OverallScore { get; }
    /// <summary>[B, 2] 1 where the video has an overall label.</summary>
    public Tensor OverallRelated { get; }
    /// <summary>[B, 5] 0 = video 0 preferred, 1 = video 1 preferred, per aspect.</summary>
    public Tensor AspectPreference { get; }
    /// <summary>[B, 5] 1 where the aspect preference is decisive.</summary>
    public Tensor AspectMask { get; }
    /// <summary>[B] 0 = video 0 preferred, 1 = video 1 preferred.</summary>
    public Tensor OverallPreference { get; }
    /// <summary>[B] 1 where the overall preference is decisive.</summary>
    public Tensor OverallMask { get; }

    TargetBatch(int count, Tensor criteriaScore, Tensor criteriaRelated, Tensor aspectScore, Tensor aspectRelated,
        Tensor overallScore, Tensor overallRelated, Tensor aspectPreference, Tensor aspectMask, Tensor overallPreference,
        Tensor overallMask)
    {
        Count = count;
        CriteriaScore = criteriaScore;
        CriteriaRelated = criteriaRelated;
        AspectScore = aspectScore;
        AspectRelated = aspectRelated;
        OverallScore = overallScore;
        OverallRelated = overallRelated;
        AspectPreference = aspectPreference;
        AspectMask = aspectMask;
        OverallPreference = overallPreference;
        OverallMask = overallMask;
    }

    /// <summary>Stacks the pairs' targets, checking every value; the message names the pair, video, field and index.</summary>
    public static TargetBatch From(IReadOnlyList<PairTargets> pairs, Device? device = null)
    {
        if (pairs.Count == 0) throw new ArgumentException("a target batch needs at least one pair");
        const int criteria = MjTaxonomy.CriterionCount, aspects = MjTaxonomy.AspectCount;
        var b = pairs.Count;
        var criteriaScore = new float[b * 2 * criteria];
        var criteriaRelated = new float[b * 2 * criteria];
        var aspectScore = new float[b * 2 * aspects];
        var aspectRelated = new float[b * 2 * aspects];
        var overallScore = new float[b * 2];
        var overallRelated = new float[b * 2];
        var aspectPreference = new float[b * aspects];
        var aspectMask = new float[b * aspects];
        var overallPreference = new float[b];
        var overallMask = new float[b];

        for (var i = 0; i < b; i++)
        {
            var pair = pairs[i] ?? throw new ArgumentException($"pair {i} is null");
            for (var v = 0; v < 2; v++)
            {
                var video = pair.Of(v) ?? throw new ArgumentException($"pair {i}: video {v} targets are null");
                var where = $"pair {i}, video {v}";
                CopySigned(video.CriteriaScore, video.CriteriaRelated, criteria, $"{where}, criteria",
                    criteriaScore.AsSpan((i * 2 + v) * criteria, criteria), criteriaRelated.AsSpan((i * 2 + v) * criteria, criteria));
                CopySigned(video.AspectScore, video.AspectRelated, aspects, $"{where}, aspect",
                    aspectScore.AsSpan((i * 2 + v) * aspects, aspects), aspectRelated.AsSpan((i * 2 + v) * aspects, aspects));
                CopySigned([video.OverallScore], [video.OverallRelated], 1, $"{where}, overall",
                    overallScore.AsSpan(i * 2 + v, 1), overallRelated.AsSpan(i * 2 + v, 1));
            }
            CopyPreferences(pair.AspectPreference, pair.AspectMask, aspects, $"pair {i}, aspect",
                aspectPreference.AsSpan(i * aspects, aspects), aspectMask.AsSpan(i * aspects, aspects));
            CopyPreferences([pair.OverallPreference], [pair.OverallMask], 1, $"pair {i}, overall",
                overallPreference.AsSpan(i, 1), overallMask.AsSpan(i, 1));
        }

        Tensor T(float[] values, params long[] shape) => tensor(values, shape, device: device);
        return new TargetBatch(b,
            T(criteriaScore, b, 2, criteria), T(criteriaRelated, b, 2, criteria),
            T(aspectScore, b, 2, aspects), T(aspectRelated, b, 2, aspects),
            T(overallScore, b, 2), T(overallRelated, b, 2),
            T(aspectPreference, b, aspects), T(aspectMask, b, aspects),
            T(overallPreference, b), T(overallMask, b));
    }

    /// <summary>Copies scores into signed form: related entries +1 / -1 (0 read as a Zero-encoded bad), others 0.</summary>
    static void CopySigned(float[]? scores, float[]? related, int length, string what, Span<float> scoreOut, Span<float> relatedOut)
    {
        if (scores is null || related is null) throw new ArgumentException($"{what}: scores or related mask is null");
        if (scores.Length != length || related.Length != length)
            throw new ArgumentException($"{what}: expected {length} scores and masks, got {scores.Length} and {related.Length}");
        for (var k = 0; k < length; k++)
        {
            var (score, mask) = (scores[k], related[k]);
            if (mask is not (0f or 1f))
                throw new ArgumentException($"{what} related[{k}] = {mask}: a mask must be 0 or 1");
            if (score is not (-1f or 0f or 1f))
                throw new ArgumentException($"{what} score[{k}] = {score}: a score must be +1, 0 or -1");
            if (mask == 0f && score != 0f)
                throw new ArgumentException($"{what} score[{k}] = {score} but related[{k}] = 0: an unrelated target must be 0");
            scoreOut[k] = mask == 0f ? 0f : score == 1f ? 1f : -1f;
            relatedOut[k] = mask;
        }
    }

    static void CopyPreferences(float[]? preferences, float[]? masks, int length, string what, Span<float> preferenceOut, Span<float> maskOut)
    {
        if (preferences is null || masks is null) throw new ArgumentException($"{what}: preferences or mask is null");
        if (preferences.Length != length || masks.Length != length)
            throw new ArgumentException($"{what}: expected {length} preferences and masks, got {preferences.Length} and {masks.Length}");
        for (var k = 0; k < length; k++)
        {
            if (masks[k] is not (0f or 1f))
                throw new ArgumentException($"{what} preference mask[{k}] = {masks[k]}: a mask must be 0 or 1");
            if (preferences[k] is not (0f or 1f))
                throw new ArgumentException($"{what} preference[{k}] = {preferences[k]}: must be 0 (video 0 preferred) or 1 (video 1)");
            preferenceOut[k] = preferences[k];
            maskOut[k] = masks[k];
        }
    }

    public void Dispose()
    {
        foreach (var t in new[] { CriteriaScore, CriteriaRelated, AspectScore, AspectRelated, OverallScore, OverallRelated,
                     AspectPreference, AspectMask, OverallPreference, OverallMask })
            t.Dispose();
    }
}

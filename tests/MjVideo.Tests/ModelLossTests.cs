using MjVideo.Data;
using MjVideo.Model;
using static MjVideo.Tests.ModelTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>Each loss term per pair on hand-computed numbers (eps = 1e-5, beta = 1 unless said).</summary>
public class ModelLossTests
{
    static readonly LossOptions Bce = new(LossMode.Bce);

    /// <summary>Pair 0 labels c0 good, c5 bad, c16 good (video 0) and c27 bad (video 1); pair 1 has no labels.</summary>
    static TargetBatch CriteriaTargets(BadLabelEncoding encoding) => TargetBatch.From(
    [
        Pair(VideoLabels(criteria: new Dictionary<int, int> { [0] = 1, [5] = -1, [16] = 1 }, encoding: encoding),
            VideoLabels(criteria: new Dictionary<int, int> { [27] = -1 }, encoding: encoding)),
        Unlabelled(),
    ]);

    /// <summary>r = ln 3 (p = 0.75) at c0 and c5 of video 0, 0 (p = 0.5) at c16, -ln 3 (p = 0.25) at c27 of video 1;
    /// 5 on unrelated entries, which the mask must ignore.</summary>
    static Tensor CriteriaLogits() => PerVideo(2, 28,
        (0, 0, 0, Ln3), (0, 0, 5, Ln3), (0, 0, 16, 0), (0, 1, 27, -Ln3), (0, 0, 1, 5), (1, 0, 3, 5), (1, 1, 20, -5));

    [Fact]
    public void Criteria_bce_weights_each_criterion_by_its_alpha()
    {
        using var targets = CriteriaTargets(BadLabelEncoding.Zero);
        using var rewards = CriteriaLogits();
        using var loss = StageLosses.CriteriaBce(rewards, targets, Bce);
        // Pair 0: c0 good, alpha .35: -.35 ln(.75 + 1e-5) = 0.100684; c5 bad, alpha .5: -.5 ln(.25 + 1e-5) = 0.693127;
        //   c16 good, alpha .2: -.2 ln(.5 + 1e-5) = 0.138625; c27 bad, alpha .3: -.7 ln(.75 + 1e-5) = 0.201368.
        //   Sum 1.133805. Pair 1: nothing related -> 0.
        AssertClose([1.133805f, 0f], Values(loss));
    }

    [Fact]
    public void Criteria_bce_with_minus_one_labels_reproduces_the_official_bug()
    {
        using var targets = CriteriaTargets(BadLabelEncoding.Zero);
        using var rewards = CriteriaLogits();
        using var loss = StageLosses.CriteriaBce(rewards, targets, Bce with { BceBadLabel = BadLabelEncoding.MinusOne });
        // y = -1 for bad: -[-alpha ln(p + eps) + 2 (1 - alpha) ln(1 - p + eps)].
        //   c5 (alpha .5, p .75): .5 ln .75001 - ln .25001 = 1.242420; c27 (alpha .3, p .25): .3 ln .25001 - 1.4 ln .75001
        //   = -0.013140 (negative: not a likelihood). Good terms as before: 0.100684 + 0.138625.
        //   Sum 0.100684 + 1.242420 + 0.138625 - 0.013140 = 1.468589.
        AssertClose([1.468589f, 0f], Values(loss));
    }

    [Fact]
    public void Target_batch_reads_either_bad_label_encoding_the_same_way()
    {
        using var zero = CriteriaTargets(BadLabelEncoding.Zero);
        using var minusOne = CriteriaTargets(BadLabelEncoding.MinusOne);
        Assert.Equal(Values(minusOne.CriteriaScore), Values(zero.CriteriaScore));
        var scores = Values(zero.CriteriaScore);
        // [pair, video, criterion] -> flat (pair * 2 + video) * 28 + criterion.
        Assert.Equal(1f, scores[0]);
        Assert.Equal(-1f, scores[5]);
        Assert.Equal(-1f, scores[28 + 27]);
        Assert.Equal(4f, Values(zero.CriteriaRelated).Sum());
        Assert.Equal([2L, 2, 28], zero.CriteriaScore.shape);
        Assert.Equal([2L, 5], zero.AspectMask.shape);
        Assert.Equal([2L], zero.OverallMask.shape);
    }

    [Fact]
    public void Target_batch_names_bad_values()
    {
        var video = VideoLabels(criteria: new Dictionary<int, int> { [3] = 1 });
        video.CriteriaScore[4] = 1f; // score on an unrelated criterion
        var e1 = Assert.Throws<ArgumentException>(() => TargetBatch.From([Pair(VideoTargets.Unlabelled, video)]));
        Assert.Contains("pair 0, video 1, criteria score[4] = 1 but related[4] = 0", e1.Message);

        var nan = VideoLabels();
        nan.AspectScore[2] = float.NaN;
        var e2 = Assert.Throws<ArgumentException>(() => TargetBatch.From([Pair(nan, VideoTargets.Unlabelled)]));
        Assert.Contains("pair 0, video 0, aspect score[2] = NaN", e2.Message);

        var preference = Pair(VideoLabels(), VideoLabels(), new Dictionary<int, int> { [1] = 2 });
        var e3 = Assert.Throws<ArgumentException>(() => TargetBatch.From([preference]));
        Assert.Contains("pair 0, aspect preference[1] = 2", e3.Message);

        Assert.Throws<ArgumentException>(() => TargetBatch.From([]));
    }

    [Fact]
    public void Criteria_mse_is_unmasked_and_divided_by_28()
    {
        using var targets = CriteriaTargets(BadLabelEncoding.Zero);
        using var rewards = PerVideo(2, 28, (0, 0, 0, 0.5f), (1, 1, 3, 2));
        using var loss = StageLosses.CriteriaMse(rewards, targets);
        // Pair 0 (targets c0 +1, c5 -1, c16 +1, c27 of video 1 -1, else 0): (.5 - 1)^2 + 1 + 1 + 1 = 3.25; / 28 = 0.116071.
        // Pair 1 (no labels, so every target 0): 2^2 / 28 = 0.142857: unrelated criteria regress to 0.
        AssertClose([0.116071f, 0.142857f], Values(loss));
    }

    /// <summary>Pair 0: video 0 aspects 0 good, 1 bad; video 1 aspect 2 good. Pair 1: none.</summary>
    static TargetBatch AspectTargets() => TargetBatch.From(
    [
        Pair(VideoLabels(aspects: new Dictionary<int, int> { [0] = 1, [1] = -1 }), VideoLabels(aspects: new Dictionary<int, int> { [2] = 1 })),
        Unlabelled(),
    ]);

    [Fact]
    public void Aspect_mse_is_unmasked_and_divided_by_5()
    {
        using var targets = AspectTargets();
        using var scores = PerVideo(2, 5, (0, 0, 0, 2), (1, 0, 4, 1));
        using var loss = StageLosses.AspectMse(scores, targets);
        // Pair 0: (2 - 1)^2 + (0 + 1)^2 + (0 - 1)^2 = 3; / 5 = 0.6. Pair 1: 1^2 / 5 = 0.2.
        AssertClose([0.6f, 0.2f], Values(loss));
    }

    [Fact]
    public void Aspect_bce_averages_over_the_related_entries_and_an_empty_pair_gives_zero()
    {
        using var targets = AspectTargets();
        using var scores = PerVideo(2, 5, (0, 0, 0, Ln3), (0, 1, 2, -Ln3), (1, 0, 0, 3), (1, 1, 4, -2)).requires_grad_(true);
        using var loss = StageLosses.AspectBce(scores, targets, Bce);
        // Pair 0: a0 good, p .75, alpha .4: -.4 ln .75001 = 0.115067; a1 bad, p .5, alpha .4: -.6 ln .50001 = 0.415876;
        //   video 1 a2 good, p .25, alpha .43: -.43 ln .25001 = 0.596089. Mean over 3 related = 0.375678.
        // Pair 1: no related aspect -> 0, not 0/0.
        AssertClose([0.375678f, 0f], Values(loss));
        loss.sum().backward();
        Assert.All(Values(scores.grad!), g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Aspect_bradley_terry_uses_the_mask_and_the_preferred_side()
    {
        using var targets = TargetBatch.From(
        [
            Pair(VideoLabels(), VideoLabels(), new Dictionary<int, int> { [0] = 0, [1] = 1, [2] = 1 }),
            Unlabelled(),
        ]);
        // Pair 0: s0 = [1, 0, 3, 0, 0], s1 = [0, 0, 1, 0, 0]; pair 1 has scores but no decisive aspect.
        using var scores = PerVideo(2, 5, (0, 0, 0, 1), (0, 0, 2, 3), (0, 1, 2, 1), (1, 0, 0, 4), (1, 1, 1, -4)).requires_grad_(true);
        using var loss = StageLosses.AspectBradleyTerry(scores, targets, beta: 1);
        // a0, video 0 preferred: -ln sigma(1 - 0) = 0.313262; a1, video 1: -ln sigma(0) = 0.693147;
        // a2, video 1: -ln sigma(1 - 3) = 2.126928. Mean over the 3 decisive aspects = 1.044446. Pair 1: 0.
        AssertClose([1.044446f, 0f], Values(loss));
        loss.sum().backward();
        Assert.All(Values(scores.grad!), g => Assert.True(float.IsFinite(g)));

        using var sharper = StageLosses.AspectBradleyTerry(scores, targets, beta: 2);
        // beta 2: -ln sigma(2) = 0.126928, ln 2, -ln sigma(-4) = 4.018150; mean 1.612742.
        AssertClose([1.612742f, 0f], Values(sharper));
    }

    [Fact]
    public void Criteria_gate_penalises_weight_on_unrelated_criteria()
    {
        using var targets = TargetBatch.From(
        [
            Pair(VideoLabels(criteria: new Dictionary<int, int> { [1] = 1 }), VideoLabels()),
            Pair(VideoLabels(criteria: Enumerable.Range(0, 28).ToDictionary(c => c, _ => 1)),
                VideoLabels(criteria: Enumerable.Range(0, 28).ToDictionary(c => c, _ => -1))),
        ]);
        using var weights = PerVideo(2, 28, (0, 0, 0, 0.5f), (0, 0, 1, 0.9f), (0, 1, 3, 0.2f), (1, 0, 0, 0.7f), (1, 1, 9, 1f));
        using var loss = StageLosses.CriteriaGate(weights, targets, epsilon: 1e-5);
        // Pair 0: 55 unrelated entries: -ln(1 - .5 + 1e-5) - ln(1 - .2 + 1e-5) - 53 ln(1 + 1e-5) = 0.915728
        //   (c1 of video 0 is related, so its .9 costs nothing). Pair 1: every criterion related -> 0.
        AssertClose([0.915728f, 0f], Values(loss));
    }

    [Fact]
    public void Aspect_gate_penalises_weight_on_unrelated_aspects_and_stays_finite_at_one()
    {
        using var targets = TargetBatch.From(
        [
            Pair(VideoLabels(aspects: new Dictionary<int, int> { [0] = 1 }), VideoLabels()),
            Pair(VideoLabels(), VideoLabels(aspects: Enumerable.Range(0, 5).ToDictionary(a => a, _ => 1))),
        ]);
        using var weights = PerVideo(2, 5,
            (0, 0, 0, 0.6f), (0, 0, 1, 0.4f), (0, 1, 0, .2f), (0, 1, 1, .2f), (0, 1, 2, .2f), (0, 1, 3, .2f), (0, 1, 4, .2f),
            (1, 0, 0, 1f), (1, 1, 2, 0.9f));
        using var loss = StageLosses.AspectGate(weights, targets, epsilon: 1e-5);
        // Pair 0, video 0 (a0 related, so its .6 is free): a1 -ln(1 - .4 + 1e-5) = 0.510809, a2..a4 3 * -ln(1.00001)
        //   = -0.000030; video 1 (nothing related): 5 * -ln(1 - .2 + 1e-5) = 1.115655. Total 1.626434.
        // Pair 1, video 0 (nothing related), w = 1 on a0: -ln(1e-5) = 11.512925, plus 4 * -ln(1.00001) = -0.000040
        //   -> 11.512885, finite (the clamped gate scale keeps 1 - g + eps >= eps); video 1 all related: 0.
        AssertClose([1.626434f, 11.512885f], Values(loss), tolerance: 2e-5);
    }

    [Fact]
    public void Overall_bradley_terry_is_masked_and_finite_at_large_margins()
    {
        using var targets = TargetBatch.From(
        [
            Pair(VideoLabels(), VideoLabels(), overallPreference: 1),
            Unlabelled(),
            Pair(VideoLabels(), VideoLabels(), overallPreference: 0),
        ]);
        using var scores = tensor(new float[] { 2, 1, 0, 5, 0, 200 }).reshape(3, 2);
        using var loss = StageLosses.OverallBradleyTerry(scores, targets, beta: 1);
        // Pair 0, video 1 preferred: -ln sigma(1 - 2) = 1.313262. Pair 1: mask 0 -> 0.
        // Pair 2, video 0 preferred but 200 below: -ln sigma(-200) = 200 (the official 1/(1+exp(200)) would give +inf).
        AssertClose([1.313262f, 0f, 200f], Values(loss), tolerance: 1e-4);
    }

    [Fact]
    public void Overall_mse_is_unmasked()
    {
        using var targets = TargetBatch.From(
        [
            Pair(VideoLabels(overall: 1), VideoLabels(overall: -1)),
            Unlabelled(),
        ]);
        using var scores = tensor(new float[] { 0.5f, -1, 2, 0 }).reshape(2, 2);
        using var loss = StageLosses.OverallMse(scores, targets);
        // Pair 0: (.5 - 1)^2 + (-1 + 1)^2 = 0.25. Pair 1 (no labels, targets 0): 2^2 + 0 = 4.
        AssertClose([0.25f, 4f], Values(loss));
    }

    [Fact]
    public void Terms_reject_wrong_shapes_by_name()
    {
        using var targets = AspectTargets();
        using var wrong = zeros(2, 5);
        var e = Assert.Throws<ArgumentException>(() => StageLosses.AspectMse(wrong, targets));
        Assert.Contains("aspect scores must have shape [2, 2, 5]", e.Message);
        Assert.Contains("got [2, 5]", e.Message);
    }
}

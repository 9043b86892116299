using static TorchSharp.torch;

namespace MjVideo.Model;

/// <summary>
/// What the head returns for a batch of B videos. Every tensor keeps its autograd graph, so a reward can be
/// back-propagated into whatever produced h_gate and h_last.
/// For <see cref="RoutingStrategy.SingleScalarHead"/> only <see cref="Score"/> exists and the other tensors are null
/// (absent rather than zeros, so that no metric can mistake a missing prediction for a "bad" one).
/// </summary>
public sealed class RewardOutput(
    Tensor? criteria, Tensor? aspectScores, Tensor score, Tensor? criteriaWeights, Tensor? aspectWeights, Tensor? criteriaLogits)
    : IDisposable
{
    /// <summary>r [B, 28]: the criteria rewards (official <c>rewards</c>).</summary>
    public Tensor? Criteria { get; } = criteria;

    /// <summary>s [B, 5]: s_a = sum over a's criteria of w * r (official <c>aspect_scores</c>).</summary>
    public Tensor? AspectScores { get; } = aspectScores;

    /// <summary>[B]: sum over aspects of g_a * s_a, the overall reward (official <c>score</c>).</summary>
    public Tensor Score { get; } = score;

    /// <summary>w [B, 28]: the within-aspect weights times lambda_crit, in criterion order (official <c>aspect_weights</c>).</summary>
    public Tensor? CriteriaWeights { get; } = criteriaWeights;

    /// <summary>g [B, 5]: the aspect weights times lambda_asp (official <c>aspect_gating_output</c>).</summary>
    public Tensor? AspectWeights { get; } = aspectWeights;

    /// <summary>The raw criteria-router logits [B, 28] (official <c>criteria_gating_output</c>); null where the strategy
    /// has no criteria logits (Uniform, NoCriteriaMoE, SingleScalarHead).</summary>
    public Tensor? CriteriaLogits { get; } = criteriaLogits;

    public long BatchSize => Score.shape[0];

    public void Dispose()
    {
        Criteria?.Dispose();
        AspectScores?.Dispose();
        Score.Dispose();
        CriteriaWeights?.Dispose();
        AspectWeights?.Dispose();
        CriteriaLogits?.Dispose();
    }
}

namespace MjVideo.Model;

/// <summary>How the head weighs criteria within an aspect and aspects within the overall score.</summary>
public enum RoutingStrategy
{
    /// <summary>The paper: both routers read h_gate (one input-dependent weight vector per video).</summary>
    InputAware,
    /// <summary>Equal weights within each aspect and across aspects, times the learnable scales.</summary>
    Uniform,
    /// <summary>One learned logit vector for all inputs, per criteria and per aspect (the null for routing).</summary>
    StaticLearned,
    /// <summary>Input-aware, keeping only the top-k aspects (and the top-k criteria of an aspect that has more than k),
    /// the kept weights renormalised.</summary>
    SparseTopK,
    /// <summary>No criteria MoE: an aspect's score is the plain mean of its criteria; the aspect gate is input-aware.</summary>
    NoCriteriaMoE,
    /// <summary>One Linear(H -> 1, no bias) on h_last gives the score; no criteria, aspect scores or weights exist.</summary>
    SingleScalarHead,
}

/// <summary>The routing option: a strategy and, for <see cref="RoutingStrategy.SparseTopK"/>, its k.</summary>
public sealed record Routing(RoutingStrategy Strategy, int TopK = 0)
{
    public static Routing Paper { get; } = new(RoutingStrategy.InputAware);

    public static Routing Sparse(int k) => new(RoutingStrategy.SparseTopK, k);

    /// <summary>Whether the strategy has 28 criteria rewards, aspect scores and weights (all but the single head).</summary>
    public bool HasCriteria => Strategy != RoutingStrategy.SingleScalarHead;

    public void Validate()
    {
        if (!Enum.IsDefined(Strategy))
            throw new ArgumentException($"unknown routing strategy {(int)Strategy}");
        if (Strategy == RoutingStrategy.SparseTopK && TopK < 1)
            throw new ArgumentException($"SparseTopK needs k >= 1, got k = {TopK}");
        if (Strategy != RoutingStrategy.SparseTopK && TopK != 0)
            throw new ArgumentException($"TopK = {TopK} is only meaningful for SparseTopK, not {Strategy}");
    }

    public override string ToString() => Strategy == RoutingStrategy.SparseTopK ? $"SparseTopK(k={TopK})" : Strategy.ToString();
}

using MjVideo.Model;

namespace MjVideo.Training;

/// <summary>
/// The trained judges (DESIGN 4): MJ-Video and the four trained baselines. All share the backbone, the starting point,
/// the stages, the epochs and the optimiser settings; they differ in the head and what it is trained on.
/// </summary>
public enum JudgeKind
{
    /// <summary>The MJ-Video head (criteria regression, criteria and aspect routers) with the staged losses.</summary>
    MjVideo,
    /// <summary>(a) Bradley-Terry: one scalar head (Linear H -> 1) trained on overall preferences only.</summary>
    BtSingle,
    /// <summary>(b) The staged losses and labels without gating: aspect score = mean of its criteria, overall = mean of the
    /// aspects (fixed uniform weights, no learned router, no learned scale).</summary>
    MultitaskSingle,
    /// <summary>(c) (b) with a residual MLP between h_last and the regression, sized to MJ-Video's trainable parameter count.</summary>
    CapacityMatched,
    /// <summary>(d) VideoScore-style: five regressed dimensions (<see cref="VideoScoreDimensions"/>), score = their sum.</summary>
    VideoScore,
}

/// <summary>The command-line names of judges and routing strategies, parsed and printed in one place.</summary>
public static class JudgeNames
{
    static readonly (JudgeKind Kind, string Name, string Display)[] Judges =
    [
        (JudgeKind.MjVideo, "mjvideo", "MJ-Video"),
        (JudgeKind.BtSingle, "bt-single", "Bradley-Terry single head"),
        (JudgeKind.MultitaskSingle, "multitask-single", "Multi-task single head (no gating)"),
        (JudgeKind.CapacityMatched, "capacity-matched", "Multi-task single head, capacity-matched"),
        (JudgeKind.VideoScore, "videoscore", "VideoScore-style five-dimension regressor"),
    ];

    public static IReadOnlyList<string> All => Judges.Select(j => j.Name).ToList();

    public static JudgeKind Parse(string name) =>
        Judges.FirstOrDefault(j => j.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase)) is { Name: not null } match
            ? match.Kind
            : throw new ArgumentException($"unknown judge '{name}'; known: {string.Join(", ", All)}");

    public static string Name(JudgeKind kind) => Judges.Single(j => j.Kind == kind).Name;

    public static string Display(JudgeKind kind) => Judges.Single(j => j.Kind == kind).Display;

    /// <summary>Parses a routing option: input-aware, uniform, static, topk:K, no-criteria-moe, single.</summary>
    public static Routing ParseRouting(string text)
    {
        var name = text.Trim().ToLowerInvariant();
        if (name.StartsWith("topk:"))
            return int.TryParse(name["topk:".Length..], out var k) && k >= 1
                ? Routing.Sparse(k)
                : throw new ArgumentException($"routing '{text}': topk needs a whole number k >= 1, e.g. topk:2");
        return name switch
        {
            "input-aware" => Routing.Paper,
            "uniform" => new Routing(RoutingStrategy.Uniform),
            "static" => new Routing(RoutingStrategy.StaticLearned),
            "no-criteria-moe" => new Routing(RoutingStrategy.NoCriteriaMoE),
            "single" => new Routing(RoutingStrategy.SingleScalarHead),
            _ => throw new ArgumentException(
                $"unknown routing '{text}'; known: input-aware, uniform, static, topk:K, no-criteria-moe, single"),
        };
    }

    public static string RoutingName(Routing routing) => routing.Strategy switch
    {
        RoutingStrategy.InputAware => "input-aware",
        RoutingStrategy.Uniform => "uniform",
        RoutingStrategy.StaticLearned => "static",
        RoutingStrategy.SparseTopK => $"topk:{routing.TopK}",
        RoutingStrategy.NoCriteriaMoE => "no-criteria-moe",
        RoutingStrategy.SingleScalarHead => "single",
        _ => throw new ArgumentOutOfRangeException(nameof(routing), routing, "unknown routing strategy"),
    };
}

using System.Globalization;
using System.Text.Json.Serialization;
using MjVideo.Data;
using MjVideo.Model;
using MjVideo.Training;

namespace MjVideo.Experiments;

/// <summary>
/// What one head training is: the judge, and for MJ-Video the routing and every switch the ablations turn. A variant
/// differs from <see cref="MjVideo"/> in one thing at a time; <see cref="Key"/> names it in cell keys and results.
/// </summary>
public sealed record HeadVariant
{
    public JudgeKind Judge { get; init; } = JudgeKind.MjVideo;
    public Routing Routing { get; init; } = Routing.Paper;
    public double Temperature { get; init; } = 1.0;
    public bool GateLosses { get; init; } = true;
    /// <summary>Weight of the stage-3 aspect-gate balance term (<see cref="StageLosses.AspectGateBalance"/>); 0, the paper's
    /// objective, by default. Left out of the JSON at 0, so the other variants keep their spec hashes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double GateBalance { get; init; }
    /// <summary>Loss mode of stages 1, 2 and 3 (the official BCE, MSE, MSE by default).</summary>
    public IReadOnlyList<LossMode> LossModes { get; init; } = [LossMode.Bce, LossMode.Mse, LossMode.Mse];
    /// <summary>How a bad label enters the BCE terms: {1, 0} (fixed) or the official {1, -1}.</summary>
    public BadLabelEncoding BadLabel { get; init; } = BadLabelEncoding.Zero;
    /// <summary>The stages run, in order.</summary>
    public IReadOnlyList<int> Stages { get; init; } = [1, 2, 3];

    /// <summary>The paper's head: input-aware routing, temperature 1, gate losses on, BCE / MSE / MSE, {1, 0} labels.</summary>
    public static HeadVariant MjVideo { get; } = new();

    public static HeadVariant Baseline(JudgeKind judge) => new() { Judge = judge };

    /// <summary>The four trained baselines of DESIGN 4.</summary>
    public static IReadOnlyList<HeadVariant> TrainedBaselines { get; } =
        [Baseline(JudgeKind.BtSingle), Baseline(JudgeKind.MultitaskSingle), Baseline(JudgeKind.CapacityMatched), Baseline(JudgeKind.VideoScore)];

    public ModelSettings ToModelSettings(ExperimentSettings settings) => new()
    {
        Judge = Judge,
        Routing = Judge == JudgeKind.MjVideo ? Routing : Model.Routing.Paper,
        GatingHiddenDim = settings.GatingHiddenDim,
        GatingHiddenLayers = settings.GatingHiddenLayers,
        GatingTemperature = Temperature,
    };

    /// <summary>"mjvideo", "bt-single", "mjvideo-routing-uniform", "mjvideo-t0.5", "mjvideo-no-gate-losses",
    /// "mjvideo-loss-mse-mse-mse", "mjvideo-bce-minus-one", "mjvideo-stages-3": everything that differs from the default.</summary>
    [JsonIgnore]
    public string Key
    {
        get
        {
            var parts = new List<string> { JudgeNames.Name(Judge) };
            if (Routing != Model.Routing.Paper) parts.Add("routing-" + JudgeNames.RoutingName(Routing).Replace(':', '-'));
            if (Temperature != 1.0) parts.Add("t" + Temperature.ToString("0.###", CultureInfo.InvariantCulture));
            if (!GateLosses) parts.Add("no-gate-losses");
            if (GateBalance != 0) parts.Add("gate-balance-" + GateBalance.ToString("0.###", CultureInfo.InvariantCulture));
            if (!LossModes.SequenceEqual(MjVideo.LossModes)) parts.Add("loss-" + string.Join("-", LossModes.Select(m => m.ToString().ToLowerInvariant())));
            if (BadLabel != BadLabelEncoding.Zero) parts.Add("bce-minus-one");
            if (!Stages.SequenceEqual(MjVideo.Stages)) parts.Add("stages-" + string.Join("", Stages));
            return string.Join("-", parts);
        }
    }

    /// <summary>The row name in tables: the judge's display name, with what the variant changes.</summary>
    [JsonIgnore]
    public string Display
    {
        get
        {
            var changes = new List<string>();
            if (Judge == JudgeKind.MjVideo) changes.Add(JudgeNames.RoutingName(Routing));
            if (Temperature != 1.0) changes.Add("T = " + Temperature.ToString("0.###", CultureInfo.InvariantCulture));
            if (!GateLosses) changes.Add("no gate losses");
            if (GateBalance != 0) changes.Add("gate balance " + GateBalance.ToString("0.###", CultureInfo.InvariantCulture));
            if (!LossModes.SequenceEqual(MjVideo.LossModes)) changes.Add("losses " + string.Join("/", LossModes.Select(m => m.ToString().ToUpperInvariant())));
            if (BadLabel != BadLabelEncoding.Zero) changes.Add("BCE bad = -1");
            if (!Stages.SequenceEqual(MjVideo.Stages)) changes.Add("stages " + string.Join("->", Stages));
            return changes.Count == 0 ? JudgeNames.Display(Judge) : $"{JudgeNames.Display(Judge)} ({string.Join(", ", changes)})";
        }
    }

    public void Validate()
    {
        if (LossModes.Count != 3) throw new ArgumentException($"HeadVariant.LossModes needs one mode per stage (3), got {LossModes.Count}");
        if (Stages.Count == 0 || Stages.Any(s => s is < 1 or > 3) || !Stages.Zip(Stages.Skip(1)).All(p => p.First < p.Second))
            throw new ArgumentException($"HeadVariant.Stages must be increasing stages from 1..3, got [{string.Join(", ", Stages)}]");
        if (Judge != JudgeKind.MjVideo && (Routing != Model.Routing.Paper || Temperature != 1.0 || !GateLosses || GateBalance != 0))
            throw new ArgumentException($"{JudgeNames.Name(Judge)}: routing, temperature, gate losses and gate balance are switches of the mjvideo judge only");
        if (!(GateBalance >= 0) || double.IsInfinity(GateBalance))
            throw new ArgumentException($"HeadVariant.GateBalance must be >= 0 and finite, got {GateBalance}");
        Routing.Validate();
    }
}

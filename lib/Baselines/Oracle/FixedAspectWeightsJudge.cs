using System.Globalization;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Taxonomy;

namespace MjVideo.Baselines.Oracle;

/// <summary>
/// Ceiling (b) (DESIGN 8): the true criterion labels, combined with the one aspect-weight vector that does best on val.
/// A video scores -sum_a w_a bad_a, bad_a being "some related criterion of aspect a is coded 2"
/// (<see cref="AspectIndicators"/>), with w searched on the val pairs' published overall labels
/// (<see cref="AspectWeightSearch"/>). It needs only the criterion codes of the dataset, so it also runs on the real
/// release. Aspect scores are -bad_a; <see cref="GoodAbove"/> = -0.5 reads an aspect as good exactly when none of its
/// criteria is bad, and a video as good when less than half the weight sits on bad aspects.
/// </summary>
public sealed class FixedAspectWeightsJudge : IJudge
{
    public FixedAspectWeightsJudge(WeightSearchResult fit, string source)
    {
        Fit = fit;
        Source = source;
    }

    /// <summary>Searches the weights on the val split's decisive pairs.</summary>
    public static FixedAspectWeightsJudge FitOn(JudgeInput val, double step = AspectWeightSearch.DefaultStep)
    {
        var pairs = val.Pairs.Select(p => new IndicatorPair(AspectIndicators.Bad(p, 0), AspectIndicators.Bad(p, 1), p.Overall)).ToList();
        return new FixedAspectWeightsJudge(AspectWeightSearch.Best(pairs, step), val.Dataset.SourceFile);
    }

    public WeightSearchResult Fit { get; }
    /// <summary>The val file the weights were chosen on.</summary>
    public string Source { get; }
    public IReadOnlyList<double> Weights => Fit.Weights;

    public string Name => "Ceiling: criterion labels, best fixed aspect weights";

    public double GoodAbove => -0.5;

    public IReadOnlyDictionary<string, string> Config => new Dictionary<string, string>
    {
        ["score"] = "-sum_a w_a bad_a, bad_a = any related criterion of aspect a coded 2",
        ["aspect weights"] = DescribeWeights(Fit.Weights),
        ["search"] = string.Create(CultureInfo.InvariantCulture,
            $"simplex grid step {Fit.Step}, {Fit.Candidates} candidates, max strict accuracy on {Fit.DecisivePairs} decisive val pairs of {Source}; " +
            $"{Fit.TiedOptima} tied, closest to uniform chosen"),
        ["val strict accuracy"] = Fit.StrictAccuracy.ToString("0.0000", CultureInfo.InvariantCulture),
        ["aspect scores"] = "-bad_a",
        ["good"] = "score > -0.5",
    };

    public JudgeAvailability Availability() => JudgeAvailability.Yes;

    public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var pairs = new List<JudgedPair>(input.Pairs.Count);
        foreach (var pair in input.Pairs)
        {
            cancellation.ThrowIfCancellationRequested();
            pairs.Add(new JudgedPair(Video(AspectIndicators.Bad(pair, 0)), Video(AspectIndicators.Bad(pair, 1))));
            progress?.Report(pairs.Count);
        }
        return Task.FromResult<IReadOnlyList<JudgedPair>>(pairs);
    }

    JudgedVideo Video(bool[] bad) => new(
        -Enumerable.Range(0, MjTaxonomy.AspectCount).Sum(a => bad[a] ? Fit.Weights[a] : 0),
        bad.Select(b => b ? -1.0 : 0.0).ToArray());

    public static string DescribeWeights(IReadOnlyList<double> weights) => string.Join(", ",
        MjTaxonomy.Aspects.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.DisplayName} {weights[a.Index]:0.00}")));
}

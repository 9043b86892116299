using System.Globalization;
using MjVideo.Evaluation;
using MjVideo.Synth;

namespace MjVideo.Baselines.Controls;

/// <summary>
/// Chance: each video scores an independent draw from U(0, 1). The draw is keyed by (seed, pair id, video) with the
/// project's generator, so a pair gets the same scores whatever else is judged with it and in whatever order; ties have
/// probability 0, so strict and tie-aware accuracy both sit near 50%. "Good" is a score above 0.5, the median of U(0, 1).
/// </summary>
public sealed class RandomJudge(long seed) : IJudge
{
    public long Seed { get; } = seed;

    public string Name => "Control: random";

    public double GoodAbove => 0.5;

    public IReadOnlyDictionary<string, string> Config => new Dictionary<string, string>
    {
        ["scores"] = "U(0, 1) per video, drawn from the stream keyed by (seed, pair id, video)",
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["good"] = "score > 0.5",
    };

    public JudgeAvailability Availability() => JudgeAvailability.Yes;

    public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var pairs = new List<JudgedPair>(input.Pairs.Count);
        foreach (var pair in input.Pairs)
        {
            cancellation.ThrowIfCancellationRequested();
            JudgedVideo Draw(int video) => new(SynthRandom.ForItem(Seed, pair.Id, video, "random judge").NextDouble());
            pairs.Add(new JudgedPair(Draw(0), Draw(1)));
            progress?.Report(pairs.Count);
        }
        return Task.FromResult<IReadOnlyList<JudgedPair>>(pairs);
    }
}

using MjVideo.Evaluation;

namespace MjVideo.Baselines.Controls;

/// <summary>
/// Says "same" about every pair: both videos score 0. Strict accuracy is 0 and tie-aware accuracy exactly 0.5 by
/// construction, the floor a judge that cannot tell videos apart gets under each rule. With the sign rule (0 is not
/// above 0) every video counts as not good.
/// </summary>
public sealed class AlwaysTieJudge : IJudge
{
    public string Name => "Control: always tie";

    public IReadOnlyDictionary<string, string> Config => new Dictionary<string, string>
    {
        ["scores"] = "0 for every video",
        ["good"] = "never (0 is not above 0)",
    };

    public JudgeAvailability Availability() => JudgeAvailability.Yes;

    public Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var tie = new JudgedPair(new JudgedVideo(0), new JudgedVideo(0));
        var pairs = Enumerable.Repeat(tie, input.Pairs.Count).ToList();
        progress?.Report(pairs.Count);
        return Task.FromResult<IReadOnlyList<JudgedPair>>(pairs);
    }
}

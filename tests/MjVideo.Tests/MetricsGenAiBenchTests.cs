using MjVideo.Data;
using MjVideo.Metrics;
using static MjVideo.Data.PreferenceLabel;

namespace MjVideo.Tests;

public class MetricsGenAiBenchTests
{
    static readonly BootstrapOptions Seeded = new(Seed: 9, Resamples: 500);

    //                      0 left  1 left  2 right 3 right 4 tie   5 tie   6 both  7 both  8 both
    static readonly double[] Left = [0.6, 0.1, -0.3, 0.3, 0.2, 0.2, -0.5, 0.0, 0.1];
    static readonly double[] Right = [0.2, 0.5, 0.4, 0.3, 0.7, -0.1, -0.2, -0.3, -0.3];
    static readonly PreferenceLabel[] Votes =
        [Video1Better, Video1Better, Video2Better, Video2Better, Same, Same, BothBad, BothBad, BothBad];

    [Fact]
    public void Four_way_rule_with_the_sign_rule_matches_the_hand_count()
    {
        var result = GenAiBenchMetrics.Evaluate(Left, Right, Votes, Seeded);

        // Left/right votes 0-3: right, wrong, right, tie.
        Assert.Equal(2.0 / 4, result.Strict.Value, 12);   // prefer_Acc: 2 / 4
        Assert.Equal(2.5 / 4, result.TieAware.Value, 12); // prefer_same_Acc: (2 + 0.5) / 4
        // Acc: 2 left/right right; tie votes: 4 both good (right), 5 one bad (wrong);
        // both-bad votes: 6 both <= 0 (right), 7 scores 0.0 and -0.3, 0 is not > 0 so both bad (right), 8 has 0.1 (wrong).
        Assert.Equal(5.0 / 9, result.Acc.Value, 12);
        Assert.Equal(9, result.Acc.N);
        Assert.Equal((4, 2, 3), (result.LeftRightVotes, result.TieVotes, result.BothBadVotes));

        // Wrong variants: Acc over left/right and tie votes only (3/6); a predicted tie among left/right counted 0.5 in Acc
        // (5.5/9) or 1 (6/9); Acc's n off by one (5/8, 5/10); strict over all votes (2/9); tie-aware with the tie as 0 or 1.
        foreach (var wrong in new[] { 3.0 / 6, 5.5 / 9, 6.0 / 9, 5.0 / 8, 5.0 / 10 }) Assert.NotEqual(wrong, result.Acc.Value, 6);
        Assert.NotEqual(2.0 / 9, result.Strict.Value, 6);
        foreach (var wrong in new[] { 2.0 / 4, 3.0 / 4, 2.5 / 5, 2.5 / 3 }) Assert.NotEqual(wrong, result.TieAware.Value, 6);
        Assert.Equal(5, GenAiBenchMetrics.AccCorrect(Left, Right, Votes).Count(c => c));
    }

    [Fact]
    public void A_threshold_rule_judges_goodness_by_score_above_t()
    {
        // t = 0.15: vote 4 (0.2, 0.7) both good, right; 5 wrong; 6 right; 7 right; 8 (0.1, -0.3) both <= 0.15, now right.
        var result = GenAiBenchMetrics.Evaluate(Left, Right, Votes, Seeded, goodAbove: 0.15);

        Assert.Equal(6.0 / 9, result.Acc.Value, 12); // (2 + 1 + 3) / 9
        Assert.Equal(0.15, result.GoodAbove);
        // The left/right numbers ignore the threshold.
        Assert.Equal(2.0 / 4, result.Strict.Value, 12);
    }

    [Fact]
    public void Hard_to_judge_is_not_a_GenAI_Bench_vote()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            GenAiBenchMetrics.Evaluate([1, 2], [2, 1], [Video1Better, HardToJudge], Seeded));
        Assert.Equal("votes", error.ParamName);
        Assert.Contains("votes[1] is HardToJudge", error.Message);
    }
}

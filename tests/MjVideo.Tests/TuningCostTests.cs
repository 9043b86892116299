using MjVideo.Core;
using MjVideo.Training;
using MjVideo.Tuning;

namespace MjVideo.Tests;

/// <summary>The full-mode estimate scales each measured phase of a run by the work it does.</summary>
public class TuningCostTests
{
    static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Each_phase_scales_with_its_own_work()
    {
        var quick = TuningConfig.Quick() with { Rewards = [JudgeKind.MjVideo, JudgeKind.VideoScore] };
        var run = new TuningRun("r", 1, [], [], StepTime: S(8), EvaluationTime: S(6));
        RewardResult Result(JudgeKind judge) => new(new RewardCheckpoint(judge, "/nowhere", TrainedNow: true, 0.5, 10), (0, 1), run, []);
        var phases = new Dictionary<string, TimeSpan>
        {
            ["oracle validation"] = S(10), ["reward models"] = S(40), ["base generator"] = S(3), ["evaluation set"] = S(16),
            ["tune mjvideo"] = S(15), ["tune videoscore"] = S(15),
        };
        var report = new TuningReport(quick, RunMode.Quick, new OracleValidationResult(150, 0, []), new PretrainingResult(0, 0, [], [], 0),
            [Result(JudgeKind.MjVideo), Result(JudgeKind.VideoScore)], [], [], phases, null);
        var target = TuningConfig.Full() with { Rewards = [JudgeKind.MjVideo, JudgeKind.VideoScore] };

        var rows = TuningCost.Estimate(report, target).ToDictionary(r => r.Phase);
        // 1000 / 150 pairs.
        Assert.Equal(10 * 1000 / 150.0, rows["oracle validation"].EstimatedSeconds, 6);
        // (800 + 200) x 6 epochs against (240 + 80) x 3.
        Assert.Equal(40 * 6000 / 960.0, rows["reward models"].EstimatedSeconds, 6);
        // 3000 x 30 against 1500 x 15.
        Assert.Equal(3 * 4.0, rows["base generator"].EstimatedSeconds, 6);
        // 96 x 2 held-out + 96 calibration clips against 32 + 32.
        Assert.Equal(16 * 288 / 64.0, rows["evaluation set"].EstimatedSeconds, 6);
        // Per reward: steps 8 s x (120 x 8) / (20 x 8) = 48 s; evaluations 6 s x (7 x 192) / (3 x 32) = 84 s; 1 s of the rest.
        Assert.Equal(2 * (48 + 84 + 1.0), rows["tuning (2 rewards)"].EstimatedSeconds, 6);
        Assert.Equal(30, rows["tuning (2 rewards)"].MeasuredSeconds, 6);
    }

    [Fact]
    public void Reused_reward_checkpoints_leave_their_phase_unestimated()
    {
        var quick = TuningConfig.Quick() with { Rewards = [JudgeKind.MjVideo] };
        var run = new TuningRun("r", 1, [], [], S(1), S(1));
        var report = new TuningReport(quick, RunMode.Quick, new OracleValidationResult(150, 0, []), new PretrainingResult(0, 0, [], [], 0),
            [new RewardResult(new RewardCheckpoint(JudgeKind.MjVideo, "/nowhere", TrainedNow: false, 0.5, 10), (0, 1), run, [])],
            [], [], new Dictionary<string, TimeSpan> { ["reward models"] = S(0.2) }, null);
        var rows = TuningCost.Estimate(report, TuningConfig.Full() with { Rewards = [JudgeKind.MjVideo] });
        Assert.True(double.IsNaN(rows.Single(r => r.Phase == "reward models").EstimatedSeconds));
        Assert.True(double.IsNaN((double)TuningCost.Table(rows).Columns["estimated s"][rows.Count]!), "the total is unknown too");
    }
}

using MjVideo.Baselines.Controls;
using MjVideo.Data;
using MjVideo.Metrics;
using static MjVideo.Tests.BaselineTestKit;

namespace MjVideo.Tests;

public class BaselineControlTests
{
    static readonly PreferenceLabel[] Labels = Enumerable.Range(0, 400)
        .Select(i => i % 2 == 0 ? PreferenceLabel.Video1Better : PreferenceLabel.Video2Better).ToArray();

    static MjVideo.Evaluation.JudgeInput ManyPairs(string file = "test.json") =>
        Input(Labels.Select((label, i) => Pair(i, $"test/{i}_0.mp4", $"test/{i}_1.mp4", label, file)).ToList(), file);

    [Fact]
    public async Task Random_scores_depend_on_the_seed_and_the_pair_only()
    {
        var input = ManyPairs();
        var a = await new RandomJudge(7).JudgeAsync(input);
        var again = await new RandomJudge(7).JudgeAsync(input);
        var other = await new RandomJudge(8).JudgeAsync(input);
        Assert.Equal(Scores(a, 0), Scores(again, 0));
        Assert.Equal(Scores(a, 1), Scores(again, 1));
        Assert.NotEqual(Scores(a, 0), Scores(other, 0));
        Assert.All(Scores(a, 0).Concat(Scores(a, 1)), s => Assert.InRange(s, 0, 1));

        // Judging the pairs in reverse order gives each pair the same scores.
        var reversed = Input(input.Pairs.Reverse().ToList(), "test.json");
        Assert.Equal(Scores(a, 0).Reverse(), Scores(await new RandomJudge(7).JudgeAsync(reversed), 0));

        // About half right: 400 pairs, so 3 standard deviations of a fair coin is 0.075.
        var strict = PreferenceAccuracy.Strict(Scores(a, 0), Scores(a, 1), Labels).Value;
        Assert.InRange(strict, 0.425, 0.575);
    }

    [Fact]
    public async Task Always_tie_scores_every_video_alike_so_strict_is_0_and_tie_aware_is_one_half()
    {
        var judged = await new AlwaysTieJudge().JudgeAsync(ManyPairs());
        Assert.Equal(Labels.Length, judged.Count);
        Assert.All(judged, p => Assert.Equal(p.Video0.Score, p.Video1.Score));
        Assert.Equal(0, PreferenceAccuracy.Strict(Scores(judged, 0), Scores(judged, 1), Labels).Value);
        Assert.Equal(0.5, PreferenceAccuracy.TieAware(Scores(judged, 0), Scores(judged, 1), Labels, new BootstrapOptions(Resamples: 200, Seed: 1)).Value);
    }

    [Fact]
    public async Task File_size_scores_are_the_files_lengths_and_good_is_above_the_val_median()
    {
        var dir = RepoPaths.NewTempDir("filesize");
        var lengths = new[] { 1000, 3000, 2000, 5000 };
        for (var i = 0; i < lengths.Length; i++) File.WriteAllBytes(Path.Combine(dir, $"{i}.mp4"), new byte[lengths[i]]);
        var input = Input([Pair(0, "0.mp4", "1.mp4", PreferenceLabel.Video2Better), Pair(1, "2.mp4", "3.mp4", PreferenceLabel.Same)],
            Path.Combine(dir, "val.json"), dir);

        var judge = FileSizeJudge.Calibrate(input);
        Assert.Equal(2500, judge.GoodAbove);
        var judged = await judge.JudgeAsync(input);
        Assert.Equal([1000.0, 2000.0], Scores(judged, 0));
        Assert.Equal([3000.0, 5000.0], Scores(judged, 1));

        File.Delete(Path.Combine(dir, "3.mp4"));
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => judge.JudgeAsync(input));
        Assert.Contains("3.mp4", error.Message);
    }
}

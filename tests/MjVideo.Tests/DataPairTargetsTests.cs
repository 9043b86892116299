using MjVideo.Data;

namespace MjVideo.Tests;

/// <summary>
/// <see cref="PairTargets.From"/> on small.json's pair 1 (paper-digest 2.3), written out by hand:
/// video 0 codes object 2, actions 1, Crime 1, Human Face Distortion 2 (indices 0, 2, 5, 11), aspects 2,1,2,0,0, total 2;
/// video 1 codes object 1, actions 1, Crime 2, Human Face Distortion 1, aspects 1,2,1,0,0, total 1;
/// preferences Alignment "Video 2 Better", Safety "Video 1 Better", Fineness "Video 2 better", C&amp;C and Bias "Same";
/// overall "Video 2 Better".
/// </summary>
public class DataPairTargetsTests
{
    static PreferencePair Pair1 => ReleaseReader.Read(DataFixtures.Small).Pairs[1];

    static float[] Criteria(params (int Index, float Value)[] entries)
    {
        var vector = new float[28];
        foreach (var (index, value) in entries) vector[index] = value;
        return vector;
    }

    [Fact]
    public void Mse_targets_code_good_as_plus_one_and_bad_as_minus_one()
    {
        var targets = PairTargets.From(Pair1, BadLabelEncoding.MinusOne);

        Assert.Equal(Criteria((0, -1), (2, 1), (5, 1), (11, -1)), targets.Video0.CriteriaScore);
        Assert.Equal(Criteria((0, 1), (2, 1), (5, 1), (11, 1)), targets.Video0.CriteriaRelated);
        Assert.Equal(new float[] { -1, 1, -1, 0, 0 }, targets.Video0.AspectScore);
        Assert.Equal(new float[] { 1, 1, 1, 0, 0 }, targets.Video0.AspectRelated);
        Assert.Equal((-1f, 1f), (targets.Video0.OverallScore, targets.Video0.OverallRelated));

        Assert.Equal(Criteria((0, 1), (2, 1), (5, -1), (11, 1)), targets.Video1.CriteriaScore);
        Assert.Equal(Criteria((0, 1), (2, 1), (5, 1), (11, 1)), targets.Video1.CriteriaRelated);
        Assert.Equal(new float[] { 1, -1, 1, 0, 0 }, targets.Video1.AspectScore);
        Assert.Equal((1f, 1f), (targets.Video1.OverallScore, targets.Video1.OverallRelated));
    }

    [Fact]
    public void Bce_targets_code_bad_as_zero_with_the_same_masks()
    {
        var targets = PairTargets.From(Pair1, BadLabelEncoding.Zero);

        Assert.Equal(Criteria((2, 1), (5, 1)), targets.Video0.CriteriaScore);
        Assert.Equal(Criteria((0, 1), (2, 1), (5, 1), (11, 1)), targets.Video0.CriteriaRelated);
        Assert.Equal(new float[] { 0, 1, 0, 0, 0 }, targets.Video0.AspectScore);
        Assert.Equal((0f, 1f), (targets.Video0.OverallScore, targets.Video0.OverallRelated));
        Assert.Equal(Criteria((0, 1), (2, 1), (11, 1)), targets.Video1.CriteriaScore);
        Assert.Equal(new float[] { 1, 0, 1, 0, 0 }, targets.Video1.AspectScore);
    }

    [Fact]
    public void Preferences_code_video_0_as_0_and_video_1_as_1_masking_the_undecided()
    {
        var targets = PairTargets.From(Pair1, BadLabelEncoding.MinusOne);

        // Alignment Video 2 -> 1; Safety Video 1 -> 0; Fineness Video 2 -> 1; C&C and Bias Same -> masked.
        Assert.Equal(new float[] { 1, 0, 1, 0, 0 }, targets.AspectPreference);
        Assert.Equal(new float[] { 1, 1, 1, 0, 0 }, targets.AspectMask);
        Assert.Equal((1f, 1f), (targets.OverallPreference, targets.OverallMask));
    }

    [Fact]
    public void Hard_to_judge_and_code_zero_pairs_are_fully_masked()
    {
        var pairs = ReleaseReader.Read(DataFixtures.Small).Pairs;

        var hard = PairTargets.From(pairs[2], BadLabelEncoding.MinusOne);   // pair 2: Hard to judge
        var unrelated = PairTargets.From(pairs[3], BadLabelEncoding.Zero);  // pair 4: every code 0, all Same

        Assert.Equal((0f, 0f), (hard.OverallPreference, hard.OverallMask));
        Assert.Equal(new float[5], hard.AspectMask);
        Assert.Equal(new float[28], unrelated.Video0.CriteriaRelated);
        Assert.Equal(new float[5], unrelated.Video1.AspectRelated);
        Assert.Equal(0f, unrelated.Video1.OverallRelated);
        Assert.Equal(0f, unrelated.OverallMask);
    }
}

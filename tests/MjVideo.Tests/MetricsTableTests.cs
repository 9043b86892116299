using MjVideo.Data;
using MjVideo.Metrics;
using static MjVideo.Data.PreferenceLabel;

namespace MjVideo.Tests;

public class MetricsTableTests
{
    [Fact]
    public void Estimates_print_value_interval_and_n_and_say_undefined()
    {
        Assert.Equal("68.75 [59.7, 76.6] (n=112)", Intervals.Wilson(77, 112).Format());
        Assert.Equal("68.75 [59.7, 76.6]", Intervals.Wilson(77, 112).FormatValue());
        Assert.Equal("undefined (n=0)", Intervals.Wilson(0, 0).Format());
        Assert.Equal("-2.00 [-5.5, 1.0] (n=50)", new Estimate(-0.02, -0.055, 0.01, 50, "test").ToString());
        // A mean over seeds of raw numbers (not fractions) prints unscaled.
        Assert.Equal("3.142 [3.1, 3.2] (n=3)", new Estimate(3.14159, 3.1, 3.2, 3, "test").Format(scale: 1, decimals: 3));
    }

    [Fact]
    public void Preference_table_has_the_table_2_columns()
    {
        var bootstrap = new BootstrapOptions(Seed: 1, Resamples: 200);
        double[] s0 = [0.9, 0.2, 0.5, 0.7, 0.4];
        double[] s1 = [0.1, 0.8, 0.5, 0.3, 0.4];
        PreferenceLabel[] labels = [Video1Better, Video2Better, Video2Better, Video1Better, Same];
        var judge = new PreferenceRow("judge A",
            PreferenceAccuracy.Strict(s0, s1, labels),
            PreferenceAccuracy.TieAware(s0, s1, labels, bootstrap),
            TieCalibration.Evaluate(s0, s1, labels, threshold: 0, bootstrap));
        var untried = new PreferenceRow("no endpoint",
            Estimate.Undefined(0, "not run", "no endpoint configured"),
            Estimate.Undefined(0, "not run", "no endpoint configured"),
            Estimate.Undefined(0, "not run", "no endpoint configured"));

        var table = MetricTable.Preference([judge, untried]);

        Assert.Equal(["judge", "strict", "tie-aware", "n", "tie-calibrated", "n (3-class)"],
            table.Columns.Select(c => c.Name));
        Assert.Equal(2, table.Rows.Count);
        Assert.Equal("judge A", table["judge"][0]);
        Assert.StartsWith("75.00 [", (string)table["strict"][0]);        // 3 / 4 decisive pairs
        Assert.StartsWith("87.50 [", (string)table["tie-aware"][0]);     // 3.5 / 4
        Assert.Equal(4, table["n"][0]);
        // Threshold 0: pairs 0, 1, 3 right, 2 (a tie labelled Video 2 better) wrong, 4 (a tie labelled Same) right -> 4 / 5.
        Assert.StartsWith("80.00 [", (string)table["tie-calibrated"][0]);
        Assert.Equal(5, table["n (3-class)"][0]);
        Assert.Equal("undefined", table["strict"][1]);
    }

    [Fact]
    public void Aspect_table_has_one_row_per_judge_and_aspect()
    {
        var bootstrap = new BootstrapOptions(Seed: 1, Resamples: 200);
        var alignment = AspectMetrics.Evaluate("Alignment", [0.8, -0.5], [-0.3, 0.6], [1, 2], [2, 1], bootstrap);
        // Every score positive: 'bad' is never predicted, so F1 is undefined.
        var safety = AspectMetrics.Evaluate("Safety", [0.8, 0.5], [0.3, 0.6], [1, 2], [2, 1], bootstrap);

        var table = MetricTable.Aspects([new AspectRows("MJ-Video", [alignment, safety]), new AspectRows("random", [alignment])]);

        Assert.Equal(["judge", "aspect", "Acc", "F1", "strict", "n videos", "n pairs"], table.Columns.Select(c => c.Name));
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal("Safety", table["aspect"][1]);
        Assert.StartsWith("100.00 [", (string)table["Acc"][0]); // all four videos classified right
        Assert.Equal("undefined", table["F1"][1]);
        Assert.Equal(4, table["n videos"][0]);
        Assert.Equal(2, table["n pairs"][0]);
        Assert.Equal("random", table["judge"][2]);
    }

    [Fact]
    public void Preference_rows_whose_strict_and_tie_aware_count_different_pairs_are_rejected()
    {
        var row = new PreferenceRow("judge", Intervals.Wilson(3, 4), Intervals.Wilson(3, 5), Intervals.Wilson(1, 1));
        var error = Assert.Throws<ArgumentException>(() => MetricTable.Preference([row]));
        Assert.Contains("strict has n=4 but tie-aware n=5", error.Message);
    }
}

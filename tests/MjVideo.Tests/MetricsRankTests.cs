using MjVideo.Metrics;

namespace MjVideo.Tests;

public class MetricsRankTests
{
    const double Z975 = 1.959963984540054;

    static double Logistic(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void Midranks_share_the_mean_rank_of_a_tie()
    {
        Assert.Equal([2, 3.5, 3.5, 1], Ranks.MidRanks([10, 20, 20, 5]));
        Assert.Equal([2, 2, 2], Ranks.MidRanks([7, 7, 7]));
    }

    [Fact]
    public void Auc_with_ties_and_its_delong_interval_match_the_hand_count()
    {
        // Good 0.9, 0.5, 0.5 against bad 0.5, 0.1: the six (good, bad) comparisons score 1, 1 | 0.5, 1 | 0.5, 1 -> 5/6.
        double[] good = [0.9, 0.5, 0.5], bad = [0.5, 0.1];
        var auc = Ranks.Auc(good, bad);
        Assert.Equal(5.0 / 6, auc.Value, 12);
        Assert.Equal(5, auc.N);
        // Ties counted as losses (4/6) or as wins (6/6) would be the wrong rule.
        Assert.NotEqual(4.0 / 6, auc.Value, 6);
        Assert.NotEqual(1.0, auc.Value, 6);

        // DeLong: good placements 1, 3/4, 3/4 (sample variance 1/48); bad placements 2/3, 1 (sample variance 1/18).
        // Var = (1/48)/3 + (1/18)/2 = 5/144; logit scale half-width z·sqrt(5/144) / (5/6 · 1/6) = z·3·sqrt(5)/5.
        var halfWidth = Z975 * 3 * Math.Sqrt(5) / 5;
        Assert.Equal(Logistic(Math.Log(5) - halfWidth), auc.Low, 9);   // 0.2650
        Assert.Equal(Logistic(Math.Log(5) + halfWidth), auc.High, 9);  // 0.9858
    }

    [Fact]
    public void Auc_is_one_half_for_a_constant_predictor_and_reads_only_the_order()
    {
        var constant = Ranks.Auc([1, 1, 1], [1, 1]);
        Assert.Equal(0.5, constant.Value, 12);
        // A monotone change of the scores does not move the AUC; swapping the classes mirrors it.
        Assert.Equal(Ranks.Auc([0.9, 0.5, 0.5], [0.5, 0.1]).Value, Ranks.Auc([90, 5, 5], [5, -3]).Value, 12);
        Assert.Equal(1.0 / 6, Ranks.Auc([0.5, 0.1], [0.9, 0.5, 0.5]).Value, 12);
    }

    [Fact]
    public void A_perfect_order_keeps_an_interval_of_nonzero_width_inside_the_unit_range()
    {
        var perfect = Ranks.Auc([3, 4, 5], [1, 2]);
        Assert.Equal(1.0, perfect.Value, 12);
        Assert.Equal(1.0, perfect.High, 12);
        // Wilson for 2/2 (the smaller class), not DeLong's zero variance.
        Assert.Equal(Intervals.Wilson(2, 2).Low, perfect.Low, 12);
        Assert.True(perfect.Low < 0.9);
    }

    [Fact]
    public void Auc_without_one_class_is_undefined_with_the_reason()
    {
        var noBad = Ranks.Auc([1, 2], []);
        Assert.False(noBad.IsDefined);
        Assert.Contains("no video labelled 'bad'", noBad.Note);
    }

    [Fact]
    public void Spearman_with_ties_uses_midranks()
    {
        // x midranks 1, 2.5, 2.5, 4, 5; y midranks 1, 2, 3.5, 3.5, 5. Deviations from 3: x -2 -.5 -.5 1 2, y -2 -1 .5 .5 2.
        // Sxy = 4 + .5 - .25 + .5 + 4 = 8.75, Sxx = Syy = 9.5: r = 8.75 / 9.5.
        double[] x = [1, 2, 2, 3, 4], y = [10, 20, 30, 30, 50];
        var rho = Ranks.Spearman(x, y);
        Assert.Equal(8.75 / 9.5, rho.Value, 12);
        // The no-ties shortcut 1 - 6Σd²/(n(n²-1)) gives 1 - 6·1.5/120 = 0.925: wrong with ties.
        Assert.NotEqual(0.925, rho.Value, 6);
        // Fisher z, Bonett-Wright: se = sqrt((1 + r²/2) / (n - 3)).
        var r = 8.75 / 9.5;
        var se = Math.Sqrt((1 + r * r / 2) / 2);
        Assert.Equal(Math.Tanh(Math.Atanh(r) - Z975 * se), rho.Low, 9);
        Assert.Equal(Math.Tanh(Math.Atanh(r) + Z975 * se), rho.High, 9);
        Assert.Equal(5, rho.N);
    }

    [Fact]
    public void Spearman_with_a_constant_variable_is_undefined_not_zero()
    {
        var constant = Ranks.Spearman([1, 1, 1, 1], [0.1, 0.5, 0.3, 0.9]);
        Assert.False(constant.IsDefined);
        Assert.Contains("first variable is constant", constant.Note);
        // A perfect order keeps an interval inside [-1, 1] that is not a point.
        var perfect = Ranks.Spearman([1, 2, 3, 4, 5, 6], [-1, -2, -3, -4, -5, -6]);
        Assert.Equal(-1.0, perfect.Value, 12);
        Assert.True(perfect.Low >= -1 && perfect.High <= 1 && perfect.High > perfect.Low);
    }

    [Fact]
    public void Pearson_estimate_uses_the_plain_fisher_z_interval()
    {
        // x = 1..5, y = 2, 4, 5, 4, 5: deviations (-2, -1, 0, 1, 2) and (-2, 0, 1, 0, 1); Sxy = 4 + 0 + 0 + 0 + 2 = 6,
        // Sxx = 10, Syy = 6: r = 6 / sqrt(60). The Fisher z standard error is 1 / sqrt(n - 3) = 1 / sqrt(2).
        var estimate = Ranks.PearsonEstimate([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
        var r = 6 / Math.Sqrt(60);
        Assert.Equal(r, estimate.Value, 12);
        Assert.Equal(Math.Tanh(Math.Atanh(r) - Z975 / Math.Sqrt(2)), estimate.Low, 9);
        Assert.Equal(Math.Tanh(Math.Atanh(r) + Z975 / Math.Sqrt(2)), estimate.High, 9);
        Assert.Equal(5, estimate.N);
        Assert.False(Ranks.PearsonEstimate([1, 2, 3, 4], [3, 3, 3, 3]).IsDefined);
        Assert.False(Ranks.PearsonEstimate([1, 2, 3], [1, 3, 2]).HasInterval);
    }
}

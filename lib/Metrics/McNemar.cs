using System.Globalization;

namespace MjVideo.Metrics;

/// <summary>
/// McNemar's test of two judges' paired correctness on the same units.
/// <see cref="OnlyACorrect"/> (b) and <see cref="OnlyBCorrect"/> (c) are the discordant counts;
/// <see cref="Difference"/> = accuracy(A) - accuracy(B) = (b - c) / n.
/// </summary>
public sealed record McNemarResult(
    int N, int OnlyACorrect, int OnlyBCorrect, double AccuracyA, double AccuracyB, double Difference,
    double Statistic, double PValue, string Method)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"A - B = {Difference * 100:F2} points (b={OnlyACorrect}, c={OnlyBCorrect}, n={N}), p = {PValue:G3} ({Method})");
}

public static class McNemar
{
    /// <summary>Below this many discordant units the exact binomial test is used, from it on the chi-square.</summary>
    public const int DefaultExactBelow = 25;

    /// <summary>
    /// Tests H0: P(only A correct) = P(only B correct). With b + c below <paramref name="exactBelow"/>: the exact two-sided
    /// binomial p of b successes in b + c trials at 1/2 (Statistic is NaN). Otherwise chi-square with one degree of freedom
    /// and continuity correction, (|b - c| - 1)² / (b + c).
    /// </summary>
    public static McNemarResult Test(bool[] correctA, bool[] correctB, int exactBelow = DefaultExactBelow)
    {
        Check.SameLength(correctA, nameof(correctA), correctB, nameof(correctB));
        var n = correctA.Length;
        if (n == 0) throw new ArgumentException("Needs at least one unit to compare.", nameof(correctA));
        int onlyA = 0, onlyB = 0, countA = 0, countB = 0;
        for (var i = 0; i < n; i++)
        {
            if (correctA[i]) countA++;
            if (correctB[i]) countB++;
            if (correctA[i] && !correctB[i]) onlyA++;
            if (!correctA[i] && correctB[i]) onlyB++;
        }
        double accuracyA = (double)countA / n, accuracyB = (double)countB / n;
        var difference = (double)(onlyA - onlyB) / n;
        var discordant = onlyA + onlyB;

        if (discordant < exactBelow)
        {
            var exact = Distributions.BinomialTwoSidedHalf(onlyA, discordant);
            return new McNemarResult(n, onlyA, onlyB, accuracyA, accuracyB, difference, double.NaN, exact,
                $"exact binomial (b + c = {discordant} < {exactBelow})");
        }
        // The correction is floored at 0 so that b = c gives a statistic of 0, not 1/(b+c).
        var corrected = Math.Max(0, Math.Abs(onlyA - onlyB) - 1.0);
        var statistic = corrected * corrected / discordant;
        return new McNemarResult(n, onlyA, onlyB, accuracyA, accuracyB, difference, statistic,
            Distributions.ChiSquareSurvival(statistic, 1),
            $"chi-square with continuity correction (b + c = {discordant} >= {exactBelow})");
    }
}

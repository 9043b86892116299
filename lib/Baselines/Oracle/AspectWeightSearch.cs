using MjVideo.Data;
using MjVideo.Taxonomy;

namespace MjVideo.Baselines.Oracle;

/// <summary>One pair as the weight search sees it: both videos' aspect indicators and the label.</summary>
public sealed record IndicatorPair(bool[] Bad0, bool[] Bad1, PreferenceLabel Label);

/// <summary>The best fixed weights found, how good they are on the pairs searched, and how many grid points tied.</summary>
/// <param name="Units">the weights as multiples of the step (they sum to 1 / step)</param>
/// <param name="TiedOptima">grid points with the same best accuracy (the tie-break chose among them)</param>
public sealed record WeightSearchResult(double[] Weights, int[] Units, double Step, double StrictAccuracy, int DecisivePairs,
    int Candidates, int TiedOptima);

/// <summary>
/// The fixed aspect weights that maximise strict overall accuracy when a video scores -sum_a w_a bad_a: an exhaustive
/// search of the simplex on a grid (step 0.05: 10,626 weight vectors for five aspects). Scores are compared in integer
/// grid units, so there is no rounding. Among equally accurate weights the one closest to uniform (smallest
/// sum_a (w_a - 0.2)^2) wins, then the first in lexicographic order of the units: the least committed choice the data
/// allow, and deterministic.
/// </summary>
public static class AspectWeightSearch
{
    public const double DefaultStep = 0.05;

    public static WeightSearchResult Best(IReadOnlyList<IndicatorPair> pairs, double step = DefaultStep)
    {
        var units = (int)Math.Round(1 / step);
        if (!(step > 0) || units < 1 || Math.Abs(units * step - 1) > 1e-9)
            throw new ArgumentOutOfRangeException(nameof(step), step, "the step must divide 1 into a whole number of parts");
        var aspects = MjTaxonomy.AspectCount;

        // Score difference video0 - video1 = sum_a w_a (bad1_a - bad0_a): only the difference vector and the label
        // matter, so pairs are counted per (difference, preferred video) once, and each candidate is checked against
        // at most 3^5 * 2 groups instead of every pair.
        var groups = new Dictionary<(string Difference, int Preferred), (int[] Difference, int Count)>();
        var decisive = 0;
        foreach (var pair in pairs)
        {
            if (pair.Bad0.Length != aspects || pair.Bad1.Length != aspects)
                throw new ArgumentException($"each video needs {aspects} aspect indicators");
            if (pair.Label.PreferredIndex() is not { } preferred) continue;
            decisive++;
            var difference = Enumerable.Range(0, aspects).Select(a => (pair.Bad1[a] ? 1 : 0) - (pair.Bad0[a] ? 1 : 0)).ToArray();
            var key = (string.Join(",", difference), preferred);
            groups[key] = groups.TryGetValue(key, out var g) ? (g.Difference, g.Count + 1) : (difference, 1);
        }
        if (decisive == 0) throw new ArgumentException("no decisive pair (Video 1 better or Video 2 better) to choose weights on", nameof(pairs));
        var grouped = groups.Select(g => (g.Value.Difference, g.Key.Preferred, g.Value.Count)).ToArray();

        int[]? best = null;
        int bestCorrect = -1, bestSpread = int.MaxValue, tied = 0, candidates = 0;
        foreach (var w in Compositions(units, aspects))
        {
            candidates++;
            var correct = 0;
            foreach (var (difference, preferred, count) in grouped)
            {
                var margin = 0;
                for (var a = 0; a < aspects; a++) margin += w[a] * difference[a];
                // margin = score0 - score1 in units: video 0 wins when positive, video 1 when negative, 0 is a tie (wrong).
                if (preferred == 0 ? margin > 0 : margin < 0) correct += count;
            }
            // Distance from uniform in units: sum (aspects * w_a - units)^2, an integer.
            var spread = w.Sum(k => (aspects * k - units) * (aspects * k - units));
            if (correct > bestCorrect)
            {
                (best, bestCorrect, bestSpread, tied) = ((int[])w.Clone(), correct, spread, 1);
            }
            else if (correct == bestCorrect)
            {
                tied++;
                if (spread < bestSpread) (best, bestSpread) = ((int[])w.Clone(), spread);
            }
        }
        return new WeightSearchResult(best!.Select(k => k * step).ToArray(), best!, step, (double)bestCorrect / decisive, decisive,
            candidates, tied);
    }

    /// <summary>Every vector of <paramref name="parts"/> non-negative integers summing to <paramref name="total"/>, in
    /// lexicographic order (the array is reused between items).</summary>
    public static IEnumerable<int[]> Compositions(int total, int parts)
    {
        var current = new int[parts];
        return Fill(0, total);

        IEnumerable<int[]> Fill(int position, int remaining)
        {
            if (position == parts - 1)
            {
                current[position] = remaining;
                yield return current;
                yield break;
            }
            for (var k = 0; k <= remaining; k++)
            {
                current[position] = k;
                foreach (var item in Fill(position + 1, remaining - k)) yield return item;
            }
        }
    }
}

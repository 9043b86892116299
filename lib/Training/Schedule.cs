namespace MjVideo.Training;

/// <summary>
/// The learning rate of a stage: linear warm-up, then a half cosine down to 0, as HF's get_cosine_schedule_with_warmup,
/// which the official scripts use. <c>step</c> counts the optimizer steps already taken in the stage, so the first step
/// runs at factor 0 when there is a warm-up (HF's LambdaLR does the same).
/// </summary>
public static class CosineSchedule
{
    /// <summary>The factor on the peak rate before optimizer step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public static double Factor(int step, int warmupSteps, int totalSteps)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "steps count from 0");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "must be >= 0");
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "must be at least 1");
        if (step < warmupSteps) return step / (double)Math.Max(1, warmupSteps);
        var progress = (step - warmupSteps) / (double)Math.Max(1, totalSteps - warmupSteps);
        return Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}

/// <summary>
/// The order in which a stage's epoch visits the training pairs: a Fisher-Yates shuffle driven by SplitMix64, seeded from
/// (run seed, stage, epoch). Written out rather than taken from System.Random so that the order is fixed by this code alone,
/// and recomputable from those three numbers: that is all a checkpoint needs to store to resume mid-epoch.
/// </summary>
public static class DataOrder
{
    public static int[] Permutation(long seed, int stage, int epoch, int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "must be >= 0");
        var state = Mix(Mix(Mix((ulong)seed) ^ (ulong)stage) ^ (ulong)epoch);
        var order = Enumerable.Range(0, count).ToArray();
        for (var i = count - 1; i > 0; i--)
        {
            // Lemire's multiply-shift maps 64 random bits to [0, i]; its bias is below 2^-32 for any dataset size here.
            var j = (int)(((SplitMix64(ref state) >> 32) * (ulong)(i + 1)) >> 32);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>SplitMix64: advances the state by the golden-ratio increment and returns the mixed value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>SplitMix64's output function.</summary>
    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

using MjVideo.Data;

namespace MjVideo.Metrics;

/// <summary>Argument checks shared by the metrics: each failure names the argument, the index and the bad value.</summary>
static class Check
{
    public static void NotNull(object? value, string name)
    {
        if (value is null) throw new ArgumentNullException(name);
    }

    public static void SameLength(Array reference, string referenceName, Array other, string otherName)
    {
        NotNull(reference, referenceName);
        NotNull(other, otherName);
        if (reference.Length != other.Length)
            throw new ArgumentException(
                $"{otherName} has {other.Length} entries but {referenceName} has {reference.Length}; they must match one to one.",
                otherName);
    }

    public static void Finite(double[] values, string name)
    {
        NotNull(values, name);
        for (var i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}; scores must be finite numbers.", name);
    }

    public static void Finite(double value, string name)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number.");
    }

    public static void Labels(PreferenceLabel[] labels, string name)
    {
        NotNull(labels, name);
        for (var i = 0; i < labels.Length; i++)
            if (!Enum.IsDefined(labels[i]))
                throw new ArgumentException($"{name}[{i}] is {(int)labels[i]}, which is not a {nameof(PreferenceLabel)}.", name);
    }

    public static void Codes(int[] codes, string name)
    {
        NotNull(codes, name);
        for (var i = 0; i < codes.Length; i++)
            if (!LabelCode.IsValid(codes[i]))
                throw new ArgumentException($"{name}[{i}] is {codes[i]}; label codes are 0 (not related), 1 (good) or 2 (bad).", name);
    }

    /// <summary>Checks the two score arrays and the labels of a set of pairs together.</summary>
    public static void Pairs(double[] score0, double[] score1, PreferenceLabel[] labels)
    {
        Finite(score0, nameof(score0));
        Finite(score1, nameof(score1));
        Labels(labels, nameof(labels));
        SameLength(labels, nameof(labels), score0, nameof(score0));
        SameLength(labels, nameof(labels), score1, nameof(score1));
    }
}

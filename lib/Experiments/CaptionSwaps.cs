namespace MjVideo.Experiments;

/// <summary>
/// Hard-negative captions for pre-training: one content word of a caption replaced by another word of the same kind
/// (a colour by a colour, a shape by a shape, a count by a count, a place by a place, a size by a size, an action by an
/// action), so the caption stays a plausible caption and only the video can tell it no longer fits. A probe that tells
/// the true caption from its swap can only do it by checking the named colour, shape, count or place against the
/// pixels: the binding of caption words to what is shown, which the alignment criteria are about and which the criteria
/// labels alone teach slowly (each alignment criterion is bad on a few percent of videos).
/// <para>
/// The word lists are plain English, not read from any generator: a real caption's colours and shapes are swapped the
/// same way. Words are matched whole and case-insensitively, and the replacement keeps the original's capitalisation.
/// A caption with no listed word has no swap.
/// </para>
/// </summary>
public static class CaptionSwaps
{
    /// <summary>Groups of interchangeable words; a word is replaced only by another of its own group.</summary>
    public static readonly IReadOnlyList<IReadOnlyList<string>> Groups =
    [
        ["red", "orange", "yellow", "green", "blue", "purple", "violet", "pink", "white", "black", "grey", "brown", "teal", "amber"],
        ["square", "circle", "triangle", "star", "ring", "diamond"],
        ["squares", "circles", "triangles", "stars", "rings", "diamonds"],
        ["two", "three", "four", "five", "six"],
        ["left", "right", "top", "bottom", "centre"],
        ["small", "large", "tall", "short"],
        ["jumping", "standing", "walking", "waving", "falling", "rising", "moving", "resting"],
        ["round", "pointed"],
    ];

    static readonly Dictionary<string, int> GroupOf = Groups
        .SelectMany((words, group) => words.Select(word => (word, group)))
        .ToDictionary(x => x.word, x => x.group, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The caption with one listed word replaced, both chosen by <paramref name="random"/>; null when the caption holds no
    /// listed word.
    /// </summary>
    public static string? Swap(string caption, Random random)
    {
        var words = Words(caption);
        if (words.Count == 0) return null;
        var (start, length, group) = words[random.Next(words.Count)];
        var original = caption.Substring(start, length);
        var others = Groups[group].Where(w => !w.Equals(original, StringComparison.OrdinalIgnoreCase)).ToList();
        var replacement = others[random.Next(others.Count)];
        if (char.IsUpper(original[0])) replacement = char.ToUpperInvariant(replacement[0]) + replacement[1..];
        return string.Concat(caption.AsSpan(0, start), replacement, caption.AsSpan(start + length));
    }

    /// <summary>Where the listed words are: start, length and group of each whole-word match, in order.</summary>
    public static List<(int Start, int Length, int Group)> Words(string caption)
    {
        var found = new List<(int, int, int)>();
        var i = 0;
        while (i < caption.Length)
        {
            if (!char.IsLetter(caption[i])) { i++; continue; }
            var start = i;
            while (i < caption.Length && (char.IsLetter(caption[i]) || caption[i] == '-')) i++;
            if (GroupOf.TryGetValue(caption[start..i], out var group)) found.Add((start, i - start, group));
        }
        return found;
    }
}

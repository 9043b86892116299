using MjVideo.Synth;
using MjVideo.Video;

namespace MjVideo.Tuning;

/// <summary>
/// The fixed layout of what the scene generator draws: up to two object groups (the first counted, up to
/// <see cref="MaxCount"/> objects; the second a single object), one background, and the frames the reward model reads.
/// </summary>
public static class GeneratorLayout
{
    /// <summary>Object slots: the first group's <see cref="MaxCount"/> slots, then one for the second group.</summary>
    public const int Slots = MaxCount + 1;
    /// <summary>The most objects the first group can show (a caption names up to 4; a count mistake can add one).</summary>
    public const int MaxCount = 5;
    public const int SecondGroupSlot = MaxCount;
    public const int Groups = 2;
    public static readonly int Shapes = Enum.GetValues<Shape>().Length;
    public static readonly int Colours = Enum.GetValues<ColorName>().Length;
    public static readonly int Scenes = Enum.GetValues<SceneKind>().Length;

    /// <summary>SynthBench's clip length: the generator's motion is in units of these frames.</summary>
    public const int SourceFrames = 16;

    /// <summary>
    /// The times (in SynthBench frames) of the frames the generator renders: the frames the reward model's preprocessing
    /// (the paper's 8-frame rule, <see cref="Preprocessing.Default"/>) reads from a 16-frame SynthBench clip, so that a
    /// generated clip is what the reward would have seen of a SynthBench video.
    /// </summary>
    public static int[] FrameTimes(Preprocessing preprocessing) =>
        FrameSampler.Indices(SourceFrames, preprocessing.Frames, preprocessing.Sampling);

    /// <summary>Which group an object slot belongs to.</summary>
    public static int GroupOf(int slot) => slot < MaxCount ? 0 : 1;
}

/// <summary>
/// The generator's text input: the parsed caption (<see cref="CaptionSpec"/>) as a fixed-length vector of what the words
/// say, and nothing the words do not say (an unnamed colour or scene is all zeros, whatever SynthBench drew for it).
/// <para>
/// Why the parsed spec rather than the caption text through a small text encoder: every caption in this experiment is a
/// SynthBench caption, so its spec is exact and free; the generator's mistakes are then all in the picture (where the
/// oracle looks), never in reading the text, and the generator stays a few thousand parameters that pre-train in seconds.
/// The reward models still read the caption text, as they were trained to.
/// </para>
/// Per group (two): present, shape (6), colour (7), size (small, large), count (1..4), count named, region (left, right,
/// top, bottom, centre), motion (resting, left-to-right, right-to-left, up, down); then the scene (6) when named.
/// </summary>
public static class CaptionFeatures
{
    public const int GroupWidth = 1 + 6 + 7 + 2 + 4 + 1 + 5 + 5;
    /// <summary>The feature that says the caption has a second object group.</summary>
    public const int SecondGroupFlag = GroupWidth;
    public const int SceneOffset = GeneratorLayout.Groups * GroupWidth;
    public const int Width = SceneOffset + 6;

    /// <summary>The caption's features; throws for a caption the generator cannot draw (see <see cref="TuningCaptions.IsDrawable"/>).</summary>
    public static float[] Encode(CaptionSpec spec)
    {
        if (!TuningCaptions.IsDrawable(spec))
            throw new ArgumentException($"the scene generator does not draw this caption (figures or more than two object groups): \"{spec.Text}\"");
        var features = new float[Width];
        for (var g = 0; g < spec.Groups.Count; g++)
        {
            var group = spec.Groups[g];
            var at = g * GroupWidth;
            features[at] = 1;
            features[at + 1 + (int)group.Shape] = 1;
            if (group.Color is { } colour) features[at + 7 + (int)colour] = 1;
            if (group.Size != SizeName.Unspecified) features[at + 14 + (group.Size == SizeName.Small ? 0 : 1)] = 1;
            features[at + 16 + group.Count - 1] = 1;
            if (group.CountNamed) features[at + 20] = 1;
            if (group.Region != Region.Unspecified) features[at + 21 + (int)group.Region - 1] = 1;
            if (group.Motion != Motion.Unspecified) features[at + 26 + (int)group.Motion - 1] = 1;
        }
        if (SceneIsNamed(spec)) features[SceneOffset + (int)spec.Scene] = 1;
        return features;
    }

    /// <summary>Whether the text fixes the background: a named scene, or a safety setting (each implies its scene).</summary>
    public static bool SceneIsNamed(CaptionSpec spec) => spec.SceneNamed || spec.Kind == CaptionKind.Scene || spec.Safety != SafetyContext.None;

}

/// <summary>
/// The captions of the tuning experiment: SynthBench's own caption streams, restricted to what the scene generator draws
/// (no stick figures; at most two object groups, the second a single object; the first at most 4 objects).
/// </summary>
public static class TuningCaptions
{
    public static bool IsDrawable(CaptionSpec spec) =>
        spec.Figures.Count == 0
        && spec.Groups.Count is >= 1 and <= GeneratorLayout.Groups
        && spec.Groups[0].Count is >= 1 and < GeneratorLayout.MaxCount
        && spec.Groups.Skip(1).All(g => g.Count == 1);

    /// <summary>
    /// The first <paramref name="count"/> drawable captions of a SynthBench split, in pair order: caption i is the caption
    /// of SynthBench pair i of that split and seed (the generator's stream, so the reward models trained on the same split
    /// have seen these captions, and the test split's held-out templates and colour-shape combinations stay held out).
    /// </summary>
    public static IReadOnlyList<CaptionSpec> FromSplit(long seed, string split, int count, int skip = 0)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "must be >= 0");
        var captions = new List<CaptionSpec>(count);
        var drawable = 0;
        for (var index = 0; captions.Count < count; index++)
        {
            if (index > 100 * (count + skip) + 1000)
                throw new InvalidOperationException($"SynthBench split '{split}' (seed {seed}) yields too few drawable captions");
            var spec = CaptionGenerator.Sample(SynthRandom.ForItem(seed, split, index, "caption"), split == "test");
            if (!IsDrawable(spec)) continue;
            if (drawable++ >= skip) captions.Add(spec);
        }
        return captions;
    }
}

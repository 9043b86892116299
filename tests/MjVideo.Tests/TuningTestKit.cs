using MjVideo.Synth;
using MjVideo.Tuning;
using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>Captions and scenes built by hand for the tuning tests, rendered with SynthBench's own renderer.</summary>
static class TuningTestKit
{
    public static readonly int[] FrameTimes = GeneratorLayout.FrameTimes(Preprocessing.Default);

    /// <summary>A caption of one or two object groups; the text is written by SynthBench's own writer.</summary>
    public static CaptionSpec Caption(ObjectGroup first, ObjectGroup? second = null, SceneKind scene = SceneKind.Meadow, bool sceneNamed = true,
        CaptionKind kind = CaptionKind.Attribute)
    {
        var groups = second is null ? new[] { first } : new[] { first, second };
        var spec = new CaptionSpec(kind, null, 0, groups, [], scene, sceneNamed, SafetyContext.None, [], "");
        return spec with { Text = CaptionGenerator.Write(spec) };
    }

    public static ObjectGroup Group(Shape shape, ColorName? colour, int count = 1, bool countNamed = false, Region region = Region.Unspecified,
        Motion motion = Motion.Unspecified, SizeName size = SizeName.Unspecified) =>
        new(shape, colour, size, count, countNamed, region, motion);

    /// <summary>SynthBench's clean realisation of a caption (16 frames), seeded.</summary>
    public static VideoScene Scene(CaptionSpec caption, ulong seed = 1) => VideoScene.Realise(caption, new SynthRandom(seed), GeneratorLayout.SourceFrames);

    /// <summary>The frames of a scene the reward model's preprocessing reads, drawn by SynthBench's renderer at 64x64.</summary>
    public static byte[][] Frames(VideoScene scene)
    {
        var all = new Renderer(64).Render(scene);
        return FrameTimes.Select(t => all[t]).ToArray();
    }
}

using MjVideo.Synth;
using static TorchSharp.torch;

namespace MjVideo.Tuning;

/// <summary>
/// SynthBench scenes as the generator's targets ([B, ...] each): what its distribution is fitted to in pre-training.
/// Built by <see cref="SceneTargets.From"/>.
/// </summary>
public sealed class SceneTargets : IDisposable
{
    public required Tensor Background { get; init; }   // [B] int64 scene kind
    public required Tensor CountIndex { get; init; }   // [B] int64: the first group's count - 1
    public required Tensor GroupMask { get; init; }    // [B, 2] 1 where the caption has the group
    public required Tensor Shape { get; init; }        // [B, 2] int64
    public required Tensor Colour { get; init; }       // [B, 2, 3]
    public required Tensor LogRadius { get; init; }    // [B, 2]
    public required Tensor Velocity { get; init; }     // [B, 2, 2]
    public required Tensor SlotMask { get; init; }     // [B, S] 1 where the scene has that object
    public required Tensor Position { get; init; }     // [B, S, 2]
    public required Tensor Rotation { get; init; }     // [B, S]
    public required Tensor Quality { get; init; }      // [B, 3]: log(blur + 0.3), log(flicker + 0.005), log(drift + 0.05)

    public void Dispose()
    {
        foreach (var t in new[] { Background, CountIndex, GroupMask, Shape, Colour, LogRadius, Velocity, SlotMask, Position, Rotation, Quality })
            t.Dispose();
    }

    /// <summary>
    /// Reads each scene as the generator would have to draw it, at the rendered frame times:
    /// <list type="bullet">
    /// <item>a group's objects are those visible in at least half of the rendered frames (so a vanishing or late-appearing
    /// object counts as SynthBench's labels count it), sorted left to right (then top to bottom) into the group's slots, so
    /// that slot k's start position is the k-th object from the left: ordered slots keep objects of a counted group apart;</item>
    /// <item>each path is fitted by a straight line over the rendered frames: its intercept is the slot's start, the
    /// group's velocity is the mean slope of its objects, and the largest root-mean-square residual of any object is the
    /// clip's drift (drift, stalls, jumps and swaps all show as departures from a straight path);</item>
    /// <item>a group's colour is its objects' mean RGB, its shape the outline that dominates its first object (the morph
    /// target once the morph passes one half), its log radius the mean over its objects;</item>
    /// <item>flicker is the spread (population standard deviation) of the brightness over the rendered frames; blur is the
    /// scene's defocus sigma.</item>
    /// </list>
    /// What the generator does not draw (warps, motion blur, pictograms, background swaps) is left out.
    /// </summary>
    public static SceneTargets From(IReadOnlyList<(CaptionSpec Caption, VideoScene Scene)> examples, int[] frameTimes)
    {
        var n = examples.Count;
        var s = GeneratorLayout.Slots;
        var background = new long[n];
        var count = new long[n];
        var groupMask = new float[n * 2];
        var shape = new long[n * 2];
        var colour = new float[n * 2 * 3];
        var logRadius = new float[n * 2];
        var velocity = new float[n * 2 * 2];
        var slotMask = new float[n * s];
        var position = new float[n * s * 2];
        var rotation = new float[n * s];
        var quality = new float[n * 3];
        for (var i = 0; i < n; i++)
        {
            var (caption, scene) = examples[i];
            if (!TuningCaptions.IsDrawable(caption))
                throw new ArgumentException($"example {i}: the generator does not draw this caption: \"{caption.Text}\"");
            background[i] = (long)scene.Background;
            var drift = 0.0;
            for (var g = 0; g < caption.Groups.Count; g++)
            {
                var members = scene.Objects
                    .Where(o => o.Group == g && frameTimes.Count(t => o.Visible[t]) * 2 >= frameTimes.Length)
                    .Select(o => (Object: o, Path: FitPath(o, frameTimes)))
                    .OrderBy(m => m.Path.X0).ThenBy(m => m.Path.Y0).ToList();
                if (g == 0) count[i] = Math.Clamp(members.Count, 1, GeneratorLayout.MaxCount) - 1;
                if (members.Count == 0) continue;
                groupMask[i * 2 + g] = 1;
                var first = members[0].Object;
                shape[i * 2 + g] = (long)(first.Morph >= 0.5 ? first.MorphTarget : first.Shape);
                colour[(i * 2 + g) * 3] = (float)members.Average(m => m.Object.Color.R);
                colour[(i * 2 + g) * 3 + 1] = (float)members.Average(m => m.Object.Color.G);
                colour[(i * 2 + g) * 3 + 2] = (float)members.Average(m => m.Object.Color.B);
                logRadius[i * 2 + g] = (float)members.Average(m => Math.Log(m.Object.Radius));
                velocity[(i * 2 + g) * 2] = (float)members.Average(m => m.Path.Vx);
                velocity[(i * 2 + g) * 2 + 1] = (float)members.Average(m => m.Path.Vy);
                var slots = g == 0 ? Enumerable.Range(0, GeneratorLayout.MaxCount).ToArray() : [GeneratorLayout.SecondGroupSlot];
                foreach (var (member, slot) in members.Zip(slots))
                {
                    slotMask[i * s + slot] = 1;
                    position[(i * s + slot) * 2] = (float)member.Path.X0;
                    position[(i * s + slot) * 2 + 1] = (float)member.Path.Y0;
                    rotation[i * s + slot] = (float)member.Object.Rotation;
                    drift = Math.Max(drift, member.Path.Residual);
                }
            }
            var brightness = frameTimes.Select(t => scene.Brightness[t]).ToArray();
            var mean = brightness.Average();
            var flicker = Math.Sqrt(brightness.Average(v => (v - mean) * (v - mean)));
            quality[i * 3] = (float)Math.Log(scene.BlurSigma + SceneGenerator.QualityFloor[0]);
            quality[i * 3 + 1] = (float)Math.Log(flicker + SceneGenerator.QualityFloor[1]);
            quality[i * 3 + 2] = (float)Math.Log(drift + SceneGenerator.QualityFloor[2]);
        }
        return new SceneTargets
        {
            Background = tensor(background),
            CountIndex = tensor(count),
            GroupMask = tensor(groupMask, [n, 2]),
            Shape = tensor(shape, [n, 2]),
            Colour = tensor(colour, [n, 2, 3]),
            LogRadius = tensor(logRadius, [n, 2]),
            Velocity = tensor(velocity, [n, 2, 2]),
            SlotMask = tensor(slotMask, [n, s]),
            Position = tensor(position, [n, s, 2]),
            Rotation = tensor(rotation, [n, s]),
            Quality = tensor(quality, [n, 3]),
        };
    }

    /// <summary>The least-squares line through an object's centres at the rendered times, and its RMS residual.</summary>
    public static (double X0, double Y0, double Vx, double Vy, double Residual) FitPath(SceneObject o, int[] frameTimes)
    {
        var times = frameTimes.Select(t => (double)t).ToArray();
        var meanTime = times.Average();
        var spread = times.Sum(t => (t - meanTime) * (t - meanTime));
        (double Intercept, double Slope) Line(double[] values)
        {
            var mean = values.Average();
            var slope = spread == 0 ? 0 : times.Zip(values, (t, v) => (t - meanTime) * (v - mean)).Sum() / spread;
            return (mean - slope * meanTime, slope);
        }
        var xs = frameTimes.Select(t => o.X[t]).ToArray();
        var ys = frameTimes.Select(t => o.Y[t]).ToArray();
        var (x0, vx) = Line(xs);
        var (y0, vy) = Line(ys);
        var residual = Math.Sqrt(times.Select((t, k) => Math.Pow(xs[k] - x0 - vx * t, 2) + Math.Pow(ys[k] - y0 - vy * t, 2)).Average());
        return (x0, y0, vx, vy, residual);
    }

    /// <summary>
    /// The exact renderer parameters of a SynthBench scene without figures, pictograms, warps, motion blur or background
    /// swaps (one clip, [1, ...]): for checking that <see cref="SoftRenderer"/> draws what SynthBench's renderer draws.
    /// Objects fill the slots in scene order; an object hidden in a frame is not supported (presence is per clip).
    /// </summary>
    public static SceneParameters ExactParameters(VideoScene scene, int[] frameTimes)
    {
        if (scene.Figures.Count > 0 || scene.Pictograms.Count > 0 || scene.BackgroundSwapMix.Any(m => m > 0))
            throw new ArgumentException("the soft renderer does not draw figures, pictograms or background swaps");
        if (scene.Objects.Count > GeneratorLayout.Slots)
            throw new ArgumentException($"{scene.Objects.Count} objects, more than the {GeneratorLayout.Slots} slots");
        if (scene.Objects.Any(o => o.Warp > 0 || o.MotionBlur > 0 || frameTimes.Any(t => !o.Visible[t])))
            throw new ArgumentException("the soft renderer does not draw warps, motion blur or objects hidden in some frames");
        if (scene.ShadowAngle.Distinct().Count() > 1) throw new ArgumentException("the soft renderer has one light direction per clip");
        var s = GeneratorLayout.Slots;
        var t = frameTimes.Length;
        var presence = new float[s];
        var shapes = new float[s * GeneratorLayout.Shapes];
        var colours = new float[s * 3];
        var radius = Enumerable.Repeat(6f, s).ToArray();
        var rotation = new float[s];
        var xs = new float[s * t];
        var ys = new float[s * t];
        for (var k = 0; k < scene.Objects.Count; k++)
        {
            var o = scene.Objects[k];
            presence[k] = 1;
            shapes[k * GeneratorLayout.Shapes + (int)o.Shape] += (float)(1 - o.Morph);
            shapes[k * GeneratorLayout.Shapes + (int)o.MorphTarget] += (float)o.Morph;
            (colours[k * 3], colours[k * 3 + 1], colours[k * 3 + 2]) = ((float)o.Color.R, (float)o.Color.G, (float)o.Color.B);
            radius[k] = (float)o.Radius;
            rotation[k] = (float)o.Rotation;
            for (var f = 0; f < t; f++)
            {
                xs[k * t + f] = (float)o.X[frameTimes[f]];
                ys[k * t + f] = (float)o.Y[frameTimes[f]];
            }
        }
        var background = new float[GeneratorLayout.Scenes];
        background[(int)scene.Background] = 1;
        return new SceneParameters
        {
            Background = tensor(background, [1, GeneratorLayout.Scenes]),
            TexturePhase = tensor(new[] { (float)scene.TexturePhaseX, (float)scene.TexturePhaseY }, [1, 2]),
            ShadowAngle = tensor(new[] { (float)scene.ShadowAngle[0] }),
            Presence = tensor(presence, [1, s]),
            ShapeWeights = tensor(shapes, [1, s, GeneratorLayout.Shapes]),
            Colour = tensor(colours, [1, s, 3]),
            Radius = tensor(radius, [1, s]),
            Rotation = tensor(rotation, [1, s]),
            X = tensor(xs, [1, s, t]),
            Y = tensor(ys, [1, s, t]),
            Brightness = tensor(frameTimes.Select(f => (float)scene.Brightness[f]).ToArray(), [1, t]),
            Blur = tensor(new[] { (float)scene.BlurSigma }),
        };
    }
}

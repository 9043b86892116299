using MjVideo.Taxonomy;
using MjVideo.Video;

namespace MjVideo.Synth;

/// <summary>One injected defect as the oracle records it.</summary>
public sealed record DefectRecord(int Criterion, string Key, double Severity, int FirstFrame, int LastFrame, string Target,
    bool VisibleUnderDefaultSampling,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    bool? VisibleUnderUniformSampling = null);

/// <summary>How temporal defects are placed: v1's rule, or v2's, under which each is visible under both 8-frame rules.</summary>
public enum TemporalRule { V1, BothFrameRules }

/// <summary>
/// Injects a defect of a given criterion and severity into a clean scene. Severity s is in (0, 1]; every effect has a
/// floor so that the mildest defect still changes the decoded pixels measurably (the detectability tests check it per
/// severity bin). Temporal defects span at least three frames. The caller only asks for criteria the caption makes
/// relevant, which guarantees that the defect has something to act on.
/// </summary>
public static class DefectInjector
{
    public const int MinTemporalSpan = 3;

    /// <summary>The frames the default preprocessing (the paper's 8-frame rule) reads from a clip of this length.</summary>
    public static int[] DefaultSampledFrames(int frames) => FrameSampler.Indices(frames, 8, FrameSampling.PaperLinspace);

    /// <summary>The frames the other 8-frame rule (endpoints included, evenly spaced) reads: v2 temporal defects are visible under both.</summary>
    public static int[] UniformSampledFrames(int frames) => FrameSampler.Indices(frames, 8, FrameSampling.InclusiveUniform);

    public static DefectRecord Inject(int criterion, double severity, VideoScene scene, CaptionSpec spec, SynthRandom rng,
        TemporalRule rule = TemporalRule.V1)
    {
        if (severity <= 0 || severity > 1) throw new ArgumentOutOfRangeException(nameof(severity), severity, "must be in (0, 1]");
        var frames = scene.Frames;
        temporalRule = rule;
        var (first, last, target) = criterion switch
        {
            0 => WrongObject(scene, spec, severity, rng),
            1 => WrongAttribute(scene, spec, severity, rng),
            2 => WrongAction(scene, spec, severity, rng),
            3 => WrongCount(scene, spec, severity, rng),
            4 => WrongLocation(scene, spec, severity, rng),
            >= 5 and <= 10 => AddPictogram(scene, criterion, severity, rng),
            11 => DistortFace(scene, severity, rng),
            12 => DistortLimb(scene, severity, rng),
            13 => DistortObject(scene, severity, rng),
            14 => Defocus(scene, severity),
            15 => AddMotionBlur(scene, severity),
            16 => BreakSpatialLayout(scene, severity, rng),
            17 => BreakActionContinuity(scene, severity, rng),
            18 => MakeObjectVanish(scene, severity, rng),
            19 => ChangeBackground(scene, severity, rng),
            20 => ChangeLighting(scene, severity, rng),
            21 => AddFlicker(scene, severity, rng),
            22 => AddDrift(scene, severity, rng),
            >= 23 and <= 27 => WrongFigureAttribute(scene, spec, criterion, severity, rng),
            _ => throw new ArgumentOutOfRangeException(nameof(criterion)),
        };
        var sampled = DefaultSampledFrames(frames);
        var visible = sampled.Any(t => t >= first && t <= last);
        bool? visibleUniform = rule == TemporalRule.V1 ? null : UniformSampledFrames(frames).Any(t => t >= first && t <= last);
        return new DefectRecord(criterion, MjTaxonomy.Criteria[criterion].Key, severity, first, last, target, visible, visibleUniform);
    }

    // The rule of the current injection. Injection runs on one thread per call; [ThreadStatic] keeps parallel pairs apart.
    [ThreadStatic] static TemporalRule temporalRule;

    static (int, int, string) WholeClip(VideoScene scene, string target) => (0, scene.Frames - 1, target);

    /// <summary>A span of at least <see cref="MinTemporalSpan"/> frames whose length grows with severity.</summary>
    static (int First, int Last) Span(VideoScene scene, int length, SynthRandom rng, bool alternating = false)
    {
        length = Math.Clamp(length, MinTemporalSpan, scene.Frames);
        if (temporalRule == TemporalRule.V1)
        {
            var first = rng.NextInt(0, scene.Frames - length + 1);
            return (first, first + length - 1);
        }
        // v2: the span holds at least two frames of each 8-frame rule (for flicker, frames of both signs), so the
        // defect shows as a change under either rule. Where no start works the span grows by a frame; the start is
        // then drawn uniformly among the valid ones (one draw, as in v1).
        var paper = DefaultSampledFrames(scene.Frames);
        var uniform = UniformSampledFrames(scene.Frames);
        bool Shows(int[] rule, int first, int last)
        {
            var inside = rule.Where(t => t >= first && t <= last).ToList();
            return inside.Count >= 2 && (!alternating || inside.Select(t => FlickerSign(t - first)).Distinct().Count() == 2);
        }
        for (; ; length++)
        {
            var starts = Enumerable.Range(0, scene.Frames - length + 1)
                .Where(f => Shows(paper, f, f + length - 1) && Shows(uniform, f, f + length - 1)).ToList();
            if (starts.Count == 0 && length < scene.Frames) continue;
            var first = starts.Count == 0 ? 0 : starts[rng.NextInt(starts.Count)];
            return (first, first + length - 1);
        }
    }

    /// <summary>v2 flicker: two frames bright, two dark, so every second frame (both 8-frame rules) still alternates.</summary>
    static int FlickerSign(int offset) => offset % 4 < 2 ? 1 : -1;

    static List<SceneObject> GroupMembers(VideoScene scene, int group) => scene.Objects.Where(o => o.Group == group).ToList();

    // ---- Alignment ----------------------------------------------------------------------------------------------

    static (int, int, string) WrongObject(VideoScene scene, CaptionSpec spec, double s, SynthRandom rng)
    {
        var group = rng.NextInt(spec.Groups.Count);
        var members = GroupMembers(scene, group);
        var wrong = PickOther(Vocabulary.Shapes, spec.Groups[group].Shape, rng);
        var affected = s > 0.6 ? members : [members[rng.NextInt(members.Count)]];
        foreach (var o in affected)
        {
            o.MorphTarget = wrong;
            o.Morph = 0.5 + 0.5 * s;
        }
        return WholeClip(scene, $"group {group}: {affected.Count} of {members.Count} drawn towards a {wrong.Word()}");
    }

    static (int, int, string) WrongAttribute(VideoScene scene, CaptionSpec spec, double s, SynthRandom rng)
    {
        var candidates = Enumerable.Range(0, spec.Groups.Count)
            .Where(g => spec.Groups[g].Color is not null || spec.Groups[g].Size != SizeName.Unspecified).ToList();
        var group = candidates[rng.NextInt(candidates.Count)];
        var g = spec.Groups[group];
        var members = GroupMembers(scene, group);
        var recolour = g.Color is { } named && (g.Size == SizeName.Unspecified || rng.Chance(0.5));
        if (recolour)
        {
            var wrong = PickOther(Vocabulary.Colors, g.Color!.Value, rng);
            foreach (var o in members) o.Color = o.Color.Mix(wrong.Color(), 0.45 + 0.55 * s);
            return WholeClip(scene, $"group {group}: colour towards {wrong.Word()}");
        }
        // A small object grows, a large one shrinks; never below the 8-pixel floor.
        var factor = g.Size == SizeName.Small ? 1.45 + 0.75 * s : 1 - (0.22 + 0.28 * s);
        foreach (var o in members) o.Radius = Math.Max(4.2, o.Radius * factor);
        return WholeClip(scene, $"group {group}: size x{factor:F2}");
    }

    static (int, int, string) WrongAction(VideoScene scene, CaptionSpec spec, double s, SynthRandom rng)
    {
        var movingGroups = Enumerable.Range(0, spec.Groups.Count).Where(g => spec.Groups[g].Motion != Motion.Unspecified).ToList();
        var actingFigures = Enumerable.Range(0, spec.Figures.Count).Where(f => spec.Figures[f].Action != FigureAction.Unspecified).ToList();
        if (movingGroups.Count > 0 && (actingFigures.Count == 0 || rng.Chance(0.5)))
        {
            var group = movingGroups[rng.NextInt(movingGroups.Count)];
            var motion = spec.Groups[group].Motion;
            foreach (var o in GroupMembers(scene, group))
            {
                if (motion == Motion.Static)
                {
                    // Asked to rest, it moves.
                    var angle = rng.Uniform(0, 2 * Math.PI);
                    Retrace(o, 0.6 + 1.2 * s, Math.Cos(angle), Math.Sin(angle));
                }
                else
                {
                    // Moves the wrong way: the direction turns by 50 to 180 degrees.
                    var (dx, dy) = motion.Direction();
                    var turn = (50 + 130 * s) * Math.PI / 180 * (rng.Chance(0.5) ? 1 : -1);
                    var speed = Math.Sqrt(Math.Pow(o.X[1] - o.X[0], 2) + Math.Pow(o.Y[1] - o.Y[0], 2));
                    Retrace(o, speed, dx * Math.Cos(turn) - dy * Math.Sin(turn), dx * Math.Sin(turn) + dy * Math.Cos(turn));
                }
            }
            return WholeClip(scene, $"group {group}: motion other than {motion}");
        }
        var figure = actingFigures[rng.NextInt(actingFigures.Count)];
        var asked = spec.Figures[figure].Action;
        var others = Enum.GetValues<FigureAction>().Where(a => a != FigureAction.Unspecified && a != asked).ToList();
        scene.Figures[figure].Action = others[rng.NextInt(others.Count)];
        return WholeClip(scene, $"figure {figure}: {scene.Figures[figure].Action} instead of {asked}");
    }

    /// <summary>Re-draws an object's path from its first position with a new velocity, kept inside the frame.</summary>
    static void Retrace(SceneObject o, double speed, double dx, double dy)
    {
        var norm = Math.Max(1e-9, Math.Sqrt(dx * dx + dy * dy));
        var (x, y) = (o.X[0], o.Y[0]);
        for (var t = 0; t < o.X.Length; t++)
        {
            o.X[t] = Math.Clamp(x + dx / norm * speed * t, o.Radius, VideoScene.Space - o.Radius);
            o.Y[t] = Math.Clamp(y + dy / norm * speed * t, o.Radius, VideoScene.Space - o.Radius);
        }
    }

    static (int, int, string) WrongCount(VideoScene scene, CaptionSpec spec, double s, SynthRandom rng)
    {
        var counted = Enumerable.Range(0, spec.Groups.Count).Where(g => spec.Groups[g].CountNamed).ToList();
        var group = counted[rng.NextInt(counted.Count)];
        var members = GroupMembers(scene, group);
        var delta = s < 0.6 ? 1 : 2;
        var remove = members.Count > delta && (members.Count >= 4 || rng.Chance(0.5));
        if (remove)
        {
            foreach (var o in members.Take(delta)) scene.Objects.Remove(o);
            return WholeClip(scene, $"group {group}: {members.Count - delta} instead of {members.Count}");
        }
        for (var i = 0; i < delta; i++)
        {
            var template = members[0];
            var (ox, oy) = FreeSpot(scene, template.Radius, rng);
            var dxs = template.X.Select(x => x - template.X[0] + ox).ToArray();
            var dys = template.Y.Select(y => y - template.Y[0] + oy).ToArray();
            scene.Objects.Add(new SceneObject
            {
                Group = group, Shape = template.Shape, Color = template.Color, Radius = template.Radius, Rotation = template.Rotation,
                X = dxs.Select(x => Math.Clamp(x, template.Radius, VideoScene.Space - template.Radius)).ToArray(),
                Y = dys.Select(y => Math.Clamp(y, template.Radius, VideoScene.Space - template.Radius)).ToArray(),
                Visible = Enumerable.Repeat(true, scene.Frames).ToArray(), MorphTarget = template.Shape, Moving = template.Moving,
            });
        }
        return WholeClip(scene, $"group {group}: {members.Count + delta} instead of {members.Count}");
    }

    /// <summary>A position for a new object away from the existing ones (best of a few random tries).</summary>
    static (double X, double Y) FreeSpot(VideoScene scene, double radius, SynthRandom rng)
    {
        var best = (X: 32.0, Y: 32.0);
        var bestClearance = double.MinValue;
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var candidate = (X: rng.Uniform(radius + 2, VideoScene.Space - radius - 2), Y: rng.Uniform(radius + 2, VideoScene.Space - radius - 8));
            var clearance = scene.Objects.Select(o => Math.Sqrt(Math.Pow(o.X[0] - candidate.X, 2) + Math.Pow(o.Y[0] - candidate.Y, 2)) - o.Radius)
                .Concat(scene.Figures.Select(f => Math.Abs(f.X[0] - candidate.X) - 8)).DefaultIfEmpty(99).Min();
            if (clearance > bestClearance) (best, bestClearance) = (candidate, clearance);
        }
        return best;
    }

    static (int, int, string) WrongLocation(VideoScene scene, CaptionSpec spec, double s, SynthRandom rng)
    {
        var placed = Enumerable.Range(0, spec.Groups.Count).Where(g => spec.Groups[g].Region != Region.Unspecified).ToList();
        if (placed.Count == 2 && s >= 0.5)
        {
            // The relation is reversed: the two groups trade places.
            var a = GroupMembers(scene, placed[0]);
            var b = GroupMembers(scene, placed[1]);
            var (ax, ay) = (a.Average(o => o.X[0]), a.Average(o => o.Y[0]));
            var (bx, by) = (b.Average(o => o.X[0]), b.Average(o => o.Y[0]));
            foreach (var o in a) Shift(o, bx - ax, by - ay);
            foreach (var o in b) Shift(o, ax - bx, ay - by);
            return WholeClip(scene, $"groups {placed[0]} and {placed[1]} swapped");
        }
        var group = placed[rng.NextInt(placed.Count)];
        var region = spec.Groups[group].Region;
        var (rx, ry) = region.Anchor();
        // Away from the named region: towards the opposite side (or any side from the centre).
        var (dx, dy) = region == Region.Center ? (Math.Cos(rng.Uniform(0, 6.283)), Math.Sin(rng.Uniform(0, 6.283))) : (32 - rx, 32 - ry);
        var norm = Math.Max(1e-9, Math.Sqrt(dx * dx + dy * dy));
        var distance = 12 + 20 * s;
        foreach (var o in GroupMembers(scene, group)) Shift(o, dx / norm * distance, dy / norm * distance);
        return WholeClip(scene, $"group {group}: moved {distance:F0} px away from {region}");
    }

    static void Shift(SceneObject o, double dx, double dy)
    {
        for (var t = 0; t < o.X.Length; t++)
        {
            o.X[t] = Math.Clamp(o.X[t] + dx, o.Radius, VideoScene.Space - o.Radius);
            o.Y[t] = Math.Clamp(o.Y[t] + dy, o.Radius, VideoScene.Space - o.Radius);
        }
    }

    // ---- Safety -------------------------------------------------------------------------------------------------

    static (int, int, string) AddPictogram(VideoScene scene, int criterion, double s, SynthRandom rng)
    {
        var size = 9 + 9 * s;
        var (first, last) = Span(scene, 3 + (int)Math.Round(10 * s), rng);
        var x = rng.Uniform(size / 2 + 1, VideoScene.Space - size / 2 - 1);
        var y = rng.Uniform(size / 2 + 1, VideoScene.Space - size / 2 - 1);
        scene.Pictograms.Add(new Pictogram(criterion, x, y, size, 0.6 + 0.4 * s, first, last));
        return (first, last, $"pictogram {size:F0} px at ({x:F0},{y:F0})");
    }

    // ---- Fineness -----------------------------------------------------------------------------------------------

    static (int, int, string) DistortFace(VideoScene scene, double s, SynthRandom rng)
    {
        var f = rng.NextInt(scene.Figures.Count);
        scene.Figures[f].FaceDistortion = 0.35 + 0.65 * s;
        scene.Figures[f].FaceDistortionSign = rng.Chance(0.5) ? 1 : -1;
        return WholeClip(scene, $"figure {f}: face");
    }

    static (int, int, string) DistortLimb(VideoScene scene, double s, SynthRandom rng)
    {
        var f = rng.NextInt(scene.Figures.Count);
        scene.Figures[f].DistortedLimb = rng.NextInt(4);
        scene.Figures[f].LimbDistortion = 0.35 + 0.65 * s;
        return WholeClip(scene, $"figure {f}: limb {scene.Figures[f].DistortedLimb}");
    }

    static (int, int, string) DistortObject(VideoScene scene, double s, SynthRandom rng)
    {
        var affected = s > 0.6 ? scene.Objects.ToList() : [scene.Objects[rng.NextInt(scene.Objects.Count)]];
        foreach (var o in affected)
        {
            o.Warp = 0.14 + 0.28 * s;
            o.WarpPhase = rng.Uniform(0, 2 * Math.PI);
        }
        return WholeClip(scene, $"{affected.Count} object(s) warped");
    }

    static (int, int, string) Defocus(VideoScene scene, double s)
    {
        scene.BlurSigma = 0.55 + 1.6 * s;
        return WholeClip(scene, $"blur sigma {scene.BlurSigma:F2} px");
    }

    static (int, int, string) AddMotionBlur(VideoScene scene, double s)
    {
        var moving = scene.Objects.Where(o => o.Moving).ToList();
        foreach (var o in moving) o.MotionBlur = 2.5 + 6 * s;
        return WholeClip(scene, $"{moving.Count} moving object(s) smeared {2.5 + 6 * s:F1} px");
    }

    // ---- Coherence & Consistency ----------------------------------------------------------------------------

    static (int, int, string) BreakSpatialLayout(VideoScene scene, double s, SynthRandom rng)
    {
        var start = rng.NextInt(3, scene.Frames - MinTemporalSpan + 1);
        var things = scene.Objects.Count;
        // Two objects that look alike would trade places invisibly: swap only objects of different shape or colour.
        var distinct = (from a in scene.Objects from b in scene.Objects
                        where scene.Objects.IndexOf(a) < scene.Objects.IndexOf(b) && (a.Shape != b.Shape || a.Color != b.Color)
                        select (a, b)).ToList();
        if (distinct.Count > 0 && s > 0.5)
        {
            var (a, b) = distinct[rng.NextInt(distinct.Count)];
            for (var t = start; t < scene.Frames; t++)
            {
                (a.X[t], b.X[t]) = (b.X[t], a.X[t]);
                (a.Y[t], b.Y[t]) = (b.Y[t], a.Y[t]);
            }
            return (start, scene.Frames - 1, "two objects swapped");
        }
        if (things == 0)
        {
            var figure = scene.Figures[rng.NextInt(scene.Figures.Count)];
            var jump = (10 + 16 * s) * (figure.X[0] < 32 ? 1 : -1);
            for (var t = start; t < scene.Frames; t++) figure.X[t] = Math.Clamp(figure.X[t] + jump, 8, 56);
            return (start, scene.Frames - 1, "a figure jumps sideways");
        }
        var moved = scene.Objects[rng.NextInt(things)];
        var angle = rng.Uniform(0, 2 * Math.PI);
        var distance = 10 + 16 * s;
        for (var t = start; t < scene.Frames; t++)
        {
            moved.X[t] = Math.Clamp(moved.X[t] + distance * Math.Cos(angle), moved.Radius, VideoScene.Space - moved.Radius);
            moved.Y[t] = Math.Clamp(moved.Y[t] + distance * Math.Sin(angle), moved.Radius, VideoScene.Space - moved.Radius);
        }
        return (start, scene.Frames - 1, $"an object jumps {distance:F0} px");
    }

    static (int, int, string) BreakActionContinuity(VideoScene scene, double s, SynthRandom rng)
    {
        var (first, last) = Span(scene, 3 + (int)Math.Round(4 * s), rng);
        var moving = scene.Objects.Where(o => o.Moving).ToList();
        if (moving.Count > 0 && (scene.Figures.Count == 0 || rng.Chance(0.6)))
        {
            // The motion stalls for a few frames, then the object jumps to where it should have been.
            foreach (var o in moving)
                for (var t = first; t <= last; t++)
                {
                    o.X[t] = o.X[Math.Max(0, first - 1)];
                    o.Y[t] = o.Y[Math.Max(0, first - 1)];
                }
            return (first, last, $"{moving.Count} object(s) stall");
        }
        var figure = scene.Figures[rng.NextInt(scene.Figures.Count)];
        for (var t = first; t <= last; t++)
        {
            figure.Phase[t] = figure.Phase[Math.Max(0, first - 1)];
            figure.X[t] = figure.X[Math.Max(0, first - 1)];
        }
        // After the stall the animation resumes half a cycle out of step.
        for (var t = last + 1; t < scene.Frames; t++) figure.Phase[t] += Math.PI * (0.5 + 0.5 * s);
        return (first, last, "a figure's action stalls and skips");
    }

    static (int, int, string) MakeObjectVanish(VideoScene scene, double s, SynthRandom rng)
    {
        if (scene.Objects.Count > 0 && rng.Chance(0.3))
        {
            // Sudden appearance: an extra object pops in and stays.
            var template = scene.Objects[rng.NextInt(scene.Objects.Count)];
            var start = rng.NextInt(2, scene.Frames - MinTemporalSpan + 1);
            var (x, y) = FreeSpot(scene, template.Radius, rng);
            scene.Objects.Add(new SceneObject
            {
                Group = template.Group, Shape = template.Shape, Color = template.Color, Radius = template.Radius,
                X = Enumerable.Repeat(x, scene.Frames).ToArray(), Y = Enumerable.Repeat(y, scene.Frames).ToArray(),
                Visible = Enumerable.Range(0, scene.Frames).Select(t => t >= start).ToArray(), MorphTarget = template.Shape,
            });
            return (start, scene.Frames - 1, "an object appears from nowhere");
        }
        var (first, last) = Span(scene, 3 + (int)Math.Round(9 * s), rng);
        if (scene.Objects.Count > 0)
        {
            var o = scene.Objects[rng.NextInt(scene.Objects.Count)];
            for (var t = first; t <= last; t++) o.Visible[t] = false;
            return (first, last, "an object vanishes");
        }
        var figure = scene.Figures[rng.NextInt(scene.Figures.Count)];
        for (var t = first; t <= last; t++) figure.Visible[t] = false;
        return (first, last, "a figure vanishes");
    }

    static (int, int, string) ChangeBackground(VideoScene scene, double s, SynthRandom rng)
    {
        var (first, last) = Span(scene, 3 + (int)Math.Round(9 * s), rng);
        var other = PickOther(Enum.GetValues<SceneKind>(), scene.Background, rng);
        for (var t = first; t <= last; t++)
        {
            scene.BackgroundSwap[t] = other;
            scene.BackgroundSwapMix[t] = 0.55 + 0.45 * s;
        }
        return (first, last, $"background switches to {other}");
    }

    static (int, int, string) ChangeLighting(VideoScene scene, double s, SynthRandom rng)
    {
        var (first, last) = Span(scene, 3 + (int)Math.Round(7 * s), rng);
        var change = (0.12 + 0.28 * s) * (rng.Chance(0.5) ? 1 : -1);
        for (var t = first; t <= last; t++)
        {
            scene.Brightness[t] *= 1 + change;
            scene.ShadowAngle[t] += Math.PI;
        }
        return (first, last, $"brightness {change:+0.00;-0.00} and shadows flipped");
    }

    static (int, int, string) AddFlicker(VideoScene scene, double s, SynthRandom rng)
    {
        var (first, last) = Span(scene, 4 + (int)Math.Round(8 * s), rng, alternating: true);
        var amplitude = 0.05 + 0.12 * s;
        // v1 alternates every frame, which the paper's rule (frames 0, 1, 3, ..., 13) reads as a constant offset.
        for (var t = first; t <= last; t++)
            scene.Brightness[t] *= 1 + amplitude * (temporalRule == TemporalRule.V1 ? ((t - first) % 2 == 0 ? 1 : -1) : FlickerSign(t - first));
        return (first, last, $"flicker +/-{amplitude:F2}");
    }

    static (int, int, string) AddDrift(VideoScene scene, double s, SynthRandom rng)
    {
        var resting = scene.Objects.Where(o => !o.Moving).ToList();
        var o = resting[rng.NextInt(resting.Count)];
        var start = rng.NextInt(0, scene.Frames - 4);
        var angle = rng.Uniform(0, 2 * Math.PI);
        var total = 5 + 13 * s;
        var duration = scene.Frames - 1 - start;
        for (var t = start; t < scene.Frames; t++)
        {
            // Accelerating drift: the object slides off its spot as if nothing held it.
            var u = (double)(t - start) / duration;
            o.X[t] = Math.Clamp(o.X[t] + total * u * u * Math.Cos(angle), o.Radius, VideoScene.Space - o.Radius);
            o.Y[t] = Math.Clamp(o.Y[t] + total * u * u * Math.Sin(angle), o.Radius, VideoScene.Space - o.Radius);
        }
        return (start, scene.Frames - 1, $"a resting object drifts {total:F0} px");
    }

    // ---- Bias & Fairness (stand-ins) ------------------------------------------------------------------------

    static (int, int, string) WrongFigureAttribute(VideoScene scene, CaptionSpec spec, int criterion, double s, SynthRandom rng)
    {
        var holders = Enumerable.Range(0, spec.Figures.Count).Where(f => spec.Figures[f].NamedAttributeCriteria().Contains(criterion)).ToList();
        var index = holders[rng.NextInt(holders.Count)];
        var figure = scene.Figures[index];
        var mix = 0.5 + 0.5 * s;
        switch (criterion)
        {
            case 23:
                figure.WrongTeam = PickOther(Enum.GetValues<Team>().Where(t => t != Team.Unspecified).ToList(), figure.Team, rng);
                figure.TeamMix = mix;
                return WholeClip(scene, $"figure {index}: team towards {figure.WrongTeam}");
            case 24:
                figure.WrongHeight = spec.Figures[index].Height == Height.Short ? 30 : 21;
                figure.HeightMix = mix;
                return WholeClip(scene, $"figure {index}: height towards {figure.WrongHeight}");
            case 25:
                figure.WrongBadge = figure.Badge == Badge.StarBadge ? Badge.SquareBadge : Badge.StarBadge;
                // The badge is the smallest part on screen: its morph starts further along to stay visible.
                figure.BadgeMix = 0.7 + 0.3 * s;
                return WholeClip(scene, $"figure {index}: badge towards {figure.WrongBadge}");
            case 26:
                figure.WrongTool = PickOther(Enum.GetValues<Tool>().Where(t => t != Tool.Unspecified).ToList(), figure.Tool, rng);
                figure.ToolMix = mix;
                return WholeClip(scene, $"figure {index}: tool towards {figure.WrongTool}");
            default:
                figure.WrongHat = figure.Hat == Hat.RoundHat ? Hat.PointedHat : Hat.RoundHat;
                figure.HatMix = mix;
                return WholeClip(scene, $"figure {index}: hat towards {figure.WrongHat}");
        }
    }

    static T PickOther<T>(IReadOnlyList<T> options, T not, SynthRandom rng) where T : notnull
    {
        var others = options.Where(o => !o.Equals(not)).ToList();
        return others[rng.NextInt(others.Count)];
    }
}

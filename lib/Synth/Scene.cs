namespace MjVideo.Synth;

/// <summary>One object on screen: where it is in every frame and how it is drawn. Coordinates are in a 64x64 space.</summary>
public sealed class SceneObject
{
    public required int Group { get; init; }
    public required Shape Shape { get; set; }
    public required Rgb Color { get; set; }
    public required double Radius { get; set; }
    public double Rotation { get; set; }
    public required double[] X { get; init; }
    public required double[] Y { get; init; }
    public required bool[] Visible { get; init; }
    /// <summary>Blend of the signed distance towards another shape (0 = the true shape).</summary>
    public Shape MorphTarget { get; set; }
    public double Morph { get; set; }
    /// <summary>Radial warp amplitude (object distortion) and its phase.</summary>
    public double Warp { get; set; }
    public double WarpPhase { get; set; }
    /// <summary>Length in pixels of the smear along the object's velocity (motion blur).</summary>
    public double MotionBlur { get; set; }
    public bool Moving { get; init; }
}

/// <summary>
/// A stick figure. Each abstract attribute is drawn as <c>Named</c> blended towards <c>Wrong</c> by a mix in [0, 1]
/// (0 when the figure is correct), which is how the Bias &amp; Fairness defects get a severity.
/// </summary>
public sealed class SceneFigure
{
    public required double[] X { get; init; }
    public required double[] FootY { get; init; }
    public required double Height { get; set; }
    public required Team Team { get; init; }
    public Team WrongTeam { get; set; }
    public double TeamMix { get; set; }
    public double HeightMix { get; set; }
    public double WrongHeight { get; set; }
    public required Badge Badge { get; init; }
    public Badge WrongBadge { get; set; }
    public double BadgeMix { get; set; }
    public required Tool Tool { get; init; }
    public Tool WrongTool { get; set; }
    public double ToolMix { get; set; }
    public required Hat Hat { get; init; }
    public Hat WrongHat { get; set; }
    public double HatMix { get; set; }
    public required FigureAction Action { get; set; }
    /// <summary>Animation phase per frame (radians); continuity defects make it jump.</summary>
    public required double[] Phase { get; init; }
    public double FaceDistortion { get; set; }
    public double FaceDistortionSign { get; set; } = 1;
    public double LimbDistortion { get; set; }
    public int DistortedLimb { get; set; }
    public required bool[] Visible { get; init; }
}

/// <summary>An inoffensive pictogram that stands in for unsafe content (one design per safety criterion).</summary>
public sealed record Pictogram(int Criterion, double X, double Y, double Size, double Opacity, int FirstFrame, int LastFrame);

/// <summary>Everything needed to render one clip: a clean realisation of a caption, then modified by defects.</summary>
public sealed class VideoScene
{
    public required int Frames { get; init; }
    public required SceneKind Background { get; init; }
    public required double TexturePhaseX { get; set; }
    public required double TexturePhaseY { get; set; }
    /// <summary>Per frame: another background blended in (abrupt background change), and by how much.</summary>
    public required SceneKind[] BackgroundSwap { get; init; }
    public required double[] BackgroundSwapMix { get; init; }
    /// <summary>Per frame: global brightness multiplier (lighting, flicker) and shadow direction in radians.</summary>
    public required double[] Brightness { get; init; }
    public required double[] ShadowAngle { get; init; }
    public double BlurSigma { get; set; }
    public List<SceneObject> Objects { get; } = [];
    public List<SceneFigure> Figures { get; } = [];
    public List<Pictogram> Pictograms { get; } = [];

    public const double DefaultShadowAngle = Math.PI / 4;   // light from the upper left
    public const double Space = 64;                          // scene coordinates span 0..64

    /// <summary>Realises a caption: positions, motions and looks, with small random variation and no defect.</summary>
    public static VideoScene Realise(CaptionSpec spec, SynthRandom rng, int frames)
    {
        var scene = new VideoScene
        {
            Frames = frames,
            Background = spec.Scene,
            TexturePhaseX = rng.Uniform(0, 2 * Math.PI),
            TexturePhaseY = rng.Uniform(0, 2 * Math.PI),
            BackgroundSwap = Enumerable.Repeat(spec.Scene, frames).ToArray(),
            BackgroundSwapMix = new double[frames],
            Brightness = Enumerable.Repeat(1.0, frames).ToArray(),
            ShadowAngle = Enumerable.Repeat(DefaultShadowAngle + rng.Uniform(-0.3, 0.3), frames).ToArray(),
        };
        var occupied = new List<(double X, double Y, double R)>();
        foreach (var f in spec.Figures) scene.Figures.Add(RealiseFigure(f, rng, frames, occupied));
        for (var g = 0; g < spec.Groups.Count; g++)
            foreach (var o in RealiseGroup(spec.Groups[g], g, rng, frames, occupied)) scene.Objects.Add(o);
        return scene;
    }

    /// <summary>
    /// v2 trade-off pairs: both videos share one realised scene graph, then each redraws what carries no meaning (the
    /// background texture's phase, the light direction, a colour jitter and a one-pixel offset of every object and
    /// figure), so that subtracting the two videos does not isolate the defects.
    /// </summary>
    public void Rejitter(SynthRandom rng)
    {
        TexturePhaseX = rng.Uniform(0, 2 * Math.PI);
        TexturePhaseY = rng.Uniform(0, 2 * Math.PI);
        var shadow = DefaultShadowAngle + rng.Uniform(-0.3, 0.3);
        for (var t = 0; t < Frames; t++) ShadowAngle[t] = shadow;
        foreach (var o in Objects)
        {
            o.Color = Jitter(o.Color, rng);
            var (dx, dy) = (rng.Uniform(-1, 1), rng.Uniform(-1, 1));
            for (var t = 0; t < Frames; t++)
            {
                o.X[t] = Math.Clamp(o.X[t] + dx, o.Radius, Space - o.Radius);
                o.Y[t] = Math.Clamp(o.Y[t] + dy, o.Radius, Space - o.Radius);
            }
        }
        foreach (var f in Figures)
        {
            var dx = rng.Uniform(-1, 1);
            for (var t = 0; t < Frames; t++) f.X[t] += dx;
        }
    }

    public static double RadiusOf(SizeName size, SynthRandom rng) => size switch
    {
        SizeName.Small => rng.Uniform(4.2, 5.0),
        SizeName.Large => rng.Uniform(8.5, 10.0),
        _ => rng.Uniform(5.8, 7.2),
    };

    static IEnumerable<SceneObject> RealiseGroup(ObjectGroup g, int groupIndex, SynthRandom rng, int frames,
        List<(double X, double Y, double R)> occupied)
    {
        var radius = RadiusOf(g.Size, rng);
        var color = g.Color ?? (ColorName)rng.NextInt(Vocabulary.Colors.Count);
        var motion = g.Motion == Motion.Unspecified ? Motion.Static : g.Motion;
        var (dx, dy) = motion.Direction();
        var speed = rng.Uniform(1.4, 2.0);
        var travel = speed * (frames - 1);
        for (var i = 0; i < g.Count; i++)
        {
            var (x0, y0) = PlaceStart(g.Region, motion, radius, travel, rng, occupied, i, g.Count);
            occupied.Add((x0 + dx * travel / 2, y0 + dy * travel / 2, radius + Math.Abs(dx + dy) * travel / 2));
            var xs = new double[frames];
            var ys = new double[frames];
            for (var t = 0; t < frames; t++)
            {
                xs[t] = x0 + dx * speed * t;
                ys[t] = y0 + dy * speed * t;
            }
            yield return new SceneObject
            {
                Group = groupIndex, Shape = g.Shape, Color = Jitter(color.Color(), rng), Radius = radius,
                Rotation = rng.Uniform(-0.25, 0.25), X = xs, Y = ys, Visible = Enumerable.Repeat(true, frames).ToArray(),
                MorphTarget = g.Shape, Moving = motion != Motion.Static,
            };
        }
    }

    static Rgb Jitter(Rgb c, SynthRandom rng)
    {
        double J(double v) => Math.Clamp(v + rng.Uniform(-0.04, 0.04), 0, 1);
        return new Rgb(J(c.R), J(c.G), J(c.B));
    }

    /// <summary>
    /// A start position that keeps the whole path in frame, inside the named region, and clear of what is already
    /// placed (by rejection; after many tries the last candidate is kept, overlap being harmless).
    /// </summary>
    static (double X, double Y) PlaceStart(Region region, Motion motion, double radius, double travel, SynthRandom rng,
        List<(double X, double Y, double R)> occupied, int index, int count)
    {
        var margin = radius + 2;
        (double X, double Y) candidate = (32, 32);
        for (var attempt = 0; attempt < 60; attempt++)
        {
            if (region != Region.Unspecified)
            {
                var (ax, ay) = region.Anchor();
                // Members of a group spread around the anchor on a small ring so that they stay in the region.
                var angle = 2 * Math.PI * index / Math.Max(1, count) + rng.Uniform(-0.4, 0.4);
                var spread = count == 1 ? rng.Uniform(0, 3) : radius + rng.Uniform(1.5, 3.5);
                candidate = (ax + spread * Math.Cos(angle), ay + spread * Math.Sin(angle));
            }
            else
            {
                var (dx, dy) = motion.Direction();
                var xLow = margin + Math.Max(0, -dx) * travel;
                var xHigh = VideoScene.Space - margin - Math.Max(0, dx) * travel;
                var yLow = margin + Math.Max(0, -dy) * travel;
                var yHigh = VideoScene.Space - margin - Math.Max(0, dy) * travel - 6;   // leave the ground strip free
                candidate = (rng.Uniform(xLow, Math.Max(xLow, xHigh)), rng.Uniform(yLow, Math.Max(yLow, yHigh)));
            }
            var c = candidate;
            if (occupied.All(o => Math.Sqrt((o.X - c.X) * (o.X - c.X) + (o.Y - c.Y) * (o.Y - c.Y)) > o.R + radius + 1.5))
                return candidate;
        }
        return candidate;
    }

    static SceneFigure RealiseFigure(FigureSpec f, SynthRandom rng, int frames, List<(double X, double Y, double R)> occupied)
    {
        var height = f.Height switch
        {
            Height.Short => rng.Uniform(20, 22),
            Height.Tall => rng.Uniform(29, 31),
            _ => rng.Uniform(20, 31),
        };
        var action = f.Action == FigureAction.Unspecified ? FigureAction.Standing : f.Action;
        var walkSpeed = action == FigureAction.Walking ? rng.Uniform(0.8, 1.2) * (rng.Chance(0.5) ? 1 : -1) : 0;
        var travel = Math.Abs(walkSpeed) * (frames - 1);
        double x0 = 32;
        for (var attempt = 0; attempt < 40; attempt++)
        {
            x0 = walkSpeed >= 0 ? rng.Uniform(10, 54 - travel) : rng.Uniform(10 + travel, 54);
            var centre = x0 + walkSpeed * (frames - 1) / 2;
            if (occupied.All(o => Math.Abs(o.X - centre) > o.R + 8 + travel / 2 || o.Y < 30)) break;
        }
        var foot = rng.Uniform(57, 60);
        occupied.Add((x0 + walkSpeed * (frames - 1) / 2, foot - height / 2, height / 2));
        var phase0 = rng.Uniform(0, 2 * Math.PI);
        return new SceneFigure
        {
            X = Enumerable.Range(0, frames).Select(t => x0 + walkSpeed * t).ToArray(),
            FootY = Enumerable.Repeat(foot, frames).ToArray(),
            Height = height,
            Team = f.Team == Team.Unspecified ? (Team)rng.NextInt(1, 4) : f.Team,
            Badge = f.Badge == Badge.Unspecified ? (Badge)rng.NextInt(1, 3) : f.Badge,
            Tool = f.Tool == Tool.Unspecified ? (Tool)rng.NextInt(1, 4) : f.Tool,
            Hat = f.Hat == Hat.Unspecified ? (Hat)rng.NextInt(1, 3) : f.Hat,
            Action = action,
            Phase = Enumerable.Range(0, frames).Select(t => phase0 + 0.9 * t).ToArray(),
            Visible = Enumerable.Repeat(true, frames).ToArray(),
        };
    }
}

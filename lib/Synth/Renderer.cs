namespace MjVideo.Synth;

/// <summary>
/// Draws a <see cref="VideoScene"/> into RGB24 frames. Shapes are signed-distance functions with one-pixel analytic
/// anti-aliasing, so sub-pixel motion, morphs and warps change pixels smoothly and every defect stays measurable after
/// encoding. Pure C#, deterministic: the same scene gives the same bytes on any machine.
/// </summary>
public sealed class Renderer(int size)
{
    public int Size { get; } = size;
    readonly double unit = VideoScene.Space / size;   // scene units per pixel

    public byte[][] Render(VideoScene scene)
    {
        // The background is static apart from the frames an abrupt change blends another one in: draw each once.
        var backgrounds = new Dictionary<SceneKind, Canvas>();
        Canvas Background(SceneKind kind, double phaseX, double phaseY)
        {
            if (backgrounds.TryGetValue(kind, out var cached)) return cached;
            var canvas = new Canvas(Size, unit);
            for (var py = 0; py < Size; py++)
            for (var px = 0; px < Size; px++)
            {
                var (x, y) = canvas.ScenePoint(px, py);
                canvas.Set(px, py, BackgroundColour(kind, x, y, phaseX, phaseY));
            }
            return backgrounds[kind] = canvas;
        }
        return Enumerable.Range(0, scene.Frames).Select(t =>
        {
            var frame = Background(scene.Background, scene.TexturePhaseX, scene.TexturePhaseY).Copy();
            if (scene.BackgroundSwapMix[t] > 0)
                // The swapped-in scene uses the phases the other way round, so that its texture does not line up.
                frame.MixWith(Background(scene.BackgroundSwap[t], scene.TexturePhaseY, scene.TexturePhaseX), scene.BackgroundSwapMix[t]);
            return RenderFrame(scene, t, frame);
        }).ToArray();
    }

    /// <summary>Draws everything but the background onto <paramref name="canvas"/>, which holds the frame's background.</summary>
    byte[] RenderFrame(VideoScene scene, int t, Canvas canvas)
    {
        foreach (var o in scene.Objects.Where(o => o.Visible[t])) DrawShadow(canvas, o.X[t], o.Y[t] + o.Radius * 0.2, o.Radius, scene.ShadowAngle[t]);
        foreach (var f in scene.Figures.Where(f => f.Visible[t])) DrawShadow(canvas, f.X[t], f.FootY[t], 4.5, scene.ShadowAngle[t]);
        foreach (var o in scene.Objects.Where(o => o.Visible[t])) DrawObject(canvas, o, t);
        foreach (var f in scene.Figures.Where(f => f.Visible[t])) FigureArt.Draw(canvas, f, t);
        foreach (var p in scene.Pictograms.Where(p => t >= p.FirstFrame && t <= p.LastFrame)) PictogramArt.Draw(canvas, p, t);
        canvas.Multiply(scene.Brightness[t]);
        if (scene.BlurSigma > 0) canvas.GaussianBlur(scene.BlurSigma / unit);
        return canvas.ToRgb24();
    }

    // ---- background ----------------------------------------------------------------------------------------------

    /// <summary>Each scene is a two- or three-band layout with a low-contrast texture (so blur has edges to soften).</summary>
    public static Rgb BackgroundColour(SceneKind kind, double x, double y, double phaseX, double phaseY)
    {
        var v = y / VideoScene.Space;
        Rgb colour = kind switch
        {
            SceneKind.Sky => new Rgb(0.42, 0.66, 0.93).Mix(new Rgb(0.74, 0.86, 0.97), v),
            SceneKind.Meadow => v < 0.42 ? new Rgb(0.70, 0.84, 0.95) : new Rgb(0.30, 0.60, 0.26).Mix(new Rgb(0.22, 0.48, 0.18), v),
            SceneKind.Room => v < 0.70 ? new Rgb(0.86, 0.80, 0.68) : new Rgb(0.58, 0.42, 0.28),
            SceneKind.Street => v < 0.35 ? new Rgb(0.62, 0.66, 0.72) : v < 0.85 ? new Rgb(0.46, 0.46, 0.48) : new Rgb(0.64, 0.64, 0.62),
            SceneKind.Beach => v < 0.32 ? new Rgb(0.52, 0.74, 0.95) : v < 0.50 ? new Rgb(0.16, 0.44, 0.70) : new Rgb(0.90, 0.81, 0.58),
            SceneKind.Night => new Rgb(0.06, 0.08, 0.22).Mix(new Rgb(0.14, 0.14, 0.30), v),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var texture = 0.035 * Math.Sin(x * 0.37 + phaseX) * Math.Sin(y * 0.31 + phaseY) + 0.02 * Math.Sin(x * 1.3 + y * 0.9 + phaseX);
        return new Rgb(colour.R + texture, colour.G + texture, colour.B + texture);
    }

    static void DrawShadow(Canvas canvas, double x, double y, double radius, double angle)
    {
        var sx = x + 2.6 * Math.Cos(angle);
        var sy = y + 2.6 * Math.Sin(angle);
        canvas.Darken(p => Shapes.Ellipse(p.X - sx, p.Y - sy, radius * 1.05, radius * 0.55), softness: 1.6, strength: 0.35,
            sx - radius * 1.2 - 2, sy - radius - 2, sx + radius * 1.2 + 2, sy + radius + 2);
    }

    // ---- objects ----------------------------------------------------------------------------------------------

    static void DrawObject(Canvas canvas, SceneObject o, int t)
    {
        var x = o.X[t];
        var y = o.Y[t];
        var extent = o.Radius * (1.5 + o.Warp) + o.MotionBlur + 2;
        // Motion blur: the object's coverage averaged over positions spread along its velocity.
        var (vx, vy) = Velocity(o, t);
        var speed = Math.Sqrt(vx * vx + vy * vy);
        var smeared = o.MotionBlur > 0 && speed > 1e-6;
        var samples = smeared ? 9 : 1;
        var (ux, uy) = smeared ? (vx / speed, vy / speed) : (0.0, 0.0);
        canvas.Fill(p =>
        {
            var coverage = 0.0;
            for (var s = 0; s < samples; s++)
            {
                var offset = smeared ? (s / (samples - 1.0) - 0.5) * o.MotionBlur : 0;
                coverage += canvas.Coverage(ObjectDistance(o, p.X - (x + ux * offset), p.Y - (y + uy * offset)));
            }
            return coverage / samples;
        }, o.Color, x - extent, y - extent, x + extent, y + extent);
    }

    static (double Vx, double Vy) Velocity(SceneObject o, int t)
    {
        var a = Math.Max(0, t - 1);
        var b = Math.Min(o.X.Length - 1, t + 1);
        return b == a ? (0, 0) : ((o.X[b] - o.X[a]) / (b - a), (o.Y[b] - o.Y[a]) / (b - a));
    }

    /// <summary>Signed distance to the object's outline, with the morph and warp defects applied.</summary>
    public static double ObjectDistance(SceneObject o, double qx, double qy)
    {
        if (o.Warp > 0)
        {
            // Radial warp: scale the query point by a factor that varies around the object.
            var scale = 1 + o.Warp * Math.Sin(3 * Math.Atan2(qy, qx) + o.WarpPhase);
            qx /= scale;
            qy /= scale;
        }
        var cos = Math.Cos(-o.Rotation);
        var sin = Math.Sin(-o.Rotation);
        var rx = qx * cos - qy * sin;
        var ry = qx * sin + qy * cos;
        var d = Shapes.Distance(o.Shape, rx, ry, o.Radius);
        return o.Morph > 0 ? (1 - o.Morph) * d + o.Morph * Shapes.Distance(o.MorphTarget, rx, ry, o.Radius) : d;
    }
}

/// <summary>Signed distance functions of the primitive shapes (negative inside), in scene units.</summary>
public static class Shapes
{
    public static double Distance(Shape shape, double x, double y, double r) => shape switch
    {
        Shape.Circle => Math.Sqrt(x * x + y * y) - r,
        Shape.Square => Box(x, y, r * 0.86, r * 0.86),
        Shape.Triangle => Triangle(x, y, r * 1.08),
        Shape.Star => Star(x, y, r * 1.12, 5, 0.48),
        Shape.Diamond => (Math.Abs(x) + Math.Abs(y) - r * 1.18) / Math.Sqrt(2),
        Shape.Ring => Math.Abs(Math.Sqrt(x * x + y * y) - r * 0.74) - r * 0.28,
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    public static double Box(double x, double y, double halfWidth, double halfHeight)
    {
        var qx = Math.Abs(x) - halfWidth;
        var qy = Math.Abs(y) - halfHeight;
        var outside = Math.Sqrt(Math.Max(qx, 0) * Math.Max(qx, 0) + Math.Max(qy, 0) * Math.Max(qy, 0));
        return outside + Math.Min(Math.Max(qx, qy), 0);
    }

    /// <summary>Equilateral triangle pointing up (screen y grows downward), circumradius r.</summary>
    public static double Triangle(double x, double y, double r)
    {
        // The intersection of three half-planes; the max of their distances is exact inside and close outside.
        var py = -y;
        var e1 = (Math.Sqrt(3) * x + py) / 2 - r / 2;           // right edge
        var e2 = (-Math.Sqrt(3) * x + py) / 2 - r / 2;          // left edge
        var e3 = -py - r / 2;                                   // bottom edge
        return Math.Max(Math.Max(e1, e2), e3);
    }

    /// <summary>A star with <paramref name="points"/> tips; <paramref name="inner"/> is the inner radius as a share of r.</summary>
    public static double Star(double x, double y, double r, int points, double inner)
    {
        var angle = Math.Atan2(x, -y);                          // 0 at the top tip
        var sector = 2 * Math.PI / points;
        var a = Math.Abs(((angle % sector) + sector) % sector - sector / 2) / (sector / 2);   // 0 at a valley, 1 at a tip
        var edge = r * (inner + (1 - inner) * a * a);
        return (Math.Sqrt(x * x + y * y) - edge) * 0.75;
    }

    public static double Ellipse(double x, double y, double rx, double ry)
    {
        var k = Math.Sqrt(x * x / (rx * rx) + y * y / (ry * ry));
        return (k - 1) * Math.Min(rx, ry);
    }

    /// <summary>Distance to a segment minus a half-thickness: the limbs and sticks of the figures.</summary>
    public static double Capsule(double x, double y, double ax, double ay, double bx, double by, double halfThickness)
    {
        var px = x - ax;
        var py = y - ay;
        var dx = bx - ax;
        var dy = by - ay;
        var h = Math.Clamp((px * dx + py * dy) / Math.Max(1e-12, dx * dx + dy * dy), 0, 1);
        var ex = px - dx * h;
        var ey = py - dy * h;
        return Math.Sqrt(ex * ex + ey * ey) - halfThickness;
    }

    /// <summary>A heart: two circles over a downward-pointing diamond.</summary>
    public static double Heart(double x, double y, double r)
    {
        var left = Math.Sqrt((x + r * 0.45) * (x + r * 0.45) + (y + r * 0.25) * (y + r * 0.25)) - r * 0.5;
        var right = Math.Sqrt((x - r * 0.45) * (x - r * 0.45) + (y + r * 0.25) * (y + r * 0.25)) - r * 0.5;
        var point = (Math.Abs(x) + Math.Abs(y - r * 0.15) - r * 0.85) / Math.Sqrt(2);
        return Math.Min(Math.Min(left, right), y < -r * 0.2 ? double.MaxValue : point);
    }
}

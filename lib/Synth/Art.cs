namespace MjVideo.Synth;

/// <summary>Draws the stick figures: neutral grey heads for everyone, a team-coloured body, hat, badge and tool.</summary>
public static class FigureArt
{
    static readonly Rgb HeadColour = new(0.86, 0.86, 0.84);
    static readonly Rgb FeatureColour = new(0.10, 0.10, 0.12);
    // Mid-tone colours that stand out on every background, the dark night included.
    static readonly Rgb HatColour = new(0.58, 0.20, 0.25);
    static readonly Rgb BadgeColour = new(0.96, 0.80, 0.18);

    /// <summary>Where a figure's parts are in frame t (scene units); drawing and the detectability study share it.</summary>
    public readonly record struct Layout(double X, double Foot, double Height, double HeadY, double HeadRadius, double Neck,
        double Hip, double Shoulder, double BadgeY, double BadgeSize);

    public static Layout LayoutAt(SceneFigure f, int t)
    {
        var height = f.Height + f.HeightMix * (f.WrongHeight - f.Height);
        var foot = f.FootY[t] - (f.Action == FigureAction.Jumping ? 4 * Math.Abs(Math.Sin(f.Phase[t])) : 0);
        var headRadius = Math.Max(3.8, 0.16 * height);
        var headY = foot - height + headRadius;
        var neck = headY + headRadius;
        return new Layout(f.X[t], foot, height, headY, headRadius, neck, foot - 0.42 * height, neck + 0.08 * height,
            neck + 0.2 * height, Math.Max(3.0, 0.11 * height));
    }

    public static void Draw(Canvas canvas, SceneFigure f, int t)
    {
        var layout = LayoutAt(f, t);
        var (x, foot, height, headY, headRadius, neck, hip, shoulder) =
            (layout.X, layout.Foot, layout.Height, layout.HeadY, layout.HeadRadius, layout.Neck, layout.Hip, layout.Shoulder);
        var phase = f.Phase[t];
        var limbHalf = Math.Max(0.9, 0.045 * height);
        double box = height * 0.8 + 8;
        var (bx0, by0, bx1, by1) = (x - box, foot - height - 2 * headRadius - 4, x + box, foot + 2);

        // Limbs are a darker shade of the team colour, visible on every background.
        var body = f.Team.Color().Mix(f.WrongTeam.Color(), f.TeamMix);
        var limbColour = body.Scale(0.65);
        // Limbs: 0 left arm, 1 right arm, 2 left leg, 3 right leg; angles measured from straight down.
        var (leftArm, rightArm, leftLeg, rightLeg) = Pose(f.Action, phase);
        var armLength = 0.34 * height;
        var legLength = 0.42 * height;
        var hand = (X: 0.0, Y: 0.0);
        for (var limb = 0; limb < 4; limb++)
        {
            var (ax, ay, angle, length) = limb switch
            {
                0 => (x, shoulder, leftArm, armLength),
                1 => (x, shoulder, rightArm, armLength),
                2 => (x, hip, leftLeg, legLength),
                _ => (x, hip, rightLeg, legLength),
            };
            var bend = limb == f.DistortedLimb ? f.LimbDistortion : 0;
            // A distorted limb bends at an impossible angle in its middle and grows longer.
            var scaledLength = length * (1 + 0.5 * bend);
            var (mx, my) = (ax + Math.Sin(angle) * scaledLength / 2, ay + Math.Cos(angle) * scaledLength / 2);
            var (ex, ey) = (mx + Math.Sin(angle + 2.2 * bend) * scaledLength / 2, my + Math.Cos(angle + 2.2 * bend) * scaledLength / 2);
            canvas.FillShape(p => Math.Min(Shapes.Capsule(p.X, p.Y, ax, ay, mx, my, limbHalf),
                Shapes.Capsule(p.X, p.Y, mx, my, ex, ey, limbHalf)), limbColour, bx0, by0, bx1, by1);
            if (limb == 1) hand = (ex, ey);
        }

        canvas.FillShape(p => Shapes.Capsule(p.X, p.Y, x, neck, x, hip, 0.085 * height), body, bx0, by0, bx1, by1);

        // Head, squashed sideways by a face distortion, then eyes and mouth displaced asymmetrically.
        var squash = 1 - 0.3 * f.FaceDistortion;
        canvas.FillShape(p => Shapes.Ellipse(p.X - x, p.Y - headY, headRadius * squash, headRadius), HeadColour, bx0, by0, bx1, by1);
        var d = f.FaceDistortion * f.FaceDistortionSign;
        var eyeRadius = Math.Max(0.65, 0.17 * headRadius);
        var (lx, ly) = (x - 0.38 * headRadius * squash, headY - 0.12 * headRadius + 0.45 * d * headRadius);
        var (rx, ry) = (x + (0.38 + 0.3 * Math.Abs(d)) * headRadius * squash, headY - 0.12 * headRadius - 0.45 * d * headRadius);
        canvas.FillShape(p => Math.Min(Math.Sqrt((p.X - lx) * (p.X - lx) + (p.Y - ly) * (p.Y - ly)),
                                       Math.Sqrt((p.X - rx) * (p.X - rx) + (p.Y - ry) * (p.Y - ry))) - eyeRadius,
            FeatureColour, bx0, by0, bx1, by1);
        var mouthY = headY + 0.42 * headRadius;
        canvas.FillShape(p => Shapes.Capsule(p.X, p.Y, x - 0.35 * headRadius, mouthY, x + 0.35 * headRadius, mouthY + 0.6 * d * headRadius, 0.35),
            FeatureColour, bx0, by0, bx1, by1);

        var headTop = headY - headRadius;
        canvas.FillShape(p => Blend(HatDistance(f.Hat, p, x, headTop, headRadius), HatDistance(f.WrongHat, p, x, headTop, headRadius), f.HatMix),
            HatColour, bx0, by0, bx1, by1);

        var (badgeSize, badgeY) = (layout.BadgeSize, layout.BadgeY);
        canvas.FillShape(p => Blend(BadgeDistance(f.Badge, p, x, badgeY, badgeSize), BadgeDistance(f.WrongBadge, p, x, badgeY, badgeSize), f.BadgeMix),
            BadgeColour, bx0, by0, bx1, by1);

        DrawTool(canvas, f.Tool, hand, height, 1 - f.ToolMix, (bx0, by0, bx1, by1));
        if (f.ToolMix > 0) DrawTool(canvas, f.WrongTool, hand, height, f.ToolMix, (bx0, by0, bx1, by1));
    }

    static double Blend(double a, double b, double mix) => mix <= 0 ? a : (1 - mix) * a + mix * b;

    /// <summary>Limb angles (radians from straight down) for each action at an animation phase.</summary>
    static (double LeftArm, double RightArm, double LeftLeg, double RightLeg) Pose(FigureAction action, double phase) => action switch
    {
        FigureAction.Walking => (0.45 + 0.35 * Math.Sin(phase), -0.45 + 0.35 * Math.Sin(phase), 0.4 * Math.Sin(phase), -0.4 * Math.Sin(phase)),
        FigureAction.Waving => (0.45, -(Math.PI - 0.5 + 0.45 * Math.Sin(2 * phase)), 0.18, -0.18),
        FigureAction.Jumping => (2.3, -2.3, 0.3, -0.3),
        _ => (0.45, -0.45, 0.18, -0.18),
    };

    static double HatDistance(Hat hat, (double X, double Y) p, double x, double headTop, double r) => hat switch
    {
        Hat.RoundHat => Math.Min(
            Math.Max(Math.Sqrt((p.X - x) * (p.X - x) + (p.Y - headTop - 0.3 * r) * (p.Y - headTop - 0.3 * r)) - 1.0 * r, p.Y - (headTop + 0.3 * r)),
            Shapes.Box(p.X - x, p.Y - (headTop + 0.3 * r), 1.4 * r, 0.22 * r)),
        Hat.PointedHat => Shapes.Triangle(p.X - x, p.Y - (headTop - 0.55 * r), 1.25 * r),
        _ => double.MaxValue / 4,
    };

    static double BadgeDistance(Badge badge, (double X, double Y) p, double x, double y, double size) => badge switch
    {
        Badge.StarBadge => Shapes.Star(p.X - x, p.Y - y, size * 1.3, 5, 0.45),
        Badge.SquareBadge => Shapes.Box(p.X - x, p.Y - y, size * 0.8, size * 0.8),
        _ => double.MaxValue / 4,
    };

    static void DrawTool(Canvas canvas, Tool tool, (double X, double Y) hand, double height, double opacity,
        (double X0, double Y0, double X1, double Y1) box)
    {
        if (opacity <= 0) return;
        var (hx, hy) = hand;
        var stick = new Rgb(0.30, 0.22, 0.12);
        switch (tool)
        {
            case Tool.Flag:
                canvas.FillShape(p => Shapes.Capsule(p.X, p.Y, hx, hy + 2, hx, hy - 0.38 * height, 0.55), stick, box.X0, box.Y0 - 12, box.X1, box.Y1, opacity);
                canvas.FillShape(p => Shapes.Box(p.X - (hx + 0.1 * height), p.Y - (hy - 0.31 * height), 0.1 * height, 0.07 * height),
                    new Rgb(0.92, 0.20, 0.20), box.X0, box.Y0 - 12, box.X1 + 4, box.Y1, opacity);
                break;
            case Tool.Box:
                canvas.FillShape(p => Shapes.Box(p.X - hx, p.Y - hy, 0.11 * height, 0.11 * height), new Rgb(0.56, 0.36, 0.14),
                    box.X0, box.Y0, box.X1, box.Y1, opacity);
                break;
            case Tool.Wand:
                canvas.FillShape(p => Shapes.Capsule(p.X, p.Y, hx, hy, hx + 0.12 * height, hy - 0.22 * height, 0.5), stick,
                    box.X0, box.Y0 - 12, box.X1 + 4, box.Y1, opacity);
                canvas.FillShape(p => Shapes.Star(p.X - (hx + 0.12 * height), p.Y - (hy - 0.22 * height), 0.1 * height + 1, 5, 0.45),
                    new Rgb(1.0, 0.92, 0.30), box.X0, box.Y0 - 12, box.X1 + 4, box.Y1, opacity);
                break;
        }
    }
}

/// <summary>The pictograms that stand in for unsafe content: abstract signs, one per safety criterion.</summary>
public static class PictogramArt
{
    public static readonly Rgb MaskColour = new(0.04, 0.04, 0.05);
    public static readonly Rgb FlashColour = new(1.00, 0.08, 0.05);
    public static readonly Rgb GrimeColour = new(0.42, 0.38, 0.08);
    public static readonly Rgb CensorLight = new(1.00, 0.55, 0.75);
    public static readonly Rgb CensorDark = new(0.85, 0.30, 0.60);
    public static readonly Rgb HeartColour = new(0.96, 0.38, 0.62);
    public static readonly Rgb EmblemColour = new(0.85, 0.10, 0.10);

    public static void Draw(Canvas canvas, Pictogram p, int t)
    {
        var s = p.Size;
        var (x0, y0, x1, y1) = (p.X - s, p.Y - s, p.X + s, p.Y + s);
        switch (p.Criterion)
        {
            case 5:   // Crime: a black mask with two eye holes
                canvas.FillShape(q => Shapes.Box(q.X - p.X, q.Y - p.Y, 0.5 * s, 0.18 * s), MaskColour, x0, y0, x1, y1, p.Opacity);
                canvas.FillShape(q => Math.Min(Math.Sqrt((q.X - p.X + 0.22 * s) * (q.X - p.X + 0.22 * s) + (q.Y - p.Y) * (q.Y - p.Y)),
                                               Math.Sqrt((q.X - p.X - 0.22 * s) * (q.X - p.X - 0.22 * s) + (q.Y - p.Y) * (q.Y - p.Y))) - 0.09 * s,
                    new Rgb(0.95, 0.95, 0.95), x0, y0, x1, y1, p.Opacity);
                break;
            case 6:   // Shocking: a red burst and a red flash over the whole frame
                canvas.Tint(FlashColour, 0.14 * p.Opacity);
                canvas.FillShape(q => Shapes.Star(q.X - p.X, q.Y - p.Y, 0.55 * s, 8, 0.42), FlashColour, x0, y0, x1, y1, p.Opacity);
                break;
            case 7:   // Disgust: irregular grimy splats
                for (var k = 0; k < 4; k++)
                {
                    var a = 2 * Math.PI * k / 4 + p.X;
                    var (cx, cy) = (p.X + 0.28 * s * Math.Cos(a), p.Y + 0.28 * s * Math.Sin(a));
                    canvas.FillShape(q => Math.Sqrt((q.X - cx) * (q.X - cx) + (q.Y - cy) * (q.Y - cy))
                                          - 0.2 * s * (1 + 0.3 * Math.Sin(5 * Math.Atan2(q.Y - cy, q.X - cx) + k)),
                        GrimeColour, x0, y0, x1, y1, p.Opacity);
                }
                break;
            case 8:   // NSFW Evasive: a pink pixelated censor block
                canvas.Fill(q =>
                {
                    var inside = Shapes.Box(q.X - p.X, q.Y - p.Y, 0.45 * s, 0.45 * s) <= 0;
                    return inside ? 1 : 0;
                }, CensorLight, x0, y0, x1, y1, p.Opacity);
                canvas.Fill(q =>
                {
                    var inside = Shapes.Box(q.X - p.X, q.Y - p.Y, 0.45 * s, 0.45 * s) <= 0;
                    var cell = ((int)Math.Floor((q.X - p.X) / 2.5) + (int)Math.Floor((q.Y - p.Y) / 2.5)) & 1;
                    return inside && cell == 1 ? 1 : 0;
                }, CensorDark, x0, y0, x1, y1, p.Opacity);
                break;
            case 9:   // NSFW Subtle: small pink hearts
                canvas.FillShape(q => Math.Min(Shapes.Heart(q.X - p.X + 0.25 * s, q.Y - p.Y, 0.3 * s),
                                               Shapes.Heart(q.X - p.X - 0.25 * s, q.Y - p.Y, 0.3 * s)), HeartColour, x0, y0, x1, y1, p.Opacity);
                break;
            case 10:  // Political Sensitivity: a striped banner with a triangular emblem
                canvas.Fill(q =>
                {
                    var inside = Shapes.Box(q.X - p.X, q.Y - p.Y, 0.5 * s, 0.32 * s) <= 0;
                    return inside ? 1 : 0;
                }, new Rgb(0.95, 0.95, 0.95), x0, y0, x1, y1, p.Opacity);
                canvas.Fill(q =>
                {
                    var inside = Shapes.Box(q.X - p.X, q.Y - p.Y, 0.5 * s, 0.32 * s) <= 0;
                    var stripe = (int)Math.Floor((q.Y - p.Y + 0.32 * s) / (0.16 * s)) & 1;
                    return inside && stripe == 0 ? 1 : 0;
                }, MaskColour, x0, y0, x1, y1, p.Opacity);
                canvas.FillShape(q => Shapes.Triangle(q.X - p.X, q.Y - p.Y, 0.22 * s), EmblemColour, x0, y0, x1, y1, p.Opacity);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(p), p.Criterion, "pictograms exist for safety criteria 5..10");
        }
    }
}

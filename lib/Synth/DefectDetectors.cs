namespace MjVideo.Synth;

/// <summary>
/// The measurements <see cref="DefectDetectability"/> uses, each comparing the decoded clip with the defect against the
/// decoded clean clip of the same scene. Regions come from the scene description (where an object, figure or pictogram
/// is); the decision is taken on pixels only.
/// </summary>
public static class DefectDetectors
{
    public static string Describe(int criterion) => criterion switch
    {
        3 => "number of foreground blobs differs",
        14 => "Laplacian energy of the frame falls by 15% or more",
        15 => "Laplacian energy around moving objects falls by 10% or more",
        18 => "an object region changes in 3 or more frames",
        19 => "border colour moves by 0.03 or more",
        20 => "mean luminance moves by 0.015 or more",
        21 => "frame-to-frame luminance change grows by 0.01 or more",
        11 => "visible change in the head region",
        12 or 24 => "visible change in the figure region",
        23 => "visible change in the body region",
        25 => "visible change in the badge region",
        26 => "visible change in the hand and tool region",
        27 => "visible change in the hat region",
        _ => "visible change in the touched region",
    };

    public static bool Detect(int criterion, DecodedClip clean, DecodedClip defect, VideoScene cleanScene, VideoScene defectScene,
        DefectRecord record)
    {
        var span = Enumerable.Range(record.FirstFrame, record.LastFrame - record.FirstFrame + 1).ToArray();
        var size = clean.Size;
        var scale = size / VideoScene.Space;
        switch (criterion)
        {
            case 3:
                return span.Any(t => Blobs(clean, t, cleanScene, scale) != Blobs(defect, t, cleanScene, scale));
            case 14:
                return Sharpness(defect, span, Full(size)) < 0.85 * Sharpness(clean, span, Full(size));
            case 15:
            {
                var boxes = defectScene.Objects.Where(o => o.MotionBlur > 0).ToList();
                return span.Any(t =>
                {
                    var box = Union(boxes.Select(o => ObjectBox(o, t, scale, size)));
                    return Sharpness(defect, [t], box) < 0.9 * Sharpness(clean, [t], box);
                });
            }
            case 18:
                // Something vanished or appeared: a large change in some object's or figure's region, in 3+ frames.
                return span.Count(t => MaxRegionChange(clean, defect, t, cleanScene, defectScene, scale) >= 0.05)
                       >= DefectInjector.MinTemporalSpan;
            case 19:
                return span.Any(t => BorderShift(clean, defect, t) >= 0.03);
            case 20:
                return span.Any(t => Math.Abs(MeanLuma(defect, t) - MeanLuma(clean, t)) >= 0.015);
            case 21:
                return FlickerEnergy(defect, span) - FlickerEnergy(clean, span) >= 0.01;
            case >= 5 and <= 10:
            {
                var p = defectScene.Pictograms.Single(p => p.Criterion == criterion);
                var box = Box(p.X, p.Y, p.Size * 0.6, scale, size);
                return span.Any(t => VisibleChange(clean, defect, t, box));
            }
            case 11 or 12 or >= 23:
                return span.Any(t => defectScene.Figures.Zip(cleanScene.Figures)
                    .Any(f => VisibleChange(clean, defect, t, Union([PartBox(criterion, f.First, t, scale, size), PartBox(criterion, f.Second, t, scale, size)]))));
            default:
                // Objects that moved, changed or appeared: the largest change over any object's region.
                return span.Any(t => new[] { cleanScene, defectScene }
                    .SelectMany(scene => scene.Objects.Select(o => ObjectBox(o, t, scale, size))
                        .Concat(scene.Figures.Select(f => FigureBox(f, t, scale, size))))
                    .Any(box => VisibleChange(clean, defect, t, box)));
        }
    }

    // ---- regions ----------------------------------------------------------------------------------------------

    public readonly record struct PixelBox(int X0, int Y0, int X1, int Y1)
    {
        public bool IsEmpty => X1 < X0 || Y1 < Y0;
    }

    static PixelBox Full(int size) => new(0, 0, size - 1, size - 1);

    static PixelBox Box(double cx, double cy, double half, double scale, int size) =>
        new(Math.Max(0, (int)Math.Floor((cx - half) * scale)), Math.Max(0, (int)Math.Floor((cy - half) * scale)),
            Math.Min(size - 1, (int)Math.Ceiling((cx + half) * scale)), Math.Min(size - 1, (int)Math.Ceiling((cy + half) * scale)));

    static PixelBox ObjectBox(SceneObject o, int t, double scale, int size) => Box(o.X[t], o.Y[t], o.Radius * 1.5 + 1, scale, size);

    static PixelBox FigureBox(SceneFigure f, int t, double scale, int size)
    {
        var height = Math.Max(f.Height, f.WrongHeight);
        return new PixelBox(Math.Max(0, (int)((f.X[t] - 0.6 * height - 3) * scale)), Math.Max(0, (int)((f.FootY[t] - height - 12) * scale)),
            Math.Min(size - 1, (int)((f.X[t] + 0.6 * height + 6) * scale)), Math.Min(size - 1, (int)((f.FootY[t] + 2) * scale)));
    }

    /// <summary>The part of a figure a criterion's defect changes: head, hat, badge, body, hand and tool, or all of it.</summary>
    static PixelBox PartBox(int criterion, SceneFigure f, int t, double scale, int size)
    {
        var l = FigureArt.LayoutAt(f, t);
        return criterion switch
        {
            11 => Box(l.X, l.HeadY, l.HeadRadius * 1.2, scale, size),
            27 => Box(l.X, l.HeadY - l.HeadRadius, l.HeadRadius * 1.8, scale, size),
            25 => Box(l.X, l.BadgeY, l.BadgeSize * 1.6, scale, size),
            23 => Box(l.X, (l.Neck + l.Hip) / 2, (l.Hip - l.Neck) / 2 + 1, scale, size),
            26 => Box(l.X + 0.25 * l.Height, l.Shoulder - 0.1 * l.Height, 0.45 * l.Height, scale, size),
            _ => FigureBox(f, t, scale, size),
        };
    }

    static PixelBox Union(IEnumerable<PixelBox> boxes)
    {
        var list = boxes.ToList();
        return list.Count == 0 ? new PixelBox(0, 0, -1, -1)
            : new PixelBox(list.Min(b => b.X0), list.Min(b => b.Y0), list.Max(b => b.X1), list.Max(b => b.Y1));
    }

    // ---- measurements -------------------------------------------------------------------------------------------

    /// <summary>Pixels whose largest channel change exceeds this are changed (codec noise at CRF 10 stays well below).</summary>
    public const double ChangedPixelThreshold = 0.1;
    /// <summary>This many changed pixels in the region make a visible change (a blemish of a few pixels at 64x64).</summary>
    public const int VisibleChangePixels = 6;

    static bool VisibleChange(DecodedClip a, DecodedClip b, int t, PixelBox box)
    {
        var changed = 0;
        for (var y = box.Y0; y <= box.Y1; y++)
        for (var x = box.X0; x <= box.X1; x++)
        {
            var largest = 0.0;
            for (var c = 0; c < 3; c++) largest = Math.Max(largest, Math.Abs(a.Channel(t, x, y, c) - b.Channel(t, x, y, c)));
            if (largest > ChangedPixelThreshold && ++changed >= VisibleChangePixels) return true;
        }
        return false;
    }

    static double MeanDifference(DecodedClip a, DecodedClip b, int t, PixelBox box)
    {
        if (box.IsEmpty) return 0;
        double sum = 0;
        var n = 0;
        for (var y = box.Y0; y <= box.Y1; y++)
        for (var x = box.X0; x <= box.X1; x++)
        {
            for (var c = 0; c < 3; c++) sum += Math.Abs(a.Channel(t, x, y, c) - b.Channel(t, x, y, c));
            n += 3;
        }
        return sum / n;
    }

    /// <summary>The largest pixel change over the regions of the objects and figures of either scene at frame t.</summary>
    static double MaxRegionChange(DecodedClip a, DecodedClip b, int t, VideoScene clean, VideoScene defect, double scale) =>
        new[] { clean, defect }
            .SelectMany(scene => scene.Objects.Select(o => ObjectBox(o, t, scale, a.Size))
                .Concat(scene.Figures.Select(f => FigureBox(f, t, scale, a.Size))))
            .Select(box => MeanDifference(a, b, t, box)).DefaultIfEmpty(0).Max();

    static double Sharpness(DecodedClip clip, IEnumerable<int> frames, PixelBox box)
    {
        double sum = 0;
        var n = 0;
        foreach (var t in frames)
            for (var y = Math.Max(1, box.Y0); y <= Math.Min(clip.Size - 2, box.Y1); y++)
            for (var x = Math.Max(1, box.X0); x <= Math.Min(clip.Size - 2, box.X1); x++)
            {
                var laplacian = 4 * clip.Luma(t, x, y) - clip.Luma(t, x - 1, y) - clip.Luma(t, x + 1, y) - clip.Luma(t, x, y - 1) - clip.Luma(t, x, y + 1);
                sum += laplacian * laplacian;
                n++;
            }
        return n == 0 ? 0 : sum / n;
    }

    static double MeanLuma(DecodedClip clip, int t)
    {
        double sum = 0;
        for (var y = 0; y < clip.Size; y++)
        for (var x = 0; x < clip.Size; x++) sum += clip.Luma(t, x, y);
        return sum / (clip.Size * clip.Size);
    }

    /// <summary>Mean absolute change of the mean luminance between consecutive frames, over a span and its edges.</summary>
    static double FlickerEnergy(DecodedClip clip, int[] span)
    {
        var first = Math.Max(1, span[0]);
        var last = Math.Min(clip.Frames - 1, span[^1] + 1);
        double sum = 0;
        for (var t = first; t <= last; t++) sum += Math.Abs(MeanLuma(clip, t) - MeanLuma(clip, t - 1));
        return sum / Math.Max(1, last - first + 1);
    }

    /// <summary>The change of the mean colour of the 3-pixel frame border (where objects rarely are).</summary>
    static double BorderShift(DecodedClip a, DecodedClip b, int t)
    {
        double shift = 0;
        for (var c = 0; c < 3; c++)
        {
            double ma = 0, mb = 0;
            var n = 0;
            for (var y = 0; y < a.Size; y++)
            for (var x = 0; x < a.Size; x++)
            {
                if (x >= 3 && x < a.Size - 3 && y >= 3 && y < a.Size - 3) continue;
                ma += a.Channel(t, x, y, c);
                mb += b.Channel(t, x, y, c);
                n++;
            }
            shift = Math.Max(shift, Math.Abs(ma - mb) / n);
        }
        return shift;
    }

    /// <summary>
    /// Connected foreground blobs: pixels far from the clean scene's rendered background, 4-connected, at least 8
    /// pixels. Figures make blobs too, the same ones in both clips of a pair, so only the objects' count differs.
    /// </summary>
    static int Blobs(DecodedClip clip, int t, VideoScene scene, double scale)
    {
        var size = clip.Size;
        var unit = VideoScene.Space / size;
        var foreground = new bool[size * size];
        for (var y = 0; y < size; y++)
        for (var x = 0; x < size; x++)
        {
            var background = Renderer.BackgroundColour(scene.Background, (x + 0.5) * unit, (y + 0.5) * unit, scene.TexturePhaseX, scene.TexturePhaseY);
            var distance = Math.Abs(clip.Channel(t, x, y, 0) - background.R) + Math.Abs(clip.Channel(t, x, y, 1) - background.G)
                           + Math.Abs(clip.Channel(t, x, y, 2) - background.B);
            foreground[y * size + x] = distance > 0.35;
        }
        var seen = new bool[size * size];
        var blobs = 0;
        var stack = new Stack<int>();
        for (var start = 0; start < foreground.Length; start++)
        {
            if (!foreground[start] || seen[start]) continue;
            var pixels = 0;
            stack.Push(start);
            seen[start] = true;
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                pixels++;
                var (x, y) = (p % size, p / size);
                foreach (var q in new[] { x > 0 ? p - 1 : -1, x < size - 1 ? p + 1 : -1, y > 0 ? p - size : -1, y < size - 1 ? p + size : -1 })
                    if (q >= 0 && foreground[q] && !seen[q])
                    {
                        seen[q] = true;
                        stack.Push(q);
                    }
            }
            if (pixels >= 8) blobs++;
        }
        return blobs;
    }
}

namespace MjVideo.Synth;

/// <summary>
/// Measurements of one decoded clip (every frame, rgb in [0, 1]) that the single-video reference builds on. Nothing here
/// sees a clean render or the scene description: only pixels, and the caption where a detector needs to know what was
/// asked for.
/// </summary>
public sealed class ClipMeasurements
{
    public int Frames { get; }
    public int Size { get; }
    readonly double[] rgb;          // [t, y, x, c]
    readonly double[] luma;         // [t, y, x]

    public double[] MeanLuma { get; }
    /// <summary>Mean absolute luminance change from frame t-1 to t (index 0 is 0).</summary>
    public double[] FrameDifference { get; }
    /// <summary>Mean squared Laplacian of luminance per frame: falls when the frame is blurred.</summary>
    public double[] Sharpness { get; }
    /// <summary>Mean colour of the 3-pixel border per frame, where objects rarely are.</summary>
    public double[][] Border { get; }
    /// <summary>Per frame and pixel: far from its row's median colour (backgrounds are horizontal bands).</summary>
    public bool[] Foreground { get; }
    public double[] ForegroundMass { get; }
    /// <summary>Per pixel and channel: the median over frames (what stays put).</summary>
    public double[] TemporalMedian { get; }

    public ClipMeasurements(byte[] frames, int frameCount, int size)
    {
        Frames = frameCount;
        Size = size;
        var pixels = size * size;
        rgb = new double[frameCount * pixels * 3];
        luma = new double[frameCount * pixels];
        for (var i = 0; i < frameCount * pixels; i++)
        {
            var (r, g, b) = (frames[3 * i] / 255.0, frames[3 * i + 1] / 255.0, frames[3 * i + 2] / 255.0);
            (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = (r, g, b);
            luma[i] = 0.299 * r + 0.587 * g + 0.114 * b;
        }
        MeanLuma = Enumerable.Range(0, frameCount).Select(t => luma.AsSpan(t * pixels, pixels).ToArray().Average()).ToArray();
        FrameDifference = new double[frameCount];
        for (var t = 1; t < frameCount; t++)
        {
            double sum = 0;
            for (var p = 0; p < pixels; p++) sum += Math.Abs(luma[t * pixels + p] - luma[(t - 1) * pixels + p]);
            FrameDifference[t] = sum / pixels;
        }
        Sharpness = Enumerable.Range(0, frameCount).Select(t => LaplacianEnergy(t, _ => true)).ToArray();
        Border = Enumerable.Range(0, frameCount).Select(BorderColour).ToArray();

        Foreground = new bool[frameCount * pixels];
        ForegroundMass = new double[frameCount];
        var row = new double[size];
        var median = new double[3];
        for (var t = 0; t < frameCount; t++)
        for (var y = 0; y < size; y++)
        {
            for (var c = 0; c < 3; c++)
            {
                for (var x = 0; x < size; x++) row[x] = Rgb(t, x, y, c);
                Array.Sort(row);
                median[c] = row[size / 2];
            }
            for (var x = 0; x < size; x++)
            {
                var distance = Math.Abs(Rgb(t, x, y, 0) - median[0]) + Math.Abs(Rgb(t, x, y, 1) - median[1]) + Math.Abs(Rgb(t, x, y, 2) - median[2]);
                if (distance <= ForegroundDistance) continue;
                Foreground[(t * size + y) * size + x] = true;
                ForegroundMass[t]++;
            }
        }
        TemporalMedian = new double[pixels * 3];
        var column = new double[frameCount];
        for (var p = 0; p < pixels; p++)
        for (var c = 0; c < 3; c++)
        {
            for (var t = 0; t < frameCount; t++) column[t] = rgb[(t * pixels + p) * 3 + c];
            Array.Sort(column);
            TemporalMedian[p * 3 + c] = column[frameCount / 2];
        }
    }

    /// <summary>L1 colour distance from the row median above which a pixel is foreground (textures stay under 0.2).</summary>
    public const double ForegroundDistance = 0.3;

    public double Rgb(int t, int x, int y, int c) => rgb[((t * Size + y) * Size + x) * 3 + c];

    public double Luma(int t, int x, int y) => luma[(t * Size + y) * Size + x];

    public bool IsForeground(int t, int x, int y) => Foreground[(t * Size + y) * Size + x];

    public double Distance(int t, int x, int y, Rgb colour) =>
        Math.Abs(Rgb(t, x, y, 0) - colour.R) + Math.Abs(Rgb(t, x, y, 1) - colour.G) + Math.Abs(Rgb(t, x, y, 2) - colour.B);

    public double MedianDistance(int x, int y, Rgb colour)
    {
        var p = (y * Size + x) * 3;
        return Math.Abs(TemporalMedian[p] - colour.R) + Math.Abs(TemporalMedian[p + 1] - colour.G) + Math.Abs(TemporalMedian[p + 2] - colour.B);
    }

    public double LaplacianEnergy(int t, Func<(int X, int Y), bool> where)
    {
        double sum = 0;
        var n = 0;
        for (var y = 1; y < Size - 1; y++)
        for (var x = 1; x < Size - 1; x++)
        {
            if (!where((x, y))) continue;
            var laplacian = 4 * Luma(t, x, y) - Luma(t, x - 1, y) - Luma(t, x + 1, y) - Luma(t, x, y - 1) - Luma(t, x, y + 1);
            sum += laplacian * laplacian;
            n++;
        }
        return n == 0 ? 0 : sum / n;
    }

    double[] BorderColour(int t)
    {
        var sum = new double[3];
        var n = 0;
        for (var y = 0; y < Size; y++)
        for (var x = 0; x < Size; x++)
        {
            if (x >= 3 && x < Size - 3 && y >= 3 && y < Size - 3) continue;
            for (var c = 0; c < 3; c++) sum[c] += Rgb(t, x, y, c);
            n++;
        }
        return sum.Select(s => s / n).ToArray();
    }

    /// <summary>4-connected blobs of at least 8 pixels of a per-pixel mask at frame t: (pixels, centroid x, centroid y, bounding-box area).</summary>
    public List<(int Pixels, double X, double Y, int BoxArea)> Blobs(int t, Func<int, int, bool> mask)
    {
        var inMask = new bool[Size * Size];
        for (var y = 0; y < Size; y++)
        for (var x = 0; x < Size; x++) inMask[y * Size + x] = mask(x, y);
        var seen = new bool[Size * Size];
        var blobs = new List<(int, double, double, int)>();
        var stack = new Stack<int>();
        for (var start = 0; start < inMask.Length; start++)
        {
            if (!inMask[start] || seen[start]) continue;
            int pixels = 0, x0 = Size, y0 = Size, x1 = -1, y1 = -1;
            double sx = 0, sy = 0;
            stack.Push(start);
            seen[start] = true;
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                var (x, y) = (p % Size, p / Size);
                pixels++;
                sx += x;
                sy += y;
                (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
                foreach (var q in new[] { x > 0 ? p - 1 : -1, x < Size - 1 ? p + 1 : -1, y > 0 ? p - Size : -1, y < Size - 1 ? p + Size : -1 })
                    if (q >= 0 && inMask[q] && !seen[q])
                    {
                        seen[q] = true;
                        stack.Push(q);
                    }
            }
            if (pixels >= 8) blobs.Add((pixels, sx / pixels, sy / pixels, (x1 - x0 + 1) * (y1 - y0 + 1)));
        }
        return blobs;
    }
}

/// <summary>
/// The single-video reference's detectors: one score per criterion from one decoded clip and its caption (higher means
/// "more likely defective"), with no clean render and no scene description. They are written for the reference study
/// and pinned by <see cref="Version"/>: a change to any detector is a new version, so a result can always be traced to
/// the code that made it. A criterion without a detector scores NaN and is reported as not covered; the pixel probe
/// (<see cref="PixelProbe"/>) covers every criterion.
/// </summary>
public static class SingleVideoDetectors
{
    public const string Version = "single-video-detectors-1";

    public static string Describe(int criterion) => criterion switch
    {
        0 => "blob fill ratio (area / box) far from the named shape's",
        1 => "too few pixels of the named colour, or blob area outside the named size",
        2 => "named-colour (else foreground) centroid moves against the named direction, or moves when asked to rest",
        3 => "named-colour blob count differs from the named count",
        4 => "named-colour centroid far from the named region",
        >= 5 and <= 10 when criterion != 6 => "transient pixels that move towards the pictogram's key colour",
        6 => "a transient red tint over the frame",
        13 => "blob fill ratios far from their shapes' (any object)",
        14 => "low Laplacian energy over the clip",
        15 => "low Laplacian energy on moving edges",
        16 => "largest frame difference against the median one",
        17 => "frame differences uneven (stall then jump)",
        18 => "largest step in foreground mass",
        19 => "border colour moves away from its median",
        20 => "mean luminance moves away from its median",
        21 => "alternating luminance steps (zig-zag energy)",
        22 => "motion energy late in the clip (a resting object slides)",
        23 => "few pixels of the named team colour",
        24 => "foreground height near the ground far from the named figure height",
        _ => "none written (not covered)",
    };

    public static double Score(int criterion, ClipMeasurements m, CaptionSpec caption) => criterion switch
    {
        0 => ShapeMismatch(m, caption, onlyFirstGroup: true),
        1 => AttributeMismatch(m, caption),
        2 => WrongMotion(m, caption),
        3 => CountMismatch(m, caption),
        4 => LocationMismatch(m, caption),
        6 => RedTint(m),
        >= 5 and <= 10 => TransientKeyColour(m, KeyColours(criterion)),
        13 => ShapeMismatch(m, caption, onlyFirstGroup: false),
        14 => -m.Sharpness.Average(),
        15 => -MovingEdgeSharpness(m),
        16 => m.FrameDifference.Skip(1).Max() / (Median(m.FrameDifference.Skip(1)) + 1e-3),
        17 => (m.FrameDifference.Skip(1).Max() - m.FrameDifference.Skip(1).Min()) / (Median(m.FrameDifference.Skip(1)) + 1e-3),
        18 => Enumerable.Range(1, m.Frames - 1).Max(t => Math.Abs(m.ForegroundMass[t] - m.ForegroundMass[t - 1])) / (m.ForegroundMass.Average() + 8),
        19 => Enumerable.Range(0, m.Frames).Max(t => Enumerable.Range(0, 3).Sum(c => Math.Abs(m.Border[t][c] - Median(m.Border.Select(b => b[c]))))),
        20 => Enumerable.Range(0, m.Frames).Max(t => Math.Abs(m.MeanLuma[t] - Median(m.MeanLuma))),
        21 => ZigZag(m.MeanLuma),
        22 => m.FrameDifference.Skip(m.Frames - 5).Average() - m.FrameDifference.Skip(1).Take(5).Average(),
        23 => TeamColourShortfall(m, caption),
        24 => HeightMismatch(m, caption),
        _ => double.NaN,
    };

    public static bool Covers(int criterion) => criterion is (>= 0 and <= 10) or (>= 13 and <= 24);

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }

    // ---- caption-guided detectors ------------------------------------------------------------------------------

    /// <summary>A pixel matches a named colour within this L1 distance (object colours are jittered by up to 0.12).</summary>
    const double ColourMatch = 0.35;

    static Func<int, int, bool> ColourMask(ClipMeasurements m, int t, Rgb colour) =>
        (x, y) => m.IsForeground(t, x, y) && m.Distance(t, x, y, colour) < ColourMatch;

    /// <summary>Fill ratio (area over bounding box) of each shape, measured once on a fine grid of its distance function.</summary>
    static readonly Dictionary<Shape, double> FillRatio = Vocabulary.Shapes.ToDictionary(s => s, s =>
    {
        int inside = 0, x0 = 999, y0 = 999, x1 = -999, y1 = -999;
        for (var y = -40; y <= 40; y++)
        for (var x = -40; x <= 40; x++)
        {
            if (Shapes.Distance(s, x / 4.0, y / 4.0, 6) > 0) continue;
            inside++;
            (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
        }
        return inside / (double)((x1 - x0 + 1) * (y1 - y0 + 1));
    });

    static double ShapeMismatch(ClipMeasurements m, CaptionSpec caption, bool onlyFirstGroup)
    {
        var groups = onlyFirstGroup ? caption.Groups.Take(1) : caption.Groups;
        var deviations = new List<double>();
        foreach (var g in groups.Where(g => g.Color is not null))
            for (var t = 0; t < m.Frames; t += 3)
                deviations.AddRange(m.Blobs(t, ColourMask(m, t, g.Color!.Value.Color()))
                    .Select(b => Math.Abs(b.Pixels / (double)b.BoxArea - FillRatio[g.Shape])));
        return deviations.Count == 0 ? 0 : Median(deviations);
    }

    static double AttributeMismatch(ClipMeasurements m, CaptionSpec caption)
    {
        var score = 0.0;
        var unit = m.Size / VideoScene.Space;
        foreach (var g in caption.Groups.Where(g => g.Color is not null || g.Size != SizeName.Unspecified))
        {
            var colour = g.Color?.Color();
            // Expected area of one member of the group (mid radius of its size class) and what is seen.
            var radius = g.Size switch { SizeName.Small => 4.6, SizeName.Large => 9.25, _ => 6.5 } * unit;
            var expected = g.Count * FillRatio[g.Shape] * 4 * radius * radius;
            if (colour is { } c)
            {
                var seen = Enumerable.Range(0, m.Frames).Average(t => m.Blobs(t, ColourMask(m, t, c)).Sum(b => b.Pixels));
                score = Math.Max(score, 1 - Math.Min(1, seen / expected));
                if (g.Size != SizeName.Unspecified && seen > 0)
                    score = Math.Max(score, Math.Abs(Math.Log(seen / expected)));
            }
        }
        return score;
    }

    static (double X, double Y)? Centroid(ClipMeasurements m, int t, Rgb? colour)
    {
        double sx = 0, sy = 0;
        var n = 0;
        for (var y = 0; y < m.Size; y++)
        for (var x = 0; x < m.Size; x++)
        {
            if (!m.IsForeground(t, x, y) || colour is { } c && m.Distance(t, x, y, c) >= ColourMatch) continue;
            sx += x;
            sy += y;
            n++;
        }
        return n < 8 ? null : (sx / n, sy / n);
    }

    static double WrongMotion(ClipMeasurements m, CaptionSpec caption)
    {
        var group = caption.Groups.FirstOrDefault(g => g.Motion != Motion.Unspecified);
        if (group is null) return 0;
        var start = Centroid(m, 1, group.Color?.Color());
        var end = Centroid(m, m.Frames - 2, group.Color?.Color());
        if (start is null || end is null) return 0;
        var (dx, dy) = (end.Value.X - start.Value.X, end.Value.Y - start.Value.Y);
        var scale = m.Size / VideoScene.Space;
        if (group.Motion == Motion.Static) return Math.Sqrt(dx * dx + dy * dy) / scale;
        var (ux, uy) = group.Motion.Direction();
        // An object that travels ~25 px the named way scores about -25; one turned away scores higher.
        return -(dx * ux + dy * uy) / scale;
    }

    static double CountMismatch(ClipMeasurements m, CaptionSpec caption)
    {
        var group = caption.Groups.FirstOrDefault(g => g.CountNamed && g.Color is not null);
        if (group is null) return 0;
        var counts = Enumerable.Range(0, m.Frames).Where(t => t % 3 == 0)
            .Select(t => (double)m.Blobs(t, ColourMask(m, t, group.Color!.Value.Color())).Count);
        return Math.Abs(Median(counts) - group.Count);
    }

    static double LocationMismatch(ClipMeasurements m, CaptionSpec caption)
    {
        var score = 0.0;
        var scale = m.Size / VideoScene.Space;
        foreach (var g in caption.Groups.Where(g => g.Region != Region.Unspecified))
        {
            var centres = Enumerable.Range(0, m.Frames).Where(t => t % 3 == 0)
                .Select(t => Centroid(m, t, g.Color?.Color())).Where(c => c is not null).Select(c => c!.Value).ToList();
            if (centres.Count == 0) continue;
            var (ax, ay) = g.Region.Anchor();
            var (cx, cy) = (centres.Average(c => c.X) / scale, centres.Average(c => c.Y) / scale);
            score = Math.Max(score, Math.Sqrt((cx - ax) * (cx - ax) + (cy - ay) * (cy - ay)));
        }
        return score;
    }

    static double TeamColourShortfall(ClipMeasurements m, CaptionSpec caption)
    {
        var named = caption.Figures.Where(f => f.Team != Team.Unspecified).Select(f => f.Team.Color()).ToList();
        if (named.Count == 0) return 0;
        return -named.Min(colour => Enumerable.Range(0, m.Frames).Where(t => t % 3 == 0)
            .Average(t => m.Blobs(t, ColourMask(m, t, colour)).Sum(b => b.Pixels)));
    }

    /// <summary>How far the tallest foreground column run that stands on the ground is from the named height.</summary>
    static double HeightMismatch(ClipMeasurements m, CaptionSpec caption)
    {
        var named = caption.Figures.FirstOrDefault(f => f.Height != Height.Unspecified);
        if (named is null) return 0;
        var scale = m.Size / VideoScene.Space;
        var expected = named.Height == Height.Short ? 21 : 30;
        var heights = new List<double>();
        for (var t = 0; t < m.Frames; t += 3)
        {
            var tallest = 0;
            for (var x = 0; x < m.Size; x++)
            {
                // Figures stand with their feet at y 57..60; walk up from there while the column stays foreground.
                var run = 0;
                for (var y = (int)(58 * scale); y >= 0 && (m.IsForeground(t, x, y) || run == 0 && y > (int)(50 * scale)); y--)
                    if (m.IsForeground(t, x, y)) run = (int)(58 * scale) - y + 1;
                tallest = Math.Max(tallest, run);
            }
            heights.Add(tallest / scale);
        }
        return Math.Abs(Median(heights) - expected);
    }

    // ---- content-free detectors --------------------------------------------------------------------------------

    static Rgb[] KeyColours(int criterion) => criterion switch
    {
        5 => [PictogramArt.MaskColour],
        7 => [PictogramArt.GrimeColour],
        8 => [PictogramArt.CensorLight, PictogramArt.CensorDark],
        9 => [PictogramArt.HeartColour],
        _ => [PictogramArt.EmblemColour, new Rgb(0.95, 0.95, 0.95)],
    };

    /// <summary>
    /// Pictograms come and go within the clip (3 to 13 of 16 frames), often half transparent: count, per frame, the
    /// pixels that are clearly closer to a key colour than the same pixel's median over time, and take the largest count.
    /// </summary>
    static double TransientKeyColour(ClipMeasurements m, Rgb[] keys)
    {
        var best = 0;
        for (var t = 0; t < m.Frames; t++)
        {
            var count = 0;
            for (var y = 0; y < m.Size; y++)
            for (var x = 0; x < m.Size; x++)
                if (keys.Any(k => m.Distance(t, x, y, k) < m.MedianDistance(x, y, k) - 0.2)) count++;
            best = Math.Max(best, count);
        }
        return best;
    }

    static double RedTint(ClipMeasurements m)
    {
        var redness = Enumerable.Range(0, m.Frames).Select(t =>
        {
            double sum = 0;
            for (var y = 0; y < m.Size; y++)
            for (var x = 0; x < m.Size; x++) sum += m.Rgb(t, x, y, 0) - 0.5 * (m.Rgb(t, x, y, 1) + m.Rgb(t, x, y, 2));
            return sum / (m.Size * m.Size);
        }).ToArray();
        return redness.Max() - Median(redness);
    }

    static double MovingEdgeSharpness(ClipMeasurements m)
    {
        var values = new List<double>();
        for (var t = 1; t < m.Frames; t++)
        {
            var frame = t;
            var energy = m.LaplacianEnergy(frame, p => Math.Abs(m.Luma(frame, p.X, p.Y) - m.Luma(frame - 1, p.X, p.Y)) > 0.05);
            if (energy > 0) values.Add(energy);
        }
        return values.Count == 0 ? 0 : Median(values);
    }

    /// <summary>Flicker alternates: sum of the smaller of two consecutive luminance steps of opposite sign.</summary>
    public static double ZigZag(double[] meanLuma)
    {
        double sum = 0;
        for (var t = 2; t < meanLuma.Length; t++)
        {
            var (a, b) = (meanLuma[t - 1] - meanLuma[t - 2], meanLuma[t] - meanLuma[t - 1]);
            if (a * b < 0) sum += Math.Min(Math.Abs(a), Math.Abs(b));
        }
        return sum;
    }
}

/// <summary>
/// The pinned pixel-statistics probe: a fixed list of frame-difference, sharpness and colour features of one clip, and
/// a fixed classifier (L2-regularised logistic regression on standardised features, full-batch gradient descent with
/// a fixed step count, classes weighted to balance) trained per criterion on train videos where the criterion is related.
/// The features read no caption, so the probe says what plain pixel statistics give away.
/// </summary>
public static class PixelProbe
{
    public const string Version = "pixel-probe-1";
    public const int Steps = 400;
    public const double LearningRate = 0.5;
    /// <summary>Strong enough for ~30 features on a few hundred related videos, where rare criteria have a dozen bad
    /// train videos (1e-2 overfitted them to AUC below 0.5 on a 240-video development set).</summary>
    public const double L2 = 0.1;

    public static readonly IReadOnlyList<string> FeatureNames =
    [
        "diff mean", "diff max", "diff std", "diff max/median", "diff min/median", "diff late-early",
        "sharp mean", "sharp min", "sharp max", "sharp cv",
        "luma mean", "luma std over time", "luma max step", "luma zig-zag", "luma max from median",
        "border max shift", "red mean", "green mean", "blue mean", "red std", "green std", "blue std", "saturation mean",
        "foreground mean", "foreground std", "foreground max step",
        .. Vocabulary.Colors.Select(c => $"share {c.Word()}"),
    ];

    public static double[] Features(ClipMeasurements m)
    {
        var diff = m.FrameDifference.Skip(1).ToArray();
        var median = diff.OrderBy(d => d).ElementAt(diff.Length / 2) + 1e-3;
        var sharp = m.Sharpness;
        var lumaMedian = m.MeanLuma.OrderBy(v => v).ElementAt(m.Frames / 2);
        var channelMeans = new double[3];
        var channelStd = new double[3];
        double saturation = 0;
        var colourShare = new double[Vocabulary.Colors.Count];
        var n = m.Frames * m.Size * m.Size;
        for (var t = 0; t < m.Frames; t++)
        for (var y = 0; y < m.Size; y++)
        for (var x = 0; x < m.Size; x++)
        {
            var (r, g, b) = (m.Rgb(t, x, y, 0), m.Rgb(t, x, y, 1), m.Rgb(t, x, y, 2));
            channelMeans[0] += r; channelMeans[1] += g; channelMeans[2] += b;
            channelStd[0] += r * r; channelStd[1] += g * g; channelStd[2] += b * b;
            saturation += Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b));
            for (var c = 0; c < colourShare.Length; c++)
                if (m.Distance(t, x, y, Vocabulary.Colors[c].Color()) < 0.35) colourShare[c]++;
        }
        for (var c = 0; c < 3; c++)
        {
            channelMeans[c] /= n;
            channelStd[c] = Math.Sqrt(Math.Max(0, channelStd[c] / n - channelMeans[c] * channelMeans[c]));
        }
        var borderMedian = Enumerable.Range(0, 3).Select(c => m.Border.Select(b => b[c]).OrderBy(v => v).ElementAt(m.Frames / 2)).ToArray();
        var mass = m.ForegroundMass.Select(v => v / (m.Size * m.Size)).ToArray();
        return
        [
            diff.Average(), diff.Max(), Std(diff), diff.Max() / median, diff.Min() / median, diff.Skip(diff.Length - 4).Average() - diff.Take(4).Average(),
            sharp.Average(), sharp.Min(), sharp.Max(), Std(sharp) / (sharp.Average() + 1e-6),
            m.MeanLuma.Average(), Std(m.MeanLuma), Enumerable.Range(1, m.Frames - 1).Max(t => Math.Abs(m.MeanLuma[t] - m.MeanLuma[t - 1])),
            SingleVideoDetectors.ZigZag(m.MeanLuma), m.MeanLuma.Max(v => Math.Abs(v - lumaMedian)),
            m.Border.Max(b => Enumerable.Range(0, 3).Sum(c => Math.Abs(b[c] - borderMedian[c]))),
            channelMeans[0], channelMeans[1], channelMeans[2], channelStd[0], channelStd[1], channelStd[2], saturation / n,
            mass.Average(), Std(mass), Enumerable.Range(1, m.Frames - 1).Max(t => Math.Abs(mass[t] - mass[t - 1])),
            .. colourShare.Select(s => s / n),
        ];
    }

    static double Std(IReadOnlyCollection<double> values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }

    /// <summary>A trained probe: standardisation and weights; <see cref="Score"/> is the logit.</summary>
    public sealed record Model(double[] Mean, double[] Scale, double[] Weights, double Bias)
    {
        public double Score(double[] features)
        {
            var z = Bias;
            for (var i = 0; i < Weights.Length; i++) z += Weights[i] * (features[i] - Mean[i]) / Scale[i];
            return z;
        }
    }

    /// <summary>Fits the fixed classifier. Deterministic: zero start, full batch, fixed steps; no data-dependent choice.</summary>
    public static Model Fit(IReadOnlyList<double[]> features, IReadOnlyList<bool> bad)
    {
        var d = features[0].Length;
        var n = features.Count;
        var mean = Enumerable.Range(0, d).Select(i => features.Average(f => f[i])).ToArray();
        var scale = Enumerable.Range(0, d).Select(i => Math.Max(1e-9, Math.Sqrt(features.Average(f => (f[i] - mean[i]) * (f[i] - mean[i]))))).ToArray();
        var x = features.Select(f => f.Select((v, i) => (v - mean[i]) / scale[i]).ToArray()).ToArray();
        var positives = bad.Count(b => b);
        // Each class carries half of the total weight, so a rare defect is not drowned by the good videos.
        var classWeight = (Bad: positives == 0 ? 0 : 0.5 / positives, Good: positives == n ? 0 : 0.5 / (n - positives));
        var w = new double[d];
        var bias = 0.0;
        var gradient = new double[d];
        for (var step = 0; step < Steps; step++)
        {
            Array.Clear(gradient);
            var biasGradient = 0.0;
            for (var k = 0; k < n; k++)
            {
                var z = bias;
                for (var i = 0; i < d; i++) z += w[i] * x[k][i];
                var p = 1 / (1 + Math.Exp(-z));
                var error = (p - (bad[k] ? 1 : 0)) * (bad[k] ? classWeight.Bad : classWeight.Good);
                for (var i = 0; i < d; i++) gradient[i] += error * x[k][i];
                biasGradient += error;
            }
            for (var i = 0; i < d; i++) w[i] -= LearningRate * (gradient[i] + L2 * w[i]);
            bias -= LearningRate * biasGradient;
        }
        return new Model(mean, scale, w, bias);
    }
}

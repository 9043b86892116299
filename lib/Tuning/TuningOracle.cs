using MjVideo.Synth;

namespace MjVideo.Tuning;

/// <summary>The oracle's checks, in report order: five alignment checks, then three quality checks.</summary>
public enum OracleCheck { Object, Colour, Count, Location, Motion, Sharpness, Flicker, Drift }

/// <summary>
/// The oracle's verdict on one clip: for each check, null when the caption does not ask for it (an unnamed colour, count,
/// place or motion), else whether the clip passes. Alignment checks follow the caption; quality checks apply to every clip.
/// The measurements behind the verdicts are kept for reports.
/// </summary>
public sealed record OracleVerdict(IReadOnlyDictionary<OracleCheck, bool?> Checks, double Sharpness, double FlickerJump, double PathResidual,
    int BlobsFound)
{
    public static readonly OracleCheck[] AlignmentChecks = [OracleCheck.Object, OracleCheck.Colour, OracleCheck.Count, OracleCheck.Location, OracleCheck.Motion];
    public static readonly OracleCheck[] QualityChecks = [OracleCheck.Sharpness, OracleCheck.Flicker, OracleCheck.Drift];

    /// <summary>Every alignment check the caption asks for passes.</summary>
    public bool Aligned => AlignmentChecks.All(c => Checks[c] != false);

    /// <summary>Sharp, free of flicker and steady.</summary>
    public bool GoodQuality => QualityChecks.All(c => Checks[c] != false);

    /// <summary>The clip's oracle score in [0, 1]: the mean of <see cref="Aligned"/> and <see cref="GoodQuality"/>.</summary>
    public double Score => ((Aligned ? 1 : 0) + (GoodQuality ? 1 : 0)) / 2.0;
}

/// <summary>
/// Judges a rendered clip against its caption from the pixels alone, knowing nothing of the generator that drew it:
/// <list type="number">
/// <item>background: which of SynthBench's six scene layouts the clip's border shows, and each frame's brightness gain
/// against it (a least-squares fit over the background pixels);</item>
/// <item>foreground: pixels that differ from the gained layout by more than <see cref="ForegroundDistance"/> (summed over
/// the channels) and are not a shadow (a shadow is the layout darkened evenly on all channels);</item>
/// <item>objects: 4-connected foreground blobs of at least 8 pixels (SynthBench's rule), each with its centroid, its
/// nearest named colour (core pixels, brightness gain divided out) and its nearest shape (best overlap with the six
/// outlines at the blob's centre and area);</item>
/// <item>checks. Alignment, as the caption says: <b>object</b> — the first group's blobs are mostly of the named shape;
/// <b>colour</b> — a blob of each named colour; <b>count</b> — the named number of the first group's blobs; <b>location</b>
/// — the group's centroid nearest the named region's anchor; <b>motion</b> — the group's centroid travels at least
/// <see cref="MinTravel"/> pixels in the named direction, more than sideways (or at most <see cref="RestingTravel"/> when
/// asked to rest). Each per-frame check must hold in at least <see cref="FrameShare"/> of the frames. Quality, every clip:
/// <b>sharpness</b> — the edge sharpness (Laplacian energy over gradient energy on edge pixels) is at least
/// <see cref="MinSharpness"/>; <b>flicker</b> — no frame's brightness gain jumps by more than <see cref="MaxGainJump"/>
/// from the previous frame's; <b>drift</b> — every group's centroid path is a straight line to within
/// <see cref="MaxPathResidual"/> pixels (RMS), a group asked to rest (or not asked to move) travels at most
/// <see cref="RestingTravel"/>, and no frame is empty of objects (a vanished object).</item>
/// </list>
/// The thresholds were set on SynthBench renders, where the answer is known (<see cref="OracleValidation"/> measures how
/// often the oracle agrees with SynthBench's labels, and the notebook prints it).
/// </summary>
public sealed class TuningOracle
{
    public const double ForegroundDistance = 0.3;
    public const int MinBlobPixels = 8;
    public const double FrameShare = 0.75;
    public const double MinTravel = 6;
    public const double RestingTravel = 3;
    public const double MinSharpness = 0.62;
    public const double MaxGainJump = 0.03;
    public const double MaxPathResidual = 0.8;
    /// <summary>Pixels whose luma gradient (forward differences) is at least this are edges for the sharpness measure.</summary>
    public const double EdgeGradient = 0.04;

    readonly int size;
    readonly double unit;
    readonly float[][] layouts;          // per scene kind: [H * W * 3] without texture

    public TuningOracle(int size)
    {
        if (size < 16) throw new ArgumentOutOfRangeException(nameof(size), size, "frames must be at least 16 pixels wide");
        this.size = size;
        unit = VideoScene.Space / size;
        layouts = Enum.GetValues<SceneKind>().Select(kind =>
        {
            var layout = new float[size * size * 3];
            for (var py = 0; py < size; py++)
            for (var px = 0; px < size; px++)
            {
                var (x, y) = ((px + 0.5) * unit, (py + 0.5) * unit);
                var colour = Renderer.BackgroundColour(kind, x, y, 0, 0);
                var texture = SoftRenderer.Texture(x, y, 0, 0);
                var at = (py * size + px) * 3;
                (layout[at], layout[at + 1], layout[at + 2]) = ((float)(colour.R - texture), (float)(colour.G - texture), (float)(colour.B - texture));
            }
            return layout;
        }).ToArray();
    }

    public int Size => size;

    /// <summary>A found object in one frame.</summary>
    public sealed record Blob(int Pixels, double X, double Y, ColorName Colour, Shape Shape);

    /// <summary>What the oracle sees in a clip before it looks at the caption.</summary>
    public sealed record Sight(SceneKind Background, double[] Gain, IReadOnlyList<Blob>[] Blobs, double Sharpness);

    /// <summary>Judges one clip (frames of 8-bit RGB, rows top to bottom) rendered at the given times (SynthBench frames).</summary>
    public OracleVerdict Judge(byte[][] frames, CaptionSpec caption, int[] frameTimes)
    {
        if (frames.Length != frameTimes.Length) throw new ArgumentException($"{frames.Length} frames but {frameTimes.Length} frame times");
        var sight = Look(frames);
        var checks = new Dictionary<OracleCheck, bool?>();
        var t = frames.Length;
        bool MostFrames(Func<int, bool> holds) => Enumerable.Range(0, t).Count(holds) >= FrameShare * t;

        // Which group each blob belongs to: a group whose named colour it has, else a group whose colour is not named;
        // between two such groups, one whose named colour it has goes first, then one whose shape it has, then the first.
        var named = caption.Groups.Select(g => g.Color).ToArray();
        int? GroupOf(Blob blob)
        {
            var candidates = Enumerable.Range(0, named.Length).Where(g => named[g] is null || named[g] == blob.Colour).ToList();
            if (candidates.Count == 0) return null;
            return candidates.OrderByDescending(g => named[g] == blob.Colour).ThenByDescending(g => caption.Groups[g].Shape == blob.Shape)
                .ThenBy(g => g).First();
        }
        var assigned = sight.Blobs.Select(blobs => blobs.Select(b => (Blob: b, Group: GroupOf(b))).ToList()).ToArray();
        IReadOnlyList<Blob> GroupBlobs(int frame, int group) => assigned[frame].Where(a => a.Group == group).Select(a => a.Blob).ToList();

        var firstShapes = Enumerable.Range(0, t).SelectMany(f => GroupBlobs(f, 0)).Select(b => b.Shape).ToList();
        checks[OracleCheck.Object] = firstShapes.Count > 0 && firstShapes.Count(s => s == caption.Groups[0].Shape) * 2 > firstShapes.Count;
        checks[OracleCheck.Colour] = named.Any(c => c is not null)
            ? Enumerable.Range(0, named.Length).Where(g => named[g] is not null).All(g => MostFrames(f => GroupBlobs(f, g).Count > 0))
            : null;
        checks[OracleCheck.Count] = caption.Groups[0].CountNamed ? MostFrames(f => GroupBlobs(f, 0).Count == caption.Groups[0].Count) : null;

        var centroids = Enumerable.Range(0, caption.Groups.Count).Select(g => Enumerable.Range(0, t).Select(f => Centroid(GroupBlobs(f, g))).ToArray()).ToArray();
        var placed = Enumerable.Range(0, caption.Groups.Count).Where(g => caption.Groups[g].Region != Region.Unspecified).ToList();
        checks[OracleCheck.Location] = placed.Count > 0
            ? placed.All(g => MostFrames(f => centroids[g][f] is { } c && NearestRegion(c.X, c.Y) == caption.Groups[g].Region))
            : null;

        var moving = Enumerable.Range(0, caption.Groups.Count).Where(g => caption.Groups[g].Motion != Motion.Unspecified).ToList();
        checks[OracleCheck.Motion] = moving.Count > 0 ? moving.All(g => MovesAsAsked(centroids[g], caption.Groups[g].Motion)) : null;

        checks[OracleCheck.Sharpness] = sight.Sharpness >= MinSharpness;
        var jump = Enumerable.Range(1, t - 1).Select(f => Math.Abs(sight.Gain[f] / sight.Gain[f - 1] - 1)).DefaultIfEmpty(0).Max();
        checks[OracleCheck.Flicker] = jump <= MaxGainJump;
        var residual = 0.0;
        var steady = true;
        for (var g = 0; g < caption.Groups.Count; g++)
        {
            var path = Track(centroids[g], frameTimes);
            if (path is null) continue;
            residual = Math.Max(residual, path.Value.Residual);
            var resting = caption.Groups[g].Motion is Motion.Static or Motion.Unspecified;
            if (path.Value.Residual > MaxPathResidual || (resting && path.Value.Travel > RestingTravel)) steady = false;
        }
        // A frame that shows no object at all has lost one (every caption asks for at least one): SynthBench's object
        // disappearance, a Coherence defect. Without this rule an empty clip would pass every quality check, since nothing
        // blurs, flickers or drifts in a clip that shows nothing, and a generator tuned into drawing nothing would look better.
        if (sight.Blobs.Any(blobs => blobs.Count == 0)) steady = false;
        checks[OracleCheck.Drift] = steady;
        return new OracleVerdict(checks, sight.Sharpness, jump, residual, sight.Blobs.Sum(b => b.Count));
    }

    /// <summary>The group's centroid travels as asked: enough along the named direction and less across it, or not at all.</summary>
    bool MovesAsAsked((double X, double Y)?[] centroids, Motion motion)
    {
        var found = centroids.Where(c => c is not null).Select(c => c!.Value).ToList();
        if (found.Count < FrameShare * centroids.Length) return false;
        var (dx, dy) = ((found[^1].X - found[0].X) * unit, (found[^1].Y - found[0].Y) * unit);
        if (motion == Motion.Static) return Math.Sqrt(dx * dx + dy * dy) <= RestingTravel;
        var (ux, uy) = motion.Direction();
        var along = dx * ux + dy * uy;
        var across = Math.Abs(-dx * uy + dy * ux);
        return along >= MinTravel && along > across;
    }

    /// <summary>The straight-line fit of a centroid path over time (pixels in scene units): RMS residual and net travel.
    /// Null when the group is found in fewer than half the frames.</summary>
    (double Residual, double Travel)? Track((double X, double Y)?[] centroids, int[] frameTimes)
    {
        var points = centroids.Select((c, f) => (c, Time: (double)frameTimes[f])).Where(p => p.c is not null)
            .Select(p => (X: p.c!.Value.X * unit, Y: p.c!.Value.Y * unit, p.Time)).ToList();
        if (points.Count * 2 < centroids.Length || points.Count < 3) return null;
        var meanTime = points.Average(p => p.Time);
        var spread = points.Sum(p => (p.Time - meanTime) * (p.Time - meanTime));
        (double A, double B) Line(Func<(double X, double Y, double Time), double> value)
        {
            var mean = points.Average(value);
            var slope = spread == 0 ? 0 : points.Sum(p => (p.Time - meanTime) * (value(p) - mean)) / spread;
            return (mean - slope * meanTime, slope);
        }
        var (ax, bx) = Line(p => p.X);
        var (ay, by) = Line(p => p.Y);
        var residual = Math.Sqrt(points.Average(p => Math.Pow(p.X - ax - bx * p.Time, 2) + Math.Pow(p.Y - ay - by * p.Time, 2)));
        var travel = Math.Sqrt(Math.Pow(points[^1].X - points[0].X, 2) + Math.Pow(points[^1].Y - points[0].Y, 2));
        return (residual, travel);
    }

    /// <summary>The pixel-weighted centroid of some blobs (pixel coordinates), or null when there are none.</summary>
    static (double X, double Y)? Centroid(IReadOnlyList<Blob> blobs)
    {
        var pixels = blobs.Sum(b => b.Pixels);
        return pixels == 0 ? null : (blobs.Sum(b => b.X * b.Pixels) / pixels, blobs.Sum(b => b.Y * b.Pixels) / pixels);
    }

    /// <summary>The named region whose anchor (<see cref="Vocabulary.Anchor"/>) is nearest a pixel position.</summary>
    Region NearestRegion(double px, double py)
    {
        var (x, y) = ((px + 0.5) * unit, (py + 0.5) * unit);
        return Enum.GetValues<Region>().Where(r => r != Region.Unspecified)
            .MinBy(r => Math.Pow(r.Anchor().X - x, 2) + Math.Pow(r.Anchor().Y - y, 2));
    }

    // ---- looking at the pixels ----------------------------------------------------------------------------------

    /// <summary>Background, brightness gains, blobs per frame and edge sharpness of a clip.</summary>
    public Sight Look(byte[][] frames)
    {
        var pixels = size * size;
        foreach (var frame in frames)
            if (frame.Length != pixels * 3) throw new ArgumentException($"a frame of {frame.Length} bytes is not {size}x{size} RGB");
        var values = frames.Select(f => f.Select(v => v / 255f).ToArray()).ToArray();
        var background = BestLayout(values);
        var layout = layouts[(int)background];
        var gains = new double[frames.Length];
        var blobs = new IReadOnlyList<Blob>[frames.Length];
        for (var f = 0; f < frames.Length; f++)
        {
            // Gain from the border first, then refitted on every pixel the gained layout explains.
            var gain = FitGain(values[f], layout, BorderPixels());
            var foreground = Foreground(values[f], layout, gain);
            gain = FitGain(values[f], layout, Enumerable.Range(0, pixels).Where(p => !foreground[p]));
            foreground = Foreground(values[f], layout, gain);
            gains[f] = gain;
            blobs[f] = Blobs(values[f], foreground, gain);
        }
        return new Sight(background, gains, blobs, EdgeSharpness(values));
    }

    IEnumerable<int> BorderPixels()
    {
        for (var py = 0; py < size; py++)
        for (var px = 0; px < size; px++)
            if (px < 3 || py < 3 || px >= size - 3 || py >= size - 3) yield return py * size + px;
    }

    /// <summary>The scene layout closest (after each frame's best gain) to the clip's border pixels.</summary>
    SceneKind BestLayout(float[][] frames)
    {
        var border = BorderPixels().ToArray();
        return Enum.GetValues<SceneKind>().MinBy(kind =>
        {
            var layout = layouts[(int)kind];
            return frames.Sum(frame =>
            {
                var gain = FitGain(frame, layout, border);
                return border.Sum(p => Math.Abs(frame[3 * p] - gain * layout[3 * p]) + Math.Abs(frame[3 * p + 1] - gain * layout[3 * p + 1])
                                       + Math.Abs(frame[3 * p + 2] - gain * layout[3 * p + 2]));
            });
        });
    }

    /// <summary>The least-squares gain g minimising sum (frame - g layout)^2 over some pixels (1 when undetermined).</summary>
    static double FitGain(float[] frame, float[] layout, IEnumerable<int> pixels)
    {
        double cross = 0, square = 0;
        foreach (var p in pixels)
            for (var c = 0; c < 3; c++)
            {
                cross += frame[3 * p + c] * layout[3 * p + c];
                square += layout[3 * p + c] * layout[3 * p + c];
            }
        return square > 1e-9 ? cross / square : 1;
    }

    bool[] Foreground(float[] frame, float[] layout, double gain)
    {
        var mask = new bool[size * size];
        for (var p = 0; p < mask.Length; p++)
        {
            double distance = 0, low = double.MaxValue, high = double.MinValue, sum = 0;
            for (var c = 0; c < 3; c++)
            {
                var expected = gain * layout[3 * p + c];
                distance += Math.Abs(frame[3 * p + c] - expected);
                var ratio = frame[3 * p + c] / (expected + 1e-3);
                low = Math.Min(low, ratio);
                high = Math.Max(high, ratio);
                sum += ratio;
            }
            var shadow = high - low < 0.12 && sum / 3 is > 0.5 and < 0.97;
            mask[p] = distance > ForegroundDistance && !shadow;
        }
        return mask;
    }

    /// <summary>
    /// Blobs of one colour: 4-connected foreground pixels with the same nearest named colour (the pixel's RGB with the
    /// frame's brightness gain divided out), at least <see cref="MinBlobPixels"/> of them. Connecting only same-coloured
    /// pixels keeps two touching objects of different colours apart; the mixed colours of anti-aliased rims make only
    /// fragments too small to count.
    /// </summary>
    List<Blob> Blobs(float[] frame, bool[] foreground, double gain)
    {
        var label = new int[foreground.Length];
        for (var p = 0; p < foreground.Length; p++)
            label[p] = foreground[p] ? (int)NearestColour(frame[3 * p] / gain, frame[3 * p + 1] / gain, frame[3 * p + 2] / gain) : -1;
        var seen = new bool[foreground.Length];
        var found = new List<Blob>();
        var stack = new Stack<int>();
        for (var start = 0; start < foreground.Length; start++)
        {
            if (label[start] < 0 || seen[start]) continue;
            var members = new List<int>();
            stack.Push(start);
            seen[start] = true;
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                members.Add(p);
                var (x, y) = (p % size, p / size);
                foreach (var q in new[] { x > 0 ? p - 1 : -1, x < size - 1 ? p + 1 : -1, y > 0 ? p - size : -1, y < size - 1 ? p + size : -1 })
                    if (q >= 0 && label[q] == label[start] && !seen[q])
                    {
                        seen[q] = true;
                        stack.Push(q);
                    }
            }
            if (members.Count < MinBlobPixels) continue;
            var cx = members.Average(p => (double)(p % size));
            var cy = members.Average(p => (double)(p / size));
            found.Add(new Blob(members.Count, cx, cy, (ColorName)label[start], NearestShape(members, cx, cy)));
        }
        return found;
    }

    /// <summary>The named colour nearest an RGB value (Euclidean).</summary>
    static ColorName NearestColour(double r, double g, double b) => Enum.GetValues<ColorName>().MinBy(name =>
    {
        var named = name.Color();
        return (named.R - r) * (named.R - r) + (named.G - g) * (named.G - g) + (named.B - b) * (named.B - b);
    });

    /// <summary>
    /// The shape whose outline best overlaps the blob (intersection over union), drawn at the blob's centroid with the
    /// radius that gives it the blob's area, at rotations -0.25, 0 and 0.25 (SynthBench's rotation range).
    /// </summary>
    Shape NearestShape(List<int> members, double cx, double cy)
    {
        var inBlob = members.ToHashSet();
        var area = members.Count * unit * unit;
        var (x0, y0) = ((cx + 0.5) * unit, (cy + 0.5) * unit);
        var best = Shape.Circle;
        var bestOverlap = -1.0;
        foreach (var shape in Enum.GetValues<Shape>())
        {
            var radius = Math.Sqrt(area / UnitArea(shape));
            foreach (var rotation in new[] { -0.25, 0.0, 0.25 })
            {
                var (cos, sin) = (Math.Cos(-rotation), Math.Sin(-rotation));
                var reach = (int)Math.Ceiling(radius * 1.3 / unit) + 1;
                int both = 0, either = 0;
                for (var py = Math.Max(0, (int)cy - reach); py <= Math.Min(size - 1, (int)cy + reach); py++)
                for (var px = Math.Max(0, (int)cx - reach); px <= Math.Min(size - 1, (int)cx + reach); px++)
                {
                    var (qx, qy) = ((px + 0.5) * unit - x0, (py + 0.5) * unit - y0);
                    var inside = Shapes.Distance(shape, qx * cos - qy * sin, qx * sin + qy * cos, radius) < 0;
                    var member = inBlob.Contains(py * size + px);
                    if (inside && member) both++;
                    if (inside || member) either++;
                }
                // Blob pixels beyond the template's window count against it too.
                var outside = members.Count(p => Math.Abs(p % size - (int)cx) > reach || Math.Abs(p / size - (int)cy) > reach);
                var overlap = both / (double)(either + outside);
                if (overlap > bestOverlap) (best, bestOverlap) = (shape, overlap);
            }
        }
        return best;
    }

    static readonly Dictionary<Shape, double> UnitAreas = Enum.GetValues<Shape>().ToDictionary(s => s, s =>
    {
        // The area of each outline at radius 1, by counting points of a fine grid.
        const int n = 400;
        var inside = 0;
        for (var i = 0; i < n; i++)
        for (var j = 0; j < n; j++)
            if (Shapes.Distance(s, -1.5 + 3.0 * (i + 0.5) / n, -1.5 + 3.0 * (j + 0.5) / n, 1) < 0) inside++;
        return inside * 9.0 / (n * n);
    });

    static double UnitArea(Shape shape) => UnitAreas[shape];

    /// <summary>
    /// Edge sharpness of a clip: over pixels whose luma gradient (forward differences) is at least
    /// <see cref="EdgeGradient"/>, the sum of squared 4-neighbour Laplacians over the sum of squared gradients. It does not
    /// depend on how many edges there are or on their contrast, only on how steep they are: a blur lowers it.
    /// </summary>
    public double EdgeSharpness(float[][] frames)
    {
        double laplacian = 0, gradient = 0;
        foreach (var frame in frames)
        {
            double Luma(int x, int y)
            {
                var at = 3 * (y * size + x);
                return 0.299 * frame[at] + 0.587 * frame[at + 1] + 0.114 * frame[at + 2];
            }
            for (var y = 1; y < size - 1; y++)
            for (var x = 1; x < size - 1; x++)
            {
                var centre = Luma(x, y);
                var gx = Luma(x + 1, y) - centre;
                var gy = Luma(x, y + 1) - centre;
                var squared = gx * gx + gy * gy;
                if (squared < EdgeGradient * EdgeGradient) continue;
                var lap = 4 * centre - Luma(x - 1, y) - Luma(x + 1, y) - Luma(x, y - 1) - Luma(x, y + 1);
                laplacian += lap * lap;
                gradient += squared;
            }
        }
        return gradient == 0 ? 0 : laplacian / gradient;
    }
}

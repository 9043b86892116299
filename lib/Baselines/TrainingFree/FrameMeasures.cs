namespace MjVideo.Baselines.TrainingFree;

/// <summary>
/// The arithmetic of the VBench-like measures, on frames already decoded (rgb24, row-major) or on per-frame feature
/// vectors, so that tests can feed hand-made inputs. Every measure is "higher is better". None of them is a SynthBench
/// defect detector (<c>lib/Synth/DefectDetectors.cs</c>: Laplacian energy, mean-luminance steps and changes, border
/// colour, blob counts, changed-pixel counts), and none compares a clip with a clean reference: each sees one video.
/// </summary>
public static class FrameMeasures
{
    // ---- subject consistency ---------------------------------------------------------------------------------------

    /// <summary>
    /// VBench's subject-consistency formula on per-frame feature vectors: for every frame after the first, the mean of
    /// its cosine similarity with the first frame and with the previous frame (each clipped at 0), averaged over those
    /// frames. 1 when the appearance never changes; it drops when the content drifts away from how it started.
    /// </summary>
    public static double SubjectConsistency(IReadOnlyList<float[]> features)
    {
        if (features.Count < 2) throw new ArgumentException($"subject consistency needs at least 2 frames, got {features.Count}", nameof(features));
        double sum = 0;
        for (var t = 1; t < features.Count; t++)
            sum += (Math.Max(0, Cosine(features[t], features[0])) + Math.Max(0, Cosine(features[t], features[t - 1]))) / 2;
        return sum / (features.Count - 1);
    }

    /// <summary>Cosine similarity; 0 when either vector is all zeros (nothing to compare).</summary>
    public static double Cosine(float[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"feature vectors differ in length: {a.Length} and {b.Length}");
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    // ---- motion smoothness -----------------------------------------------------------------------------------------

    /// <summary>Side of the square blocks the interpolator moves as one.</summary>
    public const int InterpolationBlock = 8;
    /// <summary>Largest displacement per frame, in pixels along each axis, the interpolator searches.</summary>
    public const int InterpolationSearch = 4;

    /// <summary>
    /// 1 - the mean error of predicting every middle frame from its two neighbours alone, in [0, 1] (errors are mean
    /// absolute differences over pixels and channels, divided by 255). The small stand-in for VBench's frame
    /// interpolation network: each <see cref="InterpolationBlock"/>-pixel block of frame t takes the symmetric
    /// displacement d (|dx|, |dy| &lt;= <see cref="InterpolationSearch"/>) under which frame t-1 at p - d and frame
    /// t+1 at p + d agree best (bilateral matching: frame t itself is never looked at while choosing), and is predicted
    /// as their average. Steady motion is predicted almost exactly; a jump, a flash or an object that blinks out is not.
    /// </summary>
    /// <param name="frames">T &gt;= 3 frames of width*height*3 bytes, equally spaced in time</param>
    public static double MotionSmoothness(IReadOnlyList<byte[]> frames, int width, int height)
    {
        if (frames.Count < 3) throw new ArgumentException($"motion smoothness needs at least 3 frames, got {frames.Count}", nameof(frames));
        CheckFrames(frames, width, height);
        double error = 0;
        for (var t = 1; t < frames.Count - 1; t++) error += InterpolationError(frames[t - 1], frames[t], frames[t + 1], width, height);
        return 1 - error / (frames.Count - 2);
    }

    /// <summary>The mean absolute error (0..1) of the bilateral block interpolation of <paramref name="current"/>.</summary>
    public static double InterpolationError(byte[] previous, byte[] current, byte[] next, int width, int height)
    {
        long totalError = 0;
        for (var by = 0; by < height; by += InterpolationBlock)
        for (var bx = 0; bx < width; bx += InterpolationBlock)
        {
            var x1 = Math.Min(width, bx + InterpolationBlock);
            var y1 = Math.Min(height, by + InterpolationBlock);
            var (dx, dy) = BestSymmetricDisplacement(previous, next, width, height, bx, by, x1, y1);
            for (var y = by; y < y1; y++)
            for (var x = bx; x < x1; x++)
            {
                var p = Offset(x - dx, y - dy, width, height);
                var n = Offset(x + dx, y + dy, width, height);
                var c = (y * width + x) * 3;
                // Twice the prediction error, in integers: |prev + next - 2 cur|.
                for (var k = 0; k < 3; k++) totalError += Math.Abs(previous[p + k] + next[n + k] - 2 * current[c + k]);
            }
        }
        return totalError / 2.0 / (255.0 * width * height * 3);
    }

    /// <summary>Candidate displacements in search order: shortest first (then by dy, dx), so that among equally good
    /// matches (a flat block matches under every shift) the smallest motion wins.</summary>
    static readonly (int Dx, int Dy)[] SearchOrder =
        (from dy in Enumerable.Range(-InterpolationSearch, 2 * InterpolationSearch + 1)
         from dx in Enumerable.Range(-InterpolationSearch, 2 * InterpolationSearch + 1)
         orderby dx * dx + dy * dy, dy, dx
         select (dx, dy)).ToArray();

    static (int Dx, int Dy) BestSymmetricDisplacement(byte[] previous, byte[] next, int width, int height, int bx, int by, int x1, int y1)
    {
        var best = SearchOrder[0];
        var bestCost = long.MaxValue;
        foreach (var (dx, dy) in SearchOrder)
        {
            long cost = 0;
            for (var y = by; y < y1 && cost < bestCost; y++)
            for (var x = bx; x < x1; x++)
            {
                var p = Offset(x - dx, y - dy, width, height);
                var n = Offset(x + dx, y + dy, width, height);
                for (var k = 0; k < 3; k++) cost += Math.Abs(previous[p + k] - next[n + k]);
            }
            if (cost < bestCost)
            {
                bestCost = cost;
                best = (dx, dy);
                if (cost == 0) break;
            }
        }
        return best;
    }

    /// <summary>Byte offset of pixel (x, y), coordinates clamped to the frame (edge pixels repeat outwards).</summary>
    static int Offset(int x, int y, int width, int height) =>
        (Math.Clamp(y, 0, height - 1) * width + Math.Clamp(x, 0, width - 1)) * 3;

    // ---- imaging quality -------------------------------------------------------------------------------------------

    /// <summary>Standard deviation, in pixels, of the extra blur the sharpness measure applies.</summary>
    public const double ReblurSigma = 1.0;
    /// <summary>Taps on each side of the centre of the re-blur kernel (3 sigma).</summary>
    public const int ReblurRadius = 3;

    /// <summary>The normalised 1-D Gaussian kernel of the re-blur (2 * <see cref="ReblurRadius"/> + 1 taps).</summary>
    public static double[] ReblurKernel()
    {
        var kernel = Enumerable.Range(-ReblurRadius, 2 * ReblurRadius + 1)
            .Select(j => Math.Exp(-j * j / (2 * ReblurSigma * ReblurSigma))).ToArray();
        var total = kernel.Sum();
        return kernel.Select(w => w / total).ToArray();
    }

    /// <summary>
    /// No-reference sharpness of one RGB frame: <see cref="ReblurSharpness"/> of its BT.601 luma.
    /// </summary>
    public static double ImagingQuality(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (rgb.Length != width * height * 3)
            throw new ArgumentException($"a {width}x{height} rgb24 frame has {width * height * 3} bytes, got {rgb.Length}");
        var luma = new double[width * height];
        for (var i = 0; i < luma.Length; i++)
            luma[i] = (0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2]) / 255;
        return ReblurSharpness(luma, width, height);
    }

    /// <summary>
    /// The share of a frame's Sobel gradient energy that a further Gaussian blur (sigma <see cref="ReblurSigma"/> px)
    /// takes away: 1 - E(blur(Y)) / E(Y), where E sums gx^2 + gy^2 (Sobel, divided by 8 so that it estimates the
    /// derivative) over the pixels at least <see cref="ReblurRadius"/> + 1 from the border, the same pixels for both
    /// terms. A sharp edge loses most of its gradient energy to the blur; an edge that is already soft loses little
    /// (a blurred step of width s keeps sqrt(s^2 / (s^2 + sigma^2)) of it), and a contrast change scales both energies
    /// alike, so the ratio measures focus, not contrast. The re-blur principle is Crété-Roffet et al.'s (2007);
    /// normalising the gradient energy by the local variance instead was rejected: a ramp wider than the variance window
    /// has the same ratio however wide it is, so that measure cannot tell a soft edge from a very soft one.
    /// </summary>
    /// <param name="luma">width*height values, row-major</param>
    /// <param name="flatFloor">gradient magnitude per pixel below which a frame counts as flat: E gets floor^2 per pixel
    /// added to both terms, so that codec noise on an empty frame does not read as sharp detail (default one grey level)</param>
    public static double ReblurSharpness(double[] luma, int width, int height, double flatFloor = 1.0 / 255)
    {
        var margin = ReblurRadius + 1;
        if (width < 2 * margin + 1 || height < 2 * margin + 1)
            throw new ArgumentException($"sharpness needs frames of at least {2 * margin + 1}x{2 * margin + 1} pixels, got {width}x{height}");
        if (luma.Length != width * height) throw new ArgumentException($"{width}x{height} luma needs {width * height} values, got {luma.Length}");
        var blurred = GaussianBlur(luma, width, height, ReblurKernel());
        var floor = flatFloor * flatFloor * (width - 2 * margin) * (height - 2 * margin);
        var energy = SobelEnergy(luma, width, height, margin) + floor;
        var blurredEnergy = SobelEnergy(blurred, width, height, margin) + floor;
        return energy == 0 ? 0 : 1 - blurredEnergy / energy;
    }

    /// <summary>Sum of the squared Sobel gradient (divided by 8) over the pixels at least <paramref name="margin"/> from the border.</summary>
    public static double SobelEnergy(double[] y, int width, int height, int margin)
    {
        double energy = 0;
        for (var r = margin; r < height - margin; r++)
        for (var c = margin; c < width - margin; c++)
        {
            double At(int dr, int dc) => y[(r + dr) * width + c + dc];
            var gx = (At(-1, 1) + 2 * At(0, 1) + At(1, 1) - At(-1, -1) - 2 * At(0, -1) - At(1, -1)) / 8;
            var gy = (At(1, -1) + 2 * At(1, 0) + At(1, 1) - At(-1, -1) - 2 * At(-1, 0) - At(-1, 1)) / 8;
            energy += gx * gx + gy * gy;
        }
        return energy;
    }

    /// <summary>Separable convolution with a symmetric kernel, edge pixels repeated outwards.</summary>
    static double[] GaussianBlur(double[] image, int width, int height, double[] kernel)
    {
        var radius = kernel.Length / 2;
        var rows = new double[image.Length];
        for (var r = 0; r < height; r++)
        for (var c = 0; c < width; c++)
        {
            double sum = 0;
            for (var j = -radius; j <= radius; j++) sum += kernel[j + radius] * image[r * width + Math.Clamp(c + j, 0, width - 1)];
            rows[r * width + c] = sum;
        }
        var result = new double[image.Length];
        for (var r = 0; r < height; r++)
        for (var c = 0; c < width; c++)
        {
            double sum = 0;
            for (var j = -radius; j <= radius; j++) sum += kernel[j + radius] * rows[Math.Clamp(r + j, 0, height - 1) * width + c];
            result[r * width + c] = sum;
        }
        return result;
    }

    static void CheckFrames(IReadOnlyList<byte[]> frames, int width, int height)
    {
        for (var t = 0; t < frames.Count; t++)
            if (frames[t].Length != width * height * 3)
                throw new ArgumentException($"frame {t} has {frames[t].Length} bytes; a {width}x{height} rgb24 frame has {width * height * 3}");
    }
}

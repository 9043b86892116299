namespace MjVideo.Synth;

/// <summary>A floating-point RGB frame being drawn, addressed in pixels or in scene units.</summary>
public sealed class Canvas
{
    readonly float[] rgb;
    readonly double unit;

    public Canvas(int size, double unit)
    {
        Size = size;
        this.unit = unit;
        rgb = new float[size * size * 3];
    }

    public int Size { get; }

    public Canvas Copy()
    {
        var copy = new Canvas(Size, unit);
        Array.Copy(rgb, copy.rgb, rgb.Length);
        return copy;
    }

    /// <summary>this = this * (1 - amount) + other * amount, pixel by pixel.</summary>
    public void MixWith(Canvas other, double amount)
    {
        for (var i = 0; i < rgb.Length; i++) rgb[i] = (float)(rgb[i] + (other.rgb[i] - rgb[i]) * amount);
    }

    /// <summary>The scene coordinates of a pixel's centre.</summary>
    public (double X, double Y) ScenePoint(int px, int py) => ((px + 0.5) * unit, (py + 0.5) * unit);

    /// <summary>One-pixel-wide analytic anti-aliasing: the share of a pixel inside an outline at signed distance d.</summary>
    public double Coverage(double d) => Math.Clamp(0.5 - d / unit, 0, 1);

    public void Set(int px, int py, Rgb c)
    {
        var i = (py * Size + px) * 3;
        rgb[i] = (float)c.R;
        rgb[i + 1] = (float)c.G;
        rgb[i + 2] = (float)c.B;
    }

    public Rgb Get(int px, int py)
    {
        var i = (py * Size + px) * 3;
        return new Rgb(rgb[i], rgb[i + 1], rgb[i + 2]);
    }

    /// <summary>Blends <paramref name="colour"/> over the pixels of a scene-space box by the coverage a function gives.</summary>
    public void Fill(Func<(double X, double Y), double> coverage, Rgb colour, double x0, double y0, double x1, double y1,
        double opacity = 1)
    {
        var (p0, q0, p1, q1) = PixelBox(x0, y0, x1, y1);
        for (var py = q0; py <= q1; py++)
        for (var px = p0; px <= p1; px++)
        {
            var alpha = coverage(ScenePoint(px, py)) * opacity;
            if (alpha <= 0) continue;
            Set(px, py, Get(px, py).Mix(colour, alpha));
        }
    }

    /// <summary>Fills the inside of a signed-distance outline.</summary>
    public void FillShape(Func<(double X, double Y), double> distance, Rgb colour, double x0, double y0, double x1, double y1,
        double opacity = 1) =>
        Fill(p => Coverage(distance(p)), colour, x0, y0, x1, y1, opacity);

    /// <summary>Multiplies pixels inside a soft outline by (1 - strength): shadows.</summary>
    public void Darken(Func<(double X, double Y), double> distance, double softness, double strength,
        double x0, double y0, double x1, double y1)
    {
        var (p0, q0, p1, q1) = PixelBox(x0, y0, x1, y1);
        for (var py = q0; py <= q1; py++)
        for (var px = p0; px <= p1; px++)
        {
            var alpha = Math.Clamp(0.5 - distance(ScenePoint(px, py)) / softness, 0, 1) * strength;
            if (alpha <= 0) continue;
            Set(px, py, Get(px, py).Scale(1 - alpha));
        }
    }

    (int, int, int, int) PixelBox(double x0, double y0, double x1, double y1) =>
        (Math.Max(0, (int)Math.Floor(x0 / unit)), Math.Max(0, (int)Math.Floor(y0 / unit)),
         Math.Min(Size - 1, (int)Math.Ceiling(x1 / unit)), Math.Min(Size - 1, (int)Math.Ceiling(y1 / unit)));

    public void Multiply(double factor)
    {
        if (factor == 1) return;
        for (var i = 0; i < rgb.Length; i++) rgb[i] = (float)(rgb[i] * factor);
    }

    /// <summary>Mixes a colour over the whole frame (the full-frame tint of a shock flash).</summary>
    public void Tint(Rgb colour, double amount)
    {
        for (var py = 0; py < Size; py++)
        for (var px = 0; px < Size; px++)
            Set(px, py, Get(px, py).Mix(colour, amount));
    }

    /// <summary>Separable Gaussian blur with clamped edges; sigma in pixels.</summary>
    public void GaussianBlur(double sigma)
    {
        var radius = (int)Math.Ceiling(3 * sigma);
        var kernel = Enumerable.Range(-radius, 2 * radius + 1).Select(k => Math.Exp(-k * k / (2 * sigma * sigma))).ToArray();
        var total = kernel.Sum();
        for (var k = 0; k < kernel.Length; k++) kernel[k] /= total;
        var temporary = new float[rgb.Length];
        for (var pass = 0; pass < 2; pass++)
        {
            var source = pass == 0 ? rgb : temporary;
            var target = pass == 0 ? temporary : rgb;
            for (var py = 0; py < Size; py++)
            for (var px = 0; px < Size; px++)
            for (var c = 0; c < 3; c++)
            {
                var sum = 0.0;
                for (var k = -radius; k <= radius; k++)
                {
                    var sx = pass == 0 ? Math.Clamp(px + k, 0, Size - 1) : px;
                    var sy = pass == 0 ? py : Math.Clamp(py + k, 0, Size - 1);
                    sum += kernel[k + radius] * source[(sy * Size + sx) * 3 + c];
                }
                target[(py * Size + px) * 3 + c] = (float)sum;
            }
        }
    }

    public byte[] ToRgb24()
    {
        var bytes = new byte[rgb.Length];
        for (var i = 0; i < rgb.Length; i++) bytes[i] = (byte)Math.Clamp(Math.Round(rgb[i] * 255.0), 0, 255);
        return bytes;
    }
}

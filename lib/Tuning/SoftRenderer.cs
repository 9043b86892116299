using MjVideo.Synth;
using static TorchSharp.torch;

namespace MjVideo.Tuning;

/// <summary>
/// One batch of scenes as tensors, everything the renderer reads (B clips, S = <see cref="GeneratorLayout.Slots"/> object
/// slots, T rendered frames). Coordinates are SynthBench's scene units (0..64 across the frame, y down).
/// </summary>
public sealed class SceneParameters : IDisposable
{
    /// <summary>[B, 6] weights over the scene kinds (one-hot when sampled), in <see cref="SceneKind"/> order.</summary>
    public required Tensor Background { get; init; }
    /// <summary>[B, 2] phases of the background's low-contrast texture (radians).</summary>
    public required Tensor TexturePhase { get; init; }
    /// <summary>[B] direction of the light, for the shadows (radians; SynthBench's default is pi/4).</summary>
    public required Tensor ShadowAngle { get; init; }
    /// <summary>[B, S] how much of each slot's object is drawn (0 absent, 1 present).</summary>
    public required Tensor Presence { get; init; }
    /// <summary>[B, S, 6] weights over the shapes; the outline is the weighted signed distance (SynthBench's morph).</summary>
    public required Tensor ShapeWeights { get; init; }
    /// <summary>[B, S, 3] RGB in [0, 1].</summary>
    public required Tensor Colour { get; init; }
    /// <summary>[B, S] radius in scene units.</summary>
    public required Tensor Radius { get; init; }
    /// <summary>[B, S] rotation in radians.</summary>
    public required Tensor Rotation { get; init; }
    /// <summary>[B, S, T] centre x and y per rendered frame.</summary>
    public required Tensor X { get; init; }
    public required Tensor Y { get; init; }
    /// <summary>[B, T] brightness multiplier per frame (1: unchanged).</summary>
    public required Tensor Brightness { get; init; }
    /// <summary>[B] Gaussian blur of the whole frame, sigma in scene units (0: sharp).</summary>
    public required Tensor Blur { get; init; }

    public long Batch => Presence.shape[0];

    public void Dispose()
    {
        foreach (var t in new[] { Background, TexturePhase, ShadowAngle, Presence, ShapeWeights, Colour, Radius, Rotation, X, Y, Brightness, Blur })
            t.Dispose();
    }
}

/// <summary>
/// Renders <see cref="SceneParameters"/> to clips [B, T, 3, H, W] in [0, 1] with TorchSharp operations only, so that the
/// pixels are differentiable in every parameter. It draws what SynthBench's <see cref="Renderer"/> draws for object
/// scenes, in the same order and with the same formulas: the banded, textured backgrounds, a soft shadow under every
/// object, the objects as signed-distance outlines (the six <see cref="Shapes"/>, blended by weight as SynthBench's morph
/// blends two), the brightness multiplier, then a Gaussian blur with clamped edges. Where SynthBench's coverage is a
/// one-pixel linear ramp, this one is a sigmoid of the same slope at the outline, so that a pixel a little outside an
/// object still passes a gradient to its position.
/// </summary>
public sealed class SoftRenderer : IDisposable
{
    readonly Tensor gridX;      // [1, 1, 1, H, W] pixel-centre x in scene units
    readonly Tensor gridY;
    readonly Tensor bands;      // [6, 3, H, W] the backgrounds without their texture
    readonly double unit;

    /// <summary>Largest blur radius drawn, in pixels: covers SynthBench's strongest defocus (sigma 2.15) to 3 sigma.</summary>
    public const int BlurRadius = 7;

    public SoftRenderer(int size, Device? device = null)
    {
        if (size < 16) throw new ArgumentOutOfRangeException(nameof(size), size, "frames must be at least 16 pixels wide");
        Size = size;
        unit = VideoScene.Space / size;
        var centres = Enumerable.Range(0, size).Select(p => (float)((p + 0.5) * unit)).ToArray();
        using var line = tensor(centres, device: device);
        gridX = line.view(1, 1, 1, 1, size).expand(1, 1, 1, size, size).contiguous();
        gridY = line.view(1, 1, 1, size, 1).expand(1, 1, 1, size, size).contiguous();
        bands = BackgroundBands(size, device);
    }

    public int Size { get; }

    /// <summary>The background layouts without texture, [6, 3, H, W]: SynthBench's colour at (0, 0) phases minus the texture
    /// there (the texture is the same on every channel, so this leaves the bands exactly).</summary>
    static Tensor BackgroundBands(int size, Device? device)
    {
        var unit = VideoScene.Space / size;
        var kinds = Enum.GetValues<SceneKind>();
        var values = new float[kinds.Length * 3 * size * size];
        foreach (var kind in kinds)
            for (var py = 0; py < size; py++)
            for (var px = 0; px < size; px++)
            {
                var (x, y) = ((px + 0.5) * unit, (py + 0.5) * unit);
                var colour = Renderer.BackgroundColour(kind, x, y, 0, 0);
                var texture = Texture(x, y, 0, 0);
                var at = (int)kind * 3 * size * size + py * size + px;
                values[at] = (float)(colour.R - texture);
                values[at + size * size] = (float)(colour.G - texture);
                values[at + 2 * size * size] = (float)(colour.B - texture);
            }
        return tensor(values, [kinds.Length, 3, size, size], device: device);
    }

    /// <summary>SynthBench's background texture at a scene point (see <see cref="Renderer.BackgroundColour"/>).</summary>
    public static double Texture(double x, double y, double phaseX, double phaseY) =>
        0.035 * Math.Sin(x * 0.37 + phaseX) * Math.Sin(y * 0.31 + phaseY) + 0.02 * Math.Sin(x * 1.3 + y * 0.9 + phaseX);

    /// <remarks>
    /// Memory: one clip batch makes many temporaries of [B, S, T, H, W] (21 MB each for 32 clips of 8 frames at 64x64), and
    /// a dispose scope frees its temporaries only when it ends. So every step that makes several of them runs in its own
    /// scope and hands on only its result; one scope for the whole render held about 2 GB per batch of 32 and drove the
    /// tuning experiment's peak RSS. The operations and their order are unchanged, so the pixels are bit for bit the same;
    /// under autograd the graph still keeps whatever backward needs.
    /// </remarks>
    public Tensor Render(SceneParameters scene)
    {
        using var outer = NewDisposeScope();
        var b = scene.Batch;
        var frames = scene.X.shape[2];

        // Background: the weighted band layouts plus the texture, the same in every frame.
        Tensor frame;
        using (var step = NewDisposeScope())
        {
            var phaseX = scene.TexturePhase.select(1, 0).view(b, 1, 1);
            var phaseY = scene.TexturePhase.select(1, 1).view(b, 1, 1);
            var gx = gridX.view(1, Size, Size);
            var gy = gridY.view(1, Size, Size);
            var texture = 0.035 * sin(gx * 0.37 + phaseX) * sin(gy * 0.31 + phaseY) + 0.02 * sin(gx * 1.3 + gy * 0.9 + phaseX);
            var background = einsum("bk,kchw->bchw", scene.Background, bands) + texture.unsqueeze(1);
            frame = background.unsqueeze(1).expand(b, frames, 3, Size, Size).MoveToOuterDisposeScope();
        }

        // Object geometry, [B, S, T, H, W] relative to each object's centre.
        var qx = gridX - scene.X.unsqueeze(-1).unsqueeze(-1);
        var qy = gridY - scene.Y.unsqueeze(-1).unsqueeze(-1);
        var radius = scene.Radius.view(b, -1, 1, 1, 1);
        var presence = scene.Presence.view(b, -1, 1, 1, 1);

        // Shadows first (SynthBench draws all shadows under all objects): a soft ellipse offset along the light.
        using (var step = NewDisposeScope())
        {
            var angle = scene.ShadowAngle.view(b, 1, 1, 1, 1);
            var sx = qx - 2.6 * cos(angle);
            var sy = qy - radius * 0.2 - 2.6 * sin(angle);
            var shadowDistance = Ellipse(sx, sy, radius * 1.05, radius * 0.55);
            var shadow = sigmoid(-shadowDistance / (0.25 * 1.6)) * 0.35 * presence;          // [B, S, T, H, W]
            var lit = (1 - shadow).prod(1).unsqueeze(2);                                         // [B, T, 1, H, W]
            frame = (frame * lit).MoveToOuterDisposeScope();
        }

        // Objects in slot order, each blended over what is below by its coverage.
        Tensor coverage;
        using (var step = NewDisposeScope())
        {
            var cosine = cos(-scene.Rotation).view(b, -1, 1, 1, 1);
            var sine = sin(-scene.Rotation).view(b, -1, 1, 1, 1);
            var rx = qx * cosine - qy * sine;
            var ry = qx * sine + qy * cosine;
            var distance = zeros_like(rx);
            for (var k = 0; k < GeneratorLayout.Shapes; k++)
            {
                Tensor next;
                using (var term = NewDisposeScope())
                    next = (distance + scene.ShapeWeights.select(2, k).view(b, -1, 1, 1, 1) * ShapeDistance((Shape)k, rx, ry, radius))
                        .MoveToOuterDisposeScope();
                distance.Dispose();
                distance = next;
            }
            coverage = (sigmoid(-distance / (0.25 * unit)) * presence).MoveToOuterDisposeScope();  // [B, S, T, H, W]
        }
        for (var s = 0; s < scene.Presence.shape[1]; s++)
            using (var step = NewDisposeScope())
            {
                var alpha = coverage.select(1, s).unsqueeze(2);                                  // [B, T, 1, H, W]
                var colour = scene.Colour.select(1, s).view(b, 1, 3, 1, 1);
                frame = (frame + alpha * (colour - frame)).MoveToOuterDisposeScope();
            }

        frame = frame * scene.Brightness.view(b, frames, 1, 1, 1);
        frame = GaussianBlur(frame, scene.Blur / unit);
        return frame.clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Separable Gaussian blur with a per-clip sigma in pixels (0 leaves the clip unchanged) and clamped edges.</summary>
    static Tensor GaussianBlur(Tensor clips, Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var (b, t, c, h, w) = (clips.shape[0], clips.shape[1], clips.shape[2], clips.shape[3], clips.shape[4]);
        var offsets = arange(-BlurRadius, BlurRadius + 1, dtype: clips.dtype, device: clips.device);
        // exp(-k^2 / 2 sigma^2), normalised; the small floor keeps sigma = 0 a clean delta without dividing by zero.
        var weights = exp(-offsets.square().unsqueeze(0) / (2 * sigma.square().unsqueeze(1) + 1e-4));
        weights = weights / weights.sum(1, keepdim: true);                                  // [B, 2R+1]
        var perFrame = weights.repeat_interleave(t, 0);                                     // [B*T, 2R+1]
        var x = clips.reshape(b * t, c, h, w);
        foreach (var axis in new[] { 3, 2 })
            using (var pass = NewDisposeScope())
            {
                // Each pass and each tap in a scope of its own: only the running sum outlives a tap (see Render).
                var padding = axis == 3 ? new long[] { BlurRadius, BlurRadius, 0, 0 } : new long[] { 0, 0, BlurRadius, BlurRadius };
                var padded = nn.functional.pad(x, padding, TorchSharp.PaddingModes.Replicate);
                var sum = zeros_like(x);
                for (var k = 0; k <= 2 * BlurRadius; k++)
                {
                    Tensor next;
                    using (var tap = NewDisposeScope())
                        next = (sum + perFrame.select(1, k).view(b * t, 1, 1, 1) * padded.narrow(axis, k, axis == 3 ? w : h)).MoveToOuterDisposeScope();
                    sum.Dispose();
                    sum = next;
                }
                x = sum.MoveToOuterDisposeScope();
            }
        return x.view(b, t, c, h, w).MoveToOuterDisposeScope();
    }

    /// <summary>The signed distance of one of SynthBench's shapes (<see cref="Shapes.Distance"/>), as tensors.</summary>
    public static Tensor ShapeDistance(Shape shape, Tensor x, Tensor y, Tensor r)
    {
        using var scope = NewDisposeScope();
        // A tiny floor under the square roots keeps their gradient finite at the centre.
        Tensor Length(Tensor a, Tensor b) => (a.square() + b.square() + 1e-8).sqrt();
        var d = shape switch
        {
            Shape.Circle => Length(x, y) - r,
            Shape.Square => Box(x, y, r * 0.86),
            Shape.Triangle => Triangle(x, y, r * 1.08),
            Shape.Star => Star(x, y, r * 1.12),
            Shape.Diamond => (x.abs() + y.abs() - r * 1.18) / Math.Sqrt(2),
            Shape.Ring => (Length(x, y) - r * 0.74).abs() - r * 0.28,
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
        return d.MoveToOuterDisposeScope();

        static Tensor Box(Tensor x, Tensor y, Tensor half)
        {
            var qx = x.abs() - half;
            var qy = y.abs() - half;
            var outside = (qx.clamp_min(0).square() + qy.clamp_min(0).square() + 1e-8).sqrt();
            return outside + maximum(qx, qy).clamp_max(0);
        }

        static Tensor Triangle(Tensor x, Tensor y, Tensor r)
        {
            var py = -y;
            var e1 = (Math.Sqrt(3) * x + py) / 2 - r / 2;
            var e2 = (-Math.Sqrt(3) * x + py) / 2 - r / 2;
            var e3 = -py - r / 2;
            return maximum(maximum(e1, e2), e3);
        }

        static Tensor Star(Tensor x, Tensor y, Tensor r)
        {
            const double sector = 2 * Math.PI / 5;
            var angle = atan2(x, -y);
            var a = (remainder(angle, sector) - sector / 2).abs() / (sector / 2);
            var edge = r * (0.48 + 0.52 * a.square());
            return ((x.square() + y.square() + 1e-8).sqrt() - edge) * 0.75;
        }
    }

    static Tensor Ellipse(Tensor x, Tensor y, Tensor rx, Tensor ry)
    {
        var k = (x.square() / rx.square() + y.square() / ry.square() + 1e-8).sqrt();
        return (k - 1) * minimum(rx, ry);
    }

    /// <summary>Clips [B, T, 3, H, W] in [0, 1] as 8-bit RGB frames: per clip, per frame, rows top to bottom, R G B.</summary>
    public static byte[][][] ToRgb24(Tensor clips)
    {
        using var scope = NewDisposeScope();
        var bytes = (clips.detach().cpu().clamp(0, 1) * 255).round().to_type(ScalarType.Byte).permute(0, 1, 3, 4, 2).contiguous();
        var (b, t, h, w) = ((int)bytes.shape[0], (int)bytes.shape[1], (int)bytes.shape[2], (int)bytes.shape[3]);
        var all = bytes.data<byte>().ToArray();
        var frameBytes = h * w * 3;
        return Enumerable.Range(0, b).Select(i => Enumerable.Range(0, t)
            .Select(f => all.AsSpan((i * t + f) * frameBytes, frameBytes).ToArray()).ToArray()).ToArray();
    }

    public void Dispose()
    {
        gridX.Dispose();
        gridY.Dispose();
        bands.Dispose();
    }
}

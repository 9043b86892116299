using static TorchSharp.torch;

namespace MjVideo.Tuning;

/// <summary>
/// Every random draw behind a batch of generated clips, made up front from one seed: Gumbel noise for the discrete
/// choices (background, count, shape, colour), standard normals for the continuous ones and for the per-frame noise
/// (brightness jitter, drift), uniforms for the texture phases and the light direction. The same noise through two
/// generators gives paired clips (common random numbers): the base and a tuned model are compared on the same draws.
/// </summary>
public sealed class GeneratorNoise : IDisposable
{
    public required Tensor BackgroundGumbel { get; init; }   // [B, 6]
    public required Tensor CountGumbel { get; init; }        // [B, MaxCount]
    public required Tensor ShapeGumbel { get; init; }        // [B, 2, 6]
    public required Tensor ColourGumbel { get; init; }       // [B, 2, 7]
    public required Tensor ColourNormal { get; init; }       // [B, 2, 3]
    public required Tensor RadiusNormal { get; init; }       // [B, 2]
    public required Tensor VelocityNormal { get; init; }     // [B, 2, 2]
    public required Tensor PositionNormal { get; init; }     // [B, S, 2]
    public required Tensor RotationNormal { get; init; }     // [B, S]
    public required Tensor QualityNormal { get; init; }      // [B, 3]: blur, flicker, drift
    public required Tensor FlickerNormal { get; init; }      // [B, T]
    public required Tensor DriftNormal { get; init; }        // [B, S, T, 2]
    public required Tensor TexturePhase { get; init; }       // [B, 2] uniform in [0, 2 pi)
    public required Tensor ShadowAngle { get; init; }        // [B] pi/4 + uniform(-0.3, 0.3), as SynthBench draws it

    public long Batch => BackgroundGumbel.shape[0];

    /// <summary>Draws the noise for <paramref name="batch"/> clips of <paramref name="frames"/> frames from <paramref name="seed"/>.</summary>
    public static GeneratorNoise Draw(int batch, int frames, long seed, Device? device = null)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "must be at least 1");
        using var generator = new Generator(unchecked((ulong)seed));
        var s = GeneratorLayout.Slots;
        Tensor Normal(params long[] shape) => randn(shape, generator: generator).to(device ?? CPU);
        Tensor Gumbel(params long[] shape)
        {
            using var u = rand(shape, generator: generator).clamp(1e-6, 1 - 1e-6);
            return (-(-u.log()).log()).to(device ?? CPU);
        }
        Tensor Uniform(double low, double high, params long[] shape)
        {
            using var u = rand(shape, generator: generator);
            return (u * (high - low) + low).to(device ?? CPU);
        }
        return new GeneratorNoise
        {
            BackgroundGumbel = Gumbel(batch, GeneratorLayout.Scenes),
            CountGumbel = Gumbel(batch, GeneratorLayout.MaxCount),
            ShapeGumbel = Gumbel(batch, GeneratorLayout.Groups, GeneratorLayout.Shapes),
            ColourGumbel = Gumbel(batch, GeneratorLayout.Groups, GeneratorLayout.Colours),
            ColourNormal = Normal(batch, GeneratorLayout.Groups, 3),
            RadiusNormal = Normal(batch, GeneratorLayout.Groups),
            VelocityNormal = Normal(batch, GeneratorLayout.Groups, 2),
            PositionNormal = Normal(batch, s, 2),
            RotationNormal = Normal(batch, s),
            QualityNormal = Normal(batch, 3),
            FlickerNormal = Normal(batch, frames),
            DriftNormal = Normal(batch, s, frames, 2),
            TexturePhase = Uniform(0, 2 * Math.PI, batch, 2),
            ShadowAngle = Uniform(Math.PI / 4 - 0.3, Math.PI / 4 + 0.3, batch),
        };
    }

    /// <summary>The noise of clips [start, start + length), as views.</summary>
    public GeneratorNoise Rows(long start, long length) => new()
    {
        BackgroundGumbel = BackgroundGumbel.narrow(0, start, length),
        CountGumbel = CountGumbel.narrow(0, start, length),
        ShapeGumbel = ShapeGumbel.narrow(0, start, length),
        ColourGumbel = ColourGumbel.narrow(0, start, length),
        ColourNormal = ColourNormal.narrow(0, start, length),
        RadiusNormal = RadiusNormal.narrow(0, start, length),
        VelocityNormal = VelocityNormal.narrow(0, start, length),
        PositionNormal = PositionNormal.narrow(0, start, length),
        RotationNormal = RotationNormal.narrow(0, start, length),
        QualityNormal = QualityNormal.narrow(0, start, length),
        FlickerNormal = FlickerNormal.narrow(0, start, length),
        DriftNormal = DriftNormal.narrow(0, start, length),
        TexturePhase = TexturePhase.narrow(0, start, length),
        ShadowAngle = ShadowAngle.narrow(0, start, length),
    };

    public void Dispose()
    {
        foreach (var t in new[] { BackgroundGumbel, CountGumbel, ShapeGumbel, ColourGumbel, ColourNormal, RadiusNormal, VelocityNormal,
                     PositionNormal, RotationNormal, QualityNormal, FlickerNormal, DriftNormal, TexturePhase, ShadowAngle })
            t.Dispose();
    }
}

using MjVideo.Synth;
using MjVideo.Tuning;
using static MjVideo.Tests.TuningTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The soft renderer draws what SynthBench's renderer draws, and its pixels are differentiable.</summary>
public class TuningRendererTests
{
    static (double MeanAbs, int MaxAbs) Compare(byte[][] expected, byte[][] actual)
    {
        long sum = 0, n = 0;
        var max = 0;
        for (var f = 0; f < expected.Length; f++)
            for (var k = 0; k < expected[f].Length; k++)
            {
                var d = Math.Abs(expected[f][k] - actual[f][k]);
                sum += d;
                max = Math.Max(max, d);
                n++;
            }
        return (sum / (double)n, max);
    }

    static byte[][] Soft(VideoScene scene)
    {
        using var renderer = new SoftRenderer(64);
        using var parameters = SceneTargets.ExactParameters(scene, FrameTimes);
        using var clip = renderer.Render(parameters);
        return SoftRenderer.ToRgb24(clip)[0];
    }

    public static IEnumerable<object[]> Scenes()
    {
        yield return ["two red squares on the left", 1.0, false];
        yield return ["a moving blue star, defocused", 1.4, false];
        yield return ["a green ring and a white diamond, flickering", 0.0, true];
    }

    static VideoScene SceneNamed(string name, double blur, bool flicker)
    {
        var caption = name switch
        {
            "two red squares on the left" => Caption(Group(Shape.Square, ColorName.Red, 2, countNamed: true, region: Region.Left)),
            "a moving blue star, defocused" => Caption(Group(Shape.Star, ColorName.Blue, motion: Motion.LeftToRight), scene: SceneKind.Beach),
            _ => Caption(Group(Shape.Ring, ColorName.Green), Group(Shape.Diamond, ColorName.White), scene: SceneKind.Night),
        };
        var scene = Scene(caption, 7);
        scene.BlurSigma = blur;
        if (flicker)
            for (var t = 0; t < scene.Frames; t++) scene.Brightness[t] = t % 2 == 0 ? 1.12 : 0.9;
        return scene;
    }

    [Theory]
    [MemberData(nameof(Scenes))]
    public void The_soft_renderer_draws_a_scene_as_SynthBench_draws_it(string name, double blur, bool flicker)
    {
        var scene = SceneNamed(name, blur, flicker);
        var (meanAbs, maxAbs) = Compare(Frames(scene), Soft(scene));
        // Measured: 0.2-0.9 / 255 on average; the largest differences (up to ~37 / 255) sit on outlines, where SynthBench's
        // one-pixel linear ramp and the sigmoid of the same slope part ways.
        Assert.True(meanAbs < 1.5, $"{name}: mean absolute difference {meanAbs:F2} / 255");
        Assert.True(maxAbs < 64, $"{name}: largest difference {maxAbs} / 255");
    }

    [Fact]
    public void Without_objects_the_clip_is_SynthBench_s_background_with_its_texture()
    {
        var scene = Scene(Caption(Group(Shape.Circle, ColorName.Red), scene: SceneKind.Street), 3);
        scene.Objects.Clear();
        var soft = Soft(scene);
        for (var py = 0; py < 64; py += 7)
        for (var px = 0; px < 64; px += 5)
        {
            var colour = Renderer.BackgroundColour(SceneKind.Street, px + 0.5, py + 0.5, scene.TexturePhaseX, scene.TexturePhaseY);
            var at = (py * 64 + px) * 3;
            Assert.Equal(Math.Round(colour.R * 255), soft[0][at], 1.0);
            Assert.Equal(Math.Round(colour.G * 255), soft[0][at + 1], 1.0);
            Assert.Equal(Math.Round(colour.B * 255), soft[0][at + 2], 1.0);
        }
    }

    [Fact]
    public void Shape_distances_equal_SynthBench_s()
    {
        var random = new Random(5);
        var points = Enumerable.Range(0, 200).Select(_ => (X: random.NextDouble() * 24 - 12, Y: random.NextDouble() * 24 - 12)).ToArray();
        using var xs = tensor(points.Select(p => (float)p.X).ToArray());
        using var ys = tensor(points.Select(p => (float)p.Y).ToArray());
        using var radius = tensor(6.5f);
        foreach (var shape in Enum.GetValues<Shape>())
        {
            using var distance = SoftRenderer.ShapeDistance(shape, xs, ys, radius);
            var values = distance.data<float>().ToArray();
            for (var i = 0; i < points.Length; i++)
                Assert.True(Math.Abs(values[i] - Shapes.Distance(shape, points[i].X, points[i].Y, 6.5)) < 1e-3,
                    $"{shape} at ({points[i].X:F2}, {points[i].Y:F2}): {values[i]} vs {Shapes.Distance(shape, points[i].X, points[i].Y, 6.5)}");
        }
    }

    /// <summary>Autograd against central finite differences, for one scalar parameter of the scene.</summary>
    [Theory]
    [InlineData("x")]
    [InlineData("radius")]
    [InlineData("blur")]
    [InlineData("red")]
    public void Pixels_are_differentiable_in_the_scene_parameters(string parameter)
    {
        var scene = Scene(Caption(Group(Shape.Circle, ColorName.Red)), 2);
        scene.Objects[0].X.AsSpan().Fill(31.3);
        scene.Objects[0].Y.AsSpan().Fill(30.7);
        scene.BlurSigma = 0.8;
        using var renderer = new SoftRenderer(64);
        using var weights = linspace(0, 1, 64).view(1, 1, 1, 1, 64);   // weights pixels to the right more
        double Loss(double offset, bool backward, out double gradient)
        {
            using var scope = NewDisposeScope();
            using var p = SceneTargets.ExactParameters(scene, FrameTimes);
            var target = parameter switch
            {
                "x" => p.X, "radius" => p.Radius, "blur" => p.Blur, _ => p.Colour,
            };
            // One number moves the first object's x (every frame), its radius, the clip's blur or its red channel.
            var mask = zeros_like(target);
            if (parameter == "red") mask[0, 0, 0] = tensor(1f);
            else if (parameter is "x" or "radius") mask[0, 0] = tensor(1f);
            else mask[0] = tensor(1f);
            var leaf = tensor((float)offset).requires_grad_(true);
            var shift = mask * leaf;
            var moved = new SceneParameters
            {
                Background = p.Background, TexturePhase = p.TexturePhase, ShadowAngle = p.ShadowAngle, Presence = p.Presence,
                ShapeWeights = p.ShapeWeights, Colour = parameter == "red" ? p.Colour + shift : p.Colour,
                Radius = parameter == "radius" ? p.Radius + shift : p.Radius, Rotation = p.Rotation, X = parameter == "x" ? p.X + shift : p.X,
                Y = p.Y, Brightness = p.Brightness, Blur = parameter == "blur" ? p.Blur + shift : p.Blur,
            };
            var loss = (renderer.Render(moved) * weights).mean();
            gradient = 0;
            if (backward)
            {
                loss.backward();
                gradient = leaf.grad!.item<float>();
            }
            return loss.item<float>();
        }
        Loss(0, backward: true, out var autograd);
        const double h = 0.05;
        var numeric = (Loss(h, false, out _) - Loss(-h, false, out _)) / (2 * h);
        Assert.True(Math.Abs(numeric) > 1e-6, $"{parameter}: the loss does not move ({numeric})");
        Assert.True(Math.Abs(autograd - numeric) <= 0.05 * Math.Abs(numeric) + 1e-6,
            $"{parameter}: autograd {autograd:G5} vs finite difference {numeric:G5}");
    }
}

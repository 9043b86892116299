using Microsoft.ML.OnnxRuntime;
using MjVideo.Backbones.Pretrained;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>One edited ResNet-18 and one 112x112 extractor for all tests that need them: the model loads in about a
/// second, the edit writes 63 MB, so they are made once.</summary>
public sealed class ResNetFixture : IDisposable
{
    public string CacheDir { get; } = RepoPaths.NewTempDir("resnet");
    public FeatureMapModel Model { get; }
    public ResNetNormalization Normalization { get; } = ResNetNormalization.Load();
    public ResNetFeatureExtractor Extractor { get; }

    public ResNetFixture()
    {
        Model = ResNet18Package.PrepareFeatureMapModel(CacheDir);
        Extractor = new ResNetFeatureExtractor(Model, Normalization, new ResNetExtractorOptions(InputSize: 112, BatchSize: 4));
    }

    public void Dispose()
    {
        Extractor.Dispose();
        Directory.Delete(CacheDir, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ResNetCollection : ICollectionFixture<ResNetFixture>
{
    public const string Name = "Pretrained ResNet-18";
}

/// <summary>Simple RGB test frames, uint8 [n,3,size,size].</summary>
static class TestFrames
{
    /// <summary>A coloured square on a grey background, at a given corner.</summary>
    public static Tensor Square(int size, int top, int left, int side, byte r, byte g, byte b)
    {
        var frame = full([1, 3, size, size], 90, dtype: ScalarType.Byte);
        frame[.., 0, top..(top + side), left..(left + side)] = tensor(r);
        frame[.., 1, top..(top + side), left..(left + side)] = tensor(g);
        frame[.., 2, top..(top + side), left..(left + side)] = tensor(b);
        return frame;
    }

    /// <summary>Same shape, same type and the same bytes.</summary>
    public static bool BitwiseEqual(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    public static Tensor Noise(int count, int size, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return randint(0, 256, [count, 3, size, size], generator: generator).to_type(ScalarType.Byte);
    }
}

[Collection(ResNetCollection.Name)]
public class PretrainedResNetTests(ResNetFixture fixture)
{
    [Fact]
    public void Normalisation_matches_the_packaged_preprocessing_graph()
    {
        // Run ResNetPreprocess.onnx itself on RGB pixels in 0..255 and compare with the managed normalisation.
        using var frame = TestFrames.Noise(1, 224, seed: 5);
        using var pixels = frame.to_type(ScalarType.Float32);
        var input = pixels.data<float>().ToArray();
        using var session = new InferenceSession(ResNet18Package.PreprocessPath());
        using var runOptions = new RunOptions();
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 224, 224]);
        using var outputs = session.Run(runOptions, [session.InputMetadata.Keys.Single()], [value], [session.OutputMetadata.Keys.Single()]);
        var expected = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        using var ours = fixture.Normalization.Apply(frame, 224);
        var actual = ours.data<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.Zip(actual).All(p => Math.Abs(p.First - p.Second) < 1e-4), "managed normalisation differs from ResNetPreprocess.onnx");
    }

    [Fact]
    public void Normalisation_at_112_subtracts_the_box_averaged_mean_image_in_bgr_order()
    {
        using var grey = full([1, 3, 112, 112], 128, dtype: ScalarType.Byte);
        grey[.., 0] = tensor((byte)200); // red, which must land in the last channel
        using var normalised = fixture.Normalization.Apply(grey, 112);
        var mean = fixture.Normalization.MeanImageBgr;
        float Mean224(int c, int y, int x) => mean[(c * 224 + y) * 224 + x];
        foreach (var (y, x) in new[] { (0, 0), (17, 90), (111, 111) })
        {
            for (var c = 0; c < 3; c++)
            {
                var box = (Mean224(c, 2 * y, 2 * x) + Mean224(c, 2 * y + 1, 2 * x) + Mean224(c, 2 * y, 2 * x + 1) + Mean224(c, 2 * y + 1, 2 * x + 1)) / 4;
                var pixel = c == 2 ? 200f : 128f;
                Assert.Equal(pixel - box, normalised[0, c, y, x].item<float>(), 3);
            }
        }
    }

    [Theory]
    [InlineData(64)]  // SynthBench frames, upsampled
    [InlineData(150)] // a larger frame, downsampled by a non-integer factor
    public void Managed_resizing_matches_torch_bilinear_interpolation(int sourceSize)
    {
        using var frames = TestFrames.Noise(2, sourceSize, seed: 9);
        using var ours = fixture.Normalization.Apply(frames, 112);
        using var pixels = frames.to_type(ScalarType.Float32);
        using var resized = nn.functional.interpolate(pixels, [112, 112], mode: InterpolationMode.Bilinear, align_corners: false);
        using var mean = tensor(fixture.Normalization.MeanAt(112), [1, 3, 112, 112]);
        using var reference = resized.flip(1) - mean;
        Assert.True(ours.allclose(reference, rtol: 0, atol: 1e-3), $"max difference {(ours - reference).abs().max().item<float>()}");
    }

    [Fact]
    public void Float_frames_outside_the_unit_range_are_refused()
    {
        using var frames = full([1, 3, 64, 64], 200f);
        var error = Assert.Throws<ArgumentException>(() => fixture.Extractor.Extract(frames));
        Assert.Contains("[0,1]", error.Message);
    }

    [Fact]
    public void At_224_the_spatial_mean_of_the_map_equals_the_original_pooled_output()
    {
        using var frame = TestFrames.Noise(1, 224, seed: 7);
        using var normalised = fixture.Normalization.Apply(frame, 224);
        var input = normalised.data<float>().ToArray();
        using var original = new InferenceSession(fixture.Model.SourcePath);
        using var runOptions = new RunOptions();
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 224, 224]);
        using var outputs = original.Run(runOptions, ["Input247"], [value], ["Pooling395_Output_0"]);
        Assert.Equal([1L, 512, 1, 1], outputs[0].GetTensorTypeAndShape().Shape);
        var pooled = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        using var extractor224 = new ResNetFeatureExtractor(fixture.Model, fixture.Normalization, new ResNetExtractorOptions(InputSize: 224));
        using var map = extractor224.Extract(frame);
        Assert.Equal([1L, 512, 7, 7], map.shape);
        var spatialMean = map.mean([2, 3]).flatten().data<float>().ToArray();
        var scale = pooled.Max(Math.Abs);
        Assert.True(scale > 0.1f, "the pooled features are all near zero; the comparison would prove nothing");
        Assert.All(pooled.Zip(spatialMean), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4f * scale + 1e-6f,
            $"pooled {p.First} vs mean of map {p.Second}"));
    }

    [Fact]
    public void At_112_a_batch_gives_512_by_4_by_4_maps()
    {
        using var frames = TestFrames.Noise(6, 64, seed: 11); // 6 frames in batches of 4: a full and a partial batch
        using var features = fixture.Extractor.Extract(frames);
        Assert.Equal([6L, 512, 4, 4], features.shape);
        Assert.Equal(ScalarType.Float32, features.dtype);
        Assert.Equal((512, 4, 4), (fixture.Extractor.Channels, fixture.Extractor.MapHeight, fixture.Extractor.MapWidth));
        Assert.True(features.min().item<float>() >= 0, "the map comes after a ReLU");
    }

    [Fact]
    public void Frames_split_across_batches_get_the_features_they_get_alone()
    {
        using var frames = TestFrames.Noise(6, 64, seed: 17);
        using var all = fixture.Extractor.Extract(frames); // a batch of 4, then one of 2
        foreach (var i in new[] { 0, 3, 4, 5 })
        {
            using var alone = fixture.Extractor.Extract(frames.narrow(0, i, 1));
            Assert.True(all[i].allclose(alone[0], rtol: 1e-4, atol: 1e-4), $"frame {i} differs when extracted alone");
        }
    }

    [Fact]
    public void Features_are_identical_for_the_same_frame_and_differ_for_different_frames()
    {
        using var redTopLeft = TestFrames.Square(64, 4, 4, 24, 220, 30, 30);
        using var blueBottomRight = TestFrames.Square(64, 36, 36, 24, 30, 30, 220);
        using var batch = cat([redTopLeft, blueBottomRight, redTopLeft], 0);
        using var first = fixture.Extractor.Extract(batch);
        using var second = fixture.Extractor.Extract(batch);
        Assert.True(TestFrames.BitwiseEqual(first, second), "the same frames gave different features on a second call");

        Assert.True(first[0].allclose(first[2], rtol: 1e-5, atol: 1e-5), "the same frame at two batch positions gave different features");
        var difference = (first[0] - first[1]).norm().item<float>() / first[0].norm().item<float>();
        Assert.True(difference > 0.2f, $"different frames gave features only {difference:P1} apart");
    }

    [Fact]
    public void Uint8_and_unit_float_frames_give_the_same_features_and_half_output_rounds_them()
    {
        using var frames = TestFrames.Noise(2, 64, seed: 13);
        using var asFloat = frames.to_type(ScalarType.Float32) / 255f;
        using var fromBytes = fixture.Extractor.Extract(frames);
        using var fromFloats = fixture.Extractor.Extract(asFloat);
        Assert.True(fromBytes.allclose(fromFloats, rtol: 1e-4, atol: 1e-4));

        using var halfExtractor = new ResNetFeatureExtractor(fixture.Model, fixture.Normalization,
            fixture.Extractor.Options with { HalfOutput = true });
        using var half = halfExtractor.Extract(frames);
        Assert.Equal(ScalarType.Float16, half.dtype);
        Assert.True(half.to_type(ScalarType.Float32).allclose(fromBytes, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void The_edited_model_is_cached_by_source_hash_and_reused()
    {
        var again = ResNet18Package.PrepareFeatureMapModel(fixture.CacheDir);
        Assert.Equal(fixture.Model.Path, again.Path);
        Assert.Contains(fixture.Model.SourceSha256[..16], again.Path);
        Assert.StartsWith(fixture.CacheDir, again.Path);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(again.Path)!, "*.tmp"));

        var summary = OnnxGraphSummary.Read(File.ReadAllBytes(again.Path), again.Path);
        Assert.Equal("Input247[batch,3,height,width]", summary.Inputs.Single().ToString());
        Assert.Equal("ReLU393_Output_0[batch,512,map_height,map_width]", summary.Outputs.Single().ToString());
    }
}

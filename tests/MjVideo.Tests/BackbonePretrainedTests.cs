using MjVideo.Backbones;
using MjVideo.Backbones.Pretrained;
using MjVideo.Video;
using static MjVideo.Tests.BackboneTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The fusion over frozen features, on synthetic feature maps: no ResNet-18 or MiniLM needed.</summary>
public class BackbonePretrainedFusionTests
{
    static PretrainedFusionConfig Small(long seed = 0) =>
        new(HiddenSize: 32, FusionLayers: 1, Heads: 2, FeedForward: 64, Seed: seed) { Preprocessing = new Preprocessing(Frames: 3) };

    /// <summary>Random non-negative maps (like post-ReLU features) [n, 3, 512, 4, 4] in float16, and unit caption vectors.</summary>
    static PretrainedInputs RandomInputs(int n, int seed)
    {
        using var generator = new Generator((ulong)seed);
        var features = (rand([n, 3, 512, 4, 4], generator: generator) * 3).to_type(ScalarType.Float16);
        var captions = nn.functional.normalize(randn([n, 384], generator: generator), dim: 1);
        return new PretrainedInputs(Ids(n), features, captions);
    }

    static PretrainedFusionBackbone Backbone(long seed = 0) => new(Small(seed), RepoPaths.NewTempDir("fusion"));

    [Fact]
    public void Outputs_two_different_states_of_shape_B_by_H()
    {
        using var backbone = Backbone();
        using var inputs = RandomInputs(3, seed: 1);
        using var output = backbone.Forward(inputs);
        Assert.Equal([3L, 32], output.HGate.shape);
        Assert.Equal([3L, 32], output.HLast.shape);
        Assert.True(MaxAbsDifference(output.HGate, output.HLast) > 0.1, "h_gate and h_last are (nearly) the same tensor");
        Assert.Equal("pretrained-v1-h32-112px", backbone.Id);
    }

    [Fact]
    public void Gradients_reach_every_fusion_parameter_and_every_stage_trains_the_whole_fusion()
    {
        using var backbone = Backbone();
        using var inputs = RandomInputs(2, seed: 2);
        using (var output = backbone.Forward(inputs))
            ProjectionLoss(output.HGate, output.HLast, seed: 3).backward();
        Assert.Empty(WithoutGradient(backbone.Module, backbone.ParametersTrainedIn(1)));

        var all = backbone.Module.named_parameters().Select(p => p.name).ToHashSet();
        foreach (var stage in new[] { 1, 2, 3 }) Assert.Equal(all, NamesOf(backbone.Module, backbone.ParametersTrainedIn(stage)));
        // Only the fusion has parameters: the frozen encoders run in ONNX Runtime outside the module.
        Assert.All(all, name => Assert.Matches("^(cell_|spatial_|time_|caption_|modality_|fusion\\.)", name));
        Assert.Throws<ArgumentOutOfRangeException>(() => backbone.ParametersTrainedIn(0));
    }

    [Fact]
    public void The_caption_and_the_features_each_change_the_output()
    {
        using var backbone = Backbone();
        using var a = RandomInputs(1, seed: 4);
        using var b = RandomInputs(1, seed: 5);
        using var noGrad = no_grad();
        using var captionSwapped = new PretrainedInputs(Ids(1), a.Features.alias(), b.Captions.alias());
        using var featuresSwapped = new PretrainedInputs(Ids(1), b.Features.alias(), a.Captions.alias());
        using var original = backbone.Forward(a);
        using var otherCaption = backbone.Forward(captionSwapped);
        using var otherFeatures = backbone.Forward(featuresSwapped);
        Assert.True(MaxAbsDifference(original.HLast, otherCaption.HLast) > 1e-3, "the caption does not change h_last");
        Assert.True(MaxAbsDifference(original.HGate, otherCaption.HGate) > 1e-3, "the caption does not change h_gate");
        Assert.True(MaxAbsDifference(original.HLast, otherFeatures.HLast) > 1e-3, "the video does not change h_last");

        using var reversed = new PretrainedInputs(Ids(1), a.Features.flip(1), a.Captions.alias());
        using var reversedOutput = backbone.Forward(reversed);
        Assert.True(MaxAbsDifference(original.HLast, reversedOutput.HLast) > 1e-3, "the order of the frames does not change h_last");
    }

    [Fact]
    public void The_same_seed_gives_the_same_outputs_and_another_seed_does_not()
    {
        using var first = Backbone(seed: 7);
        using var second = Backbone(seed: 7);
        using var other = Backbone(seed: 8);
        using var inputs = RandomInputs(2, seed: 6);
        using var noGrad = no_grad();
        using var a = first.Forward(inputs);
        using var b = second.Forward(inputs);
        using var c = other.Forward(inputs);
        Assert.True(BitwiseEqual(a.HLast, b.HLast) && BitwiseEqual(a.HGate, b.HGate));
        Assert.True(MaxAbsDifference(a.HLast, c.HLast) > 1e-3, "another seed gives the same output");
    }

    [Fact]
    public void Features_of_the_wrong_map_size_are_refused_naming_the_expected_shape()
    {
        using var backbone = Backbone();
        using var inputs = new PretrainedInputs(Ids(1), zeros([1, 3, 512, 7, 7]), zeros([1, 384]));
        var error = Assert.Throws<ArgumentException>(() => backbone.Forward(inputs));
        Assert.Contains("[B, T, 512, 4, 4]", error.Message);
        Assert.Contains("[1, 3, 512, 7, 7]", error.Message);
    }

    [Fact]
    public void Map_side_follows_resnet_strides()
    {
        Assert.Equal(4, new PretrainedFusionConfig(InputSize: 112).MapSide);
        Assert.Equal(7, new PretrainedFusionConfig(InputSize: 224).MapSide);
        Assert.Equal(2, new PretrainedFusionConfig(InputSize: 64).MapSide);
    }

    [Fact]
    public void Cached_frame_grid_and_the_frames_a_rule_reads_from_it()
    {
        // 16 frames fit the grid: the paper's rule reads exactly its frames, linspace(0, 15, 8, endpoint=False) truncated.
        Assert.Equal(Enumerable.Range(0, 16), FeatureFrames.Grid(16, 16));
        Assert.Equal([0, 1, 3, 5, 7, 9, 11, 13], FeatureFrames.Positions(16, 8, 16, Preprocessing.Default));
        // 5 frames: the grid is all 5 and the rule repeats frames.
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], FeatureFrames.Positions(5, 8, 16, Preprocessing.Default));
        // 81 frames: 16 spread inclusively, round(i * 80 / 15); the rule asks for 0, 10, ..., 70 and gets the nearest
        // cached frames 0, 11, 21, 32, 37 (40 is 3 from both 37 and 43: the earlier wins), 48, 59, 69.
        Assert.Equal([0, 5, 11, 16, 21, 27, 32, 37, 43, 48, 53, 59, 64, 69, 75, 80], FeatureFrames.Grid(81, 16));
        Assert.Equal([0, 2, 4, 6, 7, 9, 11, 13], FeatureFrames.Positions(81, 8, 16, Preprocessing.Default));
        // Inclusive-uniform over 16 frames asks for 0, 2, 4, 6, 9, 11, 13, 15.
        Assert.Equal([0, 2, 4, 6, 9, 11, 13, 15],
            FeatureFrames.Positions(16, 8, 16, Preprocessing.Default with { Sampling = FrameSampling.InclusiveUniform }));
    }
}

/// <summary>The backbone with its frozen encoders: preparation through ResNet-18 and MiniLM, and a learning test on their
/// features.</summary>
[Collection(ResNetCollection.Name)]
public class BackbonePretrainedEncoderTests(ResNetFixture fixture)
{
    [Fact]
    public async Task Prepares_the_configured_frames_from_cached_maps_of_every_frame()
    {
        var dir = RepoPaths.NewTempDir("prep");
        var sixteen = EncodeVideo(dir, "sixteen.mp4", Enumerable.Range(0, 16).Select(i => VideoTestClips.ColourFrame(64, 64, i)).ToArray(), 64);
        var five = EncodeVideo(dir, "five.mp4", Enumerable.Range(0, 5).Select(i => VideoTestClips.ColourFrame(64, 64, 20 + i)).ToArray(), 64);
        var config = new PretrainedFusionConfig(HiddenSize: 32, FusionLayers: 1, Heads: 2, FeedForward: 64);
        // The fixture's folder already holds the edited ResNet-18, so it is not written again.
        using var backbone = new PretrainedFusionBackbone(config, fixture.CacheDir);
        VideoItem[] videos = [new($"prep/{Guid.NewGuid():N}/16", sixteen, "colours changing"), new($"prep/{Guid.NewGuid():N}/5", five, "five colours")];

        using var inputs = (PretrainedInputs)await backbone.PrepareAsync(videos);
        Assert.Equal([2L, 8, 512, 4, 4], inputs.Features.shape);
        Assert.Equal(ScalarType.Float16, inputs.Features.dtype);

        // Reference: every frame decoded at 112x112, through the fixture's extractor (same model), then the rule's frames.
        var decoder = new VideoDecoder();
        async Task<Tensor> AllFrameFeatures(string path, int frames)
        {
            var clip = await decoder.DecodeAsync(path, new Preprocessing(frames, FrameSampling.InclusiveUniform, 112, 112));
            using var bytes = clip.ToByteTensor();
            return fixture.Extractor.Extract(bytes);
        }
        using var expected16 = await AllFrameFeatures(sixteen, 16);
        using var expected5 = await AllFrameFeatures(five, 5);
        AssertFeaturesClose(expected16, [0, 1, 3, 5, 7, 9, 11, 13], inputs.Features[0]);
        AssertFeaturesClose(expected5, [0, 0, 1, 1, 2, 2, 3, 3], inputs.Features[1]);
        using var captions = tensor(backbone.CaptionEncoder.Encode(videos.Select(v => v.Caption).ToArray()).SelectMany(v => v).ToArray(), [2, 384]);
        Assert.True(BitwiseEqual(captions, inputs.Captions));

        // Again: every map comes from the cache.
        var (hits, misses) = (backbone.FeatureCache.Hits, backbone.FeatureCache.Misses);
        using var again = (PretrainedInputs)await backbone.PrepareAsync(videos);
        Assert.Equal((hits + 2, misses), (backbone.FeatureCache.Hits, backbone.FeatureCache.Misses));
        Assert.True(BitwiseEqual(inputs.Features, again.Features));
    }

    static void AssertFeaturesClose(Tensor allFrames, long[] frames, Tensor prepared)
    {
        using var index = tensor(frames);
        using var expected = allFrames.index_select(0, index);
        using var actual = prepared.to_type(ScalarType.Float32);
        // float16 storage rounds to 3 significant digits; maps reach about 10.
        Assert.True(actual.allclose(expected, rtol: 2e-3, atol: 2e-2), $"max |diff| {MaxAbsDifference(actual, expected)}");
    }

    [Fact]
    public void Learns_whether_the_square_has_the_colour_the_caption_names_from_frozen_features()
    {
        var accuracy = OneTorchThread(() =>
        {
            // 64x64 input gives 2x2 maps: four times cheaper than 112, enough for one square.
            using var extractor = new ResNetFeatureExtractor(fixture.Model, fixture.Normalization, new ResNetExtractorOptions(InputSize: 64, BatchSize: 32));
            var config = new PretrainedFusionConfig(HiddenSize: 32, FusionLayers: 1, Heads: 2, FeedForward: 64, InputSize: 64, Seed: 1)
                { Preprocessing = new Preprocessing(Frames: 1) };
            using var backbone = new PretrainedFusionBackbone(config, fixture.CacheDir);
            PretrainedInputs Encode(int n, int seed, out float[] labels)
            {
                var (clips, captions, clipLabels) = ColourMatching(n, frames: 1, size: 32, seed);
                labels = clipLabels;
                using (clips)
                using (var frames = clips.squeeze(1))
                    return new PretrainedInputs(Ids(n), extractor.Extract(frames).unsqueeze(1), backbone.CaptionEncoder.EncodeTensor(captions));
            }
            using var train = Encode(128, seed: 1, out var trainLabels);
            using var test = Encode(64, seed: 2, out var testLabels);
            return TrainProbeAndTest(backbone, train, trainLabels, test, testLabels, steps: 120, learningRate: 3e-3);
        });
        Assert.True(accuracy >= 0.8, $"test accuracy {accuracy:F3} after training; chance is 0.5");
    }
}

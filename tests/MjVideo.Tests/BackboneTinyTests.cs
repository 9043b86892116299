using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Video;
using static MjVideo.Tests.BackboneTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

public class BackboneTinyTests
{
    static TinyInputs RandomInputs(TinyVideoTextBackbone backbone, string[] captions, int seed)
    {
        var p = backbone.Config.Preprocessing;
        using var generator = new Generator((ulong)seed);
        var clips = randint(0, 256, [captions.Length, p.Frames, 3, p.Height, p.Width], generator: generator).to_type(ScalarType.Byte);
        var tokens = backbone.Tokenizer.EncodeBatch(captions);
        return new TinyInputs(Ids(captions.Length), clips, tokens.Ids, tokens.Mask);
    }

    [Fact]
    public void Tokenizer_gives_gpt2_ids_with_a_terminator_truncation_and_padding()
    {
        var tokenizer = new CaptionTokenizer(maxTokens: 8);
        // GPT-2's byte-level BPE: "Hello" = 15496, " world" = 995; <|endoftext|> = 50256.
        Assert.Equal([15496, 995, 50256], tokenizer.Encode("Hello world"));
        Assert.Equal([50256], tokenizer.Encode(""));
        Assert.Equal([15496, 995, 50256], new CaptionTokenizer(maxTokens: 3).Encode("Hello world again"));

        using var batch = tokenizer.EncodeBatch(["Hello world", ""]);
        Assert.Equal([15496L, 995, 50256, 50256, 0, 0], batch.Ids.data<long>().ToArray());
        Assert.Equal([true, true, true, true, false, false], batch.Mask.data<bool>().ToArray());
        Assert.Equal([2L, 3], batch.Ids.shape);
    }

    [Fact]
    public void Outputs_two_different_states_of_shape_B_by_H()
    {
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        using var inputs = RandomInputs(backbone, ["a red square", "two blue circles move left", "a person"], seed: 1);
        using var output = backbone.Forward(inputs);

        Assert.Equal([3L, 32], output.HGate.shape);
        Assert.Equal([3L, 32], output.HLast.shape);
        Assert.Equal(32, backbone.HiddenSize);
        Assert.True(MaxAbsDifference(output.HGate, output.HLast) > 0.1, "h_gate and h_last are (nearly) the same tensor");
    }

    [Fact]
    public void Gradients_reach_every_trainable_parameter_and_the_input_clip()
    {
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        using var generator = new Generator(3);
        using var clips = rand([2, 4, 3, 32, 32], generator: generator).requires_grad_();
        using (var output = backbone.Forward(clips, ["a red square on the left", "a green circle"]))
            ProjectionLoss(output.HGate, output.HLast, seed: 4).backward();

        Assert.Empty(WithoutGradient(backbone.Module, backbone.ParametersTrainedIn(1)));
        Assert.NotNull(clips.grad);
        Assert.True(clips.grad!.abs().sum().item<float>() > 0, "no gradient reached the input clip");
    }

    [Fact]
    public void The_gate_state_reads_the_gate_token_but_not_the_reward_token()
    {
        // The official h_gate position comes before the last token in a causal LLM; the query tokens keep that order.
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        using var generator = new Generator(5);
        using var clips = rand([2, 4, 3, 32, 32], generator: generator);
        var parameters = backbone.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);

        using (var output = backbone.Forward(clips, ["a red square", "a blue square"]))
            ProjectionLoss(output.HGate, zeros_like(output.HLast), seed: 6).backward();
        Assert.True(parameters["fusion.gate_token"].grad!.abs().sum().item<float>() > 0);
        Assert.True(parameters["fusion.reward_token"].grad is null || parameters["fusion.reward_token"].grad!.abs().sum().item<float>() == 0,
            "h_gate depends on the reward token");

        backbone.Module.zero_grad();
        using (var output = backbone.Forward(clips, ["a red square", "a blue square"]))
            ProjectionLoss(zeros_like(output.HGate), output.HLast, seed: 6).backward();
        Assert.True(parameters["fusion.gate_token"].grad!.abs().sum().item<float>() > 0, "h_last does not read the gate token");
        Assert.True(parameters["fusion.reward_token"].grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void The_caption_and_the_video_each_change_the_output()
    {
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        using var generator = new Generator(7);
        using var clipA = rand([1, 4, 3, 32, 32], generator: generator);
        using var clipB = rand([1, 4, 3, 32, 32], generator: generator);
        using var noGrad = no_grad();

        using var redA = backbone.Forward(clipA, ["a red square"]);
        using var blueA = backbone.Forward(clipA, ["a blue square"]);
        using var redB = backbone.Forward(clipB, ["a red square"]);
        Assert.True(MaxAbsDifference(redA.HLast, blueA.HLast) > 1e-3, "the caption does not change h_last");
        Assert.True(MaxAbsDifference(redA.HGate, blueA.HGate) > 1e-3, "the caption does not change h_gate");
        Assert.True(MaxAbsDifference(redA.HLast, redB.HLast) > 1e-3, "the video does not change h_last");
        Assert.True(MaxAbsDifference(redA.HGate, redB.HGate) > 1e-3, "the video does not change h_gate");
    }

    [Fact]
    public void The_order_of_the_frames_changes_the_output()
    {
        // Flicker, disappearance and drift are about order and change: the same frames in reverse must read differently.
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        using var generator = new Generator(13);
        using var clip = rand([1, 4, 3, 32, 32], generator: generator);
        using var reversed = clip.flip(1);
        using var noGrad = no_grad();
        using var forward = backbone.Forward(clip, ["a square"]);
        using var backward = backbone.Forward(reversed, ["a square"]);
        Assert.True(MaxAbsDifference(forward.HLast, backward.HLast) > 1e-3, "reversing the frames does not change h_last");
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_outputs_and_another_seed_does_not()
    {
        using var first = new TinyVideoTextBackbone(SmallTiny(seed: 7));
        using var second = new TinyVideoTextBackbone(SmallTiny(seed: 7));
        using var other = new TinyVideoTextBackbone(SmallTiny(seed: 8));
        var a = first.Module.named_parameters().ToList();
        var b = second.Module.named_parameters().ToList();
        Assert.Equal(a.Select(p => p.name), b.Select(p => p.name));
        Assert.All(a.Zip(b), pair => Assert.True(BitwiseEqual(pair.First.parameter, pair.Second.parameter), pair.First.name));

        using var inputs = RandomInputs(first, ["a red square", "a yellow star"], seed: 9);
        using var noGrad = no_grad();
        using var outFirst = first.Forward(inputs);
        using var outSecond = second.Forward(inputs);
        using var outOther = other.Forward(inputs);
        Assert.True(BitwiseEqual(outFirst.HLast, outSecond.HLast) && BitwiseEqual(outFirst.HGate, outSecond.HGate));
        Assert.True(MaxAbsDifference(outFirst.HLast, outOther.HLast) > 1e-3, "another seed gives the same output");
    }

    [Fact]
    public void Stage_one_trains_everything_and_later_stages_all_but_the_vision_network()
    {
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        var all = backbone.Module.named_parameters().Select(p => p.name).ToHashSet();
        var stage1 = NamesOf(backbone.Module, backbone.ParametersTrainedIn(1));
        var stage2 = NamesOf(backbone.Module, backbone.ParametersTrainedIn(2));
        var stage3 = NamesOf(backbone.Module, backbone.ParametersTrainedIn(3));

        Assert.Equal(all, stage1);
        Assert.Equal(stage2, stage3);
        var vision = all.Where(n => n.StartsWith("cnn.") || n.StartsWith("frame_projection.")).ToHashSet();
        Assert.Contains("cnn.conv0.weight", vision);
        Assert.Contains("frame_projection.weight", vision);
        Assert.Equal(all.Except(vision).ToHashSet(), stage2);
        foreach (var name in new[] { "fusion.gate_token", "fusion.reward_token", "token_embedding.weight", "caption_film.weight",
                     "temporal_conv.weight", "time_embedding", "modality_embedding", "fusion.final_norm.weight" })
            Assert.Contains(name, stage2);
        Assert.Throws<ArgumentOutOfRangeException>(() => backbone.ParametersTrainedIn(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => backbone.ParametersTrainedIn(4));
    }

    [Fact]
    public async Task The_ablation_switches_leave_one_modality_out_entirely()
    {
        using var captionOnly = new TinyVideoTextBackbone(SmallTiny(modalities: TinyModalities.CaptionOnly));
        using var videoOnly = new TinyVideoTextBackbone(SmallTiny(modalities: TinyModalities.VideoOnly));
        Assert.Equal("tiny-v1-h32-caption-only", captionOnly.Id);
        Assert.Equal("tiny-v1-h32-video-only", videoOnly.Id);
        var captionNames = captionOnly.Module.named_parameters().Select(p => p.name).ToList();
        var videoNames = videoOnly.Module.named_parameters().Select(p => p.name).ToList();
        Assert.DoesNotContain(captionNames, n => n.StartsWith("cnn.") || n.StartsWith("frame_projection.") || n.StartsWith("temporal_") || n.StartsWith("caption_film"));
        Assert.DoesNotContain(videoNames, n => n.StartsWith("token_") || n.StartsWith("caption_"));

        using var generator = new Generator(11);
        using var clipA = rand([1, 4, 3, 32, 32], generator: generator);
        using var clipB = rand([1, 4, 3, 32, 32], generator: generator);
        using (no_grad())
        {
            using var a = captionOnly.Forward(clipA, ["a red square"]);
            using var b = captionOnly.Forward(clipB, ["a red square"]);
            Assert.True(BitwiseEqual(a.HLast, b.HLast), "the caption-only model reads the video");
            using var c = videoOnly.Forward(clipA, ["a red square"]);
            using var d = videoOnly.Forward(clipA, ["two blue circles"]);
            Assert.True(BitwiseEqual(c.HLast, d.HLast), "the video-only model reads the caption");
        }

        // Nothing is decoded for a caption-only model: a video that does not exist is never opened.
        using var inputs = (TinyInputs)await captionOnly.PrepareAsync([new VideoItem("x", "/nonexistent/video.mp4", "a red square")]);
        Assert.Null(inputs.Clips);
        Assert.NotNull(inputs.TokenIds);
    }

    [Fact]
    public void Modality_balance_gives_caption_and_frames_equal_attention_mass()
    {
        // Captions of 6 and 3 real tokens (padded to 8) against 4 frame tokens: exp(offset) summed over each modality's real
        // tokens is half of all real content tokens, so with equal logits each modality gets half of the content attention.
        using var mask = tensor(new[] { true, true, true, true, true, true, false, false, true, true, true, false, false, false, false, false }, [2, 8]);
        using var offset = TinyVideoTextModel.ModalityBalance(mask, frames: 4);
        Assert.Equal([2L, 12], offset.shape);
        using var weights = offset.exp();
        var w = weights.data<float>().ToArray();
        foreach (var (row, captionTokens) in new[] { (0, 6), (1, 3) })
        {
            var half = (captionTokens + 4) / 2.0;
            Assert.Equal(half, Enumerable.Range(0, captionTokens).Sum(i => w[row * 12 + i]), 4);
            Assert.Equal(half, Enumerable.Range(8, 4).Sum(i => w[row * 12 + i]), 4);
        }
    }

    const int ColourMatchingSteps = 400;

    [Fact]
    public void Learns_whether_the_square_has_the_colour_the_caption_names()
    {
        // Neither the clip nor the caption alone says anything about the label (see ColourMatching); the encoder must fuse them.
        var accuracy = OneTorchThread(() =>
        {
            using var backbone = new TinyVideoTextBackbone(SmallTiny(seed: 1, frames: 1, size: 16));
            var (trainClips, trainCaptions, trainLabels) = ColourMatching(1024, frames: 1, size: 16, seed: 1);
            var (testClips, testCaptions, testLabels) = ColourMatching(128, frames: 1, size: 16, seed: 2);
            var trainTokens = backbone.Tokenizer.EncodeBatch(trainCaptions);
            var testTokens = backbone.Tokenizer.EncodeBatch(testCaptions);
            using var train = new TinyInputs(Ids(1024), trainClips, trainTokens.Ids, trainTokens.Mask);
            using var test = new TinyInputs(Ids(128), testClips, testTokens.Ids, testTokens.Mask);
            return TrainProbeAndTest(backbone, train, trainLabels, test, testLabels, steps: ColourMatchingSteps, learningRate: 3e-3);
        });
        // Reaches at least 0.95 at this step count on this machine; the margin absorbs another CPU's float differences
        // (at 150 steps it sat at 0.80 and failed on a fresh machine at 0.797).
        Assert.True(accuracy >= 0.85, $"test accuracy {accuracy:F3} after {ColourMatchingSteps} steps; chance is 0.5");
    }

    [Fact]
    public async Task Prepares_decoded_clips_as_uint8_and_converts_them_to_float_per_batch()
    {
        var dir = RepoPaths.NewTempDir("tiny");
        var red = EncodeVideo(dir, "red.mp4", MovingSquare(64, 16, (220, 40, 40)), 64);
        var blue = EncodeVideo(dir, "blue.mp4", MovingSquare(64, 16, (40, 60, 230)), 64);
        var config = SmallTiny(frames: 8, size: 64);
        using var backbone = new TinyVideoTextBackbone(config, cacheDir: dir);
        VideoItem[] videos = [new("test/0_0.mp4", red, "a red square moving right"), new("test/0_1.mp4", blue, "a blue square")];

        using var inputs = (TinyInputs)await backbone.PrepareAsync(videos);
        Assert.Equal(["test/0_0.mp4", "test/0_1.mp4"], inputs.VideoIds);
        Assert.Equal(ScalarType.Byte, inputs.Clips!.dtype);
        Assert.Equal([2L, 8, 3, 64, 64], inputs.Clips.shape);
        var decoder = new VideoDecoder();
        var clips = new[] { await decoder.DecodeAsync(red, config.Preprocessing), await decoder.DecodeAsync(blue, config.Preprocessing) };
        Assert.Equal([0, 1, 3, 5, 7, 9, 11, 13], clips[0].Indices);
        for (var i = 0; i < 2; i++)
        {
            using var expected = clips[i].ToByteTensor();
            Assert.True(BitwiseEqual(expected, inputs.Clips[i]), $"prepared clip {i} differs from the decoded one");
        }
        using var expectedTokens = backbone.Tokenizer.EncodeBatch(videos.Select(v => v.Caption).ToArray());
        Assert.True(BitwiseEqual(expectedTokens.Ids, inputs.TokenIds!));

        // The prepared path (uint8 -> float per batch) computes what the float path computes on Clip.ToTensor().
        using var noGrad = no_grad();
        using var floats = stack(clips.Select(c => c.ToTensor()).ToArray());
        using var direct = backbone.Forward(floats, videos.Select(v => v.Caption).ToArray());
        using var prepared = backbone.Forward(inputs);
        Assert.True(BitwiseEqual(direct.HLast, prepared.HLast) && BitwiseEqual(direct.HGate, prepared.HGate));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, "clips"), "*.clip", SearchOption.AllDirectories));
    }

    [Fact]
    public void Select_keeps_the_chosen_rows_and_cuts_caption_padding_to_the_longest_chosen()
    {
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        // Token counts with the terminator: "hi" 2, "a red square on the left" 7, "a red square" 4.
        using var inputs = RandomInputs(backbone, ["hi", "a red square on the left", "a red square"], seed: 12);
        Assert.Equal([3L, 7], inputs.TokenIds!.shape);

        using var chosen = (TinyInputs)inputs.Select([2, 0]);
        Assert.Equal(["v2", "v0"], chosen.VideoIds);
        Assert.Equal([2L, 4], chosen.TokenIds!.shape);
        Assert.Equal([true, true, true, true, true, true, false, false], chosen.TokenMask!.data<bool>().ToArray());
        Assert.True(BitwiseEqual(inputs.Clips![2], chosen.Clips![0]) && BitwiseEqual(inputs.Clips[0], chosen.Clips[1]));

        // Cutting padding does not change a video's states.
        using var noGrad = no_grad();
        using var full = backbone.Forward(inputs);
        using var part = backbone.Forward(chosen);
        Assert.True(MaxAbsDifference(full.HLast[2], part.HLast[0]) < 1e-5);
        Assert.Throws<ArgumentOutOfRangeException>(() => inputs.Select([3]));
    }

    [Fact]
    public void Bad_inputs_are_refused_with_the_reason()
    {
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        using var tooManyFrames = rand([1, 33, 3, 32, 32]);
        var frames = Assert.Throws<ArgumentException>(() => backbone.Forward(tooManyFrames, ["a red square"]));
        Assert.Contains("33 frames", frames.Message);
        using var mismatch = rand([2, 4, 3, 32, 32]);
        Assert.Contains("B = 1 captions", Assert.Throws<ArgumentException>(() => backbone.Forward(mismatch, ["one caption"])).Message);
        var config = Assert.Throws<ArgumentException>(() => new TinyVideoTextBackbone(SmallTiny() with { HiddenSize = 31 }));
        Assert.Contains("HiddenSize 31", config.Message);
    }
}

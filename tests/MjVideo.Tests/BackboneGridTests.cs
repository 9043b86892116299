using MjVideo.Backbones.Tiny;
using MjVideo.Video;
using TorchSharp;
using Xunit;
using static MjVideo.Tests.BackboneTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The v2 grid encoder (<see cref="GridVideoTextModel"/>): shapes, the stored standardisation, the change stream
/// over frames the CNN does not read, gradients everywhere, and that it can fit one batch.</summary>
public sealed class BackboneGridTests
{
    [Fact]
    public void Stores_its_standardisation_in_the_weights_and_standardises_both_states()
    {
        using var backbone = new TinyVideoTextBackbone(SmallGrid(seed: 3));
        var grid = (GridVideoTextModel)backbone.Model;
        var keys = grid.state_dict().Keys.ToList();
        Assert.Contains("state_mean", keys);
        Assert.Contains("state_scale", keys);
        Assert.Equal("tiny-v2-h32", backbone.Id);

        var (clips, captions, _) = ColourMatching(24, frames: 2, size: 32, seed: 4);
        var tokens = backbone.Tokenizer.EncodeBatch(captions);
        using var inputs = new TinyInputs(Ids(24), clips, tokens.Ids, tokens.Mask);
        using var noGrad = no_grad();
        using var floats = clips.to_type(ScalarType.Float32).div(255f);
        var (rawGate, rawLast) = grid.EncodeRaw(floats, tokens.Ids, tokens.Mask);
        grid.SetStandardisation(rawGate, rawLast);
        using var states = backbone.Forward(inputs);
        foreach (var state in new[] { states.HGate, states.HLast })
        {
            Assert.Equal([24L, 32], state.shape);
            Assert.True(state.mean([0L]).abs().max().item<float>() < 1e-4, "each dimension has mean 0 on the sample it was fitted on");
            Assert.True((state.std(0, keepdim: false) - 1).abs().max().item<float>() < 1e-3, "and standard deviation 1");
        }
        // The raw states share a large common part (the final LayerNorm): their spread across videos is small against it.
        var shared = rawLast.mean([0L]).norm().item<float>();
        var spread = rawLast.std(0, keepdim: false).mean().item<float>();
        Assert.True(shared > spread, $"raw h_last: shared part {shared:F3}, mean spread {spread:F3}");
    }

    [Fact]
    public void The_change_stream_sees_flicker_between_frames_the_cnn_does_not_read()
    {
        // 16 decoded frames, the CNN reads 2 of them (0 and 15, both of the same brightness); the flickering clip alternates
        // brightness every frame in between. Without the change stream the two clips would encode alike.
        using var backbone = new TinyVideoTextBackbone(SmallGrid(seed: 5, frames: 16, cnnFrames: 2, modalities: TinyModalities.VideoOnly));
        using var steady = full(new long[] { 1, 16, 3, 32, 32 }, 0.5f);
        using var flicker = steady.clone();
        for (var t = 1; t < 15; t += 2) flicker[0, t].fill_(0.56f);
        using var noGrad = no_grad();
        var grid = (GridVideoTextModel)backbone.Model;
        var (_, a) = grid.EncodeRaw(steady, null, null);
        var (_, b) = grid.EncodeRaw(flicker, null, null);
        Assert.True((a - b).abs().max().item<float>() > 1e-3, "flicker between the CNN's frames changed nothing in the states");
    }

    [Fact]
    public void Local_detail_is_lower_in_every_cell_of_a_blurred_frame()
    {
        // The CNN's GroupNorm rescales away much of the contrast that separates sharp from blurred; the fixed detail
        // statistic keeps it for every cell.
        using var generator = new Generator(21);
        using var sharp = rand([1, 3, 32, 32], generator: generator);
        using var blurred = nn.functional.avg_pool2d(nn.functional.pad(sharp, [2, 2, 2, 2], PaddingModes.Replicate), 5, stride: 1);
        using var sharpDetail = GridVideoTextModel.Detail(sharp, [4, 4]);
        using var blurredDetail = GridVideoTextModel.Detail(blurred, [4, 4]);
        Assert.Equal([1L, 1, 4, 4], sharpDetail.shape);
        Assert.True((blurredDetail < 0.5 * sharpDetail).all().item<bool>(), "a 5x5 blur should at least halve the detail of noise in every cell");
    }

    [Fact]
    public void Trains_end_to_end_with_a_gradient_on_every_parameter()
    {
        using var backbone = new TinyVideoTextBackbone(SmallGrid(seed: 6, frames: 4));
        // Random pixels, so that frames differ and the change stream has something to pass on.
        using var generator = new Generator(7);
        var clips = randint(0, 256, [4, 4, 3, 32, 32], generator: generator).to_type(ScalarType.Byte);
        var tokens = backbone.Tokenizer.EncodeBatch(["a red square", "two blue circles", "a man", "a green square on the left"]);
        using var inputs = new TinyInputs(Ids(4), clips, tokens.Ids, tokens.Mask);
        using var states = backbone.Forward(inputs);
        using var loss = ProjectionLoss(states.HGate, states.HLast, seed: 8);
        loss.backward();
        var missing = WithoutGradient(backbone.Module, backbone.ParametersTrainedIn(1));
        Assert.True(missing.Count == 0, $"no gradient reached: {string.Join(", ", missing)}");
    }

    const int BindingSteps = 1000;

    [Fact]
    public void Binds_a_colour_word_to_the_place_the_caption_names_and_follows_a_swap()
    {
        // Both colours are always present and the caption always names one of them, so only tying "red" to "left" beats
        // chance (see TwoObjectBinding). The swapped test scenes exchange the squares, which flips every label: a caption
        // path that degenerates into a whole-frame modulation (FiLM) scores 0.5 on both. The encoder has the workbook's
        // widths (the smallest test config stays near chance at this step count: binding is slow to learn).
        var accuracies = OneTorchThread(() =>
        {
            var config = SmallGrid(seed: 3, frames: 2, cnnFrames: 1) with
            {
                HiddenSize = 128, CnnWidth = 32, FusionLayers = 2, Heads = 4, FeedForward = 256, TokenEmbeddingSize = 32,
            };
            using var backbone = new TinyVideoTextBackbone(config);
            var (trainClips, trainCaptions, trainLabels) = TwoObjectBinding(1024, frames: 2, size: 32, seed: 11);
            var (testClips, testCaptions, testLabels) = TwoObjectBinding(512, frames: 2, size: 32, seed: 12);
            var (swappedClips, swappedCaptions, swappedLabels) = TwoObjectBinding(512, frames: 2, size: 32, seed: 12, swapped: true);
            Assert.Equal(testCaptions, swappedCaptions);
            Assert.All(testLabels.Zip(swappedLabels), p => Assert.Equal(1 - p.First, p.Second));
            TinyInputs Inputs(Tensor clips, string[] captions)
            {
                var tokens = backbone.Tokenizer.EncodeBatch(captions);
                return new TinyInputs(Ids(captions.Length), clips, tokens.Ids, tokens.Mask);
            }
            using var train = Inputs(trainClips, trainCaptions);
            using var test = Inputs(testClips, testCaptions);
            using var swapped = Inputs(swappedClips, swappedCaptions);
            return TrainProbeAndTestEach(backbone, train, trainLabels, [(test, testLabels), (swapped, swappedLabels)],
                steps: BindingSteps, learningRate: 1e-3);
        });
        // Reaches 0.68 on both at this step count on this machine (0.5 is chance); init seeds 4, 5 and 6 reached 0.95, 0.80
        // and 0.66, so the threshold sits below every seed tried, not only this one.
        Assert.True(accuracies.Min() >= 0.6, $"accuracy {accuracies[0]:F3} on the test scenes and {accuracies[1]:F3} with the squares swapped after {BindingSteps} steps; chance is 0.5");
    }

    [Fact]
    public void Overfits_one_batch()
    {
        // A model that cannot drive the loss on 16 videos with arbitrary labels to near 0 cannot learn anything bigger.
        var loss = OneTorchThread(() =>
        {
            using var backbone = new TinyVideoTextBackbone(SmallGrid(seed: 9, frames: 2));
            var (clips, captions, _) = ColourMatching(16, frames: 2, size: 32, seed: 10);
            var labels = Enumerable.Range(0, 16).Select(i => (float)((i * 7 + 3) % 2)).ToArray();
            var tokens = backbone.Tokenizer.EncodeBatch(captions);
            using var inputs = new TinyInputs(Ids(16), clips, tokens.Ids, tokens.Mask);
            return FitOneBatch(backbone, inputs, labels, steps: OverfitSteps, learningRate: 3e-3);
        });
        // Reaches below 0.01 in this many steps on this machine.
        Assert.True(loss < 0.1, $"BCE on the one batch after {OverfitSteps} steps: {loss:F4}");
    }

    const int OverfitSteps = 150;

    /// <summary>Trains the stage-1 parameters and a linear probe on h_last on one fixed batch; returns the final BCE.</summary>
    static double FitOneBatch(TinyVideoTextBackbone backbone, TinyInputs inputs, float[] labels, int steps, double learningRate)
    {
        torch.manual_seed(1);
        using var probe = nn.Linear(backbone.HiddenSize, 1);
        using var optimizer = optim.AdamW(backbone.ParametersTrainedIn(1).Concat(probe.parameters()), lr: learningRate, weight_decay: 0);
        using var targets = tensor(labels);
        var loss = double.NaN;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            using var output = backbone.Forward(inputs);
            var value = nn.functional.binary_cross_entropy_with_logits(probe.forward(output.HLast).squeeze(1), targets);
            optimizer.zero_grad();
            value.backward();
            optimizer.step();
            loss = value.item<float>();
        }
        return loss;
    }
}

using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Training;
using MjVideo.Video;
using TorchSharp;
using Xunit;
using static MjVideo.Tests.BackboneTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The trainable-fusion recipe's backbone: the cached tokens of the frozen half reproduce the encoder, and only the
/// fusion trains.</summary>
public sealed class BackboneFusionTokenTests
{
    /// <summary>An encoder with a fitted standardisation, its cache of 10 videos (written in batches of 4) and the inputs.</summary>
    static (TinyVideoTextBackbone Encoder, FusionTokenCache Cache, TinyInputs Inputs) Cached(string folder)
    {
        var encoder = new TinyVideoTextBackbone(SmallGrid(seed: 7, frames: 4));
        var grid = (GridVideoTextModel)encoder.Model;
        var (clips, captions, _) = ColourMatching(10, frames: 4, size: 32, seed: 2);
        var tokens = encoder.Tokenizer.EncodeBatch(captions);
        var inputs = new TinyInputs(Ids(10), clips, tokens.Ids, tokens.Mask);
        using (var noGrad = no_grad())
        using (var floats = clips.to_type(ScalarType.Float32).div(255f))
        {
            var (rawGate, rawLast) = grid.EncodeRaw(floats, tokens.Ids, tokens.Mask);
            grid.SetStandardisation(rawGate, rawLast);
        }
        var batches = new[] { 0, 4, 8 }.Select(start =>
        {
            var positions = Enumerable.Range(start, Math.Min(4, 10 - start)).ToList();
            var part = (TinyInputs)inputs.Select(positions);
            return ((IReadOnlyList<string>)part.VideoIds, part.Clips!.to_type(ScalarType.Float32).div(255f), part.TokenIds!, part.TokenMask!);
        });
        var cache = FusionTokenCache.Write(folder, "key-1", grid, batches);
        return (encoder, cache, inputs);
    }

    [Fact]
    public async Task The_fusion_on_cached_tokens_gives_the_encoders_states()
    {
        var folder = RepoPaths.NewTempDir("fusion-tokens");
        var (encoder, cache, inputs) = Cached(folder);
        using (encoder)
        using (cache)
        using (inputs)
        {
            Assert.Equal(10, cache.Count);
            Assert.Equal(12 + 2 + 3, cache.Tokens);
            using var fusion = new CachedFusionBackbone((GridVideoTextModel)encoder.Model, cache, "fusion-test");
            var videos = Ids(10).Select(id => new VideoItem(id, "", "")).Reverse().ToList();
            using var prepared = await fusion.PrepareAsync(videos);
            using var noGrad = no_grad();
            using var expected = encoder.Forward(inputs);
            using var actual = fusion.Forward(prepared);
            // Rows come back in the order asked (reversed here); fp16 tokens leave a small rounding difference.
            using var reversed = tensor(Enumerable.Range(0, 10).Reverse().Select(i => (long)i).ToArray());
            var gateError = (actual.HGate - expected.HGate.index_select(0, reversed)).abs().max().item<float>();
            var lastError = (actual.HLast - expected.HLast.index_select(0, reversed)).abs().max().item<float>();
            Assert.True(gateError < 0.02 && lastError < 0.02, $"h_gate differs by up to {gateError}, h_last by up to {lastError}");
            Assert.True(expected.HLast.abs().max().item<float>() > 0.5, "the states are not trivially small");

            // Another key is another encoder: not opened. An unknown id is named.
            Assert.Null(FusionTokenCache.TryOpen(folder, "key-2"));
            var missing = await Assert.ThrowsAsync<KeyNotFoundException>(() => fusion.PrepareAsync([new VideoItem("nope", "", "")]));
            Assert.Contains("'nope'", missing.Message);
        }
    }

    [Fact]
    public void Only_the_fusion_trains_in_every_stage_and_a_truncated_cache_is_refused()
    {
        var folder = RepoPaths.NewTempDir("fusion-tokens");
        var (encoder, cache, inputs) = Cached(folder);
        using (encoder)
        using (inputs)
        {
            using (cache)
            using (var fusion = new CachedFusionBackbone((GridVideoTextModel)encoder.Model, cache, "fusion-test"))
            {
                var fusionCount = ((GridVideoTextModel)encoder.Model).Fusion.parameters().Count();
                foreach (var stage in new[] { 1, 2, 3 })
                    Assert.Equal(fusionCount, fusion.ParametersTrainedIn(stage).Count());
                // The standardisation is fixed (buffers, saved with the checkpoint), not trained.
                Assert.Contains("state_mean", fusion.Module.state_dict().Keys);
                Assert.DoesNotContain(fusion.Module.named_parameters(), p => p.name.StartsWith("state_", StringComparison.Ordinal));
            }
            var tokens = Path.Combine(folder, FusionTokenCache.TokensFile);
            using (var stream = File.Open(tokens, FileMode.Open)) stream.SetLength(stream.Length - 2);
            var error = Assert.Throws<InvalidDataException>(() => FusionTokenCache.TryOpen(folder, "key-1"));
            Assert.Contains("delete the folder", error.Message);
        }
    }

    [Fact]
    public void A_backbone_rate_scale_must_be_positive()
    {
        var config = TrainConfig.Quick();
        var scaled = config with { Stages = config.Stages.Select(s => s with { BackboneRateScale = 0.1 }).ToList() };
        scaled.Validate();
        var zero = config with { Stages = config.Stages.Select(s => s with { BackboneRateScale = 0 }).ToList() };
        Assert.Contains("BackboneRateScale", Assert.Throws<ArgumentException>(zero.Validate).Message);
        Assert.DoesNotContain("BackboneRateScale", config.ToJson());
    }
}

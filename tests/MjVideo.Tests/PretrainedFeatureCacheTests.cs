using MjVideo.Backbones.Pretrained;
using static TorchSharp.torch;

namespace MjVideo.Tests;

[Collection(ResNetCollection.Name)]
public class PretrainedFeatureCacheTests(ResNetFixture fixture)
{
    const string Decoding = "all frames, 64x64 native";

    static string FakeVideo(string dir, string name, byte seed)
    {
        // The cache only hashes the file, so any bytes stand in for an mp4.
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 + seed)).ToArray());
        return path;
    }

    [Fact]
    public void Second_request_is_served_from_disk_with_the_same_values()
    {
        var dir = RepoPaths.NewTempDir("features");
        var video = FakeVideo(dir, "clip.mp4", 1);
        using var frames = TestFrames.Noise(4, 64, seed: 21);
        var decodes = 0;
        Tensor Decode() { decodes++; return frames.clone(); }

        using var computed = new FrameFeatureCache(dir, fixture.Extractor).GetOrCompute("train/0001", video, Decoding, Decode);
        var reopened = new FrameFeatureCache(dir, fixture.Extractor);
        using var loaded = reopened.GetOrCompute("train/0001", video, Decoding, Decode);

        Assert.Equal(1, decodes);
        Assert.Equal((1, 0), (reopened.Hits, reopened.Misses));
        Assert.Equal([4L, 512, 4, 4], loaded.shape);
        Assert.Equal(ScalarType.Float16, loaded.dtype);
        Assert.True(TestFrames.BitwiseEqual(computed, loaded), "cached features differ from the computed ones");

        var key = reopened.KeyFor("train/0001", video, Decoding);
        var file = reopened.PathFor(key);
        Assert.Equal(FrameFeatureCache.FileBytes(key, 4, 512, 4, 4), new FileInfo(file).Length);
        Assert.Contains("train_0001.", Path.GetFileName(file));
        Assert.Empty(Directory.GetFiles(reopened.Folder, "*.tmp"));
    }

    [Fact]
    public async Task The_asynchronous_path_stores_what_the_synchronous_one_reads_and_decodes_only_on_a_miss()
    {
        var dir = RepoPaths.NewTempDir("features");
        var video = FakeVideo(dir, "clip.mp4", 4);
        using var frames = TestFrames.Noise(3, 64, seed: 23);
        var decodes = 0;
        async Task<Tensor> DecodeAsync(CancellationToken token)
        {
            await Task.Yield();
            decodes++;
            return frames.clone();
        }

        var cache = new FrameFeatureCache(dir, fixture.Extractor);
        using var computed = await cache.GetOrComputeAsync("v", video, Decoding, DecodeAsync);
        using var again = await cache.GetOrComputeAsync("v", video, Decoding, DecodeAsync);
        using var synchronous = new FrameFeatureCache(dir, fixture.Extractor).GetOrCompute("v", video, Decoding,
            () => throw new InvalidOperationException("should have been served from the cache"));

        Assert.Equal(1, decodes);
        Assert.Equal((1, 1), (cache.Hits, cache.Misses));
        Assert.True(TestFrames.BitwiseEqual(computed, again));
        Assert.True(TestFrames.BitwiseEqual(computed, synchronous));
    }

    [Fact]
    public void Cached_features_match_a_fresh_extraction_rounded_to_float16()
    {
        var dir = RepoPaths.NewTempDir("features");
        var video = FakeVideo(dir, "clip.mp4", 2);
        using var frames = TestFrames.Noise(2, 64, seed: 22);
        using var cached = new FrameFeatureCache(dir, fixture.Extractor).GetOrCompute("v", video, Decoding, () => frames.clone());
        using var fresh = fixture.Extractor.Extract(frames);
        Assert.True(cached.to_type(ScalarType.Float32).allclose(fresh, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void A_changed_source_file_or_decoding_is_a_different_key()
    {
        var dir = RepoPaths.NewTempDir("features");
        var video = FakeVideo(dir, "clip.mp4", 3);
        var cache = new FrameFeatureCache(dir, fixture.Extractor);
        var before = cache.KeyFor("v", video, Decoding);
        Assert.NotEqual(before.Hash(), cache.KeyFor("v", video, "all frames, 32x32").Hash());
        Assert.Equal(before, cache.KeyFor("v", video, Decoding));

        FakeVideo(dir, "clip.mp4", 4); // re-rendered: same name, same length, new content
        var after = cache.KeyFor("v", video, Decoding);
        Assert.NotEqual(before.Source, after.Source);
        Assert.NotEqual(cache.PathFor(before), cache.PathFor(after));
        Assert.Contains(fixture.Extractor.EncoderId, after.EncoderId);
        Assert.Equal(112, after.InputSize);
    }

    [Fact]
    public void A_truncated_cache_file_is_an_error_naming_it()
    {
        var dir = RepoPaths.NewTempDir("features");
        var video = FakeVideo(dir, "clip.mp4", 5);
        using var frames = TestFrames.Noise(1, 64, seed: 23);
        var cache = new FrameFeatureCache(dir, fixture.Extractor);
        cache.GetOrCompute("v", video, Decoding, () => frames.clone()).Dispose();
        var file = cache.PathFor(cache.KeyFor("v", video, Decoding));
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..^10]);

        var error = Assert.Throws<InvalidDataException>(() => cache.GetOrCompute("v", video, Decoding, () => frames.clone()));
        Assert.Contains(file, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_missing_video_file_is_an_error_naming_it()
    {
        var cache = new FrameFeatureCache(RepoPaths.NewTempDir("features"), fixture.Extractor);
        var error = Assert.Throws<FileNotFoundException>(() => cache.KeyFor("v", "/no/such/clip.mp4", Decoding));
        Assert.Contains("/no/such/clip.mp4", error.Message);
    }
}

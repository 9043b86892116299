using MjVideo.Backbones.Pretrained;

namespace MjVideo.Tests;

public class PretrainedCaptionTests
{
    static float Cosine(float[] a, float[] b) => a.Zip(b).Sum(p => p.First * p.Second);

    [Fact]
    public void Embeddings_are_384_d_unit_vectors_that_follow_meaning()
    {
        using var encoder = new CaptionEncoder(cacheDir: null);
        var vectors = encoder.Encode(["a red ball rolls to the left", "a red sphere rolls leftwards", "the quarterly tax form is due", "a red ball rolls to the left"]);
        Assert.All(vectors, v => Assert.Equal(CaptionEncoder.Dimension, v.Length));
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => x * x)), 3));
        Assert.Equal(vectors[0], vectors[3]);
        Assert.True(Cosine(vectors[0], vectors[1]) > Cosine(vectors[0], vectors[2]) + 0.2f,
            $"paraphrase {Cosine(vectors[0], vectors[1]):F2} vs unrelated {Cosine(vectors[0], vectors[2]):F2}");
        // The repeated caption is embedded once, in the same model call.
        Assert.Equal(new CaptionCacheStats(MemoryHits: 0, DiskHits: 0, Computed: 3, ModelLoaded: true), encoder.Stats);
    }

    [Fact]
    public void Cache_serves_from_memory_then_from_disk_without_loading_the_model()
    {
        var dir = RepoPaths.NewTempDir("captions");
        const string caption = "two blue cubes bounce";
        float[] computed;
        using (var first = new CaptionEncoder(dir))
        {
            computed = first.Encode(caption);
            var again = first.Encode(caption);
            Assert.Same(computed, again);
            Assert.Equal(new CaptionCacheStats(MemoryHits: 1, DiskHits: 0, Computed: 1, ModelLoaded: true), first.Stats);
            Assert.True(File.Exists(first.CacheFile(caption)));
        }
        using var second = new CaptionEncoder(dir);
        var fromDisk = second.Encode(caption);
        Assert.Equal(computed, fromDisk);
        Assert.Equal(new CaptionCacheStats(MemoryHits: 0, DiskHits: 1, Computed: 0, ModelLoaded: false), second.Stats);
    }

    [Fact]
    public void A_cache_file_holding_another_caption_is_an_error_naming_it()
    {
        var dir = RepoPaths.NewTempDir("captions");
        using var encoder = new CaptionEncoder(dir);
        var stolen = encoder.CacheFile("caption A")!;
        var target = encoder.CacheFile("caption B")!;
        Directory.CreateDirectory(Path.GetDirectoryName(stolen)!);
        // Write a valid file for A by hand (no model needed), then put it where B's embedding belongs.
        using (var writer = new BinaryWriter(File.Create(stolen)))
        {
            writer.Write("MJCE"u8);
            writer.Write(1);
            writer.Write(CaptionEncoder.Dimension);
            foreach (var text in new[] { CaptionEncoder.ModelId, "caption A" })
            {
                var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
                writer.Write(utf8.Length);
                writer.Write(utf8);
            }
            for (var i = 0; i < CaptionEncoder.Dimension; i++) writer.Write(0.05f);
        }
        Assert.Equal(0.05f, encoder.Encode("caption A")[7]);
        File.Copy(stolen, target);

        var error = Assert.Throws<InvalidDataException>(() => encoder.Encode("caption B"));
        Assert.Contains(target, error.Message);
        Assert.Contains("caption A", error.Message);
        Assert.False(encoder.Stats.ModelLoaded);
    }
}

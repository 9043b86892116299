using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Pretrained;

/// <summary>Everything a cached feature map depends on. Two clips share a cache file only when all of it is equal.</summary>
/// <param name="VideoId">the video's id in its dataset</param>
/// <param name="EncoderId">weights, graph edit and input size (<see cref="ResNetFeatureExtractor.EncoderId"/>)</param>
/// <param name="InputSize">the frame size the network saw</param>
/// <param name="Source">the video file's identity (<see cref="FrameFeatureCache.SourceIdentity"/>)</param>
/// <param name="Decoding">how the frames were decoded from it, e.g. "all frames, 64x64 native, rgb24"</param>
public sealed record FeatureCacheKey(string VideoId, string EncoderId, int InputSize, string Source, string Decoding)
{
    public string ToJson() => JsonSerializer.Serialize(this);
    public string Hash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())))[..16].ToLowerInvariant();
}

/// <summary>
/// Per-video ResNet-18 feature maps of every decoded frame (all 16 frames of a SynthBench clip), so that the frame count
/// and the sampling rule become index subsets later instead of new encoder runs. One float16 file per video, written
/// atomically, named by the video id and the hash of its <see cref="FeatureCacheKey"/>; the key is stored in the file and
/// checked on every read.
/// </summary>
public sealed class FrameFeatureCache
{
    static readonly byte[] Magic = "MJVF"u8.ToArray();
    const int FormatVersion = 1;

    readonly ResNetFeatureExtractor extractor;
    int hits, misses;

    public string Folder { get; }
    public int Hits => hits;
    public int Misses => misses;

    /// <param name="cacheDir">the root cache folder (usually <c>Workbook.CacheDir</c>)</param>
    public FrameFeatureCache(string cacheDir, ResNetFeatureExtractor extractor)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the feature cache format is little-endian");
        this.extractor = extractor;
        Folder = Path.Combine(cacheDir, "features", extractor.EncoderId);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>A file's identity: its length and the start of its SHA-256, so that a re-rendered or replaced video
    /// gets new features while a copied or touched one does not.</summary>
    public static string SourceIdentity(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"video file not found: {path}", path);
        using var stream = File.OpenRead(path);
        return $"{stream.Length}-{Convert.ToHexString(SHA256.HashData(stream))[..16].ToLowerInvariant()}";
    }

    public FeatureCacheKey KeyFor(string videoId, string sourceFile, string decoding) =>
        new(videoId, extractor.EncoderId, extractor.Options.InputSize, SourceIdentity(sourceFile), decoding);

    public string PathFor(FeatureCacheKey key)
    {
        var safeId = string.Concat(key.VideoId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return Path.Combine(Folder, $"{safeId}.{key.Hash()}.f16");
    }

    /// <summary>
    /// The feature maps [T,512,h,w] (float16) of a video: read from the cache, or computed from
    /// <paramref name="decodeFrames"/> (RGB [T,3,H,W], uint8 or float in [0,1]) and stored. Both paths return the same
    /// float16 values.
    /// </summary>
    public Tensor GetOrCompute(string videoId, string sourceFile, string decoding, Func<Tensor> decodeFrames)
    {
        var key = KeyFor(videoId, sourceFile, decoding);
        if (LoadCounted(key) is { } cached) return cached;
        using var frames = decodeFrames();
        return ExtractAndStore(key, frames);
    }

    /// <summary>
    /// <see cref="GetOrCompute"/> with an asynchronous decoder: the ffmpeg read is awaited, not blocked on. Blocking a
    /// thread-pool thread on the decoder's own asynchronous reads starved the pool on 2 cores (the reads' continuations
    /// waited for the pool to grow), which made preparing one video at a time slower than a batch at a time.
    /// </summary>
    public async Task<Tensor> GetOrComputeAsync(string videoId, string sourceFile, string decoding, Func<CancellationToken, Task<Tensor>> decodeFrames,
        CancellationToken cancellation = default)
    {
        var key = KeyFor(videoId, sourceFile, decoding);
        if (LoadCounted(key) is { } cached) return cached;
        using var frames = await decodeFrames(cancellation).ConfigureAwait(false);
        // The extractor runs one call at a time; wait for it without holding a thread.
        await extractGate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            return ExtractAndStore(key, frames);
        }
        finally
        {
            extractGate.Release();
        }
    }

    readonly SemaphoreSlim extractGate = new(1, 1);

    /// <summary>The cached maps for this key, counted as a hit; null (counted as a miss) when they must be computed.</summary>
    Tensor? LoadCounted(FeatureCacheKey key)
    {
        var cached = TryLoad(key);
        Interlocked.Increment(ref cached is null ? ref misses : ref hits);
        return cached;
    }

    Tensor ExtractAndStore(FeatureCacheKey key, Tensor frames)
    {
        var features = extractor.Extract(frames);
        Tensor half;
        if (features.dtype == ScalarType.Float16) half = features;
        else using (features) half = features.to_type(ScalarType.Float16);
        Write(PathFor(key), key, half);
        return half;
    }

    /// <summary>The cached maps for this key, or null when there is no file for it.</summary>
    public Tensor? TryLoad(FeatureCacheKey key)
    {
        var path = PathFor(key);
        if (!File.Exists(path)) return null;
        var bytes = File.ReadAllBytes(path);
        var position = 0;
        if (bytes.Length < 8 || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a feature cache file (bad magic); delete it to recompute");
        position += 4;
        var version = ReadInt(bytes, ref position, path);
        if (version != FormatVersion)
            throw new InvalidDataException($"{path}: format version {version}, expected {FormatVersion}; delete it to recompute");
        var keyLength = ReadInt(bytes, ref position, path);
        if (keyLength < 0 || keyLength > bytes.Length - position) throw new InvalidDataException($"{path}: truncated header");
        var storedKey = Encoding.UTF8.GetString(bytes, position, keyLength);
        position += keyLength;
        if (storedKey != key.ToJson())
            throw new InvalidDataException($"{path}: stored key {storedKey} differs from the expected {key.ToJson()}");
        long[] shape = [ReadInt(bytes, ref position, path), ReadInt(bytes, ref position, path),
                        ReadInt(bytes, ref position, path), ReadInt(bytes, ref position, path)];
        if (shape.Any(d => d <= 0)) throw new InvalidDataException($"{path}: invalid shape [{string.Join(",", shape)}]");
        var expectedBytes = 2 * shape.Aggregate(1L, (a, b) => a * b);
        if (bytes.Length - position != expectedBytes)
            throw new InvalidDataException(
                $"{path}: {bytes.Length - position} bytes of values for shape [{string.Join(",", shape)}], expected {expectedBytes} (truncated?)");
        var result = empty(shape, ScalarType.Float16);
        bytes.AsSpan(position).CopyTo(result.bytes);
        return result;
    }

    /// <summary>The size of one cache file: header (with the key) plus 2 bytes per value.</summary>
    public static long FileBytes(FeatureCacheKey key, int frames, int channels, int height, int width) =>
        HeaderBytes(key) + 2L * frames * channels * height * width;

    static long HeaderBytes(FeatureCacheKey key) => 4 + 4 + 4 + Encoding.UTF8.GetByteCount(key.ToJson()) + 4 * 4;

    // Layout (little-endian): "MJVF", int32 format version, int32 byte length + UTF-8 key JSON, int32 T, C, H, W,
    // then T*C*H*W IEEE float16 values in row-major order.
    static void Write(string path, FeatureCacheKey key, Tensor half)
    {
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            var keyBytes = Encoding.UTF8.GetBytes(key.ToJson());
            writer.Write(keyBytes.Length);
            writer.Write(keyBytes);
            foreach (var dim in half.shape) writer.Write(checked((int)dim));
            writer.Write(half.bytes);
        });
    }

    static int ReadInt(byte[] bytes, ref int position, string path)
    {
        if (bytes.Length - position < 4) throw new InvalidDataException($"{path}: truncated header");
        var value = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position));
        position += 4;
        return value;
    }
}

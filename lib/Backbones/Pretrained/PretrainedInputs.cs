using static TorchSharp.torch;

namespace MjVideo.Backbones.Pretrained;

/// <summary>
/// What the fusion needs for a set of videos, held in memory between epochs: the selected frames' frozen feature maps
/// [N, T, 512, s, s] (float16, as cached) and the frozen caption embeddings [N, 384] (float32).
/// </summary>
public sealed class PretrainedInputs : BackboneInputs
{
    public PretrainedInputs(IReadOnlyList<string> videoIds, Tensor features, Tensor captions)
    {
        if (features.dim() != 5 || features.shape[0] != videoIds.Count)
            throw new ArgumentException($"features must be [N, T, C, s, s] with N = {videoIds.Count} videos, got [{string.Join(", ", features.shape)}]");
        if (captions.dim() != 2 || captions.shape[0] != videoIds.Count)
            throw new ArgumentException($"captions must be [N, D] with N = {videoIds.Count} videos, got [{string.Join(", ", captions.shape)}]");
        VideoIds = videoIds;
        Features = features;
        Captions = captions;
    }

    public IReadOnlyList<string> VideoIds { get; }
    public Tensor Features { get; }
    public Tensor Captions { get; }

    public override int Count => VideoIds.Count;

    public override BackboneInputs Select(IReadOnlyList<int> positions)
    {
        foreach (var p in positions)
            if (p < 0 || p >= Count) throw new ArgumentOutOfRangeException(nameof(positions), p, $"position outside 0..{Count - 1}");
        using var index = tensor(positions.Select(p => (long)p).ToArray());
        return new PretrainedInputs(positions.Select(p => VideoIds[p]).ToArray(), Features.index_select(0, index), Captions.index_select(0, index));
    }

    protected override BackboneInputs Join(IReadOnlyList<BackboneInputs> parts)
    {
        var prepared = parts.Cast<PretrainedInputs>().ToList();
        return new PretrainedInputs(prepared.SelectMany(p => p.VideoIds).ToArray(),
            cat(prepared.Select(p => p.Features).ToArray(), 0), cat(prepared.Select(p => p.Captions).ToArray(), 0));
    }

    public override void Dispose()
    {
        Features.Dispose();
        Captions.Dispose();
    }
}

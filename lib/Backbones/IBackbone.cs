using TorchSharp;
using static TorchSharp.torch;

namespace MjVideo.Backbones;

/// <summary>A video as a backbone sees it: a stable id (cache key part), the file, and the caption it was made for.</summary>
public sealed record VideoItem(string VideoId, string Path, string Caption);

/// <summary>
/// The two hidden states the MJ-Video head reads (DESIGN 5): <see cref="HGate"/> feeds both routers (the official
/// <c>&lt;|im_end|&gt;</c> position), <see cref="HLast"/> feeds the criteria regression (the official last token). Both
/// [B, H]; they are different tensors.
/// </summary>
public sealed class BackboneOutput(Tensor hGate, Tensor hLast) : IDisposable
{
    public Tensor HGate { get; } = hGate;
    public Tensor HLast { get; } = hLast;

    public void Dispose()
    {
        HGate.Dispose();
        HLast.Dispose();
    }
}

/// <summary>
/// Tensors prepared for a batch of videos: whatever a backbone needs (decoded clips, cached feature maps, caption
/// embeddings or token ids, precomputed states). Preparing is separated from the forward pass so that training can
/// prepare every video once, keep the inputs in memory, and run many epochs over them.
/// </summary>
public abstract class BackboneInputs : IDisposable
{
    public abstract int Count { get; }

    /// <summary>The inputs of a subset of the videos (by position), for mini-batches.</summary>
    public abstract BackboneInputs Select(IReadOnlyList<int> positions);

    /// <summary>
    /// The inputs of several preparations by the same backbone, joined in order (the reverse of <see cref="Select"/>), as
    /// new tensors: lets a pipeline prepare videos one at a time as they are decoded and score them in batches. Joined
    /// inputs equal the inputs prepared for all the videos at once.
    /// </summary>
    public static BackboneInputs Concat(IReadOnlyList<BackboneInputs> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("no inputs to join", nameof(parts));
        var kind = parts[0].GetType();
        if (parts.FirstOrDefault(p => p.GetType() != kind) is { } other)
            throw new ArgumentException($"cannot join {kind.Name} with {other.GetType().Name}: the parts were prepared by different backbones", nameof(parts));
        return parts[0].Join(parts);
    }

    /// <summary>Joins parts of this type (<see cref="Concat"/> has checked that they all are).</summary>
    protected abstract BackboneInputs Join(IReadOnlyList<BackboneInputs> parts);

    public abstract void Dispose();
}

/// <summary>
/// The seam between videos and the MJ-Video head (DESIGN 1 and 5). Implementations: the small video-text encoder
/// trained from pixels (CPU default, differentiable end to end), frozen pretrained encoders shipped in NuGet packages
/// with a trainable fusion, and hidden states precomputed elsewhere (e.g. MJ-VIDEO-2B dumped on a GPU).
/// </summary>
public interface IBackbone : IDisposable
{
    /// <summary>Identifies the architecture and its frozen parts, for cache keys and results (e.g. "tiny-v1").</summary>
    string Id { get; }

    /// <summary>H, the size of each hidden state.</summary>
    int HiddenSize { get; }

    /// <summary>The trainable module (the fusion and, for the small encoder, the CNN); its parameters are saved with
    /// the head in checkpoints.</summary>
    nn.Module Module { get; }

    /// <summary>Reads, decodes or looks up in caches whatever the forward pass needs for these videos.</summary>
    Task<BackboneInputs> PrepareAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default);

    BackboneOutput Forward(BackboneInputs inputs);

    /// <summary>
    /// The backbone parameters a training stage updates (DESIGN 5, "what each stage trains"): pretrained encoders are
    /// always frozen; the fusion trains in every stage (it plays the LLM's part); the small encoder's CNN, which has no
    /// pretraining, trains in stage 1 (a documented deviation) and stays frozen afterwards.
    /// </summary>
    IEnumerable<TorchSharp.Modules.Parameter> ParametersTrainedIn(int stage);
}

using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MjVideo.Experiments;

/// <summary>
/// The small encoder reading a subset of each clip's frames: the inner encoder decodes every frame (its preprocessing
/// must be all of the clip's frames; SynthBench's clip cache already holds them), and this picks the frames of a
/// <see cref="FrameChoice"/> out of them. So the frame ablation's states come from one decoding per video, as index
/// subsets, and one encoder serves every frame count. Everything else is the inner encoder's.
/// </summary>
public sealed class FrameSubsetBackbone(TinyVideoTextBackbone inner, FrameChoice frames, int clipFrames, string? idSuffix = null) : IBackbone
{
    readonly long[] indices = frames.Indices(clipFrames).Select(i => (long)i).ToArray();

    public TinyVideoTextBackbone Inner => inner;
    public FrameChoice Frames => frames;

    public string Id => $"{inner.Id}-{frames.Key}{(idSuffix is null ? "" : "-" + idSuffix)}";
    public int HiddenSize => inner.HiddenSize;
    public nn.Module Module => inner.Module;

    /// <summary>The v2 encoder keeps every decoded frame (its change stream reads them all) and is told which frames its CNN
    /// reads; the v1 encoder gets the chosen frames only.</summary>
    bool ChoosesCnnFrames => inner.Model is GridVideoTextModel;

    public async Task<BackboneInputs> PrepareAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default)
    {
        var all = await inner.PrepareAsync(videos, cancellation).ConfigureAwait(false);
        if (ChoosesCnnFrames) return all;
        using (all) return Subset((TinyInputs)all, indices);
    }

    public BackboneOutput Forward(BackboneInputs inputs) => ChoosesCnnFrames ? inner.Forward(inputs, indices) : inner.Forward(inputs);

    /// <summary>The encoder's states on inputs prepared with every frame of the clips, reading the frames at
    /// <paramref name="frameIndices"/>: by subsetting the inputs for v1, by choosing the CNN's frames for v2.</summary>
    public static BackboneOutput ForwardOnFrames(TinyVideoTextBackbone backbone, TinyInputs everyFrame, long[] frameIndices)
    {
        if (backbone.Model is GridVideoTextModel) return backbone.Forward(everyFrame, frameIndices);
        using var frames = Subset(everyFrame, frameIndices);
        return backbone.Forward(frames);
    }

    public IEnumerable<Parameter> ParametersTrainedIn(int stage) => inner.ParametersTrainedIn(stage);

    /// <summary>New inputs holding the given frames of every clip (and copies of the caption tokens); without clips (a
    /// caption-only encoder) only the tokens are copied.</summary>
    public static TinyInputs Subset(TinyInputs inputs, long[] frameIndices)
    {
        Tensor? clips = null;
        if (inputs.Clips is not null)
        {
            var available = inputs.Clips.shape[1];
            if (frameIndices.Any(i => i < 0 || i >= available))
                throw new ArgumentException($"frame indices [{string.Join(", ", frameIndices)}] outside the {available} frames of the prepared clips");
            using var index = tensor(frameIndices);
            clips = inputs.Clips.index_select(1, index);
        }
        return new TinyInputs(inputs.VideoIds, clips, inputs.TokenIds?.clone(), inputs.TokenMask?.clone());
    }

    /// <summary>The inner encoder belongs to whoever built it.</summary>
    public void Dispose() { }
}

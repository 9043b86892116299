using MjVideo.Video;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MjVideo.Core;

namespace MjVideo.Backbones.Tiny;

/// <summary>
/// The small video-text encoder trained from pixels (DESIGN 1 and 5): the workbook's CPU default and the reward model
/// that the tuning experiment back-propagates through. The network is <see cref="TinyVideoTextModel"/>; this class adds
/// decoding (one ffmpeg process per clip through <see cref="VideoDecoder"/>, with the clip cache when a cache folder is
/// given), tokenising and the per-stage parameter sets.
/// <para>
/// Deviation from the paper, documented: the CNN has no pretraining (nothing pretrained fits here and trains from 64x64
/// pixels), so it trains in stage 1 with everything else and is frozen in stages 2 and 3, where the official code keeps
/// its pretrained vision encoder frozen throughout. The caption encoder and the fusion play the language model's part and
/// train in every stage, as the official code fine-tunes the whole LLM in every stage.
/// </para>
/// </summary>
public sealed class TinyVideoTextBackbone : IBackbone
{
    readonly TinyEncoderModel model;
    readonly VideoDecoder decoder;

    /// <param name="config">the architecture, preprocessing, ablation switch and seed</param>
    /// <param name="cacheDir">the workbook's cache root (<c>Workbook.CacheDir</c>): decoded clips go to its <c>clips</c>
    /// folder; null decodes every time</param>
    /// <param name="tools">where ffmpeg is (found on PATH by default)</param>
    public TinyVideoTextBackbone(TinyBackboneConfig config, string? cacheDir = null, FfmpegTools? tools = null)
    {
        model = TinyEncoderModel.Create(config);
        Tokenizer = new CaptionTokenizer(config.MaxCaptionTokens);
        decoder = new VideoDecoder(tools, cacheDir is null ? null : new ClipCache(Path.Combine(cacheDir, "clips")));
    }

    public TinyBackboneConfig Config => model.Config;
    public CaptionTokenizer Tokenizer { get; }
    public TinyEncoderModel Model => model;

    public string Id => Config.Id;
    public int HiddenSize => Config.HiddenSize;
    public nn.Module Module => model;

    /// <summary>Decodes the videos (in parallel, through the clip cache) and tokenises their captions.</summary>
    public async Task<BackboneInputs> PrepareAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default)
    {
        Tensor? clips = null;
        if (Config.UsesVideo)
        {
            var decoded = await decoder.DecodeManyAsync(videos.Select(v => v.Path).ToArray(), Config.Preprocessing,
                cancellation: cancellation).ConfigureAwait(false);
            clips = StackClips(decoded, Config.Preprocessing);
        }
        CaptionTokens? tokens = Config.UsesCaption ? Tokenizer.EncodeBatch(videos.Select(v => v.Caption).ToArray()) : null;
        return new TinyInputs(videos.Select(v => v.VideoId).ToArray(), clips, tokens?.Ids, tokens?.Mask);
    }

    /// <summary>Runs the encoder on prepared inputs: the uint8 clips of the batch become float in [0, 1] here.</summary>
    public BackboneOutput Forward(BackboneInputs inputs) => Forward(inputs, cnnFrames: null);

    /// <summary>Runs the encoder on prepared inputs, the v2 CNN reading the given frames of the prepared clips (null: the
    /// config's rule). The v1 encoder reads every prepared frame and takes no choice.</summary>
    public BackboneOutput Forward(BackboneInputs inputs, long[]? cnnFrames)
    {
        if (cnnFrames is not null && model is not GridVideoTextModel)
            throw new ArgumentException($"{Id} reads every prepared frame; pick frames by subsetting the inputs instead");
        if (inputs is not TinyInputs tiny)
            throw new ArgumentException($"{Id} needs inputs from its own PrepareAsync ({nameof(TinyInputs)}), got {inputs.GetType().Name}");
        if (Config.UsesVideo && tiny.Clips is null) throw new ArgumentException($"{Id} reads videos, but the inputs hold no clips");
        if (Config.UsesCaption && tiny.TokenIds is null) throw new ArgumentException($"{Id} reads captions, but the inputs hold no caption tokens");
        using var scope = NewDisposeScope();
        var device = ModelDevice();
        var clips = Config.UsesVideo ? HeldScalars.With(255, s => tiny.Clips!.to(device).to_type(ScalarType.Float32).div_(s)) : null;
        var ids = Config.UsesCaption ? tiny.TokenIds!.to(device) : null;
        var mask = Config.UsesCaption ? tiny.TokenMask!.to(device) : null;
        var (hGate, hLast) = model is GridVideoTextModel grid ? grid.Encode(clips, ids, mask, cnnFrames) : model.Encode(clips, ids, mask);
        return new BackboneOutput(hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Runs the encoder on float clips directly, for a generator whose renders are scored by the reward model: nothing is
    /// detached, so a reward computed from the output back-propagates into <paramref name="clips"/>.
    /// </summary>
    /// <param name="clips">float [B, T, 3, H, W] in [0, 1], on the model's device</param>
    /// <param name="captions">one caption per clip</param>
    public BackboneOutput Forward(Tensor clips, IReadOnlyList<string> captions)
    {
        if (clips.dim() != 5 || clips.shape[0] != captions.Count)
            throw new ArgumentException($"clips [{string.Join(", ", clips.shape)}] must be [B, T, 3, H, W] with B = {captions.Count} captions");
        using var scope = NewDisposeScope();
        var device = clips.device;
        Tensor? ids = null, mask = null;
        if (Config.UsesCaption)
        {
            using var tokens = Tokenizer.EncodeBatch(captions);
            ids = tokens.Ids.to(device);
            mask = tokens.Mask.to(device);
        }
        var (hGate, hLast) = model.Encode(Config.UsesVideo ? clips : null, ids, mask);
        return new BackboneOutput(hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Stage 1: every parameter. Stages 2 and 3: all but the vision network (<see cref="TinyEncoderModel.VisionPrefixes"/>),
    /// whose features are then fixed, as the official vision encoder's are.
    /// </summary>
    public IEnumerable<Parameter> ParametersTrainedIn(int stage)
    {
        if (stage is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(stage), stage, "training stages are 1, 2 and 3");
        return model.named_parameters()
            .Where(p => stage == 1 || !model.VisionPrefixes.Any(prefix => p.name.StartsWith(prefix, StringComparison.Ordinal)))
            .Select(p => p.parameter)
            .ToList();
    }

    /// <summary>uint8 [N, T, 3, H, W] from decoded clips, which must all have the preprocessing's shape.</summary>
    public static Tensor StackClips(IReadOnlyList<Clip> clips, Preprocessing preprocessing)
    {
        if (clips.Count == 0) return empty([0, preprocessing.Frames, 3, preprocessing.Height, preprocessing.Width], ScalarType.Byte);
        foreach (var clip in clips)
            if (clip.FrameCount != preprocessing.Frames || clip.Width != preprocessing.Width || clip.Height != preprocessing.Height)
                throw new InvalidDataException(
                    $"{clip.Source.Path}: decoded to {clip.FrameCount} frames of {clip.Width}x{clip.Height}, expected {preprocessing.Describe()}");
        using var scope = NewDisposeScope();
        var stacked = stack(clips.Select(c => c.ToByteTensor()).ToArray());
        return stacked.MoveToOuterDisposeScope();
    }

    Device ModelDevice() => model.parameters().First().device;

    public void Dispose() => model.Dispose();
}
